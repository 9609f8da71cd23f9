import { recordAudit, rolloutVersion } from "../db/audit.ts";
import { databaseNow, liveNodes } from "../db/cluster.ts";
import type { DbOrTx, Store } from "../db/database.ts";
import { releaseExists } from "../db/releases.ts";
import {
  deleteRollout,
  findRollout,
  insertRolloutHeader,
  insertRolloutMachines,
  machinesInActiveRollouts,
  newRolloutId,
  persistTransition,
  releaseCacheUrl,
  releaseEntriesFor,
  reportTimesSince,
  rolloutOptions,
  rolloutsWithStatus,
  targetCandidatesPage,
  type TargetCandidate,
  type RolloutRow,
} from "../db/rollouts.ts";
import {
  EXECUTOR_ACTOR,
  canDelete,
  createRollout,
  next,
  type MachineState,
  type RolloutEvent,
  type RolloutState,
  type StepContext,
  type Transition,
} from "../domain/rollout-machine.ts";
import {
  planBatches,
  resolveTargets,
  shuffle,
  type OnFailure,
  type Quantity,
  type RandomSource,
  type Strategy,
  type Target,
} from "../domain/rollout-planning.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import type { FleetState } from "./fleet-state.ts";
import { PAGE, readEntry, storedMachine, yieldToEventLoop, type Indexed } from "./rollout-loading.ts";

/** Machines a rollout's creation writes per transaction. */
export const CREATE_CHUNK = 2000;

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
  soakSeconds?: number;
  batchSoakSeconds?: readonly number[] | null;
  minDecided?: number | null;
  maxInFlight?: string | null;
  notBefore?: number | null;
  offlineAfterSeconds?: number | null;
  supersede?: boolean;
}

/** What creating a rollout planned. */
export interface PlannedRollout {
  rolloutId: string;
  batches: string[][];
}

/** A planned rollout not written yet: its row, its first transition and its machines as (id, batch, position). */
export interface RolloutPlan {
  rolloutId: string;
  now: number;
  row: RolloutRow;
  created: Transition;
  batches: string[][];
  machineIds: readonly string[];
  members: (readonly [string, number, number])[];
}

/** 404 unknown release, 400 a target that resolves to nothing valid; else the rollout planned. */
export async function planRollout(
  deps: { store: Store; now: () => number; nodeId: string },
  input: CreateRolloutInput,
  random: RandomSource,
): Promise<RolloutPlan> {
  const { db } = deps.store;
  if (!(await releaseExists(db, input.releaseId))) throw notFound(`release ${input.releaseId} not found`);
  const { candidates, inRelease } = await targetCandidates(db, input.target, input.releaseId);
  const tags = "tags" in input.target ? input.target.tags : [];
  const resolution = resolveTargets(
    input.target,
    candidates.map((m) => ({ ...m, tags })),
    inRelease,
  );
  if (!resolution.ok) throw badRequest(resolution.error);
  const batches = planBatches(shuffle(resolution.machineIds, random), input.batchSizes.parsed);
  const rolloutId = newRolloutId();
  const now = deps.now();
  const row = rolloutRow(rolloutId, input, batches.length, now, deps.nodeId);
  const created = createRollout(
    {
      id: rolloutId,
      options: rolloutOptions(row, batches.length),
      batchCount: batches.length,
      actor: input.actor,
      detail: {
        release_id: input.releaseId,
        strategy: input.strategy,
        total_machines: resolution.machineIds.length,
        batch_sizes: batches.map((b) => b.length),
      },
    },
    now,
  );
  const members = batches.flatMap((ids, batch) => ids.map((id, position) => [id, batch, position] as const));
  return { rolloutId, now, row, created, batches, machineIds: resolution.machineIds, members };
}

/**
 * The registered machines the target could mean and which of them (or of the named hosts) the
 * release has entries for, read PAGE at a time with the event loop free in between.
 */
async function targetCandidates(
  db: DbOrTx,
  target: Target,
  releaseId: string,
): Promise<{ candidates: TargetCandidate[]; inRelease: Set<string> }> {
  const candidates: TargetCandidate[] = [];
  for (let after: string | null = ""; after !== null;) {
    const page = await targetCandidatesPage(db, target, after, PAGE);
    candidates.push(...page.candidates);
    after = page.next;
    await yieldToEventLoop();
  }
  const named = "hosts" in target ? [...new Set(target.hosts)] : candidates.map((m) => m.machineId);
  const inRelease = new Set<string>();
  for (let offset = 0; offset < named.length; offset += PAGE) {
    for (const hostname of await releaseEntriesFor(db, releaseId, named.slice(offset, offset + PAGE))) {
      inRelease.add(hostname);
    }
    await yieldToEventLoop();
  }
  return { candidates, inRelease };
}

