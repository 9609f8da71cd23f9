import { describe, expect, test } from "bun:test";
import {
  MAX_RETRY_DELAY_MS,
  MIN_RETRY_DELAY_MS,
  RETRY_WINDOW_MS,
  isDeliverableUrl,
  isValidSecret,
  nextAttemptAt,
} from "../../src/domain/webhooks.ts";

const middle = () => 0.5;

describe("nextAttemptAt", () => {
  test("without jitter: 5 s, then three times the time spent, at most 8 h; gives up once 24 h are spent", () => {
    const schedule: number[] = [0];
    for (;;) {
      const next = nextAttemptAt(0, schedule.at(-1)!, middle);
      if (next === null) break;
      schedule.push(next);
    }
    const s = 1000;
    expect(schedule).toEqual([
      0,
      5 * s,
      20 * s,
      80 * s,
      320 * s,
      1280 * s,
      5120 * s,
      20480 * s,
      49280 * s,
      78080 * s,
      106880 * s,
    ]);
    expect(schedule.at(-1)!).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
    expect(schedule.at(-2)!).toBeLessThan(RETRY_WINDOW_MS);
  });

  test("jitter spreads each wait by at most 25 % either way", () => {
    expect(nextAttemptAt(0, 0, () => 0)).toBe(MIN_RETRY_DELAY_MS * 0.75);
    expect(nextAttemptAt(0, 0, () => 1)).toBe(MIN_RETRY_DELAY_MS * 1.25);
    const late = 20 * 3600_000;
    expect(nextAttemptAt(0, late, () => 1)).toBe(late + MAX_RETRY_DELAY_MS * 1.25);
  });

  test("the window counts from its start (a redeliver reopens it)", () => {
    expect(nextAttemptAt(RETRY_WINDOW_MS, RETRY_WINDOW_MS + 1000, middle)).toBe(RETRY_WINDOW_MS + 1000 + 5000);
    expect(nextAttemptAt(0, RETRY_WINDOW_MS, middle)).toBeNull();
  });
});

describe("secrets and URLs", () => {
  test("a secret is whsec_ and the base64 of 24 to 64 bytes, or other text without control characters", () => {
    expect(isValidSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(true);
    expect(isValidSecret("whsec_" + Buffer.alloc(64).toString("base64"))).toBe(true);
    expect(isValidSecret("whsec_" + Buffer.alloc(65).toString("base64"))).toBe(false);
    expect(isValidSecret("whsec_" + Buffer.alloc(23).toString("base64"))).toBe(false);
    expect(isValidSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe(true);
    expect(isValidSecret("hunter2")).toBe(true);
    expect(isValidSecret("")).toBe(false);
    expect(isValidSecret("tab\there")).toBe(false);
    expect(isValidSecret("whsec_not base64!")).toBe(false);
  });

  test("a webhook URL is absolute http or https", () => {
    expect(isDeliverableUrl("https://hooks.example.com/x?y=1")).toBe(true);
    expect(isDeliverableUrl("http://127.0.0.1:8080/hook")).toBe(true);
    for (const bad of ["ftp://x/y", "file:///etc/passwd", "javascript:alert(1)", "/relative", "https://", "x"]) {
      expect(isDeliverableUrl(bad)).toBe(false);
    }
  });
});
