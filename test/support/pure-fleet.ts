// An in-memory stand-in for the rollout service around the pure state machine: it holds every
// machine of every rollout, applies transitions (desired generations, previous generations,
// reverts, releases), loads batches when asked and passes due machines on ticks. Unit and property
// tests drive the rules through it without a database.
import type { BudgetGate, GateSnapshot, MaintenanceWindow } from "../../src/domain/gates.ts";
import type { GateEvent } from "../../src/domain/health-gate.ts";
import {
  createRollout,
  dueMachines,
  hasLeft,
  isActive,
  loadedBatch,
  next,
  type AuditRecord,
  type EventRecord,
  type MachineState,
  type RolloutEvent,
  type RolloutOptions,
  type RolloutState,
  type Transition,
} from "../../src/domain/rollout-machine.ts";
import { parseQuantity } from "../../src/domain/rollout-planning.ts";

export interface FleetMachine {
  tags: string[];
  lastReportAt: number | null;
  desired: string | null;
  reports: GateEvent[];
}

export interface PureRollout {
  state: RolloutState;
  /** Every machine of the rollout, all batches. */
  machines: Map<string, MachineState>;
  /** Recorded previous desired generation, per machine the rollout changed. */
  previous: Map<string, string | null>;
  /** Machines whose desired generation this rollout set (what an abort must restore). */
  touched: Set<string>;
}

export const storePathOf = (rolloutId: string, machineId: string) => `/nix/store/${rolloutId}-${machineId}`;

