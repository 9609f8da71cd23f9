import { describe, expect, test } from "bun:test";
import {
  capText,
  hasControlCharacter,
  truncationMarker,
  wellFormedJsonText,
  withoutNul,
} from "../../src/domain/text.ts";

describe("wellFormedJsonText", () => {
  test.each([
    ['"h\\ud800"', "h\ufffd"],
    ['"\\udc00x"', "\ufffdx"],
    ['"\\uD83D\\uDE00"', "😀"],
    ['"\\ud83d\\ude00\\ud83d"', "😀\ufffd"],
    ['"\\udc00\\ud800"', "\ufffd\ufffd"],
    ['"\\\\ud800"', "\\ud800"],
    ['"\\\\\\ud800"', "\\\ufffd"],
    ['"\\ud800\\\\udc00"', "\ufffd\\udc00"],
    ['"\\ud800\\n"', "\ufffd\n"],
    ['"\\ud800😀"', "\ufffd😀"],
    ['{"\\ud800":"\\udfff"}', { "\ufffd": "\ufffd" }],
  ])("%s parses as %p", (text, expected) => {
    expect(JSON.parse(wellFormedJsonText(text))).toEqual(expected);
  });

  test("text without surrogate escapes is returned as it is", () => {
    const text = '{"a":1e400,"b":"\\u0000 é 😀 \\\\u"}';
    expect(wellFormedJsonText(text)).toBe(text);
  });

  test("numbers and malformed JSON are left for the validators to judge", () => {
    expect(wellFormedJsonText('{"n":1e400,"s":"\\ud800"}')).toBe('{"n":1e400,"s":"\\ufffd"}');
    expect(wellFormedJsonText('{"s":"\\ud800')).toBe('{"s":"\\ufffd');
    expect(wellFormedJsonText('"\\ud80"')).toBe('"\\ud80"');
  });

  test("any string, serialized by JSON.stringify, parses back as its well-formed self", () => {
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const units = [0xd800, 0xdbff, 0xdc00, 0xdfff, 0x5c, 0x22, 0x75, 0x41, 0, 0x0a, 0xe9];
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(next() * 12);
      const value = String.fromCharCode(...Array.from({ length }, () => units[Math.floor(next() * units.length)]!));
      const parsed = JSON.parse(wellFormedJsonText(JSON.stringify({ [value]: [value] })));
      expect(parsed).toEqual({ [value.toWellFormed()]: [value.toWellFormed()] });
    }
  });
});

test("control characters are U+0000–U+001F", () => {
  expect(hasControlCharacter("a\0b")).toBe(true);
  expect(hasControlCharacter("new\nline")).toBe(true);
  expect(hasControlCharacter("\u001f")).toBe(true);
  expect(hasControlCharacter("del\u007f é \u0085 \ufffd")).toBe(false);
});

test("withoutNul turns each NUL into U+FFFD and keeps everything after it", () => {
  expect(withoutNul("web\0evil\0")).toBe("web\ufffdevil\ufffd");
  const text = "plain";
  expect(withoutNul(text)).toBe(text);
});

describe("capText", () => {
  test("text within the cap is unchanged", () => {
    expect(capText("x".repeat(10), 10)).toBe("x".repeat(10));
  });

  test("longer text keeps its head and tail around a marker saying how much was cut", () => {
    const text = `${"h".repeat(100)}${"m".repeat(1000)}${"t".repeat(100)}`;
    const capped = capText(text, 200);
    expect(capped).toBe(`${"h".repeat(100)}${truncationMarker(1000)}${"t".repeat(100)}`);
    expect(capped).toContain("[… 1000 characters cut …]");
  });

  test("never splits a surrogate pair", () => {
    const capped = capText("😀".repeat(100), 11);
    expect(capped.isWellFormed()).toBe(true);
    expect(capped).toBe(`${"😀".repeat(3)}${truncationMarker(190)}${"😀".repeat(2)}`);
    expect(capText(`x${"😀".repeat(100)}`, 12)).toBe(`x${"😀".repeat(2)}${truncationMarker(190)}${"😀".repeat(3)}`);
  });
});