/** What a creation's chunk reads of the executor: the leader's index, its step context, its follow list. */
export interface MemberWriter {
  store: Store;
  now: () => number;
  /** The holder's indexed entry when this process leads, else undefined. */
  indexed(rolloutId: string): Indexed | undefined;
  context(entry: Indexed, now: number, recent: ReadonlyMap<string, number>): StepContext;
  /** A holder superseded on a state read in the transaction: the leader reads it again. */
  followAgain(rolloutId: string): void;
}

/** A holder's transition committed on the leader's own indexed state, to apply to that state. */
export interface Superseded {
  entry: Indexed;
  t: Transition;
  version: number;
}

/**
 * Writes machines of a new rollout. In the same transaction it checks that the rollout is still
 * being created and which of the machines another active rollout holds: with `supersede` those
 * leave it there (the holder's transition, on the leader's state of it when that is current,
 * else on one read in this transaction), without it the creation is refused (409).
 */
export async function insertMembers(
  deps: MemberWriter,
  rolloutId: string,
  chunk: readonly (readonly [string, number, number])[],
  input: CreateRolloutInput,
): Promise<Superseded[]> {
  const ids = chunk.map(([machineId]) => machineId);
  const superseded: Superseded[] = [];
  await deps.store.write(async (tx) => {
    await assertStillCreating(tx, rolloutId);
    const busy = (await machinesInActiveRollouts(tx, ids)).filter((b) => b.rolloutId !== rolloutId);
    if (!input.supersede) refuseBusy(busy);
    await insertRolloutMachines(tx, rolloutId, chunk);
    const byRollout = new Map<string, string[]>();
    for (const { machineId, rolloutId: holder } of busy)
      byRollout.set(holder, [...(byRollout.get(holder) ?? []), machineId]);
    const now = deps.now();
    for (const [holder, machineIds] of byRollout) {
      const indexed = deps.indexed(holder);
      const current = indexed !== undefined && (await rolloutVersion(tx, holder)) === indexed.version;
      const entry = current ? indexed : await readEntry(tx, holder);
      if (!entry) continue;
      const machines: MachineState[] = [];
      for (const machineId of machineIds) {
        const machine = entry.machines.get(machineId) ?? (await storedMachine(tx, holder, machineId));
        if (machine) machines.push(machine);
      }
      const recent = await reportTimesSince(tx, now);
      const event: RolloutEvent = { kind: "supersede", actor: input.actor, by: rolloutId, machines };
      const t = next(entry.state, event, deps.context(entry, now, recent));
      if ("refused" in t) continue;
      await persistTransition(tx, entry.state, t, now, entry.cacheUrl);
      if (current) superseded.push({ entry: indexed, t, version: await rolloutVersion(tx, holder) });
      else deps.followAgain(holder);
    }
  });
  return superseded;
}

/** What writing a planned rollout asks of the executor, besides what its chunks read. */
export interface RolloutWriter extends MemberWriter {
  /** Holders superseded on the leader's own states (see `insertMembers`): those states take their transitions. */
  superseded(list: readonly Superseded[]): Promise<void>;
  /** The rollout now runs (or is scheduled) at `version`: the leader indexes it; a failure here still removes it. */
  written(plan: RolloutPlan, version: number, cacheUrl: string | null): Promise<void>;
}

/**
 * Writes a planned rollout: its row, its machines CREATE_CHUNK per transaction with the event loop
 * free in between, then the transition that makes it running (or scheduled) and writes
 * `rollout.created`. `creating` holds it meanwhile; on a failure what was written is removed.
 */
export async function writeRollout(
  deps: RolloutWriter,
  plan: RolloutPlan,
  input: CreateRolloutInput,
  creating: Set<string>,
): Promise<void> {
  const { rolloutId, now, row, created, batches, members } = plan;
  creating.add(rolloutId);
  try {
    await deps.store.write((tx) => insertRolloutHeader(tx, row, batches.length));
    try {
      for (let offset = 0; offset < members.length; offset += CREATE_CHUNK) {
        await deps.superseded(
          await insertMembers(deps, rolloutId, members.slice(offset, offset + CREATE_CHUNK), input),
        );
        await yieldToEventLoop();
      }
      const before: RolloutState = { ...created.state, status: "created" };
      const cacheUrl = input.cacheUrl ?? (await releaseCacheUrl(deps.store.db, input.releaseId))?.cacheUrl ?? null;
      const version = await deps.store.write(async (tx) => {
        await assertStillCreating(tx, rolloutId);
        await persistTransition(tx, before, created, now, cacheUrl);
        return rolloutVersion(tx, rolloutId);
      });
      await deps.written(plan, version, cacheUrl);
    } catch (error) {
      // Nobody was told of it: what was written goes (machines it superseded stay superseded there).
      await deps.store.write((tx) => deleteRollout(tx, rolloutId)).catch(() => undefined);
      throw error;
    }
  } finally {
    creating.delete(rolloutId);
  }
}

