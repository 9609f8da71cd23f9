// HTTP/1.x request framing (RFC 9112), runtime-neutral: the request head and chunked bodies.
// Strict where framing is at stake (one Content-Length, chunked as the only transfer coding, no
// obs-fold, CRLF and nothing else in a chunked body's framing), lenient where RFC 9112 allows it
// (a bare LF ends a line of the head, empty lines before a request are skipped).

/** The largest request head taken, as Bun and Node limit it; past it the answer is 431 (414 for the request line alone). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** The most header fields taken, as Bun limits them; past it the answer is 431. */
export const MAX_HEADER_FIELDS = 100;
const MAX_CHUNK_LINE_BYTES = 4096;

/** A request the framing refuses: answered with `status` and `message`, then the connection closes. */
export class HttpFramingError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 414 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
  }
}

/** A parsed request head. */
export interface RequestHead {
  method: string;
  /** The request target as sent: origin-form (`/path?query`), absolute-form, or `*` (OPTIONS only). */
  target: string;
  /** `HTTP/1.0` or `HTTP/1.1`. */
  version: "HTTP/1.0" | "HTTP/1.1";
  /** Field names lower-cased, values trimmed, in the order sent. */
  headers: [string, string][];
  /** The Host field; null when absent or empty. */
  host: string | null;
  /** Declared body length; null without Content-Length. */
  contentLength: number | null;
  chunked: boolean;
  /** The connection closes after this exchange (`Connection: close`, or HTTP/1.0 without keep-alive). */
  close: boolean;
  expectContinue: boolean;
}

const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[char.charCodeAt(0)] = 1;
}
// Request targets: no C0 controls, space or DEL.
const CONTROL_IN_TARGET = /[\x00-\x20\x7f]/;
// Field values: no C0 controls but HTAB, no DEL.
const CONTROL_IN_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const HOST = /^(\[[0-9A-Za-z:.%]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:\d*)?$/;
const DIGITS = /^\d{1,15}$/;
// chunk-size [ chunk-ext ] (RFC 9112 §7.1.1): hex digits (at most 12 past leading zeros, 2^48 - 1),
// then `;name[=token or quoted-string]` items with optional spaces around `;` and `=`.
const CHUNK_TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const CHUNK_EXTENSION = `[ \\t]*;[ \\t]*${CHUNK_TOKEN}(?:[ \\t]*=[ \\t]*(?:${CHUNK_TOKEN}|"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"))?`;
const CHUNK_SIZE_LINE = new RegExp(`^0*([0-9a-fA-F]{1,12})(?:${CHUNK_EXTENSION})*$`);

/**
 * Where the head starting at `from` ends: the index just past its empty line, or -1 while it is
 * incomplete. `from` must be past any empty lines before the request line.
 */
export function findHeadEnd(buffer: Uint8Array, from: number): number {
  for (let i = buffer.indexOf(0x0a, from); i !== -1; i = buffer.indexOf(0x0a, i + 1)) {
    if (buffer[i + 1] === 0x0a) return i + 2;
    if (buffer[i + 1] === 0x0d && buffer[i + 2] === 0x0a) return i + 3;
    if (i + 2 >= buffer.length) return -1;
  }
  return -1;
}

/**
 * False when `buffer` (past any empty lines) cannot be the start of a request: its first byte is
 * no method character, nor a CR whose LF has yet to come.
 */
export function canStartRequest(buffer: Uint8Array): boolean {
  const first = buffer[0]!;
  if (first === 0x0d) return buffer.length === 1;
  return first < 128 && TOKEN_CHARS[first] === 1;
}

/** How many bytes of empty lines (CRLF or LF) start `buffer` at `from`. */
export function skipEmptyLines(buffer: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    if (buffer[i] === 0x0a) i += 1;
    else if (buffer[i] === 0x0d && buffer[i + 1] === 0x0a) i += 2;
    else return i - from;
  }
}

