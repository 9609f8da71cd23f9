import { expect, test } from "bun:test";
import { parseJsonInTurns } from "../../src/event-loop.ts";
import { turnsDuring } from "../support/event-loop.ts";

/** What a parse gives: its value, or the kind of error it throws. */
async function outcome(parse: () => unknown): Promise<unknown> {
  try {
    return { value: await parse() };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

const entry = (i: number) => ({
  hostname: `web-${i}`,
  store_path: `/nix/store/${"a".repeat(32)}-system-${i}`,
  platform: "x86_64-linux",
  tags: ["web", `rack,[${i % 7}]`, 'quote " and \\ backslash ] } {'],
});
const large = (count: number) => Array.from({ length: count }, (_, i) => entry(i));

test("a large manifest parses to what JSON.parse gives, in turns of the event loop", async () => {
  const text = JSON.stringify({ flake_ref: "github:x/y", entries: large(30_000), cache_url: null, other: [1, [2, 3]] });
  expect(text.length).toBeGreaterThan(4 << 20);
  let parsed: unknown;
  const turns = await turnsDuring(async () => {
    parsed = await parseJsonInTurns(text);
  });
  expect(parsed).toEqual(JSON.parse(text));
  // Other work ran while it parsed (an 18 MiB manifest in one JSON.parse held the loop ~100 ms).
  expect(turns).toBeGreaterThan(3);
});

test("several long arrays, whitespace and a __proto__ member come back as JSON.parse gives them", async () => {
  const body = `  {"a": ${JSON.stringify(large(7_000))} ,\n "__proto__": ${JSON.stringify(large(7_000))}, "b": {"c": [1]}, "d": [ ] }  `;
  const parsed = (await parseJsonInTurns(body)) as Record<string, unknown>;
  expect(parsed).toEqual(JSON.parse(body));
  expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  expect(Object.keys(parsed)).toEqual(["a", "__proto__", "b", "d"]);
});

test("malformed large documents fail as JSON.parse fails", async () => {
  const elements = JSON.stringify(large(7_000)).slice(1, -1);
  const spaces = " ".repeat(1 << 20);
  for (const text of [
    `{"entries": [${elements},]}`,
    `{"entries": [${elements},${spaces},${elements}]}`,
    `{"entries": [${elements}}}`,
    `{"entries": [${elements}]]`,
    `{"entries": [${elements}]`,
    `{"entries": [${elements}], }`,
    `[${elements}]`.padEnd(2 << 20, " ") + "x",
    `{"entries": [${elements}, "unterminated]}`,
  ]) {
    const expected = await outcome(() => JSON.parse(text));
    expect(expected).toEqual({ error: "SyntaxError" });
    expect(await outcome(() => parseJsonInTurns(text))).toEqual(expected);
  }
});

test("small documents and non-objects are parsed in one go", async () => {
  expect(await parseJsonInTurns('{"entries":[1,2]}')).toEqual({ entries: [1, 2] });
  const array = JSON.stringify(large(7_000));
  expect(await parseJsonInTurns(array)).toEqual(JSON.parse(array));
  await expect(parseJsonInTurns("{")).rejects.toThrow(SyntaxError);
});
