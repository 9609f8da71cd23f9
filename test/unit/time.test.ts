import { expect, test } from "bun:test";
import { parseRfc3339, toUtcRfc3339 } from "../../src/domain/time.ts";

test("accepts the spellings agents send and re-spells them in UTC", () => {
  expect(toUtcRfc3339("2026-11-27T10:00:00Z")).toBe("2026-11-27T10:00:00.000Z");
  expect(toUtcRfc3339("2026-11-27T10:00:00.123456789Z")).toBe("2026-11-27T10:00:00.123Z");
  expect(toUtcRfc3339("2026-11-27T12:00:00+02:00")).toBe("2026-11-27T10:00:00.000Z");
  expect(toUtcRfc3339("2026-11-27t10:00:00.5z")).toBe("2026-11-27T10:00:00.500Z");
  expect(toUtcRfc3339("2026-11-27 08:30:00-01:30")).toBe("2026-11-27T10:00:00.000Z");
});

test.each([
  "yesterday",
  "",
  "2026-11-27",
  "2026-11-27T10:00:00",
  "2026-13-01T00:00:00Z",
  "2026-11-27T24:00:00Z",
  "2026-11-27T10:60:00Z",
  "1795773600",
  "2026-11-27T10:00:00+0200",
])("refuses %p", (text) => {
  expect(parseRfc3339(text)).toBeNull();
});
