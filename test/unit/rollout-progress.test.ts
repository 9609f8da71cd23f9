import { expect, test } from "bun:test";
import type { MachineStateName } from "../../src/domain/rollout-machine.ts";
import {
  countdown,
  countsLabel,
  currentBatchOf,
  reasonCounts,
  soakProgress,
  soakSecondsOf,
  stateCounts,
  totalOf,
} from "../../src/domain/rollout-progress.ts";

const batch = (states: Record<string, [MachineStateName, string?]>, status = "waiting_health") => ({
  status,
  soak_until: null,
  machine_states: Object.fromEntries(
    Object.entries(states).map(([id, [state, reason]]) => [id, { state, reason: reason ?? null }]),
  ),
});

test("counts every state over batches; the label names what is not plain pending, waiting with its gates", () => {
  const batches = [
    batch({ a: ["healthy"], b: ["unhealthy", "timeout"], c: ["skipped", "offline"] }),
    batch({
      d: ["waiting", "budget:db"],
      e: ["waiting", "budget:db"],
      f: ["waiting", "window:nights"],
      g: ["deploying"],
      h: ["pending"],
      i: ["superseded", "superseded by rollout r-2"],
    }),
  ];
  const counts = stateCounts(batches);
  expect(counts).toEqual({
    pending: 1,
    waiting: 3,
    deploying: 1,
    healthy: 1,
    unhealthy: 1,
    skipped: 1,
    superseded: 1,
  });
  expect(totalOf(counts)).toBe(9);
  expect(reasonCounts(batches, "waiting")).toEqual([
    ["budget:db", 2],
    ["window:nights", 1],
  ]);
  expect(countsLabel(counts, reasonCounts(batches, "waiting"))).toBe(
    "1/9 healthy, 1 unhealthy, 1 deploying, 3 waiting (budget:db 2, window:nights 1), 1 skipped, 1 superseded",
  );
  // One gate for every waiting machine is named without a count.
  const one = [batch({ a: ["waiting", "freeze"], b: ["waiting", "freeze"] })];
  expect(countsLabel(stateCounts(one), reasonCounts(one, "waiting"))).toBe("0/2 healthy, 2 waiting (freeze)");
  expect(countsLabel(stateCounts([]))).toBe("0/0 healthy");
});

test("the current batch is the first not succeeded; a batch's soak is its own entry, else the rollout's", () => {
  expect(currentBatchOf([{ status: "succeeded" }, { status: "failed" }, { status: "pending" }])).toEqual({
    status: "failed",
  });
  expect(currentBatchOf([{ status: "succeeded" }])).toBeNull();
  const rollout = { soak_seconds: 60, batch_soak_seconds: [5, 10] };
  expect([0, 1, 2].map((i) => soakSecondsOf(rollout, i))).toEqual([5, 10, 60]);
  expect(soakSecondsOf({ soak_seconds: 60, batch_soak_seconds: null }, 0)).toBe(60);
});

test("a soak's time left and share done; none unless soaking", () => {
  const now = Date.parse("2026-11-27T10:00:00Z");
  const soaking = { status: "soaking", soak_until: "2026-11-27T10:02:30Z" };
  expect(soakProgress(soaking, 600, now)).toEqual({ leftSeconds: 150, done: 0.75 });
  expect(soakProgress(soaking, 600, now + 200_000)).toEqual({ leftSeconds: 0, done: 1 });
  expect(soakProgress({ status: "waiting_health", soak_until: null }, 600, now)).toBeNull();
  expect([5, 65, 3600, 3725, 90_000].map(countdown)).toEqual(["5s", "1m 05s", "1h 00m", "1h 02m", "1d 01h"]);
});
