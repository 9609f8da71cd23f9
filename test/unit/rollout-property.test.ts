// SPEC §14.5 as a property of the pure rules: random sequences of rollouts, verbs, reports,
// restarts, gate changes and clock jumps over a small simulated fleet, with the invariants
// checked after every step. Seeded and bounded, so it runs in the normal suite.
import { expect, test } from "bun:test";
import fc from "fast-check";
import {
  hasLeft,
  isActive,
  MACHINE_STATES,
  type RolloutState,
  type Transition,
  type Verb,
} from "../../src/domain/rollout-machine.ts";
import { PureFleet, options } from "../support/pure-fleet.ts";

const MACHINES = Array.from({ length: 8 }, (_, i) => `m${i}`);
const tagsOf = (i: number) => (i % 2 === 0 ? ["a"] : ["b"]);

type Command =
  | {
      kind: "create";
      members: number[];
      batches: number;
      soak: number;
      maxInFlight: string | null;
      minDecided: number | null;
      revert: boolean;
      notBefore: number;
      offline: boolean;
      supersede: boolean;
    }
  | { kind: "report"; machine: number; outcome: "healthy" | "fail-report" | "fail-health" | "old" }
  | { kind: "advance"; ms: number }
  | { kind: "verb"; rollout: number; verb: Exclude<Verb, "skip">; force: boolean }
  | { kind: "skip"; rollout: number; machine: number }
  | { kind: "freeze"; on: boolean }
  | { kind: "restart" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      members: fc.uniqueArray(fc.integer({ min: 0, max: MACHINES.length - 1 }), { minLength: 1, maxLength: 6 }),
      batches: fc.integer({ min: 1, max: 3 }),
      soak: fc.constantFrom(0, 0, 30_000),
      maxInFlight: fc.constantFrom(null, null, "1", "50%"),
      minDecided: fc.constantFrom(null, null, 1, 2),
      revert: fc.boolean(),
      notBefore: fc.constantFrom(0, 0, 0, 20_000),
      offline: fc.boolean(),
      supersede: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("report" as const),
      machine: fc.integer({ min: 0, max: MACHINES.length - 1 }),
      outcome: fc.constantFrom("healthy", "healthy", "healthy", "fail-report", "fail-health", "old"),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(1, 1000, 15_000, 70_000) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("verb" as const),
      rollout: fc.nat(),
      verb: fc.constantFrom("pause", "resume", "promote", "abort", "retry", "cancel"),
      force: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("skip" as const),
      rollout: fc.nat(),
      machine: fc.integer({ min: 0, max: MACHINES.length - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("freeze" as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

/** The fleet's observable state: what a restart must reproduce. */
function snapshot(fleet: PureFleet): unknown {
  return [...fleet.rollouts].map(([id, r]) => ({
    id,
    status: r.state.status,
    batches: r.state.batches,
    changed: r.state.changed,
    machines: [...r.machines.values()],
  }));
}

function checkInvariants(fleet: PureFleet): void {
  // No machine is in two active rollouts.
  const holder = new Map<string, string>();
  for (const [id, r] of fleet.rollouts) {
    if (!isActive(r.state.status)) continue;
    for (const m of r.machines.values()) {
      if (hasLeft(m.state)) continue;
      expect(holder.get(m.id), `${m.id} in ${holder.get(m.id)} and ${id}`).toBeUndefined();
      holder.set(m.id, id);
    }
  }
  // No budget is ever exceeded.
  for (const budget of fleet.budgets) {
    expect(fleet.budgetInFlight().get(budget.name) ?? 0).toBeLessThanOrEqual(budget.limit);
  }
  // The loaded batch's counts are its machines' states.
  for (const r of fleet.rollouts.values()) {
    const loaded = r.state.loaded;
    if (!loaded || !isActive(r.state.status)) continue;
    const counts = Object.fromEntries(MACHINE_STATES.map((s) => [s, 0]));
    for (const id of loaded.order) counts[r.machines.get(id)!.state]! += 1;
    expect(loaded.counts).toEqual(counts as never);
    for (const id of loaded.order.slice(0, loaded.cursor)) {
      expect(["pending", "waiting"]).not.toContain(r.machines.get(id)!.state);
    }
  }
}

/** Every transition that changed a status or a machine wrote the audit rows saying so. */
function checkAudited(before: RolloutState, t: Transition): void {
  const rolloutRows = t.audit.filter((a) => a.target === before.id).map((a) => a.action);
  if (t.state.status !== before.status) expect(rolloutRows.length).toBeGreaterThan(0);
  t.state.batches.forEach((b, i) => {
    if (b.status !== before.batches[i]!.status && b.status !== "pending") {
      expect(rolloutRows.some((a) => a.startsWith("batch.") || a.startsWith("rollout."))).toBe(true);
    }
  });
  for (const change of t.changes) {
    if (change.before.state === change.after.state && change.before.reason === change.after.reason) continue;
    expect(t.audit.some((a) => a.target === change.after.id && a.action === `machine.${change.after.state}`)).toBe(
      true,
    );
  }
}

function run(commands: Command[]): void {
  const fleet = new PureFleet();
  fleet.maxChanges = 3;
  MACHINES.forEach((id, i) => fleet.addMachines([id], tagsOf(i)));
  fleet.budgets = [{ name: "a", tags: ["a"], limit: 2 }];
  fleet.windows = [{ name: "b", tags: ["b"], cron: ["*/2 * * * *"], durationMinutes: 1, timezone: "UTC" }];
  const audited = fleet as unknown as { apply: (id: string, e: unknown) => Transition | { refused: string } };
  const apply = audited.apply.bind(fleet);
  audited.apply = (id, event) => {
    const before = fleet.rollouts.get(id)!.state;
    const t = apply(id, event);
    if (!("refused" in t)) checkAudited(before, t);
    return t;
  };
  let created = 0;
  const ids = () => [...fleet.rollouts.keys()];
  for (const c of commands) {
    switch (c.kind) {
      case "create": {
        const members = c.members.map((i) => MACHINES[i]!);
        const busy = (id: string) =>
          [...fleet.rollouts.values()].some(
            (r) => isActive(r.state.status) && r.machines.get(id) && !hasLeft(r.machines.get(id)!.state),
          );
        const free = c.supersede ? members : members.filter((id) => !busy(id));
        if (free.length === 0) break;
        const size = Math.ceil(free.length / c.batches);
        const batches = Array.from({ length: c.batches }, (_, b) => free.slice(b * size, (b + 1) * size)).filter(
          (b) => b.length > 0,
        );
        fleet.create(
          `r${created++}`,
          batches,
          options({
            soakMs: batches.map(() => c.soak),
            maxInFlight: c.maxInFlight,
            minDecided: c.minDecided,
            onFailure: c.revert ? "revert" : "pause",
            healthTimeoutMs: 60_000,
            notBefore: c.notBefore === 0 ? null : fleet.now + c.notBefore,
            offlineAfterMs: c.offline ? 120_000 : null,
          }),
        );
        break;
      }
      case "report": {
        const id = MACHINES[c.machine]!;
        if (c.outcome === "healthy") fleet.report(id, {});
        else if (c.outcome === "fail-report") fleet.report(id, { success: false });
        else if (c.outcome === "fail-health") fleet.report(id, { health: false });
        else fleet.report(id, { generation: "/nix/store/old" });
        break;
      }
      case "advance":
        fleet.advance(c.ms);
        break;
      case "verb": {
        if (ids().length === 0) break;
        const id = ids()[c.rollout % ids().length]!;
        const r = fleet.rollout(id);
        const previous = new Map(r.previous);
        const actor = "apikey:prop";
        const event =
          c.verb === "promote"
            ? { kind: c.verb, actor, force: c.force }
            : c.verb === "pause" || c.verb === "abort"
              ? { kind: c.verb, actor, reason: null }
              : { kind: c.verb, actor };
        const t = fleet.drive(id, event as never);
        if (c.verb === "abort" && !("refused" in t)) {
          // After abort every machine the rollout changed desires its previous generation.
          for (const m of r.machines.values()) {
            if (m.deployStartedAt === null || hasLeft(m.state)) continue;
            expect(fleet.machines.get(m.id)!.desired).toBe(previous.get(m.id) ?? null);
          }
        }
        break;
      }
      case "skip": {
        if (ids().length === 0) break;
        const id = ids()[c.rollout % ids().length]!;
        const machine = fleet.rollout(id).machines.get(MACHINES[c.machine]!);
        if (machine) fleet.drive(id, { kind: "skip", actor: "apikey:prop", machine, reason: null });
        break;
      }
      case "freeze":
        fleet.freeze = c.on ? "property" : null;
        fleet.tick();
        break;
      case "restart": {
        // A restart at any point resumes with the same states: rebuilt from what is stored, the fleet
        // moves on exactly as the one that kept running.
        const kept = fleet.clone();
        kept.tick();
        fleet.restart();
        fleet.tick();
        expect(snapshot(fleet)).toEqual(snapshot(kept));
        break;
      }
    }
    checkInvariants(fleet);
  }
  for (const r of fleet.rollouts.values()) reached.add(r.state.status);
  for (const gate of fleet.gateBlocks.keys()) reached.add(gate);
}

const reached = new Set<string>();

test("§14.5 invariants hold over random verbs, reports, restarts, gates and clock jumps", () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 5, maxLength: 60 }), (commands) => run(commands)),
    { seed: 1514, numRuns: 300 },
  );
  // The runs did reach the situations the invariants are about.
  for (const what of [
    "completed",
    "paused",
    "aborted",
    "failed",
    "cancelled",
    "scheduled",
    "budget:a",
    "window:b",
    "freeze",
  ]) {
    expect(reached).toContain(what);
  }
});
