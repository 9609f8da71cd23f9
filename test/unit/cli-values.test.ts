import { expect, test } from "bun:test";
import { quantity, seconds, secondsList, timestamp } from "../../src/cli/values.ts";

const value = <T>(result: { success: true; value: T } | { success: false }) =>
  result.success ? result.value : "refused";

test("durations: seconds, or with a unit, within bounds", () => {
  const parser = seconds({ min: 1 });
  expect(["600", "90s", "10m", "2h", "1d"].map((input) => value(parser.parse(input)))).toEqual([
    600, 90, 600, 7200, 86400,
  ]);
  for (const input of ["", "10x", "1.5h", "-5", "0", "366d", "m"]) expect(value(parser.parse(input))).toBe("refused");
  expect(value(seconds().parse("0"))).toBe(0);
  expect(value(secondsList().parse("30s,1h,0"))).toEqual([30, 3600, 0]);
  expect(value(secondsList().parse("30s,,1h"))).toBe("refused");
});

test("quantities are the API's: a count or a percentage up to 100%", () => {
  expect(["5", "25%", "12.5%", "100%", " 3 "].map((input) => value(quantity().parse(input)))).toEqual([
    "5",
    "25%",
    "12.5%",
    "100%",
    "3",
  ]);
  for (const input of ["half", "150%", "-1", "5 %", "1e3"]) expect(value(quantity().parse(input))).toBe("refused");
});

test("times are RFC 3339 with an offset", () => {
  for (const input of ["2026-11-28T02:00:00Z", "2026-11-28T02:00:00+01:00", "2026-11-28T02:00:00.5-05:30"]) {
    expect(value(timestamp().parse(input))).toBe(input);
  }
  for (const input of ["2026-11-28", "2026-11-28 02:00:00Z", "tomorrow", "2026-13-40T99:00:00Z"]) {
    expect(value(timestamp().parse(input))).toBe("refused");
  }
});