export function options(overrides: Partial<Record<keyof RolloutOptions, unknown>> = {}): RolloutOptions {
  const q = (text: string) => {
    const parsed = parseQuantity(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };
  return {
    releaseId: "rel-1",
    onFailure: "pause",
    failureThreshold: q("0"),
    healthTimeoutMs: 60_000,
    soakMs: [],
    minDecided: null,
    maxInFlight: null,
    notBefore: null,
    offlineAfterMs: null,
    ...(overrides as Partial<RolloutOptions>),
    ...(typeof overrides.failureThreshold === "string" ? { failureThreshold: q(overrides.failureThreshold) } : {}),
    ...(typeof overrides.maxInFlight === "string" ? { maxInFlight: q(overrides.maxInFlight) } : {}),
  };
}

export class PureFleet {
  now = Date.parse("2026-11-27T10:00:00Z");
  freeze: string | null = null;
  budgets: BudgetGate[] = [];
  windows: MaintenanceWindow[] = [];
  maxChanges = 1000;
  readonly machines = new Map<string, FleetMachine>();
  readonly rollouts = new Map<string, PureRollout>();
  readonly audit: (AuditRecord & { rolloutId: string; at: number })[] = [];
  readonly events: (EventRecord & { rolloutId: string })[] = [];
  readonly gateBlocks = new Map<string, number>();
  /** How many transitions were applied (each one would be one transaction). */
  transitions = 0;

  addMachines(ids: string[], tags: string[] = [], lastReportAt: number | null = this.now - 60_000): void {
    for (const id of ids) this.machines.set(id, { tags, lastReportAt, desired: null, reports: [] });
  }

  get gates(): GateSnapshot {
    return { freeze: this.freeze, budgets: this.budgets, windows: this.windows };
  }

  /** Machines deploying per budget across every active rollout. */
  budgetInFlight(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.rollouts.values()) {
      if (!isActive(r.state.status)) continue;
      for (const m of r.machines.values()) {
        if (m.state !== "deploying") continue;
        const tags = this.machines.get(m.id)!.tags;
        for (const b of this.budgets) {
          if (b.tags.every((t) => tags.includes(t))) counts.set(b.name, (counts.get(b.name) ?? 0) + 1);
        }
      }
    }
    return counts;
  }

  /** Creates a rollout over `batches` (machine ids per batch); machines in another active rollout are superseded. */
  create(id: string, batches: string[][], opts: RolloutOptions = options(), actor = "apikey:ci"): Transition {
    const busy = new Map<string, string[]>();
    for (const [rid, r] of this.rollouts) {
      if (!isActive(r.state.status)) continue;
      for (const machineId of batches.flat()) {
        const m = r.machines.get(machineId);
        if (m && !hasLeft(m.state)) busy.set(rid, [...(busy.get(rid) ?? []), machineId]);
      }
    }
    for (const [rid, ids] of busy) {
      const r = this.rollouts.get(rid)!;
      this.drive(rid, { kind: "supersede", actor, by: id, machines: ids.map((m) => r.machines.get(m)!) });
    }
    const created = createRollout({ id, options: opts, batchCount: batches.length, actor, detail: {} }, this.now);
    const machines = new Map<string, MachineState>();
    batches.forEach((ids, batch) =>
      ids.forEach((machineId, position) =>
        machines.set(machineId, {
          id: machineId,
          batch,
          position,
          state: "pending",
          reason: null,
          storePath: storePathOf(id, machineId),
          deployStartedAt: null,
        }),
      ),
    );
    this.rollouts.set(id, { state: created.state, machines, previous: new Map(), touched: new Set() });
    this.record(id, created);
    this.drive(id, { kind: "tick" });
    return created;
  }

  /** Applies an event (and the steps it asks for); returns the first transition, or the refusal. */
  drive(id: string, event: RolloutEvent): Transition | { refused: string } {
    const r = this.rollouts.get(id)!;
    this.ensureLoaded(r);
    const first = this.apply(id, event);
    if ("refused" in first) return first;
    let last = first;
    for (let guard = 0; guard < 10_000 && (last.more || last.loadBatch !== null); guard++) {
      if (last.loadBatch !== null) this.load(r, last.loadBatch);
      const stepped = this.apply(id, this.tickEvent(r));
      if ("refused" in stepped) throw new Error(stepped.refused);
      last = stepped;
    }
    return first;
  }

  /** Time passes: every active rollout gets a tick (due machines judged). */
  tick(): void {
    for (const [id, r] of this.rollouts) if (isActive(r.state.status)) this.drive(id, this.tickEvent(r));
  }

  advance(ms: number): void {
    this.now += ms;
    this.tick();
  }

  /** A report from a machine (`generation` null = the machine's desired one), then the rollouts holding it step. */
  report(machineId: string, outcome: { success?: boolean; health?: boolean | null; generation?: string }): void {
    const machine = this.machines.get(machineId)!;
    machine.lastReportAt = this.now;
    machine.reports.push({
      kind: "report",
      receivedAt: this.now,
      currentGeneration: outcome.generation ?? machine.desired ?? "/nix/store/none",
      success: outcome.success ?? true,
      message: outcome.success === false ? "switch failed" : "ok",
    });
    if (outcome.health !== null) {
      const allPassed = outcome.health ?? true;
      machine.reports.push({
        kind: "health",
        receivedAt: this.now,
        allPassed,
        failedCheck: allPassed ? null : "http",
      });
    }
    for (const [id, r] of this.rollouts) {
      if (!isActive(r.state.status) || !r.state.loaded?.machines.get(machineId)) continue;
      this.drive(id, { kind: "tick", reports: new Map([[machineId, machine.reports]]) });
    }
  }

  /** A deep copy (for comparing two futures of the same fleet). */
  clone(): PureFleet {
    const copy = new PureFleet();
    copy.now = this.now;
    copy.freeze = this.freeze;
    copy.budgets = structuredClone(this.budgets);
    copy.windows = structuredClone(this.windows);
    copy.maxChanges = this.maxChanges;
    for (const [id, m] of this.machines) copy.machines.set(id, structuredClone(m));
    for (const [id, r] of this.rollouts) copy.rollouts.set(id, structuredClone(r));
    return copy;
  }

  /** A restart: every rollout is rebuilt from what is stored (its header and machines), nothing held in memory. */
  restart(): void {
    for (const r of this.rollouts.values()) r.state = { ...r.state, loaded: null };
    for (const [id, r] of this.rollouts) if (isActive(r.state.status)) this.drive(id, { kind: "tick" });
  }

  rollout(id: string): PureRollout {
    return this.rollouts.get(id)!;
  }

  machineState(rolloutId: string, machineId: string): MachineState {
    return this.rollouts.get(rolloutId)!.machines.get(machineId)!;
  }

  private tickEvent(r: PureRollout): RolloutEvent {
    const due = dueMachines(r.state, this.now, this.maxChanges);
    return { kind: "tick", reports: new Map(due.map((id) => [id, this.machines.get(id)?.reports ?? []])) };
  }

  private ensureLoaded(r: PureRollout): void {
    const index = r.state.batches.find((b) => b.status !== "succeeded")?.index;
    if (index !== undefined && r.state.loaded?.index !== index && isActive(r.state.status)) this.load(r, index);
  }

  private load(r: PureRollout, index: number): void {
    const members = [...r.machines.values()].filter((m) => m.batch === index).sort((a, b) => a.position - b.position);
    r.state = { ...r.state, loaded: loadedBatch(index, members, r.state.options.healthTimeoutMs) };
  }

  private apply(id: string, event: RolloutEvent): Transition | { refused: string } {
    const r = this.rollouts.get(id)!;
    const t = next(r.state, event, {
      now: this.now,
      gates: this.gates,
      budgetInFlight: this.budgetInFlight(),
      facts: (machineId) => {
        const m = this.machines.get(machineId);
        return { lastReportAt: m?.lastReportAt ?? null, tags: m?.tags ?? [] };
      },
      maxChanges: this.maxChanges,
    });
    if ("refused" in t) return t;
    this.transitions += 1;
    for (const change of t.changes) r.machines.set(change.after.id, change.after);
    for (const d of t.desire) {
      const machine = this.machines.get(d.machineId)!;
      if (d.firstDeploy) r.previous.set(d.machineId, machine.desired);
      machine.desired = d.storePath;
      r.touched.add(d.machineId);
    }
    // Flatten the layered machines of the loaded batch, as the service does in place.
    const loaded = t.state.loaded;
    r.state = loaded
      ? {
          ...t.state,
          loaded: {
            ...loaded,
            machines: new Map(loaded.order.map((mid) => [mid, r.machines.get(mid)!])),
          },
        }
      : t.state;
    if (t.revert) {
      for (const m of r.machines.values()) {
        if (m.deployStartedAt === null || hasLeft(m.state)) continue;
        this.machines.get(m.id)!.desired = r.previous.get(m.id) ?? null;
      }
      r.state = { ...r.state, revertPending: false };
    }
    this.record(id, t);
    return t;
  }

  private record(id: string, t: Transition): void {
    for (const a of t.audit) this.audit.push({ ...a, rolloutId: id, at: this.now });
    for (const e of t.events) this.events.push({ ...e, rolloutId: id });
    for (const [gate, n] of t.gateBlocks) this.gateBlocks.set(gate, (this.gateBlocks.get(gate) ?? 0) + n);
  }
}
