import type { Store } from "../db/database.ts";
import { memberIdsPage, REVERT_CHUNK, revertChunk, type RevertedChunk } from "../db/rollouts.ts";
import { EXECUTOR_ACTOR, type Transition } from "../domain/rollout-machine.ts";
import type { FleetState } from "./fleet-state.ts";
import type { GateState } from "./gate-state.ts";
import type { RolloutIndex } from "./rollout-index.ts";
import { yieldToEventLoop, type Indexed } from "./rollout-loading.ts";

/** Machines a finished rollout releases (indexes, gates' counts, agents' view) per turn of the event loop. */
export const RELEASE_CHUNK = 2000;

/** What a committed transition changes in this process: the leader's index, the gates' counts, the agents' view. */
export interface Effects {
  store: Store;
  fleet: FleetState;
  gates: GateState;
  index: RolloutIndex;
  /** Machines newly held back, by gate reason (`nixfleet_gate_blocks_total`). */
  gateBlocks: Map<string, number>;
}

/**
 * After a transition committed: the index, the agents' view, the budgets' counts, the rollouts it
 * frees. `revertRest` gives the rest of a revert's machines back from where its first chunk ended.
 */
export async function applyTransition(
  deps: Effects,
  entry: Indexed,
  t: Transition,
  reverted: RevertedChunk | null,
  revertRest: (after: readonly [number, number]) => Promise<void>,
): Promise<void> {
  const { gates, fleet, index } = deps;
  const loaded = t.state.loaded;
  let freed = false;
  for (const { before, after } of t.changes) {
    if (loaded && after.batch === loaded.index) entry.machines.set(after.id, after);
    else if (entry.next?.index === after.batch) entry.next = null;
    if (before.state === "deploying" && after.state !== "deploying") {
      gates.stopped(after.id);
      freed = true;
    }
    if (after.state === "deploying" && before.state !== "deploying") {
      gates.started(after.id, entry.tags.get(after.id) ?? []);
    }
  }
  entry.state = loaded ? { ...t.state, loaded: { ...loaded, machines: entry.machines } } : t.state;
  entry.wakeAt = t.wakeAt;
  entry.blockedBy = t.blockedBy;
  for (const d of t.desire) fleet.setDesired(d.machineId, { storePath: d.storePath, cacheUrl: entry.cacheUrl });
  if (t.released.length > 0) fleet.setInActiveRollout(t.released, null);
  countBlocks(deps.gateBlocks, t);
  if (freed && gates.hasBudgets) {
    for (const [id, other] of index.rollouts) {
      if (other !== entry && other.blockedBy.some((g) => g.startsWith("budget:"))) index.toStep.add(id);
    }
  }
  if (t.releaseAll) await releaseFinished(deps, entry);
  if (reverted) {
    restored(fleet, reverted);
    if (!reverted.done) await revertRest(reverted.after);
  }
}

/** Adds a transition's newly held-back machines to the counts by gate reason. */
export function countBlocks(gateBlocks: Map<string, number>, t: Transition): void {
  for (const [gate, n] of t.gateBlocks) gateBlocks.set(gate, (gateBlocks.get(gate) ?? 0) + n);
}

/**
 * The rollout finished: it no longer holds its machines. Released RELEASE_CHUNK machines per turn
 * of the event loop: all 99 500 of a fleet-wide rollout at once held it for ~120 ms.
 */
async function releaseFinished(deps: Effects, entry: Indexed): Promise<void> {
  const { rollouts, machineRollout } = deps.index;
  const id = entry.state.id;
  if (rollouts.get(id) === entry) rollouts.delete(id);
  const loaded = [...entry.machines.keys()];
  for (let i = 0; i < loaded.length; i += RELEASE_CHUNK) {
    if (i > 0) await yieldToEventLoop();
    for (const machineId of loaded.slice(i, i + RELEASE_CHUNK)) {
      if (machineRollout.get(machineId) === id) machineRollout.delete(machineId);
      deps.gates.stopped(machineId);
    }
  }
  for (let after = ""; ;) {
    const page = await memberIdsPage(deps.store.db, id, after, RELEASE_CHUNK);
    deps.fleet.releasedBy(page, id);
    if (page.length < RELEASE_CHUNK) return;
    after = page.at(-1)!;
    await yieldToEventLoop();
  }
}

/**
 * Gives every machine the rollout changed its previous generation back, REVERT_CHUNK machines per
 * transaction through `write`: the rest of a verb's revert in plain transactions, the leader's in
 * fenced ones. Two processes reverting one rollout at once (the leader finishing a revert it thinks
 * abandoned) give each machine its generation back once: a chunk reverts only machines not reverted
 * yet. `reverting` holds the rollout meanwhile.
 */
export async function revertAll(
  deps: { write: Store["write"]; now: () => number; fleet: FleetState },
  rolloutId: string,
  from: readonly [number, number],
  reverting: Set<string>,
): Promise<void> {
  reverting.add(rolloutId);
  try {
    for (let after = from; ;) {
      await yieldToEventLoop();
      const chunk = await deps.write((tx) =>
        revertChunk(tx, rolloutId, REVERT_CHUNK, deps.now(), EXECUTOR_ACTOR, after),
      );
      restored(deps.fleet, chunk);
      if (chunk.done) return;
      after = chunk.after;
    }
  } finally {
    reverting.delete(rolloutId);
  }
}

/** The agents' view of the machines a revert chunk gave their previous generation back. */
function restored(fleet: FleetState, chunk: RevertedChunk): void {
  for (const r of chunk.reverted) {
    const desired = r.storePath === null ? null : { storePath: r.storePath, cacheUrl: r.cacheUrl };
    fleet.setDesired(r.machineId, desired);
  }
}
