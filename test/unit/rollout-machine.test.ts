import { describe, expect, test } from "bun:test";
import {
  ROLLOUT_STATUSES,
  VERBS,
  VERB_STATUSES,
  canDelete,
  loadedBatch,
  next,
  type MachineState,
  type RolloutEvent,
  type RolloutState,
  type RolloutStatus,
  type Transition,
  type Verb,
} from "../../src/domain/rollout-machine.ts";
import { NO_GATES } from "../../src/domain/gates.ts";
import { PureFleet, options, storePathOf } from "../support/pure-fleet.ts";

const MINUTE = 60_000;
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

function fleetOf(n: number, tags: string[] = ["web"]): PureFleet {
  const fleet = new PureFleet();
  fleet.addMachines(ids("m", n), tags);
  return fleet;
}

const states = (fleet: PureFleet, rolloutId: string, machineIds: string[]) =>
  Object.fromEntries(machineIds.map((id) => [id, fleet.machineState(rolloutId, id).state]));
const batchStatuses = (fleet: PureFleet, id: string) => fleet.rollout(id).state.batches.map((b) => b.status);
const rolloutAudit = (fleet: PureFleet, id: string) => fleet.audit.filter((a) => a.target === id).map((a) => a.action);
const machineAudit = (fleet: PureFleet, machineId: string) =>
  fleet.audit
    .filter((a) => a.target === machineId)
    .map((a) => `${a.action}${a.detail.reason ? `(${a.detail.reason})` : ""}`);
const healthy = (fleet: PureFleet, id: string) => fleet.report(id, {});
const refusal = (t: Transition | { refused: string }) => ("refused" in t ? t.refused : null);

describe("v0.1 semantics", () => {
  test("canary: batch by batch, the compat events and audit rows, desired generations", () => {
    const fleet = fleetOf(3);
    fleet.create("r1", [["m1"], ["m2", "m3"]]);
    expect(batchStatuses(fleet, "r1")).toEqual(["waiting_health", "pending"]);
    expect(fleet.machines.get("m1")!.desired).toBe(storePathOf("r1", "m1"));
    expect(fleet.machines.get("m2")!.desired).toBeNull();
    fleet.now += 1000;
    healthy(fleet, "m1");
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    healthy(fleet, "m2");
    healthy(fleet, "m3");
    expect(fleet.rollout("r1").state.status).toBe("completed");
    expect(fleet.events.filter((e) => e.rolloutId === "r1").map((e) => e.eventType)).toEqual([
      "rollout.created",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "rollout.completed",
    ]);
    expect(rolloutAudit(fleet, "r1")).toEqual([
      "rollout.created",
      "batch.deploying",
      "batch.succeeded",
      "batch.deploying",
      "batch.succeeded",
      "rollout.completed",
    ]);
    expect(machineAudit(fleet, "m2")).toEqual(["machine.deploying", "machine.healthy"]);
  });

  test("a failed batch pauses; resume restarts it, judged only on reports after the restart", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1", "m2"]]);
    fleet.report("m1", { success: false });
    healthy(fleet, "m2");
    expect(fleet.rollout("r1").state.status).toBe("paused");
    expect(fleet.machineState("r1", "m1")).toMatchObject({
      state: "unhealthy",
      reason: "report failed: switch failed",
    });
    fleet.now += 1000;
    expect(refusal(fleet.drive("r1", { kind: "resume", actor: "apikey:ci" }))).toBeNull();
    expect(states(fleet, "r1", ["m1", "m2"])).toEqual({ m1: "deploying", m2: "deploying" });
    expect(fleet.rollout("r1").state.batches[0]!.startedAt).toBe(fleet.now);
    fleet.now += 1;
    healthy(fleet, "m1");
    healthy(fleet, "m2");
    expect(fleet.rollout("r1").state.status).toBe("completed");
  });

  test("revert: every machine the rollout changed gets its previous desired generation back", () => {
    const fleet = fleetOf(3);
    fleet.machines.get("m1")!.desired = "/nix/store/old-m1";
    fleet.create("r1", [["m1"], ["m2"], ["m3"]], options({ onFailure: "revert" }));
    healthy(fleet, "m1");
    fleet.report("m2", { health: false });
    expect(fleet.rollout("r1").state.status).toBe("failed");
    expect(fleet.machines.get("m1")!.desired).toBe("/nix/store/old-m1");
    expect(fleet.machines.get("m2")!.desired).toBeNull();
    expect(fleet.machines.get("m3")!.desired).toBeNull();
    expect(rolloutAudit(fleet, "r1").slice(-2)).toEqual(["batch.failed", "rollout.failed"]);
  });

  test("health timeout runs from each machine's own deploy start", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1", "m2"]], options({ maxInFlight: "1", healthTimeoutMs: 10 * MINUTE }));
    expect(states(fleet, "r1", ["m1", "m2"])).toEqual({ m1: "deploying", m2: "waiting" });
    fleet.advance(4 * MINUTE);
    healthy(fleet, "m1");
    expect(fleet.machineState("r1", "m2").deployStartedAt).toBe(fleet.now);
    fleet.advance(9 * MINUTE);
    expect(fleet.machineState("r1", "m2").state).toBe("deploying");
    fleet.advance(MINUTE);
    expect(fleet.machineState("r1", "m2")).toMatchObject({ state: "unhealthy", reason: "timeout" });
  });
});

