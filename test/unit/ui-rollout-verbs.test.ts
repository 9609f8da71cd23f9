import { expect, test } from "bun:test";
import type { Schema } from "../../src/client/index.ts";
import { refreshMinMs } from "../../src/ui/pages/rollouts.tsx";
import { undecidedIn, verbsFor } from "../../src/ui/rollout-verbs.ts";

type Batch = Schema<"Batch">;
const batch = (status: Batch["status"], states: Schema<"RolloutMachineStateName">[] = []) =>
  ({
    status,
    machine_states: Object.fromEntries(states.map((state, i) => [`m${i}`, { state, reason: null }])),
  }) as unknown as Batch;
const rollout = (status: Schema<"RolloutStatus">, batches: Batch[]) => ({ status, batches });

test("which buttons a rollout offers, by its status and its current batch", () => {
  const soaking = rollout("running", [batch("succeeded"), batch("soaking", ["healthy"]), batch("pending")]);
  expect(verbsFor(soaking)).toEqual({
    pause: true,
    resume: false,
    retry: false,
    promote: "plain",
    abort: true,
    cancel: true,
    skip: true,
  });
  const undecided = rollout("running", [batch("waiting_health", ["healthy", "deploying", "waiting"])]);
  expect(verbsFor(undecided).promote).toBe("force");
  expect(undecidedIn(undecided.batches[0]!)).toBe(2);
  const failed = rollout("paused", [batch("succeeded"), batch("failed", ["unhealthy"])]);
  expect(verbsFor(failed)).toMatchObject({ pause: false, resume: true, retry: true, promote: null, abort: true });
  const operatorPaused = rollout("paused", [batch("waiting_health", ["healthy"]), batch("pending")]);
  expect(verbsFor(operatorPaused)).toMatchObject({ resume: true, retry: false, promote: "plain" });
  for (const status of ["scheduled", "created"] as const) {
    expect(verbsFor(rollout(status, [batch("pending")]))).toEqual({
      pause: false,
      resume: false,
      retry: false,
      promote: null,
      abort: false,
      cancel: true,
      skip: false,
    });
  }
  for (const status of ["completed", "failed", "cancelled", "aborted"] as const) {
    expect(Object.values(verbsFor(rollout(status, [batch("succeeded")]))).some(Boolean)).toBe(false);
  }
});

test("a rollout page re-renders at most every machine count / 10 ms, from 0.2 s to 10 s", () => {
  expect([12, 2_000, 5_000, 100_000, 1_000_000].map(refreshMinMs)).toEqual([200, 200, 500, 10_000, 10_000]);
});
