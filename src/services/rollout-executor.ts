import type { RolloutEvents } from "../context.ts";
import { recordAudit, type AuditAction } from "../db/audit.ts";
import type { Store, Tx } from "../db/database.ts";
import { releaseExists } from "../db/releases.ts";
import {
  ACTIVE_ROLLOUT_STATUSES,
  appendRolloutEvents,
  batchesOf,
  deleteRollout,
  desireReleaseForBatch,
  findRollout,
  insertRollout,
  latestBatchReportSince,
  machinesInActiveRollouts,
  machinesOfBatch,
  memberIds,
  newRolloutId,
  recordPreviousGenerations,
  releaseCacheUrl,
  releaseHostnames,
  targetCandidates,
  reportsSince,
  resetBatchHealth,
  restorePreviousGenerations,
  rolloutsWithStatus,
  setMachineHealth,
  setRolloutStatus,
  updateBatch,
  type BatchRow,
  type RolloutRow,
} from "../db/rollouts.ts";
import { decideBatch, evaluateMachine, firstFailedCheck, type GateEvent } from "../domain/health-gate.ts";
import {
  allowedFailures,
  parseQuantity,
  planBatches,
  resolveTargets,
  shuffle,
  type OnFailure,
  type Quantity,
  type RandomSource,
  type Strategy,
  type Target,
} from "../domain/rollout-planning.ts";
import { conflict, badRequest, notFound } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { FleetState } from "./fleet-state.ts";

/** The audit and rollout-event actor of everything the executor does on its own. */
export const EXECUTOR_ACTOR = "executor";

/** How often the executor looks for timed-out batches and rollouts to advance. */
export const TICK_INTERVAL_MS = 250;

export interface RolloutExecutorDeps {
  store: Store;
  logger: Logger;
  now: () => number;
  fleet: FleetState;
}

/** A validated rollout request. */
export interface CreateRolloutInput {
  releaseId: string;
  strategy: Strategy;
  /** The sizes to plan with (already resolved for the strategy) and their parsed form. */
  batchSizes: { text: readonly string[]; parsed: readonly Quantity[] };
  failureThreshold: string;
  onFailure: OnFailure;
  healthTimeoutSeconds: number;
  cacheUrl: string | null;
  target: Target;
  actor: string;
}

/** What creating a rollout planned. */
export interface PlannedRollout {
  rolloutId: string;
  batches: string[][];
}

/** A batch waiting for its machines' health, with what is still undecided. */
interface WaitingBatch {
  rolloutId: string;
  batchIndex: number;
  startedAt: number;
  deadline: number;
  timeoutMs: number;
  allowedFailures: number;
  /** Undecided machine → the store path it must reach. */
  undecided: Map<string, string>;
  unhealthy: number;
}

type Decision = { machineId: string; healthy: true } | { machineId: string; healthy: false; reason: string };

/**
 * Drives rollouts through their batches (SPEC §7). Every state lives in the database; the
 * in-memory index (machine → its waiting batch, undecided machines per batch) only makes
 * each step cost what changed: a report touches its own batch, a tick compares one deadline
 * per waiting batch. All work — its own steps and the API's create/resume/cancel/delete —
 * runs one at a time on one queue, and each state change is one transaction with its audit
 * rows and rollout events.
 */
export class RolloutExecutor implements RolloutEvents {
  private readonly waiting = new Map<string, WaitingBatch>();
  private readonly machineBatch = new Map<string, WaitingBatch>();
  private readonly reported = new Set<string>();
  private readonly toAdvance = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private rebuildNeeded = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly random: RandomSource;