describe("verbs", () => {
  test("pause: the current batch keeps being judged, no further batch starts, waiting machines say paused", () => {
    const fleet = fleetOf(4);
    fleet.create("r1", [["m1", "m2", "m3"], ["m4"]], options({ maxInFlight: "2" }));
    expect(refusal(fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: "lunch" }))).toBeNull();
    const state = fleet.rollout("r1").state;
    expect(state).toMatchObject({ status: "paused", pauseReason: "lunch" });
    expect(fleet.machineState("r1", "m3")).toMatchObject({ state: "waiting", reason: "paused" });
    healthy(fleet, "m1");
    healthy(fleet, "m2");
    expect(states(fleet, "r1", ["m1", "m2", "m3", "m4"])).toEqual({
      m1: "healthy",
      m2: "healthy",
      m3: "waiting",
      m4: "pending",
    });
    expect(refusal(fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: null }))).toBe(
      "rollout r1 is paused, not running",
    );
    fleet.drive("r1", { kind: "resume", actor: "apikey:ops" });
    expect(fleet.machineState("r1", "m3").state).toBe("deploying");
    healthy(fleet, "m3");
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
  });

  test("pause between batches: the decided batch succeeds but the next one waits for resume", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1"], ["m2"]]);
    fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: null });
    healthy(fleet, "m1");
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "pending"]);
    expect(fleet.machines.get("m2")!.desired).toBeNull();
    const resumed = fleet.drive("r1", { kind: "resume", actor: "apikey:ops" }) as Transition;
    expect(resumed.audit.map((a) => a.action)).toEqual(["rollout.resumed", "batch.deploying", "machine.deploying"]);
  });

  test("promote during soak ends the soak and starts the next batch now", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1"], ["m2"]], options({ soakMs: [10 * MINUTE, 10 * MINUTE] }));
    healthy(fleet, "m1");
    expect(batchStatuses(fleet, "r1")).toEqual(["soaking", "pending"]);
    fleet.advance(MINUTE);
    expect(batchStatuses(fleet, "r1")).toEqual(["soaking", "pending"]);
    expect(refusal(fleet.drive("r1", { kind: "promote", actor: "apikey:ops", force: false }))).toBeNull();
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    expect(rolloutAudit(fleet, "r1").slice(-4)).toEqual([
      "batch.soaking",
      "rollout.promoted",
      "batch.succeeded",
      "batch.deploying",
    ]);
  });

  test("promote with undecided machines needs force, which skips them; a failed batch cannot be promoted", () => {
    const fleet = fleetOf(3);
    fleet.create("r1", [["m1", "m2"], ["m3"]], options({ failureThreshold: "1" }));
    healthy(fleet, "m1");
    expect(refusal(fleet.drive("r1", { kind: "promote", actor: "apikey:ops", force: false }))).toBe(
      "batch 0 of rollout r1 still has 1 undecided machine(s); promote with force to skip them",
    );
    expect(refusal(fleet.drive("r1", { kind: "promote", actor: "apikey:ops", force: true }))).toBeNull();
    expect(fleet.machineState("r1", "m2")).toMatchObject({ state: "skipped", reason: "promoted" });
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    fleet.report("m3", { success: false });
    expect(fleet.rollout("r1").state.status).toBe("completed");

    const other = fleetOf(2);
    other.create("r2", [["m1"], ["m2"]]);
    other.report("m1", { success: false });
    expect(refusal(other.drive("r2", { kind: "promote", actor: "apikey:ops", force: true }))).toBe(
      "batch 0 of rollout r2 failed; resume, retry or abort the rollout",
    );
  });

  test("promote a paused rollout between batches: running again, the next batch starts", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1"], ["m2"]]);
    fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: null });
    healthy(fleet, "m1");
    fleet.drive("r1", { kind: "promote", actor: "apikey:ops", force: false });
    expect(fleet.rollout("r1").state.status).toBe("running");
    expect(fleet.machineState("r1", "m2").state).toBe("deploying");
  });

  test("abort during a paused batch: changed machines get their previous generation back, others are untouched", () => {
    const fleet = fleetOf(5);
    fleet.machines.get("m2")!.desired = "/nix/store/old-m2";
    fleet.create("r1", [["m1"], ["m2", "m3", "m4"], ["m5"]], options({ maxInFlight: "2" }));
    healthy(fleet, "m1");
    fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: "looks wrong" });
    expect(states(fleet, "r1", ["m2", "m3", "m4"])).toEqual({ m2: "deploying", m3: "deploying", m4: "waiting" });
    fleet.drive("r1", { kind: "skip", actor: "apikey:ops", machine: fleet.machineState("r1", "m3"), reason: null });
    const aborted = fleet.drive("r1", { kind: "abort", actor: "apikey:ops", reason: "bad release" }) as Transition;
    expect(aborted.revert).toBe(true);
    expect(aborted.releaseAll).toBe(true);
    expect(aborted.audit[0]).toMatchObject({
      action: "rollout.aborted",
      detail: { reason: "bad release", reverted: 2 },
    });
    expect(fleet.rollout("r1").state.status).toBe("aborted");
    expect(fleet.machines.get("m1")!.desired).toBeNull();
    expect(fleet.machines.get("m2")!.desired).toBe("/nix/store/old-m2");
    // Skipped: keeps what it was given; never started: nothing to restore.
    expect(fleet.machines.get("m3")!.desired).toBe(storePathOf("r1", "m3"));
    expect(fleet.machines.get("m4")!.desired).toBeNull();
    expect(refusal(fleet.drive("r1", { kind: "abort", actor: "apikey:ops", reason: null }))).toBe(
      "rollout r1 is aborted, not running or paused",
    );
  });

  test("retry re-deploys only the failed batch's unhealthy machines and keeps its healthy ones", () => {
    const fleet = fleetOf(3);
    fleet.create("r1", [["m1", "m2", "m3"]]);
    healthy(fleet, "m1");
    fleet.report("m2", { health: false });
    fleet.report("m3", { success: false });
    expect(fleet.rollout("r1").state.status).toBe("paused");
    const firstStart = fleet.machineState("r1", "m1").deployStartedAt;
    fleet.now += 5000;
    expect(refusal(fleet.drive("r1", { kind: "retry", actor: "apikey:ops" }))).toBeNull();
    expect(fleet.rollout("r1").state.status).toBe("running");
    expect(fleet.machineState("r1", "m1")).toMatchObject({ state: "healthy", deployStartedAt: firstStart });
    expect(fleet.machineState("r1", "m2")).toMatchObject({ state: "deploying", deployStartedAt: fleet.now });
    fleet.now += 1;
    healthy(fleet, "m2");
    healthy(fleet, "m3");
    expect(fleet.rollout("r1").state.status).toBe("completed");
    expect(rolloutAudit(fleet, "r1")).toContain("rollout.retried");

    const running = fleetOf(1);
    running.create("r2", [["m1"]]);
    expect(refusal(running.drive("r2", { kind: "retry", actor: "apikey:ops" }))).toBe(
      "rollout r2 is running, not paused",
    );
    running.drive("r2", { kind: "pause", actor: "apikey:ops", reason: null });
    expect(refusal(running.drive("r2", { kind: "retry", actor: "apikey:ops" }))).toBe(
      "rollout r2 is paused without a failed batch; resume it instead",
    );
  });

  test("skip: the machine leaves, keeps what it runs and no longer blocks its batch; decided machines cannot be skipped", () => {
    const fleet = fleetOf(3);
    fleet.create("r1", [["m1", "m2"], ["m3"]]);
    healthy(fleet, "m1");
    const skipped = fleet.drive("r1", {
      kind: "skip",
      actor: "apikey:ops",
      machine: fleet.machineState("r1", "m2"),
      reason: "disk broken",
    }) as Transition;
    expect(skipped.released).toEqual(["m2"]);
    expect(fleet.machineState("r1", "m2")).toMatchObject({ state: "skipped", reason: "disk broken" });
    expect(fleet.machines.get("m2")!.desired).toBe(storePathOf("r1", "m2"));
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    expect(
      refusal(
        fleet.drive("r1", { kind: "skip", actor: "apikey:ops", machine: fleet.machineState("r1", "m1"), reason: null }),
      ),
    ).toBe("machine m1 is healthy in rollout r1, not undecided");
    // A machine of a batch that has not started is undecided too.
    const later = fleetOf(2);
    later.create("r2", [["m1"], ["m2"]]);
    later.drive("r2", { kind: "skip", actor: "apikey:ops", machine: later.machineState("r2", "m2"), reason: null });
    healthy(later, "m1");
    expect(later.rollout("r2").state.status).toBe("completed");
    expect(later.machines.get("m2")!.desired).toBeNull();
  });

  test("cancel keeps what machines have", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1"], ["m2"]]);
    const t = fleet.drive("r1", { kind: "cancel", actor: "apikey:ops" }) as Transition;
    expect(t.releaseAll).toBe(true);
    expect(t.revert).toBe(false);
    expect(fleet.machines.get("m1")!.desired).toBe(storePathOf("r1", "m1"));
    expect(refusal(fleet.drive("r1", { kind: "cancel", actor: "apikey:ops" }))).toBe("rollout r1 is already cancelled");
  });
});