/** Deletes a finished rollout with its batches, machines and events (404 unknown, 409 not finished). */
export async function removeRollout(
  deps: { store: Store; now: () => number },
  rolloutId: string,
  actor: string,
): Promise<void> {
  await deps.store.write(async (tx) => {
    const rollout = await findRollout(tx, rolloutId);
    if (!rollout) throw notFound(`rollout ${rolloutId} not found`);
    if (!canDelete(rollout.status) || rollout.revertPending) {
      throw conflict(`rollout ${rolloutId} is ${rollout.status}; cancel it before deleting`);
    }
    await deleteRollout(tx, rolloutId);
    await recordAudit(tx, deps.now(), {
      actor,
      action: "rollout.deleted",
      target: rolloutId,
      rolloutId,
      detail: { release_id: rollout.releaseId, status: rollout.status },
    });
  });
}

/**
 * Creations nobody will finish are discarded (no client was told of them): those `created` by a
 * process that is no longer listed in the cluster (it died mid-creation), and this process's own
 * from before a restart (a `--node-id` is reused). Under the lease: only the leader does this.
 * `creating` are the creations this process is writing now.
 */
export async function discardAbandonedCreations(
  deps: { store: Store; fencedWrite: Store["write"]; nodeId: string; now: () => number; fleet: FleetState },
  creating: ReadonlySet<string>,
): Promise<void> {
  const { db } = deps.store;
  const created = await rolloutsWithStatus(db, ["created"]);
  if (created.length === 0) return;
  const live = new Set((await liveNodes(db, await databaseNow(db))).map((node) => node.nodeId));
  let discarded = false;
  for (const row of created) {
    if (creating.has(row.id)) continue;
    const creator = row.createdOn;
    if (creator !== null && creator !== deps.nodeId && live.has(creator)) continue;
    await deps.fencedWrite(async (tx) => {
      if ((await findRollout(tx, row.id))?.status !== "created") return;
      await deleteRollout(tx, row.id);
      await recordAudit(tx, deps.now(), {
        actor: EXECUTOR_ACTOR,
        action: "rollout.discarded",
        target: row.id,
        rolloutId: row.id,
        detail: {
          release_id: row.releaseId,
          reason:
            creator === null || creator === deps.nodeId
              ? "its creation was interrupted by a restart"
              : `its creation was interrupted: process ${creator} stopped`,
        },
      });
      discarded = true;
    });
  }
  // The agents' view may have its machines as held (it was read while they were).
  if (discarded) await deps.fleet.refreshMembership(db);
}

/** Refuses a creation whose machines another active rollout holds (409 naming the first). */
function refuseBusy(busy: readonly { machineId: string; rolloutId: string }[]): void {
  if (busy.length === 0) return;
  const [first] = busy;
  const more = busy.length > 1 ? ` (and ${busy.length - 1} more)` : "";
  throw conflict(`machine ${first!.machineId} is already in active rollout ${first!.rolloutId}${more}`);
}

/** A creation's transaction goes on only while its rollout is still `created` (nobody discarded it). */
async function assertStillCreating(tx: DbOrTx, rolloutId: string): Promise<void> {
  if ((await findRollout(tx, rolloutId))?.status !== "created") {
    throw conflict(`the creation of rollout ${rolloutId} was interrupted; create it again`);
  }
}

/** The row of a new rollout (status `created` until its machines are written by process `nodeId`). */
function rolloutRow(
  id: string,
  input: CreateRolloutInput,
  batchCount: number,
  now: number,
  nodeId: string,
): RolloutRow {
  return {
    id,
    releaseId: input.releaseId,
    strategy: input.strategy,
    status: "created",
    onFailure: input.onFailure,
    failureThreshold: input.failureThreshold,
    healthTimeout: input.healthTimeoutSeconds,
    cacheUrl: input.cacheUrl,
    target: JSON.stringify(input.target),
    batchSizes: JSON.stringify(input.batchSizes.text),
    createdAt: now,
    updatedAt: now,
    createdBy: input.actor,
    soakSeconds: input.soakSeconds ?? 0,
    batchSoakSeconds: input.batchSoakSeconds ? JSON.stringify(input.batchSoakSeconds.slice(0, batchCount)) : null,
    minDecided: input.minDecided ?? null,
    maxInFlight: input.maxInFlight ?? null,
    notBefore: input.notBefore ?? null,
    offlineAfterSeconds: input.offlineAfterSeconds ?? null,
    supersede: input.supersede ?? false,
    pauseReason: null,
    revertPending: false,
    createdOn: nodeId,
  };
}
