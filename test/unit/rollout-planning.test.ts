import { describe, expect, test } from "bun:test";
import {
  allowedFailures,
  effectiveBatchSizes,
  parseBatchSizes,
  parseFailureThreshold,
  parseQuantity,
  planBatches,
  resolveTargets,
  shuffle,
  type Quantity,
} from "../../src/domain/rollout-planning.ts";

const sizes = (...texts: string[]): Quantity[] => {
  const parsed = parseBatchSizes(texts);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const ids = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);
const lengths = (batches: unknown[][]) => batches.map((b) => b.length);

/** A deterministic random source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("quantities", () => {
  test("counts and percentages parse, percentages as exact fractions", () => {
    expect(parseQuantity("3")).toEqual({ ok: true, value: { kind: "count", count: 3 } });
    expect(parseQuantity("0")).toEqual({ ok: true, value: { kind: "count", count: 0 } });
    expect(parseQuantity("25%")).toEqual({ ok: true, value: { kind: "percent", numerator: 25, denominator: 100 } });
    expect(parseQuantity("12.5%")).toEqual({ ok: true, value: { kind: "percent", numerator: 125, denominator: 1000 } });
    expect(parseQuantity("100%").ok).toBe(true);
    expect(parseQuantity("0%").ok).toBe(true);
  });

  test.each(["", "abc", "-1", "1.5", "150%", "100.1%", "%", "5 %", " 5", "1e3", "25%%", "0x10", "10000000000"])(
    "%p is refused with a message",
    (text) => {
      const result = parseQuantity(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain(JSON.stringify(text));
    },
  );

  test("batch sizes name the bad position; an empty list is refused", () => {
    expect(parseBatchSizes(["1", "x", "100%"])).toEqual({
      ok: false,
      error: 'batch_sizes[1]: "x" is not a count like "5" or a percentage like "25%"',
    });
    expect(parseBatchSizes([])).toEqual({ ok: false, error: "batch_sizes must not be empty" });
  });

  test("failure thresholds: N, or ceil(batch size × p%)", () => {
    const threshold = (text: string) => {
      const parsed = parseFailureThreshold(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.value;
    };
    expect(allowedFailures(threshold("0"), 10)).toBe(0);
    expect(allowedFailures(threshold("2"), 10)).toBe(2);
    expect(allowedFailures(threshold("30%"), 10)).toBe(3);
    expect(allowedFailures(threshold("25%"), 10)).toBe(3);
    expect(allowedFailures(threshold("10%"), 7)).toBe(1);
    expect(allowedFailures(threshold("0%"), 7)).toBe(0);
    expect(allowedFailures(threshold("100%"), 7)).toBe(7);
    // 0.07 × 100 is 7.000000000000001 in floating point; the exact fraction gives 7.
    expect(allowedFailures(threshold("7%"), 100)).toBe(7);
    expect(parseFailureThreshold("101%")).toEqual({ ok: false, error: 'failure_threshold: "101%" is more than 100%' });
    expect(parseFailureThreshold("some").ok).toBe(false);
  });
});

describe("batch planning", () => {
  test("strategies: canary 1 then the rest, all at once, staged as given (100% by default)", () => {
    expect(effectiveBatchSizes("canary", ["5"])).toEqual(["1", "100%"]);
    expect(effectiveBatchSizes("all_at_once", undefined)).toEqual(["100%"]);
    expect(effectiveBatchSizes("staged", undefined)).toEqual(["100%"]);
    expect(effectiveBatchSizes("staged", ["1", "50%"])).toEqual(["1", "50%"]);
  });

  test("1 / 50% / 100% of 7 machines → 1, 3, 3 (percent of the remaining, rounded up)", () => {
    expect(lengths(planBatches(ids(7), sizes("1", "50%", "100%")))).toEqual([1, 3, 3]);
  });

  test("canary of 20 → 1, 19; all at once → one batch", () => {
    expect(lengths(planBatches(ids(20), sizes("1", "100%")))).toEqual([1, 19]);
    expect(lengths(planBatches(ids(20), sizes("100%")))).toEqual([20]);
  });

  test("percentages round up", () => {
    expect(lengths(planBatches(ids(10), sizes("25%", "25%", "100%")))).toEqual([3, 2, 5]);
    expect(lengths(planBatches(ids(3), sizes("10%", "100%")))).toEqual([1, 2]);
  });

  test("every batch takes at least one machine", () => {
    expect(lengths(planBatches(ids(5), sizes("0", "0%", "100%")))).toEqual([1, 1, 3]);
  });

  test("the last size takes all the rest, whatever it says", () => {
    expect(lengths(planBatches(ids(10), sizes("2", "1")))).toEqual([2, 8]);
    expect(lengths(planBatches(ids(10), sizes("10%")))).toEqual([10]);
  });

  test("counts larger than what remains take what remains; empty batches are dropped", () => {
    expect(lengths(planBatches(ids(3), sizes("5", "1", "100%")))).toEqual([3]);
    expect(lengths(planBatches(ids(2), sizes("1", "1", "1", "100%")))).toEqual([1, 1]);
    expect(planBatches([], sizes("1", "100%"))).toEqual([]);
  });

  test("batches keep the given order and cover every machine exactly once", () => {
    const machines = ids(23);
    const batches = planBatches(machines, sizes("2", "30%", "5", "100%"));
    expect(batches.flat()).toEqual(machines);
  });
});

describe("shuffling", () => {
  test("is a permutation, reproducible with the same random source", () => {
    const machines = ids(50);
    const a = shuffle(machines, seeded(42));
    const b = shuffle(machines, seeded(42));
    expect(a).toEqual(b);
    expect(a).not.toEqual(machines);
    expect([...a].sort()).toEqual([...machines].sort());
    expect(shuffle(machines, seeded(7))).not.toEqual(a);
  });

  test("does not modify its input", () => {
    const machines = ids(10);
    shuffle(machines, seeded(1));
    expect(machines).toEqual(ids(10));
  });

  test("a random source always returning 0 rotates the order deterministically", () => {
    expect(shuffle(["a", "b", "c"], () => 0)).toEqual(["b", "c", "a"]);
  });
});

describe("target resolution", () => {
  const fleet = [
    { machineId: "web-1", lifecycle: "active", tags: ["web", "prod"] },
    { machineId: "web-2", lifecycle: "active", tags: ["web"] },
    { machineId: "web-3", lifecycle: "maintenance", tags: ["web", "prod"] },
    { machineId: "db-1", lifecycle: "active", tags: ["db", "prod"] },
    { machineId: "web-4", lifecycle: "pending", tags: ["web", "prod"] },
  ];
  const release = new Set(["web-1", "web-2", "web-3", "db-1", "new-1"]);

  test("tags: active machines having every tag, in the release", () => {
    expect(resolveTargets({ tags: ["web", "prod"] }, fleet, release)).toEqual({ ok: true, machineIds: ["web-1"] });
    expect(resolveTargets({ tags: ["prod"] }, fleet, release)).toEqual({ ok: true, machineIds: ["web-1", "db-1"] });
  });

  test("hosts: named machines, skipping registered non-active ones, keeping unregistered names", () => {
    expect(resolveTargets({ hosts: ["web-3", "new-1", "web-2", "web-2"] }, fleet, release)).toEqual({
      ok: true,
      machineIds: ["new-1", "web-2"],
    });
  });

  test("nothing matching, or nothing in the release, is an error", () => {
    expect(resolveTargets({ tags: ["cache"] }, fleet, release)).toEqual({
      ok: false,
      error: "no active machine matches the target",
    });
    expect(resolveTargets({ hosts: ["web-3"] }, fleet, release)).toEqual({
      ok: false,
      error: "no active machine matches the target",
    });
    expect(resolveTargets({ hosts: ["web-4"] }, fleet, new Set(["web-4"])).ok).toBe(false);
    expect(resolveTargets({ hosts: ["elsewhere"] }, fleet, release)).toEqual({
      ok: false,
      error: "none of the targeted machines is in the release",
    });
  });
});