describe("options", () => {
  test("soak: a failing report while soaking fails the batch; otherwise the soak ends in success", () => {
    const fleet = fleetOf(2);
    fleet.create("r1", [["m1"], ["m2"]], options({ soakMs: [5 * MINUTE, 0] }));
    healthy(fleet, "m1");
    const soaking = fleet.rollout("r1").state.batches[0]!;
    expect(soaking).toMatchObject({ status: "soaking", soakUntil: fleet.now + 5 * MINUTE });
    fleet.advance(MINUTE);
    fleet.report("m1", { health: false });
    expect(fleet.machineState("r1", "m1")).toMatchObject({
      state: "unhealthy",
      reason: "health check http failed during soak",
    });
    expect(fleet.rollout("r1").state.status).toBe("paused");
    expect(batchStatuses(fleet, "r1")).toEqual(["failed", "pending"]);

    const ok = fleetOf(2);
    ok.create("r2", [["m1"], ["m2"]], options({ soakMs: [5 * MINUTE, 0] }));
    healthy(ok, "m1");
    ok.advance(5 * MINUTE - 1);
    expect(batchStatuses(ok, "r2")).toEqual(["soaking", "pending"]);
    ok.advance(1);
    expect(batchStatuses(ok, "r2")).toEqual(["succeeded", "waiting_health"]);
    healthy(ok, "m2");
    // batch_soak_seconds: the last batch has none here.
    expect(ok.rollout("r2").state.status).toBe("completed");
  });

  test("min_decided fails a batch early once enough machines are decided and failures exceed the threshold", () => {
    const run = (minDecided: number | null) => {
      const fleet = fleetOf(10);
      fleet.create("r1", [ids("m", 10)], options({ minDecided, failureThreshold: "1" }));
      fleet.report("m1", { success: false });
      fleet.report("m2", { success: false });
      healthy(fleet, "m3");
      return fleet;
    };
    expect(run(null).rollout("r1").state.status).toBe("running");
    const early = run(3);
    expect(early.rollout("r1").state.status).toBe("paused");
    expect(early.rollout("r1").state.batches[0]!.status).toBe("failed");
    expect(run(4).rollout("r1").state.status).toBe("running");
  });

  test("max_in_flight: N or p% of the batch deploy at once; the rest wait and start as others are decided", () => {
    const fleet = fleetOf(10);
    fleet.create("r1", [ids("m", 10)], options({ maxInFlight: "30%" }));
    const deploying = () => ids("m", 10).filter((id) => fleet.machineState("r1", id).state === "deploying");
    expect(deploying()).toEqual(["m1", "m2", "m3"]);
    expect(fleet.machineState("r1", "m4")).toMatchObject({ state: "waiting", reason: "max_in_flight" });
    healthy(fleet, "m2");
    expect(deploying()).toEqual(["m1", "m3", "m4"]);
    const t = fleet.drive("r1", { kind: "tick" }) as Transition;
    expect(t.blockedBy).toEqual(["max_in_flight"]);
  });

  test("not_before: scheduled until then, holding its machines; verbs other than cancel are refused", () => {
    const fleet = fleetOf(1);
    const created = fleet.create("r1", [["m1"]], options({ notBefore: fleet.now + 10 * MINUTE }));
    expect(created.state.status).toBe("scheduled");
    expect(created.blockedBy).toEqual(["not_before"]);
    expect(created.wakeAt).toBe(fleet.now + 10 * MINUTE);
    for (const verb of ["pause", "resume", "promote", "abort", "retry"] as const) {
      const event = { kind: verb, actor: "apikey:ops", reason: null, force: false } as RolloutEvent;
      expect(refusal(fleet.drive("r1", event))).toContain("rollout r1 is scheduled");
    }
    fleet.advance(10 * MINUTE - 1);
    expect(fleet.machines.get("m1")!.desired).toBeNull();
    fleet.advance(1);
    expect(fleet.rollout("r1").state.status).toBe("running");
    expect(fleet.machines.get("m1")!.desired).toBe(storePathOf("r1", "m1"));
    expect(rolloutAudit(fleet, "r1").slice(0, 3)).toEqual(["rollout.created", "rollout.scheduled", "rollout.started"]);
  });

  test("offline_after: an offline machine is skipped, not waited for; one that came back before its turn deploys", () => {
    const fleet = new PureFleet();
    fleet.addMachines(["m1", "m2"], [], fleet.now);
    fleet.addMachines(["m3"], [], fleet.now - 20 * MINUTE);
    fleet.addMachines(["m4"], [], null);
    fleet.addMachines(["m5"], [], fleet.now - 20 * MINUTE);
    fleet.create(
      "r1",
      [
        ["m1", "m3", "m4"],
        ["m2", "m5"],
      ],
      options({ offlineAfterMs: 10 * MINUTE }),
    );
    expect(fleet.machineState("r1", "m3")).toMatchObject({ state: "skipped", reason: "offline" });
    expect(fleet.machineState("r1", "m4")).toMatchObject({ state: "skipped", reason: "offline" });
    expect(fleet.machines.get("m3")!.desired).toBeNull();
    // m5 comes back while the first batch runs.
    fleet.now += MINUTE;
    fleet.report("m5", { generation: "/nix/store/old" });
    healthy(fleet, "m1");
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    expect(fleet.machineState("r1", "m5").state).toBe("deploying");
  });

  test("supersede while the old rollout is paused: the machines leave it and the new rollout takes them", () => {
    const fleet = fleetOf(3);
    fleet.create("old", [["m1"], ["m2", "m3"]]);
    fleet.report("m1", { success: false });
    expect(fleet.rollout("old").state.status).toBe("paused");
    fleet.create("new", [["m1", "m2"]]);
    expect(fleet.machineState("old", "m1")).toMatchObject({ state: "superseded", reason: "superseded by rollout new" });
    expect(fleet.machineState("old", "m2").state).toBe("superseded");
    expect(fleet.rollout("old").state.status).toBe("paused");
    expect(states(fleet, "new", ["m1", "m2"])).toEqual({ m1: "deploying", m2: "deploying" });
    // Abort of the old rollout leaves what the new one set.
    fleet.drive("old", { kind: "abort", actor: "apikey:ops", reason: null });
    expect(fleet.machines.get("m1")!.desired).toBe(storePathOf("new", "m1"));
    expect(fleet.machines.get("m3")!.desired).toBeNull();
  });
});

