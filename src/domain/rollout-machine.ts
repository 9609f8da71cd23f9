// The rollout executor's rules (SPEC §7 and §14) as a pure state machine:
// `next(state, event, context) → transition`, where the transition holds the next state and its
// effects as data (machine changes, desired generations to set, machines released, revert, audit
// rows, rollout events, gate-block counts). The service loads state, applies a transition in one
// transaction and indexes what the rollout waits for; every rule lives here.
//
// Scale: a rollout's state holds the machines of its current batch only (the "loaded" batch), and
// a transition lists the machines it changed instead of copying them: `state.loaded.machines` of
// the next state is a layered view (changes over the previous machines), which the service folds
// back into its own map in place. Per-machine work in one step is bounded by `maxChanges`; a step
// that stops there says `more` and the service steps again (each step a consistent transition).
import { GateEvaluator, type GateSnapshot } from "./gates.ts";
import { evaluateMachine, soakFailure, type GateEvent } from "./health-gate.ts";
import { allowedFailures, quantityOf, type OnFailure, type Quantity } from "./rollout-planning.ts";

// v0.1's values first, in its order; SPEC §14 adds the others after them.
export const ROLLOUT_STATUSES = [
  "created",
  "running",
  "paused",
  "completed",
  "failed",
  "cancelled",
  "scheduled",
  "aborted",
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
/** Statuses in which a rollout holds its machines (`created` = still being written). */
export const ACTIVE_ROLLOUT_STATUSES = [
  "created",
  "scheduled",
  "running",
  "paused",
] as const satisfies readonly RolloutStatus[];
export const FINISHED_ROLLOUT_STATUSES = [
  "completed",
  "failed",
  "cancelled",
  "aborted",
] as const satisfies readonly RolloutStatus[];

export const BATCH_STATUSES = ["pending", "deploying", "waiting_health", "succeeded", "failed", "soaking"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const MACHINE_STATES = [
  "pending",
  "waiting",
  "deploying",
  "healthy",
  "unhealthy",
  "skipped",
  "superseded",
] as const;
export type MachineStateName = (typeof MACHINE_STATES)[number];

export const VERBS = ["pause", "resume", "promote", "abort", "retry", "skip", "cancel"] as const;
export type Verb = (typeof VERBS)[number];

/** The statuses each verb is accepted from (SPEC §14.1); finer conditions are checked by `next`. */
export const VERB_STATUSES: Record<Verb, readonly RolloutStatus[]> = {
  pause: ["running"],
  resume: ["paused"],
  promote: ["running", "paused"],
  abort: ["running", "paused"],
  retry: ["paused"],
  skip: ["running", "paused"],
  cancel: ["created", "scheduled", "running", "paused"],
};

/** True while the rollout holds its machines. */
export function isActive(status: RolloutStatus): boolean {
  return (ACTIVE_ROLLOUT_STATUSES as readonly string[]).includes(status);
}

/** A finished rollout (completed, failed, cancelled, aborted) may be deleted. */
export function canDelete(status: RolloutStatus): boolean {
  return (FINISHED_ROLLOUT_STATUSES as readonly string[]).includes(status);
}

/** Undecided: the machine's batch is still waiting for it. */
export function isUndecided(state: MachineStateName): boolean {
  return state === "pending" || state === "waiting" || state === "deploying";
}

/** The machine has left its rollout (it no longer counts for its batch; another rollout may take it). */
export function hasLeft(state: MachineStateName): boolean {
  return state === "skipped" || state === "superseded";
}

/** The options a rollout runs with (SPEC §7, §14.2), resolved. */
export interface RolloutOptions {
  releaseId: string;
  onFailure: OnFailure;
  failureThreshold: Quantity;
  healthTimeoutMs: number;
  /** Soak of each batch, by batch index. */
  soakMs: readonly number[];
  minDecided: number | null;
  maxInFlight: Quantity | null;
  notBefore: number | null;
  offlineAfterMs: number | null;
}

export interface BatchState {
  index: number;
  status: BatchStatus;
  startedAt: number | null;
  completedAt: number | null;
  /** While soaking: when the soak ends. */
  soakUntil: number | null;
}

export interface MachineState {
  id: string;
  batch: number;
  position: number;
  state: MachineStateName;
  /** Why it waits, why it is unhealthy or skipped; null otherwise. */
  reason: string | null;
  /** The release entry's store path; null when the release has none for it. */
  storePath: string | null;
  /** When it last started deploying; non-null once this rollout has set its desired generation. */
  deployStartedAt: number | null;
}

export interface MachineLookup {
  get(id: string): MachineState | undefined;
}

/** Machines per state, of the loaded batch. */
export type BatchCounts = Record<MachineStateName, number>;

/** The current batch with its machines, the part of a rollout the executor works on. */
export interface LoadedBatch {
  index: number;
  /** Machine ids by position. */
  order: readonly string[];
  machines: MachineLookup;
  counts: Readonly<BatchCounts>;
  /** Every machine before `order[cursor]` is neither pending nor waiting. */
  cursor: number;
  /** No deploying machine's health deadline is earlier than this (null: none deploying). */
  nextDeadline: number | null;
}

export interface RolloutState {
  id: string;
  status: RolloutStatus;
  /** The operator's reason while paused by `pause`. */
  pauseReason: string | null;
  options: RolloutOptions;
  batches: readonly BatchState[];
  /** Machines whose desired generation this rollout set and that have not left it (what abort reverts). */
  changed: number;
  /** The machines it changed still have to get their previous generation back. */
  revertPending: boolean;
  loaded: LoadedBatch | null;
}

/** What a machine's agent and the fleet say about it now. */
export interface MachineFacts {
  /** When its last report was received (ms), null when it never reported. */
  lastReportAt: number | null;
  tags: readonly string[];
}

export interface StepContext {
  now: number;
  gates: GateSnapshot;
  /** Machines deploying per budget name across every active rollout, before this step. */
  budgetInFlight: ReadonlyMap<string, number>;
  facts(machineId: string): MachineFacts;
  /** Per-machine changes a step makes at most before it stops with `more`. */
  maxChanges: number;
}

export type RolloutEvent =
  /** Time passed and/or reports arrived: `reports` holds each listed machine's reports since it started. */
  | { kind: "tick"; reports?: ReadonlyMap<string, readonly GateEvent[]> }
  | { kind: "pause"; actor: string; reason: string | null }
  | { kind: "resume"; actor: string }
  | { kind: "promote"; actor: string; force: boolean }
  | { kind: "abort"; actor: string; reason: string | null }
  | { kind: "retry"; actor: string }
  | { kind: "cancel"; actor: string }
  | { kind: "skip"; actor: string; machine: MachineState; reason: string | null }
  /** Machines taken over by rollout `by` (created with `supersede`). */
  | { kind: "supersede"; actor: string; by: string; machines: readonly MachineState[] };

export interface MachineChange {
  before: MachineState;
  after: MachineState;
}

/** The audit actions of rollout transitions (the compat ones of SPEC §8 and those of §14). */
export type RolloutAuditAction =
  | "rollout.created"
  | "rollout.scheduled"
  | "rollout.started"
  | "rollout.paused"
  | "rollout.resumed"
  | "rollout.promoted"
  | "rollout.retried"
  | "rollout.aborted"
  | "rollout.cancelled"
  | "rollout.completed"
  | "rollout.failed"
  | "batch.deploying"
  | "batch.soaking"
  | "batch.succeeded"
  | "batch.failed"
  | `machine.${MachineStateName}`;

/** An audit row of the transition (target = the rollout for its own transitions, the machine for a machine's). */
export interface AuditRecord {
  actor: string;
  action: RolloutAuditAction;
  target: string;
  detail: Record<string, unknown>;
}

/** A rollout event (the compat `events` list of `GET /api/v1/rollouts/{id}`). */
export interface EventRecord {
  actor: string;
  eventType: string;
  detail: Record<string, unknown>;
}

export interface Transition {
  state: RolloutState;
  /** Each machine that changed, with its state before the step and after it. */
  changes: readonly MachineChange[];
  audit: readonly AuditRecord[];
  events: readonly EventRecord[];
  /** Desired generations to set; `firstDeploy` machines get their previous one recorded first. */
  desire: readonly { machineId: string; storePath: string; firstDeploy: boolean }[];
  /** Machines that left the rollout (skipped, superseded) in this step. */
  released: readonly string[];
  /** The rollout finished: it no longer holds any of its machines. */
  releaseAll: boolean;
  /** Every machine the rollout changed (not skipped or superseded) gets its previous generation back. */
  revert: boolean;
  /** Machines newly held back, by gate reason (`nixfleet_gate_blocks_total`). */
  gateBlocks: ReadonlyMap<string, number>;
  /** The gates holding the rollout now (SPEC §14.4). */
  blockedBy: readonly string[];
  /** The next time a tick can change something without any event (null = none). */
  wakeAt: number | null;
  /** The step stopped at `maxChanges`: step again. */
  more: boolean;
  /** The current batch is not the loaded one: load this batch's machines, then step again. */
  loadBatch: number | null;
}

/** A verb refused in the rollout's current state (HTTP 409). */
export interface Refusal {
  refused: string;
}

export const EXECUTOR_ACTOR = "executor";

/** The reason of a machine held back by an offline agent (`offline_after_seconds`). */
export const OFFLINE_REASON = "offline";

const zeroCounts = (): BatchCounts => ({
  pending: 0,
  waiting: 0,
  deploying: 0,
  healthy: 0,
  unhealthy: 0,
  skipped: 0,
  superseded: 0,
});

/** A batch's machines (in position order) as the state machine works on them. */
export function loadedBatch(index: number, machines: readonly MachineState[], timeoutMs: number): LoadedBatch {
  const map = new Map<string, MachineState>();
  const counts = zeroCounts();
  let nextDeadline: number | null = null;
  for (const m of machines) {
    map.set(m.id, m);
    counts[m.state] += 1;
    if (m.state === "deploying" && m.deployStartedAt !== null) {
      const deadline = m.deployStartedAt + timeoutMs;
      if (nextDeadline === null || deadline < nextDeadline) nextDeadline = deadline;
    }
  }
  return { index, order: machines.map((m) => m.id), machines: map, counts, cursor: 0, nextDeadline };
}

/** The index of the batch the rollout works on: the first not succeeded, or null when all are. */
export function currentBatchIndex(state: Pick<RolloutState, "batches">): number | null {
  const batch = state.batches.find((b) => b.status !== "succeeded");
  return batch === undefined ? null : batch.index;
}

/** True when a report of this machine may change something (it is deploying, or soaking healthy). */
export function wantsReports(state: RolloutState, machineId: string): boolean {
  const machine = state.loaded?.machines.get(machineId);
  if (!machine) return false;
  if (machine.state === "deploying") return true;
  return machine.state === "healthy" && state.batches[machine.batch]?.status === "soaking";
}

/** Deploying machines of the loaded batch whose health deadline has passed at `now`, at most `limit`. */
export function dueMachines(state: RolloutState, now: number, limit: number): string[] {
  const loaded = state.loaded;
  if (!loaded || loaded.nextDeadline === null || loaded.nextDeadline > now) return [];
  const due: string[] = [];
  for (const id of loaded.order) {
    const m = loaded.machines.get(id)!;
    if (m.state !== "deploying" || m.deployStartedAt === null) continue;
    if (m.deployStartedAt + state.options.healthTimeoutMs <= now) {
      due.push(id);
      if (due.length >= limit) break;
    }
  }
  return due;
}

/** True when a transition writes nothing: no machine, batch or rollout changes, no effects, no rows. */
export function changesNothing(before: RolloutState, t: Transition): boolean {
  return (
    t.changes.length === 0 &&
    t.audit.length === 0 &&
    t.events.length === 0 &&
    t.desire.length === 0 &&
    t.released.length === 0 &&
    !t.releaseAll &&
    !t.revert &&
    t.state.status === before.status &&
    t.state.pauseReason === before.pauseReason &&
    t.state.revertPending === before.revertPending &&
    t.state.batches.every((batch, i) => batch === before.batches[i])
  );
}

/** The state of a new rollout and the transition that records its creation (`rollout.created`). */
export function createRollout(
  init: { id: string; options: RolloutOptions; batchCount: number; actor: string; detail: Record<string, unknown> },
  now: number,
): Transition {
  const scheduled = init.options.notBefore !== null && init.options.notBefore > now;
  const state: RolloutState = {
    id: init.id,
    status: scheduled ? "scheduled" : "running",
    pauseReason: null,
    options: init.options,
    batches: Array.from({ length: init.batchCount }, (_, index) => ({
      index,
      status: "pending" as const,
      startedAt: null,
      completedAt: null,
      soakUntil: null,
    })),
    changed: 0,
    revertPending: false,
    loaded: null,
  };
  const audit: AuditRecord[] = [{ actor: init.actor, action: "rollout.created", target: init.id, detail: init.detail }];
  const events: EventRecord[] = [{ actor: init.actor, eventType: "rollout.created", detail: init.detail }];
  const gateBlocks = new Map<string, number>();
  if (scheduled) {
    const detail = { not_before: new Date(init.options.notBefore!).toISOString() };
    audit.push({ actor: init.actor, action: "rollout.scheduled", target: init.id, detail });
    events.push({ actor: init.actor, eventType: "rollout.scheduled", detail });
    gateBlocks.set("not_before", 1);
  }
  return {
    state,
    changes: [],
    audit,
    events,
    desire: [],
    released: [],
    releaseAll: false,
    revert: false,
    gateBlocks,
    blockedBy: scheduled ? ["not_before"] : [],
    wakeAt: scheduled ? init.options.notBefore : null,
    more: false,
    loadBatch: null,
  };
}

/** The next state of a rollout after `event`, with its effects; a `Refusal` when a verb does not apply. */
export function next(state: RolloutState, event: RolloutEvent, context: StepContext): Transition | Refusal {
  const step = new Step(state, context);
  const refusal = step.apply(event);
  if (refusal !== null) return { refused: refusal };
  step.settle();
  return step.result();
}

/** The machines of a next state as the previous ones with a step's changes over them. */
class LayeredMachines implements MachineLookup {
  constructor(
    private readonly base: MachineLookup,
    private readonly overlay: ReadonlyMap<string, MachineState>,
  ) {}
  get(id: string): MachineState | undefined {
    return this.overlay.get(id) ?? this.base.get(id);
  }
}

/** One call of `next`: a working copy of the state that records every change it makes. */
class Step {
  private status: RolloutStatus;
  private pauseReason: string | null;
  private readonly batches: BatchState[];
  private changed: number;
  private revertPending: boolean;
  private readonly loaded: LoadedBatch | null;
  private readonly counts: BatchCounts;
  private cursor: number;
  private nextDeadline: number | null;
  private readonly overlay = new Map<string, MachineState>();
  private readonly firstBefore = new Map<string, MachineState>();
  private readonly audit: AuditRecord[] = [];
  private readonly events: EventRecord[] = [];
  private readonly desire: { machineId: string; storePath: string; firstDeploy: boolean }[] = [];
  private readonly released: string[] = [];
  private releaseAll = false;
  private revert = false;
  private readonly gateBlocks = new Map<string, number>();
  private readonly blockedBy = new Set<string>();
  private wakeAt: number | null = null;
  private more = false;
  private loadBatch: number | null = null;
  private machineChanges = 0;
  private readonly gates: GateEvaluator;
  private readonly now: number;

  constructor(
    private readonly state: RolloutState,
    private readonly context: StepContext,
  ) {
    this.status = state.status;
    this.pauseReason = state.pauseReason;
    this.batches = state.batches.slice();
    this.changed = state.changed;
    this.revertPending = state.revertPending;
    this.loaded = state.loaded;
    this.counts = { ...(state.loaded?.counts ?? zeroCounts()) };
    this.cursor = state.loaded?.cursor ?? 0;
    this.nextDeadline = state.loaded?.nextDeadline ?? null;
    this.now = context.now;
    this.gates = new GateEvaluator(context.gates, context.now, context.budgetInFlight);
  }

  private get options(): RolloutOptions {
    return this.state.options;
  }

  private get id(): string {
    return this.state.id;
  }

  /** Applies the event; a sentence when it is a verb refused in this state. */
  apply(event: RolloutEvent): string | null {
    switch (event.kind) {
      case "tick":
        this.observe(event.reports);
        return null;
      case "pause":
        return this.pause(event.actor, event.reason);
      case "resume":
        return this.resume(event.actor);
      case "promote":
        return this.promote(event.actor, event.force);
      case "abort":
        return this.abort(event.actor, event.reason);
      case "retry":
        return this.retry(event.actor);
      case "cancel":
        return this.cancel(event.actor);
      case "skip":
        return this.skip(event.actor, event.machine, event.reason);
      case "supersede":
        this.supersede(event.actor, event.by, event.machines);
        return null;
    }
  }

  private wrongStatus(verb: Verb): string | null {
    const allowed = VERB_STATUSES[verb];
    if (allowed.includes(this.status)) return null;
    return `rollout ${this.id} is ${this.status}, not ${allowed.join(" or ")}`;
  }

  /** The loaded batch when it is the current one (verbs act on it). */
  private current(): { batch: BatchState; loaded: LoadedBatch | null } | null {
    const index = currentBatchIndex({ batches: this.batches });
    if (index === null) return null;
    const loaded = this.loaded?.index === index ? this.loaded : null;
    return { batch: this.batches[index]!, loaded };
  }

  private pause(actor: string, reason: string | null): string | null {
    const wrong = this.wrongStatus("pause");
    if (wrong) return wrong;
    this.status = "paused";
    this.pauseReason = reason ?? "";
    const index = currentBatchIndex({ batches: this.batches });
    this.record("rollout.paused", { batch_index: index, reason }, actor);
    this.block("paused");
    return null;
  }

  private resume(actor: string): string | null {
    const wrong = this.wrongStatus("resume");
    if (wrong) return wrong;
    this.status = "running";
    this.pauseReason = null;
    const failed = this.batches.find((b) => b.status === "failed");
    // started_at stays until the batch starts again; its machines are reset to pending before that.
    if (failed) this.setBatch(failed.index, { status: "pending", completedAt: null, soakUntil: null });
    this.record("rollout.resumed", failed ? { batch_index: failed.index } : {}, actor);
    return null;
  }

  private retry(actor: string): string | null {
    const wrong = this.wrongStatus("retry");
    if (wrong) return wrong;
    const current = this.current();
    if (!current || current.batch.status !== "failed") {
      return `rollout ${this.id} is paused without a failed batch; resume it instead`;
    }
    const { batch, loaded } = current;
    let retried = 0;
    for (const id of loaded?.order ?? []) {
      const m = this.get(id)!;
      if (m.state === "unhealthy" || isUndecided(m.state)) {
        if (m.state !== "pending") this.setMachine(m, { state: "pending", reason: null }, actor);
        retried += 1;
      }
    }
    this.status = "running";
    this.pauseReason = null;
    this.setBatch(batch.index, { status: "waiting_health", completedAt: null });
    this.record("rollout.retried", { batch_index: batch.index, machines: retried }, actor);
    return null;
  }

  private promote(actor: string, force: boolean): string | null {
    const wrong = this.wrongStatus("promote");
    if (wrong) return wrong;
    const current = this.current();
    if (!current) return `rollout ${this.id} has no batch left to promote`;
    const { batch, loaded } = current;
    if (batch.status === "failed") {
      return `batch ${batch.index} of rollout ${this.id} failed; resume, retry or abort the rollout`;
    }
    const undecided =
      batch.status === "waiting_health" && loaded ? loaded.order.filter((id) => isUndecided(this.get(id)!.state)) : [];
    if (undecided.length > 0 && !force) {
      return `batch ${batch.index} of rollout ${this.id} still has ${undecided.length} undecided machine(s); promote with force to skip them`;
    }
    this.status = "running";
    this.pauseReason = null;
    this.record("rollout.promoted", { batch_index: batch.index, force, skipped: undecided.length }, actor);
    for (const id of undecided) this.leave(this.get(id)!, "skipped", "promoted", actor);
    if (batch.status === "soaking") this.succeed(batch.index);
    else if (batch.status === "waiting_health") this.decide(true);
    return null;
  }

  private abort(actor: string, reason: string | null): string | null {
    const wrong = this.wrongStatus("abort");
    if (wrong) return wrong;
    this.status = "aborted";
    this.pauseReason = null;
    this.record("rollout.aborted", { reason, reverted: this.changed }, actor);
    this.finish(true);
    return null;
  }

  private cancel(actor: string): string | null {
    if (!VERB_STATUSES.cancel.includes(this.status)) return `rollout ${this.id} is already ${this.status}`;
    const previous = this.status;
    this.status = "cancelled";
    this.pauseReason = null;
    this.record("rollout.cancelled", { previous_status: previous }, actor);
    this.finish(false);
    return null;
  }

  private skip(actor: string, machine: MachineState, reason: string | null): string | null {
    const wrong = this.wrongStatus("skip");
    if (wrong) return wrong;
    const m = this.get(machine.id) ?? machine;
    if (!isUndecided(m.state)) return `machine ${m.id} is ${m.state} in rollout ${this.id}, not undecided`;
    this.leave(m, "skipped", reason ?? "skipped by an operator", actor);
    return null;
  }

  private supersede(actor: string, by: string, machines: readonly MachineState[]): void {
    for (const given of machines) {
      const m = this.get(given.id) ?? given;
      if (!hasLeft(m.state)) this.leave(m, "superseded", `superseded by rollout ${by}`, actor);
    }
  }

  /** The machine leaves the rollout: it keeps what it runs, and abort no longer touches it. */
  private leave(m: MachineState, state: "skipped" | "superseded", reason: string, actor: string): void {
    if (m.deployStartedAt !== null) this.changed -= 1;
    this.setMachine(m, { state, reason }, actor);
    this.released.push(m.id);
  }

  /** Judges the listed machines on their reports (and the clock: a deadline that passed is a timeout). */
  private observe(reports: ReadonlyMap<string, readonly GateEvent[]> = new Map()): void {
    const loaded = this.loaded;
    if (!loaded) return;
    const batch = this.batches[loaded.index]!;
    for (const [id, events] of reports) {
      const m = this.get(id);
      if (!m || m.batch !== loaded.index) continue;
      if (m.state === "deploying" && m.deployStartedAt !== null) {
        const health = evaluateMachine({
          storePath: m.storePath ?? "",
          batchStartedAt: m.deployStartedAt,
          timeoutMs: this.options.healthTimeoutMs,
          events,
          now: this.now,
        });
        if (health.state === "healthy") this.setMachine(m, { state: "healthy", reason: null });
        else if (health.state === "unhealthy") this.setMachine(m, { state: "unhealthy", reason: health.reason });
      } else if (m.state === "healthy" && batch.status === "soaking" && batch.soakUntil !== null) {
        const soakStart = batch.soakUntil - (this.options.soakMs[batch.index] ?? 0);
        const failure = soakFailure(events, soakStart, batch.soakUntil);
        if (failure) this.setMachine(m, { state: "unhealthy", reason: `${failure.reason} during soak` });
      }
    }
    // `nextDeadline` is a lower bound: once it has passed, find the real one; machines still due
    // (not listed in this event) are judged by another step.
    if (this.nextDeadline !== null && this.nextDeadline <= this.now) {
      this.recomputeDeadline();
      if (this.nextDeadline !== null && this.nextDeadline <= this.now) this.more = true;
    }
  }

  private recomputeDeadline(): void {
    const loaded = this.loaded!;
    let deadline: number | null = null;
    for (const id of loaded.order) {
      const m = this.get(id)!;
      if (m.state !== "deploying" || m.deployStartedAt === null) continue;
      const at = m.deployStartedAt + this.options.healthTimeoutMs;
      if (deadline === null || at < deadline) deadline = at;
    }
    this.nextDeadline = deadline;
  }

  /** Moves the rollout on as far as it can go now. */
  settle(): void {
    for (;;) {
      if (this.status === "scheduled") {
        const notBefore = this.options.notBefore;
        if (notBefore !== null && this.now < notBefore) {
          this.block("not_before");
          this.wake(notBefore);
          return;
        }
        this.status = "running";
        this.record("rollout.started", { batch_index: 0 });
        continue;
      }
      if (this.status !== "running" && this.status !== "paused") return;
      const index = currentBatchIndex({ batches: this.batches });
      if (index === null) return this.complete();
      if (this.loaded?.index !== index) {
        this.loadBatch = index;
        return;
      }
      const batch = this.batches[index]!;
      if (batch.status === "pending" || batch.status === "deploying") {
        if (this.status === "paused") {
          this.block("paused");
          return;
        }
        if (!this.resetForStart()) return;
        this.startBatch(index);
      }
      const status = this.batches[index]!.status;
      if (status === "waiting_health") {
        if (this.nextDeadline !== null) this.wake(this.nextDeadline);
        if (this.decide(false)) continue;
        this.startMachines();
        // Machines skipped (offline) or without a release entry may have decided the batch.
        if (!this.more && this.decide(false)) continue;
        return;
      }
      if (status === "soaking") {
        const until = this.batches[index]!.soakUntil!;
        if (this.decide(false)) continue;
        if (this.now >= until) {
          this.succeed(index);
          continue;
        }
        if (this.status === "paused") this.block("paused");
        this.wake(until);
        return;
      }
      if (status === "failed") this.block("paused");
      return;
    }
  }

  /** A (re)starting batch: every machine still in it goes back to pending first. False when `more`. */
  private resetForStart(): boolean {
    for (const id of this.loaded!.order) {
      const m = this.get(id)!;
      if (m.state === "pending" || hasLeft(m.state)) continue;
      if (this.full()) return false;
      this.setMachine(m, { state: "pending", reason: null });
    }
    this.cursor = 0;
    return true;
  }

  private startBatch(index: number): void {
    this.setBatch(index, { status: "waiting_health", startedAt: this.now, completedAt: null, soakUntil: null });
    this.record("batch.deploying", { batch_index: index });
    this.events.push({
      actor: EXECUTOR_ACTOR,
      eventType: "batch.waiting_health",
      detail: {
        batch_index: index,
        machines: this.loaded!.order.length,
        health_timeout: Math.round(this.options.healthTimeoutMs / 1000),
      },
    });
  }

  /** Starts what the gates let start, in position order; every machine held back gets its reason. */
  private startMachines(): void {
    const loaded = this.loaded!;
    const maxInFlight =
      this.options.maxInFlight === null
        ? Infinity
        : Math.max(1, quantityOf(this.options.maxInFlight, loaded.order.length));
    const paused = this.status === "paused";
    for (let i = this.cursor; i < loaded.order.length; i++) {
      const m = this.get(loaded.order[i]!)!;
      if (m.state !== "pending" && m.state !== "waiting") {
        if (i === this.cursor) this.cursor += 1;
        continue;
      }
      if (this.full()) return;
      if (m.storePath === null) {
        this.setMachine(m, { state: "unhealthy", reason: `no entry in release ${this.options.releaseId}` });
        continue;
      }
      const facts = this.context.facts(m.id);
      const verdict = this.gates.check({
        paused,
        notBefore: null,
        tags: facts.tags,
        inFlight: this.counts.deploying,
        maxInFlight,
      });
      if (verdict.changesAt !== null) this.wake(verdict.changesAt);
      if (verdict.reason !== null) {
        this.block(verdict.reason);
        if (m.state !== "waiting" || m.reason !== verdict.reason) {
          this.setMachine(m, { state: "waiting", reason: verdict.reason });
          this.gateBlocks.set(verdict.reason, (this.gateBlocks.get(verdict.reason) ?? 0) + 1);
        }
        continue;
      }
      const offlineAfter = this.options.offlineAfterMs;
      if (offlineAfter !== null && (facts.lastReportAt === null || this.now - facts.lastReportAt > offlineAfter)) {
        this.leave(m, "skipped", OFFLINE_REASON, EXECUTOR_ACTOR);
        continue;
      }
      // Reports count from the start on: one committed in this very millisecond, before the start, must not.
      const startedAt =
        facts.lastReportAt !== null && facts.lastReportAt >= this.now ? facts.lastReportAt + 1 : this.now;
      const firstDeploy = m.deployStartedAt === null;
      if (firstDeploy) this.changed += 1;
      this.setMachine(m, { state: "deploying", reason: null, deployStartedAt: startedAt });
      this.gates.started(verdict.budgets);
      this.desire.push({ machineId: m.id, storePath: m.storePath, firstDeploy });
      const deadline = startedAt + this.options.healthTimeoutMs;
      if (this.nextDeadline === null || deadline < this.nextDeadline) this.nextDeadline = deadline;
      this.wake(deadline);
    }
  }

  /**
   * Judges the current batch from its counts: failed when the unhealthy exceed the threshold and
   * every machine is decided (or `min_decided` are); otherwise, once all are decided, soaking or
   * succeeded. `promoted` skips the soak. True when the batch's status changed.
   */
  private decide(promoted: boolean): boolean {
    const loaded = this.loaded;
    if (!loaded) return false;
    const batch = this.batches[loaded.index]!;
    if (batch.status !== "waiting_health" && batch.status !== "soaking") return false;
    const c = this.counts;
    const counting = loaded.order.length - c.skipped - c.superseded;
    const allowed = allowedFailures(this.options.failureThreshold, counting);
    const undecided = c.pending + c.waiting + c.deploying;
    const decided = counting - undecided;
    if (c.unhealthy > allowed) {
      const early = this.options.minDecided !== null && decided >= this.options.minDecided;
      if (undecided === 0 || early) {
        this.fail(loaded.index);
        return true;
      }
      return false;
    }
    if (undecided > 0 || batch.status === "soaking") return false;
    const soakMs = promoted ? 0 : (this.options.soakMs[loaded.index] ?? 0);
    if (soakMs > 0) {
      this.setBatch(loaded.index, { status: "soaking", soakUntil: this.now + soakMs });
      this.record("batch.soaking", {
        batch_index: loaded.index,
        soak_seconds: Math.round(soakMs / 1000),
        until: new Date(this.now + soakMs).toISOString(),
      });
    } else {
      this.succeed(loaded.index);
    }
    return true;
  }

  private batchVerdict(index: number): Record<string, unknown> {
    const c = this.counts;
    const counting = this.loaded!.order.length - c.skipped - c.superseded;
    return {
      batch_index: index,
      unhealthy: c.unhealthy,
      allowed_failures: allowedFailures(this.options.failureThreshold, counting),
    };
  }

  private succeed(index: number): void {
    this.setBatch(index, { status: "succeeded", completedAt: this.now, soakUntil: null });
    this.record("batch.succeeded", this.batchVerdict(index));
  }

  private fail(index: number): void {
    const detail = this.batchVerdict(index);
    this.setBatch(index, { status: "failed", completedAt: this.now, soakUntil: null });
    this.record("batch.failed", detail);
    // Machines the batch never started have nothing to wait for any more.
    for (let i = this.cursor; i < this.loaded!.order.length; i++) {
      const m = this.get(this.loaded!.order[i]!)!;
      if (m.state === "waiting") this.setMachine(m, { state: "pending", reason: null });
    }
    if (this.options.onFailure === "pause") {
      this.status = "paused";
      this.record("rollout.paused", detail);
      return;
    }
    this.status = "failed";
    this.record("rollout.failed", { ...detail, reverted: this.changed });
    this.finish(true);
  }

  private complete(): void {
    this.status = "completed";
    this.record("rollout.completed", { release_id: this.options.releaseId });
    this.finish(false);
  }

  private finish(revert: boolean): void {
    this.releaseAll = true;
    if (revert) {
      this.revert = true;
      this.revertPending = true;
    }
  }

  private get(id: string): MachineState | undefined {
    return this.overlay.get(id) ?? this.loaded?.machines.get(id);
  }

  private full(): boolean {
    if (this.machineChanges < this.context.maxChanges) return false;
    this.more = true;
    return true;
  }

  /** Records a machine's transition: its new state, the counts, the budgets it leaves, its audit row. */
  private setMachine(
    m: MachineState,
    patch: Partial<Pick<MachineState, "state" | "reason" | "deployStartedAt">>,
    actor: string = EXECUTOR_ACTOR,
  ): void {
    const before = this.get(m.id) ?? m;
    const after: MachineState = { ...before, ...patch };
    if (!this.firstBefore.has(m.id)) this.firstBefore.set(m.id, before);
    this.overlay.set(m.id, after);
    this.machineChanges += 1;
    if (this.loaded && after.batch === this.loaded.index) {
      this.counts[before.state] -= 1;
      this.counts[after.state] += 1;
      // Positions are 0..n-1 in batch order: a machine that may start again is seen by the next scan.
      if ((after.state === "pending" || after.state === "waiting") && after.position < this.cursor) {
        this.cursor = after.position;
      }
    }
    if (before.state === "deploying" && after.state !== "deploying") {
      this.gates.stopped(this.context.facts(m.id).tags);
    }
    const detail: Record<string, unknown> = { batch_index: after.batch, from: before.state };
    if (after.reason !== null) detail.reason = after.reason;
    this.audit.push({ actor, action: `machine.${after.state}`, target: m.id, detail });
  }

  private setBatch(index: number, patch: Partial<BatchState>): void {
    this.batches[index] = { ...this.batches[index]!, ...patch };
  }

  /** One rollout-level transition: its audit row and its rollout event. */
  private record(action: RolloutAuditAction, detail: Record<string, unknown>, actor: string = EXECUTOR_ACTOR): void {
    this.audit.push({ actor, action, target: this.id, detail });
    this.events.push({ actor, eventType: action, detail });
  }

  private block(reason: string): void {
    this.blockedBy.add(reason);
  }

  private wake(at: number): void {
    if (this.wakeAt === null || at < this.wakeAt) this.wakeAt = at;
  }

  result(): Transition {
    const changes: MachineChange[] = [];
    for (const [id, after] of this.overlay) changes.push({ before: this.firstBefore.get(id)!, after });
    const loaded = this.loaded;
    const batchOverlay = new Map<string, MachineState>();
    if (loaded) for (const c of changes) if (c.after.batch === loaded.index) batchOverlay.set(c.after.id, c.after);
    const nextLoaded: LoadedBatch | null = loaded
      ? {
          index: loaded.index,
          order: loaded.order,
          machines: batchOverlay.size === 0 ? loaded.machines : new LayeredMachines(loaded.machines, batchOverlay),
          counts: this.counts,
          cursor: this.cursor,
          nextDeadline: this.nextDeadline,
        }
      : null;
    const active = this.status === "running" || this.status === "paused" || this.status === "scheduled";
    return {
      state: {
        id: this.id,
        status: this.status,
        pauseReason: this.pauseReason,
        options: this.options,
        batches: this.batches,
        changed: this.changed,
        revertPending: this.revertPending,
        loaded: nextLoaded,
      },
      changes,
      audit: this.audit,
      events: this.events,
      desire: this.desire,
      released: this.released,
      releaseAll: this.releaseAll,
      revert: this.revert,
      gateBlocks: this.gateBlocks,
      blockedBy: active ? [...this.blockedBy].sort() : [],
      wakeAt: active ? this.wakeAt : null,
      more: this.more,
      loadBatch: active ? this.loadBatch : null,
    };
  }
}