  constructor(
    private readonly deps: RolloutExecutorDeps,
    options: { random?: RandomSource } = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  /** Rebuilds the index from the database: every running rollout is looked at again. */
  async load(): Promise<void> {
    this.waiting.clear();
    this.machineBatch.clear();
    for (const rollout of await rolloutsWithStatus(this.deps.store.db, ["created", "running"])) {
      this.toAdvance.add(rollout.id);
    }
  }

  /** Starts the periodic tick and carries on with whatever was running when the process stopped. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.onTick(), TICK_INTERVAL_MS);
    this.scheduleDrain();
  }

  /** Stops the tick and waits for the work in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.idle();
  }

  /** A report has committed: re-judge the machine if a waiting batch holds it. */
  machineReported(machineId: string): void {
    // Machines of any active rollout are noted, not just those of a waiting batch: a report
    // may commit while a batch is being started, before its machines are in the index.
    if (!this.machineBatch.has(machineId) && !this.deps.fleet.isInActiveRollout(machineId)) return;
    this.reported.add(machineId);
    this.scheduleDrain();
  }

  /** Runs one tick now (timeouts, rollouts to advance) and resolves when the executor is idle. */
  async tick(): Promise<void> {
    this.scheduleDrain();
    await this.idle();
  }

  /** Resolves once no work is queued. */
  async idle(): Promise<void> {
    do await this.queue;
    while (this.drainQueued);
  }

  /** Plans and records a rollout (status running), then starts its first batch. */
  create(input: CreateRolloutInput): Promise<PlannedRollout> {
    return this.exclusive(async () => {
      const { db } = this.deps.store;
      if (!(await releaseExists(db, input.releaseId))) throw notFound(`release ${input.releaseId} not found`);
      const tags = "tags" in input.target ? input.target.tags : [];
      const candidates = await targetCandidates(db, input.target);
      const resolution = resolveTargets(
        input.target,
        candidates.map((m) => ({ ...m, tags })),
        await releaseHostnames(db, input.releaseId),
      );
      if (!resolution.ok) throw badRequest(resolution.error);
      const batches = planBatches(shuffle(resolution.machineIds, this.random), input.batchSizes.parsed);
      const rolloutId = newRolloutId();
      const now = this.deps.now();
      await this.deps.store.write(async (tx) => {
        const busy = await machinesInActiveRollouts(tx, resolution.machineIds);
        if (busy.length > 0) {
          const [first] = busy;
          const more = busy.length > 1 ? ` (and ${busy.length - 1} more)` : "";
          throw conflict(`machine ${first!.machineId} is already in active rollout ${first!.rolloutId}${more}`);
        }
        await insertRollout(tx, {
          row: {
            id: rolloutId,
            releaseId: input.releaseId,
            strategy: input.strategy,
            status: "running",
            onFailure: input.onFailure,
            failureThreshold: input.failureThreshold,
            healthTimeout: input.healthTimeoutSeconds,
            cacheUrl: input.cacheUrl,
            target: JSON.stringify(input.target),
            batchSizes: JSON.stringify(input.batchSizes.text),
            createdAt: now,
            updatedAt: now,
            createdBy: input.actor,
          },
          batches,
        });
        const detail = {
          release_id: input.releaseId,
          strategy: input.strategy,
          total_machines: resolution.machineIds.length,
          batch_sizes: batches.map((b) => b.length),
        };
        await this.recordTransition(tx, now, rolloutId, "rollout.created", detail, input.actor);
      });
      this.deps.fleet.setInActiveRollout(resolution.machineIds, true);
      this.toAdvance.add(rolloutId);
      this.scheduleDrain();
      return { rolloutId, batches };
    });
  }

  /** Paused → running; the failed batch starts again from pending, judged only on new reports. */
  resume(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(async () => {
      const rollout = await this.existing(rolloutId);
      if (rollout.status !== "paused") throw conflict(`rollout ${rolloutId} is ${rollout.status}, not paused`);
      const failed = (await batchesOf(this.deps.store.db, [rolloutId])).find((b) => b.status === "failed");
      const now = this.deps.now();
      await this.deps.store.write(async (tx) => {
        await setRolloutStatus(tx, rolloutId, "running", now);
        if (failed) {
          // started_at stays until the batch deploys again: it marks that previous generations are recorded.
          await updateBatch(tx, rolloutId, failed.batchIndex, { status: "pending", completedAt: null });
          await resetBatchHealth(tx, rolloutId, failed.batchIndex);
        }
        await this.recordTransition(tx, now, rolloutId, "rollout.resumed", { batch_index: failed?.batchIndex }, actor);
      });
      this.toAdvance.add(rolloutId);
      this.scheduleDrain();
    });
  }

  /** Created/running/paused → cancelled; machines keep the generation they were given. */
  cancel(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(async () => {
      const rollout = await this.existing(rolloutId);
      if (!isActive(rollout.status)) throw conflict(`rollout ${rolloutId} is already ${rollout.status}`);
      const now = this.deps.now();
      await this.deps.store.write(async (tx) => {
        await setRolloutStatus(tx, rolloutId, "cancelled", now);
        await this.recordTransition(
          tx,
          now,
          rolloutId,
          "rollout.cancelled",
          { previous_status: rollout.status },
          actor,
        );
      });
      await this.release(rolloutId);
    });
  }

  /** Deletes a finished rollout with its batches, machines and events. */
  remove(rolloutId: string, actor: string): Promise<void> {
    return this.exclusive(async () => {
      const rollout = await this.existing(rolloutId);
      if (isActive(rollout.status)) {
        throw conflict(`rollout ${rolloutId} is ${rollout.status}; cancel it before deleting`);
      }
      await this.deps.store.write(async (tx) => {
        await deleteRollout(tx, rolloutId);
        await recordAudit(tx, this.deps.now(), {
          actor,
          action: "rollout.deleted",
          target: rolloutId,
          rolloutId,
          detail: { release_id: rollout.releaseId, status: rollout.status },
        });
      });
    });
  }

  private async existing(rolloutId: string): Promise<RolloutRow> {
    const rollout = await findRollout(this.deps.store.db, rolloutId);
    if (!rollout) throw notFound(`rollout ${rolloutId} not found`);
    return rollout;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private scheduleDrain(): void {
    if (this.drainQueued || this.stopped) return;
    this.drainQueued = true;
    void this.exclusive(async () => {
      this.drainQueued = false;
      try {
        await this.drain();
      } catch (error) {
        // The database is the truth: start over from it on the next tick.
        this.rebuildNeeded = true;
        this.deps.logger.error("rollout executor step failed", {
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    });
  }

  private onTick(): void {
    if (this.rebuildNeeded || this.toAdvance.size > 0) return this.scheduleDrain();
    const now = this.deps.now();
    for (const batch of this.waiting.values()) {
      if (now >= batch.deadline) return this.scheduleDrain();
    }
  }

  private async drain(): Promise<void> {
    if (this.rebuildNeeded) {
      this.rebuildNeeded = false;
      this.reported.clear();
      await this.load();
    }
    const toJudge = new Map<WaitingBatch, string[]>();
    for (const machineId of this.reported) {
      const batch = this.machineBatch.get(machineId);
      if (!batch) continue;
      const list = toJudge.get(batch);
      if (list) list.push(machineId);
      else toJudge.set(batch, [machineId]);
    }
    this.reported.clear();
    const now = this.deps.now();
    for (const batch of this.waiting.values()) {
      if (now >= batch.deadline) toJudge.set(batch, [...batch.undecided.keys()]);
    }
    for (const [batch, machineIds] of toJudge) {
      await this.judge(batch, machineIds);
      if (batch.undecided.size === 0) this.toAdvance.add(batch.rolloutId);
    }
    while (this.toAdvance.size > 0) {
      const [rolloutId] = this.toAdvance;
      this.toAdvance.delete(rolloutId!);
      await this.advance(rolloutId!);
    }
  }

  /**
   * Decides what can be decided of `machineIds` and stores it. Reads and writes share one
   * transaction, so every report committed before it (reports take their receive time inside
   * their own transaction) is seen, and none can slip in between reading and deciding.
   */
  private async judge(batch: WaitingBatch, machineIds: readonly string[]): Promise<void> {
    const pending = machineIds.filter((id) => batch.undecided.has(id));
    if (pending.length === 0) return;
    const decisions = await this.deps.store.write(async (tx) => {
      const now = this.deps.now();
      const events = await reportsSince(tx, pending, batch.startedAt);
      const byMachine = new Map<string, GateEvent[]>();
      const push = (machineId: string, event: GateEvent) => {
        const list = byMachine.get(machineId);
        if (list) list.push(event);
        else byMachine.set(machineId, [event]);
      };
      for (const r of events.reports) push(r.machineId, { kind: "report", ...r });
      for (const h of events.health) {
        push(h.machineId, {
          kind: "health",
          receivedAt: h.receivedAt,
          allPassed: h.allPassed,
          failedCheck: h.allPassed ? null : firstFailedCheck(safeJson(h.results)),
        });
      }
      const decided: Decision[] = [];
      for (const machineId of pending) {
        const health = evaluateMachine({
          storePath: batch.undecided.get(machineId)!,
          batchStartedAt: batch.startedAt,
          timeoutMs: batch.timeoutMs,
          events: byMachine.get(machineId) ?? [],
          now,
        });
        if (health.state === "healthy") decided.push({ machineId, healthy: true });
        else if (health.state === "unhealthy") decided.push({ machineId, healthy: false, reason: health.reason });
      }
      await this.storeDecisions(tx, batch.rolloutId, decided);
      return decided;
    });
    for (const decision of decisions) {
      batch.undecided.delete(decision.machineId);
      this.machineBatch.delete(decision.machineId);
      if (!decision.healthy) batch.unhealthy += 1;
    }
  }

  private async storeDecisions(tx: Tx, rolloutId: string, decisions: readonly Decision[]): Promise<void> {
    const healthy: string[] = [];
    const unhealthyByReason = new Map<string, string[]>();
    for (const d of decisions) {
      if (d.healthy) healthy.push(d.machineId);
      else unhealthyByReason.set(d.reason, [...(unhealthyByReason.get(d.reason) ?? []), d.machineId]);
    }
    await setMachineHealth(tx, rolloutId, healthy, "healthy", null);
    for (const [reason, ids] of unhealthyByReason) await setMachineHealth(tx, rolloutId, ids, "unhealthy", reason);
  }

  /** Moves a running rollout on as far as it can go now. */
  private async advance(rolloutId: string): Promise<void> {
    for (;;) {
      const rollout = await findRollout(this.deps.store.db, rolloutId);
      if (!rollout || (rollout.status !== "running" && rollout.status !== "created")) {
        this.forget(rolloutId);
        return;
      }
      const batches = await batchesOf(this.deps.store.db, [rolloutId]);
      const current = batches.find((b) => b.status !== "succeeded");
      if (!current) return this.complete(rollout);
      if (current.status === "pending") await this.markDeploying(rollout, current);
      else if (current.status === "deploying") await this.deploy(rollout, current);
      else if (current.status === "waiting_health") {
        let batch = this.waiting.get(rolloutId);
        if (!batch || batch.batchIndex !== current.batchIndex) {
          batch = await this.index(rollout, current);
          // Reports may have arrived while nobody was watching (restart): judge them now.
          if (batch.undecided.size > 0) await this.judge(batch, [...batch.undecided.keys()]);
        }
        if (batch.undecided.size > 0) return;
        if (!(await this.finishBatch(rollout, current, batch))) return;
      } else {
        return;
      }
    }
  }

  private async markDeploying(rollout: RolloutRow, batch: BatchRow): Promise<void> {
    const now = this.deps.now();
    await this.deps.store.write(async (tx) => {
      await updateBatch(tx, rollout.id, batch.batchIndex, { status: "deploying" });
      await setRolloutStatus(tx, rollout.id, "running", now);
      await this.recordTransition(tx, now, rollout.id, "batch.deploying", { batch_index: batch.batchIndex });
    });
  }

  /** Records previous generations (first attempt only), sets desired generations, starts the health wait. */
  private async deploy(rollout: RolloutRow, batch: BatchRow): Promise<void> {
    const now = this.deps.now();
    const release = await releaseCacheUrl(this.deps.store.db, rollout.releaseId);
    const cacheUrl = rollout.cacheUrl ?? release?.cacheUrl ?? null;
    const { desired, size, missing, startedAt } = await this.deps.store.write(async (tx) => {
      // Reports are judged by receive time from the start on: a report committed before the
      // start in the same millisecond must fall before it, so the start moves past it.
      const latest = await latestBatchReportSince(tx, rollout.id, batch.batchIndex, now);
      const startedAt = latest === null ? now : latest + 1;
      if (batch.startedAt === null) await recordPreviousGenerations(tx, rollout.id, batch.batchIndex);
      const set = await desireReleaseForBatch(
        tx,
        { rolloutId: rollout.id, batchIndex: batch.batchIndex, releaseId: rollout.releaseId, cacheUrl },
        now,
        `rollout:${rollout.id}`,
      );
      const covered = new Set(set.map((s) => s.machineId));
      const members = await machinesOfBatch(tx, rollout.id, batch.batchIndex);
      const missing = members.filter((m) => !covered.has(m.machineId)).map((m) => m.machineId);
      await setMachineHealth(tx, rollout.id, missing, "unhealthy", `no entry in release ${rollout.releaseId}`);
      await updateBatch(tx, rollout.id, batch.batchIndex, { status: "waiting_health", startedAt });
      await setRolloutStatus(tx, rollout.id, "running", now);
      await appendRolloutEvents(tx, now, {
        rolloutId: rollout.id,
        eventType: "batch.waiting_health",
        detail: { batch_index: batch.batchIndex, machines: members.length, health_timeout: rollout.healthTimeout },
        actor: EXECUTOR_ACTOR,
      });
      return { desired: set, size: members.length, missing: missing.length, startedAt };
    });
    for (const { machineId, storePath } of desired) this.deps.fleet.setDesired(machineId, { storePath, cacheUrl });
    const undecided = new Map(desired.map((d) => [d.machineId, d.storePath]));
    this.track(rollout, batch.batchIndex, startedAt, { size, undecided, unhealthy: missing });
  }

  /** Rebuilds the index entry of a waiting batch from the database. */
  private async index(rollout: RolloutRow, batch: BatchRow): Promise<WaitingBatch> {
    const members = await machinesOfBatch(this.deps.store.db, rollout.id, batch.batchIndex);
    const undecided = new Map(
      members.filter((m) => m.health === "pending" && m.storePath !== null).map((m) => [m.machineId, m.storePath!]),
    );
    const unhealthy = members.filter((m) => m.health === "unhealthy").length;
    const startedAt = batch.startedAt ?? this.deps.now();
    return this.track(rollout, batch.batchIndex, startedAt, { size: members.length, undecided, unhealthy });
  }

  private track(
    rollout: RolloutRow,
    batchIndex: number,
    startedAt: number,
    members: { size: number; undecided: Map<string, string>; unhealthy: number },
  ): WaitingBatch {
    this.forget(rollout.id);
    const { size, undecided, unhealthy } = members;
    const threshold = parseQuantity(rollout.failureThreshold);
    const timeoutMs = rollout.healthTimeout * 1000;
    const batch: WaitingBatch = {
      rolloutId: rollout.id,
      batchIndex,
      startedAt,
      deadline: startedAt + timeoutMs,
      timeoutMs,
      allowedFailures: threshold.ok ? allowedFailures(threshold.value, size) : 0,
      undecided,
      unhealthy,
    };
    this.waiting.set(rollout.id, batch);
    for (const machineId of undecided.keys()) this.machineBatch.set(machineId, batch);
    return batch;
  }

  private forget(rolloutId: string): void {
    const batch = this.waiting.get(rolloutId);
    if (!batch) return;
    for (const machineId of batch.undecided.keys()) this.machineBatch.delete(machineId);
    this.waiting.delete(rolloutId);
  }

  /** Closes a fully decided batch; true when the rollout goes on to its next batch. */
  private async finishBatch(rollout: RolloutRow, current: BatchRow, batch: WaitingBatch): Promise<boolean> {
    this.forget(rollout.id);
    const now = this.deps.now();
    const outcome = decideBatch({ undecided: 0, unhealthy: batch.unhealthy }, batch.allowedFailures);
    const detail = {
      batch_index: current.batchIndex,
      unhealthy: batch.unhealthy,
      allowed_failures: batch.allowedFailures,
    };
    if (outcome === "succeeded") {
      await this.deps.store.write(async (tx) => {
        await updateBatch(tx, rollout.id, current.batchIndex, { status: "succeeded", completedAt: now });
        await setRolloutStatus(tx, rollout.id, "running", now);
        await this.recordTransition(tx, now, rollout.id, "batch.succeeded", detail);
      });
      return true;
    }
    const restored = await this.deps.store.write(async (tx) => {
      await updateBatch(tx, rollout.id, current.batchIndex, { status: "failed", completedAt: now });
      await this.recordTransition(tx, now, rollout.id, "batch.failed", detail);
      if (rollout.onFailure === "pause") {
        await setRolloutStatus(tx, rollout.id, "paused", now);
        await this.recordTransition(tx, now, rollout.id, "rollout.paused", detail);
        return null;
      }
      const reverted = await restorePreviousGenerations(
        tx,
        rollout.id,
        current.batchIndex,
        now,
        `rollout:${rollout.id}`,
      );
      await setRolloutStatus(tx, rollout.id, "failed", now);
      await this.recordTransition(tx, now, rollout.id, "rollout.failed", { ...detail, reverted: reverted.length });
      return reverted;
    });
    if (restored) {
      for (const r of restored) {
        this.deps.fleet.setDesired(
          r.machineId,
          r.storePath === null ? null : { storePath: r.storePath, cacheUrl: r.cacheUrl },
        );
      }
      await this.release(rollout.id);
    }
    return false;
  }

  private async complete(rollout: RolloutRow): Promise<void> {
    const now = this.deps.now();
    await this.deps.store.write(async (tx) => {
      await setRolloutStatus(tx, rollout.id, "completed", now);
      await this.recordTransition(tx, now, rollout.id, "rollout.completed", { release_id: rollout.releaseId });
    });
    await this.release(rollout.id);
  }

  /** The rollout no longer holds its machines: drop it from the index and the agents' poll hint. */
  private async release(rolloutId: string): Promise<void> {
    this.forget(rolloutId);
    this.toAdvance.delete(rolloutId);
    this.deps.fleet.setInActiveRollout(await memberIds(this.deps.store.db, rolloutId), false);
  }

  /** One audit row and one rollout event for a transition. */
  private async recordTransition(
    tx: Tx,
    at: number,
    rolloutId: string,
    action: AuditAction,
    detail: Record<string, unknown>,
    actor: string = EXECUTOR_ACTOR,
  ): Promise<void> {
    await recordAudit(tx, at, { actor, action, target: rolloutId, detail, rolloutId });
    await appendRolloutEvents(tx, at, { rolloutId, eventType: action, detail, actor });
  }
}

function isActive(status: RolloutRow["status"]): boolean {
  return (ACTIVE_ROLLOUT_STATUSES as readonly string[]).includes(status);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
