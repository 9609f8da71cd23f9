import { describe, expect, test } from "bun:test";
import { guardFormula, toCsvLines } from "../../src/domain/csv.ts";

describe("guardFormula", () => {
  test.each(["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx", "=", "-"])("prefixes ' to %p", (field) => {
    expect(guardFormula(field)).toBe(`'${field}`);
  });

  test.each(["", "web-01", "a=b", " =x", "'=x", "1-2", "apikey:admin", "\nx", "＝x"])("leaves %p alone", (field) => {
    expect(guardFormula(field)).toBe(field);
  });
});

describe("toCsvLines", () => {
  test("plain fields are joined by commas, one LF-terminated line per record", () => {
    expect(
      toCsvLines([
        ["a", "b"],
        ["c", "d"],
      ]),
    ).toBe("a,b\nc,d\n");
  });

  test('fields with a comma, quote, CR or LF are quoted with "" doubling', () => {
    expect(toCsvLines([["a,b", 'say "hi"', "x\ny", "x\ry", "plain"]])).toBe('"a,b","say ""hi""","x\ny","x\ry",plain\n');
  });

  test("formula triggers are guarded before quoting", () => {
    expect(toCsvLines([["=1+1", "-2,3", '@"x"', "\rcmd"]])).toBe(`'=1+1,"'-2,3","'@""x""","'\rcmd"\n`);
  });

  test("empty fields stay empty", () => {
    expect(toCsvLines([["", "x", ""]])).toBe(",x,\n");
  });

  test("no records give no text", () => {
    expect(toCsvLines([])).toBe("");
  });
});