/** Parses a complete head (request line through the empty line), given as latin1 text. */
export function parseRequestHead(text: string): RequestHead {
  // Lines are walked in place (no split): this runs for every request on the hot path.
  let lineEnd = text.indexOf("\n");
  const requestLine = text.slice(0, lineEnd > 0 && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd);
  const firstSpace = requestLine.indexOf(" ");
  const secondSpace = requestLine.indexOf(" ", firstSpace + 1);
  if (firstSpace === -1 || secondSpace === -1 || requestLine.indexOf(" ", secondSpace + 1) !== -1) {
    throw new HttpFramingError(400, "malformed request line");
  }
  const method = requestLine.slice(0, firstSpace);
  const target = requestLine.slice(firstSpace + 1, secondSpace);
  const version = requestLine.slice(secondSpace + 1);
  if (!isToken(method, 0, method.length)) throw new HttpFramingError(400, "malformed request method");
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    if (/^HTTP\/\d\.\d$/.test(version)) throw new HttpFramingError(505, `${version} is not supported`);
    throw new HttpFramingError(400, "malformed HTTP version");
  }
  const asterisk = target === "*" && method === "OPTIONS";
  if (
    !asterisk &&
    (target === "" ||
      CONTROL_IN_TARGET.test(target) ||
      !(target.charCodeAt(0) === 0x2f || /^https?:\/\//i.test(target)))
  ) {
    throw new HttpFramingError(400, "malformed request target");
  }

  const headers: [string, string][] = [];
  let host: string | null = null;
  let hostFields = 0;
  let contentLength: number | null = null;
  let transferCodings: string[] | null = null;
  let connectionTokens: string[] | null = null;
  let expectContinue = false;
  for (let start = lineEnd + 1; ; start = lineEnd + 1) {
    lineEnd = text.indexOf("\n", start);
    if (lineEnd === -1) break;
    const end = lineEnd > start && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
    if (end === start) break;
    if (headers.length === MAX_HEADER_FIELDS) throw new HttpFramingError(431, "too many header fields");
    const first = text.charCodeAt(start);
    if (first === 0x20 || first === 0x09) throw new HttpFramingError(400, "obsolete line folding");
    const colon = text.indexOf(":", start);
    if (colon === -1 || colon >= end || !isToken(text, start, colon)) {
      throw new HttpFramingError(400, "malformed header field");
    }
    const name = text.slice(start, colon).toLowerCase();
    const value = fieldValue(text, colon + 1, end);
    if (value === null) throw new HttpFramingError(400, `control character in header ${name}`);
    headers.push([name, value]);
    switch (name) {
      case "host":
        hostFields += 1;
        host = value === "" ? null : value;
        break;
      case "content-length":
        for (const item of value.split(",")) {
          const length = item.trim();
          if (!DIGITS.test(length)) throw new HttpFramingError(400, "malformed content-length");
          if (contentLength !== null && contentLength !== Number(length)) {
            throw new HttpFramingError(400, "conflicting content-length values");
          }
          contentLength = Number(length);
        }
        break;
      case "transfer-encoding":
        transferCodings = [...(transferCodings ?? []), ...splitTokens(value)];
        break;
      case "connection":
        connectionTokens = [...(connectionTokens ?? []), ...splitTokens(value)];
        break;
      case "expect":
        expectContinue = value.toLowerCase() === "100-continue";
        break;
    }
  }
  if (hostFields > 1) throw new HttpFramingError(400, "more than one host header");
  if (host !== null && !HOST.test(host)) throw new HttpFramingError(400, "malformed host header");
  if (version === "HTTP/1.1" && hostFields === 0) throw new HttpFramingError(400, "missing host header");
  let chunked = false;
  if (transferCodings !== null) {
    if (version === "HTTP/1.0") throw new HttpFramingError(400, "transfer-encoding in an HTTP/1.0 request");
    if (contentLength !== null) throw new HttpFramingError(400, "both transfer-encoding and content-length");
    // Without chunked last (and once) the body's end cannot be known (RFC 9112 §6.3): 400.
    if (transferCodings.at(-1) !== "chunked" || transferCodings.indexOf("chunked") !== transferCodings.length - 1) {
      throw new HttpFramingError(400, "chunked must be the last transfer coding, applied once");
    }
    if (transferCodings.length > 1) {
      throw new HttpFramingError(501, "transfer codings other than chunked are not supported");
    }
    chunked = true;
  }
  const close =
    connectionTokens?.includes("close") === true ||
    (version === "HTTP/1.0" && connectionTokens?.includes("keep-alive") !== true);
  return { method, target, version, headers, host, contentLength, chunked, close, expectContinue };
}

/** True when `text[from, to)` is a non-empty token (RFC 9110 §5.6.2); a loop, as this runs for every field. */
function isToken(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || TOKEN_CHARS[code] === 0) return false;
  }
  return to > from;
}

