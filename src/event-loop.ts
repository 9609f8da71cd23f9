/**
 * Lets the event loop serve what is waiting (agent polls above all) before going on. The SQLite
 * driver runs synchronously and its promises resolve at once, so a loop of awaited queries never
 * gives other requests a turn by itself: bulk work calls this between chunks.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Characters parsed (or scanned) per turn of the event loop: about 5 ms of work. */
const CHARS_PER_TURN = 1 << 20;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A member of the top-level object whose value is an array: its brackets and the commas between its elements. */
interface MemberArray {
  open: number;
  close: number;
  commas: number[];
}

/**
 * The arrays that are member values of the top-level object, found by following strings and
 * nesting a chunk of text per turn; null when the text is not an object (or is not well
 * nested), which JSON.parse then judges.
 */
async function memberArrays(text: string): Promise<MemberArray[] | null> {
  const found: MemberArray[] = [];
  let current: MemberArray | null = null;
  let depth = 0;
  let inString = false;
  const start = text.search(/\S/);
  if (start < 0 || text.charCodeAt(start) !== OPEN_BRACE) return null;
  for (let from = start; from < text.length; from += CHARS_PER_TURN) {
    if (from > start) await yieldToEventLoop();
    const to = Math.min(from + CHARS_PER_TURN, text.length);
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        if (depth === 2 && c === OPEN_BRACKET) current = { open: i, close: -1, commas: [] };
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 2 && current !== null) {
          if (c !== CLOSE_BRACKET) return null;
          current.close = i;
          found.push(current);
          current = null;
        }
        if (--depth < 0) return null;
      } else if (c === COMMA && depth === 2 && current !== null) current.commas.push(i);
    }
  }
  return depth === 0 && !inString ? found : null;
}

/**
 * `JSON.parse(text)` with the same result and the same failures, for large request bodies: the
 * long arrays of a top-level object (a release manifest's `entries`) are parsed natively a
 * slice of elements per turn of the event loop, the rest of the document in one go. An
 * 18 MiB manifest in one JSON.parse held the event loop for ~100 ms.
 */
export async function parseJsonInTurns(text: string): Promise<unknown> {
  if (text.length <= CHARS_PER_TURN) return JSON.parse(text);
  const arrays = (await memberArrays(text))?.filter((array) => array.close - array.open > CHARS_PER_TURN);
  if (!arrays || arrays.length === 0) return JSON.parse(text);
  const placeholders = new Map<string, unknown[]>();
  const marker = `\u0000${crypto.randomUUID()}:`;
  let outline = "";
  let copied = 0;
  for (const array of arrays) {
    const elements: unknown[] = [];
    let sliceStart = array.open + 1;
    const ends = [...array.commas, array.close];
    for (const [n, end] of ends.entries()) {
      if (end - sliceStart < CHARS_PER_TURN && n < ends.length - 1) continue;
      const slice: unknown[] = JSON.parse(`[${text.slice(sliceStart, end)}]`);
      // A slice of only whitespace after a cut means `[…,]` or `[…,,…]`: JSON.parse would refuse the whole.
      if (slice.length === 0 && sliceStart > array.open + 1) return JSON.parse(text);
      for (const element of slice) elements.push(element);
      sliceStart = end + 1;
      await yieldToEventLoop();
    }
    const placeholder = `${marker}${placeholders.size}`;
    placeholders.set(placeholder, elements);
    outline += text.slice(copied, array.open) + JSON.stringify(placeholder);
    copied = array.close + 1;
  }
  const document = JSON.parse(outline + text.slice(copied)) as Record<string, unknown>;
  for (const [key, value] of Object.entries(document)) {
    if (typeof value === "string" && placeholders.has(value)) {
      // defineProperty, not assignment: a member named `__proto__` stays a member.
      Object.defineProperty(document, key, {
        value: placeholders.get(value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return document;
}