describe("gates", () => {
  test("a budget shared by two rollouts is never exceeded; waiting machines name it and start when it frees", () => {
    const fleet = fleetOf(6, ["db"]);
    fleet.budgets = [{ name: "db", tags: ["db"], limit: 2 }];
    fleet.create("a", [["m1", "m2", "m3"]]);
    fleet.create("b", [["m4", "m5", "m6"]]);
    expect(fleet.budgetInFlight().get("db")).toBe(2);
    expect(states(fleet, "a", ["m1", "m2", "m3"])).toEqual({ m1: "deploying", m2: "deploying", m3: "waiting" });
    expect(fleet.machineState("b", "m4")).toMatchObject({ state: "waiting", reason: "budget:db" });
    healthy(fleet, "m1");
    // A freed slot goes to whichever rollout steps first; the budget still holds.
    fleet.tick();
    expect(fleet.budgetInFlight().get("db")).toBe(2);
    expect(fleet.gateBlocks.get("budget:db")).toBeGreaterThanOrEqual(4);
  });

  test("two rollouts starting in one step each count what the other started", () => {
    const fleet = fleetOf(4, ["db"]);
    fleet.budgets = [{ name: "db", tags: ["db"], limit: 3 }];
    fleet.create("a", [["m1", "m2"]]);
    fleet.create("b", [["m3", "m4"]]);
    expect(fleet.budgetInFlight().get("db")).toBe(3);
  });

  test("a window closing mid-batch: deploying machines carry on, the rest wait for the next opening", () => {
    const fleet = fleetOf(3);
    fleet.windows = [{ name: "morning", tags: ["web"], cron: ["0 10 * * *"], durationMinutes: 30, timezone: "UTC" }];
    fleet.create("r1", [["m1", "m2", "m3"]], options({ maxInFlight: "1", healthTimeoutMs: 60 * MINUTE }));
    expect(fleet.machineState("r1", "m1").state).toBe("deploying");
    fleet.advance(10 * MINUTE);
    healthy(fleet, "m1");
    expect(fleet.machineState("r1", "m2").state).toBe("deploying");
    fleet.advance(25 * MINUTE);
    healthy(fleet, "m2");
    expect(fleet.machineState("r1", "m3")).toMatchObject({ state: "waiting", reason: "window:morning" });
    // Past the (stale) earliest health deadline, the only thing left to wake for is the next opening.
    fleet.advance(30 * MINUTE);
    const t = fleet.drive("r1", { kind: "tick" }) as Transition;
    expect(t.blockedBy).toEqual(["window:morning"]);
    expect(t.wakeAt).toBe(Date.parse("2026-11-28T10:00:00Z"));
    fleet.now = Date.parse("2026-11-28T10:00:00Z");
    fleet.tick();
    expect(fleet.machineState("r1", "m3").state).toBe("deploying");
  });

  test("freeze: nothing starts anywhere; running batches are still judged; the reason is recorded once", () => {
    const fleet = fleetOf(3);
    fleet.create("r1", [["m1"], ["m2", "m3"]]);
    fleet.freeze = "incident 42";
    healthy(fleet, "m1");
    expect(batchStatuses(fleet, "r1")).toEqual(["succeeded", "waiting_health"]);
    expect(fleet.machineState("r1", "m2")).toMatchObject({ state: "waiting", reason: "freeze" });
    fleet.advance(MINUTE);
    fleet.advance(MINUTE);
    expect(machineAudit(fleet, "m2")).toEqual(["machine.waiting(freeze)"]);
    fleet.freeze = null;
    fleet.tick();
    expect(machineAudit(fleet, "m2")).toEqual(["machine.waiting(freeze)", "machine.deploying"]);
  });

  test("precedence of reasons: paused, freeze, window, budget, max_in_flight", () => {
    const fleet = fleetOf(3, ["db"]);
    fleet.budgets = [{ name: "db", tags: ["db"], limit: 0 }];
    fleet.create("r1", [["m1", "m2", "m3"]]);
    expect(fleet.machineState("r1", "m1").reason).toBe("budget:db");
    fleet.windows = [{ name: "never-now", tags: ["db"], cron: ["0 3 * * *"], durationMinutes: 10, timezone: "UTC" }];
    fleet.tick();
    expect(fleet.machineState("r1", "m1").reason).toBe("window:never-now");
    fleet.freeze = "x";
    fleet.tick();
    expect(fleet.machineState("r1", "m1").reason).toBe("freeze");
    fleet.drive("r1", { kind: "pause", actor: "apikey:ops", reason: null });
    expect(fleet.machineState("r1", "m1").reason).toBe("paused");
  });
});