/** The field value in `line[from, to)` without surrounding spaces and tabs; null when it holds a control character (HTAB aside) or DEL. */
function fieldValue(line: string, from: number, to: number): string | null {
  let start = from;
  let end = to;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  const value = line.slice(start, end);
  return CONTROL_IN_VALUE.test(value) ? null : value;
}

/** True for `name: value` with a token name and a value free of control characters. */
function isFieldLine(line: string): boolean {
  const colon = line.indexOf(":");
  return colon > 0 && isToken(line, 0, colon) && fieldValue(line, colon + 1, line.length) !== null;
}

function splitTokens(value: string): string[] {
  return value
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "");
}

/**
 * Decodes a chunked body as it arrives. `feed` takes the bytes received so far and returns how
 * many it consumed; the rest (an incomplete size line, or the next pipelined request once `done`)
 * stays with the caller.
 */
export class ChunkedBodyDecoder {
  // One buffer grown by doubling: a list of parts would cost an object per chunk, and a body of
  // 1-byte chunks would take ~200 bytes of memory per byte sent.
  private decoded = Buffer.alloc(0);
  private state: "size" | "data" | "data-end" | "trailer" | "done" = "size";
  private remaining = 0;
  private trailerBytes = 0;
  /** Decoded bytes so far. */
  size = 0;

  /** @param limit past this many decoded bytes decoding stops: the body is over the app's limit anyway. */
  constructor(private readonly limit: number) {}

  get done(): boolean {
    return this.state === "done";
  }

  /** True once more than `limit` bytes were decoded (decoding stopped there). */
  get overLimit(): boolean {
    return this.size > this.limit;
  }

  feed(buffer: Uint8Array): number {
    let at = 0;
    while (at < buffer.length && this.state !== "done" && !this.overLimit) {
      if (this.state === "data") {
        const take = Math.min(this.remaining, buffer.length - at);
        this.keep(buffer.subarray(at, at + Math.min(take, this.limit + 1 - this.size)));
        this.size += take;
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.state = "data-end";
        continue;
      }
      const lineEnd = buffer.indexOf(0x0a, at);
      if (lineEnd === -1) {
        if (buffer.length - at > MAX_CHUNK_LINE_BYTES) throw new HttpFramingError(400, "malformed chunked body");
        break;
      }
      // Every line of the framing ends with CRLF: a parser in front that ended one at a bare LF
      // (or did not) would read a different body, and what follows it as another request.
      const crlf = lineEnd > at && buffer[lineEnd - 1] === 0x0d;
      const line = crlf ? Buffer.from(buffer.buffer, buffer.byteOffset + at, lineEnd - 1 - at).toString("latin1") : "";
      at = lineEnd + 1;
      if (this.state === "size") {
        const size = crlf ? CHUNK_SIZE_LINE.exec(line) : null;
        if (!size) throw new HttpFramingError(400, "malformed chunk size");
        this.remaining = parseInt(size[1]!, 16);
        this.state = this.remaining === 0 ? "trailer" : "data";
      } else if (this.state === "data-end") {
        if (!crlf) throw new HttpFramingError(400, "chunk data not followed by CRLF");
        if (line !== "") throw new HttpFramingError(400, "chunk data longer than its size");
        this.state = "size";
      } else {
        if (!crlf || (line !== "" && !isFieldLine(line))) throw new HttpFramingError(400, "malformed trailer section");
        this.trailerBytes += line.length;
        if (this.trailerBytes > MAX_HEAD_BYTES) throw new HttpFramingError(431, "trailer section too large");
        if (line === "") this.state = "done";
      }
    }
    return at;
  }

  /** The decoded body (at most `limit` + 1 bytes of it, when over the limit). */
  body(): Uint8Array<ArrayBuffer> {
    return this.decoded.subarray(0, Math.min(this.size, this.limit + 1));
  }

  private keep(bytes: Uint8Array): void {
    const kept = Math.min(this.size, this.limit + 1);
    if (kept + bytes.length > this.decoded.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(Math.max(kept + bytes.length, 2 * this.decoded.length, 4096), this.limit + 1),
      );
      this.decoded.copy(grown, 0, 0, kept);
      this.decoded = grown;
    }
    this.decoded.set(bytes, kept);
  }
}