describe("steps stay bounded", () => {
  test("a 5 000-machine batch starts in steps of at most maxChanges machines, ending where one big step would", () => {
    const n = 5000;
    const small = fleetOf(n);
    small.maxChanges = 700;
    small.create("r1", [ids("m", n)]);
    const big = fleetOf(n);
    big.maxChanges = 100_000;
    big.create("r1", [ids("m", n)]);
    expect(ids("m", n).every((id) => small.machineState("r1", id).state === "deploying")).toBe(true);
    expect(small.transitions).toBeGreaterThan(big.transitions);
    expect(small.transitions).toBeGreaterThanOrEqual(Math.ceil(n / 700));
  });

  test("a report touches only what it decides: no transition for machines of other rollouts", () => {
    const fleet = fleetOf(2);
    fleet.create("a", [["m1"]]);
    fleet.create("b", [["m2"]]);
    const before = fleet.transitions;
    healthy(fleet, "m1");
    expect(fleet.transitions - before).toBe(1);
  });
});

// Every status × verb: accepted (→ the status it leads to) or refused (409 naming the status).
describe("transition table", () => {
  const TABLE: Record<RolloutStatus, Partial<Record<Verb, RolloutStatus>>> = {
    created: { cancel: "cancelled" },
    scheduled: { cancel: "cancelled" },
    running: { pause: "paused", promote: "running", abort: "aborted", skip: "running", cancel: "cancelled" },
    paused: {
      resume: "running",
      promote: "running",
      abort: "aborted",
      retry: "running",
      skip: "paused",
      cancel: "cancelled",
    },
    completed: {},
    failed: {},
    cancelled: {},
    aborted: {},
  };

  /** A rollout of one batch of two machines in `status`; paused ones have a failed batch (retry applies). */
  function stateIn(status: RolloutStatus): RolloutState {
    const machine = (id: string, state: MachineState["state"]): MachineState => ({
      id,
      batch: 0,
      position: id === "m1" ? 0 : 1,
      state,
      reason: state === "unhealthy" ? "timeout" : null,
      storePath: `/nix/store/x-${id}`,
      deployStartedAt: state === "pending" ? null : 0,
    });
    const failed = status === "paused";
    const started = status !== "created" && status !== "scheduled";
    const machines = [
      machine("m1", failed ? "unhealthy" : started ? "deploying" : "pending"),
      machine("m2", failed ? "unhealthy" : started ? "deploying" : "pending"),
    ];
    return {
      id: "r",
      status,
      pauseReason: null,
      options: options({ notBefore: status === "scheduled" ? 10_000_000 : null, failureThreshold: "0" }),
      batches: [
        {
          index: 0,
          status: failed ? "failed" : started ? "waiting_health" : "pending",
          startedAt: started ? 0 : null,
          completedAt: failed ? 1 : null,
          soakUntil: null,
        },
        { index: 1, status: "pending", startedAt: null, completedAt: null, soakUntil: null },
      ],
      changed: started ? 2 : 0,
      revertPending: false,
      loaded: loadedBatch(0, machines, 60_000),
    };
  }

  const eventFor = (verb: Verb, state: RolloutState): RolloutEvent => {
    const actor = "apikey:ops";
    if (verb === "skip") return { kind: "skip", actor, machine: state.loaded!.machines.get("m2")!, reason: null };
    if (verb === "promote") return { kind: "promote", actor, force: true };
    if (verb === "pause" || verb === "abort") return { kind: verb, actor, reason: null };
    return { kind: verb, actor };
  };

  for (const status of ROLLOUT_STATUSES) {
    for (const verb of VERBS) {
      const expected = TABLE[status][verb];
      const failedPaused = status === "paused" && (verb === "promote" || verb === "skip");
      test(`${status} × ${verb} → ${failedPaused ? "refused (failed batch)" : (expected ?? "refused")}`, () => {
        const state = stateIn(status);
        const t = next(state, eventFor(verb, state), {
          now: 1000,
          gates: NO_GATES,
          budgetInFlight: new Map(),
          facts: () => ({ lastReportAt: 1000, tags: [] }),
          maxChanges: 100,
        });
        if (failedPaused) {
          // The paused rollout here has a failed batch: nothing undecided to skip, no batch to promote.
          expect("refused" in t).toBe(true);
        } else if (expected === undefined) {
          const refused = "refused" in t ? t.refused : "";
          expect(refused).toMatch(new RegExp(`^rollout r is (already )?${status}`));
        } else {
          expect("refused" in t ? t.refused : null).toBeNull();
          expect((t as Transition).state.status).toBe(expected);
        }
      });
    }
  }

  test("the table matches VERB_STATUSES, and only finished rollouts can be deleted", () => {
    for (const verb of VERBS) {
      const from = ROLLOUT_STATUSES.filter((s) => TABLE[s][verb] !== undefined);
      expect(from.sort()).toEqual([...VERB_STATUSES[verb]].sort());
    }
    expect(ROLLOUT_STATUSES.filter(canDelete)).toEqual(["completed", "failed", "cancelled", "aborted"]);
  });
});
