// The bodies of the rollout reads, built from the database a bounded slice of machines at a time
// with turns of the event loop in between (SPEC §13, bulk work does not stall agents): v0.1's full
// body (every machine of every batch, 11 MB for 100 000 machines) streamed out as it is read, the
// brief body (`machines=none`) counted chunk by chunk. Each slice is read at its own moment, so a
// machine that changes state while a large body is read shows the state of its slice's moment.
import type { z } from "@hono/zod-openapi";
import type { DbOrTx } from "../../db/database.ts";
import {
  FIRST_MACHINE_KEY,
  rolloutMachinesChunk,
  rolloutTallyChunk,
  type BatchRow,
  type MachineKey,
  type RolloutEventRow,
  type RolloutMachineView,
  type RolloutRow,
} from "../../db/rollouts.ts";
import { MACHINE_STATES, type MachineStateName } from "../../domain/rollout-machine.ts";
import { STATE_ORDER } from "../../domain/rollout-progress.ts";
import { toTimestamp } from "../../domain/time.ts";
import { yieldToEventLoop } from "../../event-loop.ts";
import type { Logger } from "../../logger.ts";
import {
  REASONS_PER_STATE,
  type BatchBrief,
  type MachineHealth,
  type RolloutBrief,
  type RolloutEvent,
} from "./routes.ts";

/** Machines read per query of a full body: a few milliseconds, as a page of the machine listing. */
export const MACHINES_PER_PAGE = 1000;
/** Machines counted, or looked through for a state, per query (cheaper than reading them whole). */
export const MACHINES_PER_SCAN = 2500;
/** Text handed to the connection at once while a body streams. */
const FLUSH_CHARS = 64 * 1024;

/** A rollout as read before its machines: its row, its batches and (for one rollout) its events. */
export interface RolloutHead {
  row: RolloutRow;
  batches: readonly BatchRow[];
  events: readonly RolloutEventRow[] | null;
}

type BriefBody = Omit<z.infer<typeof RolloutBrief>, "events"> & { events?: z.infer<typeof RolloutEvent>[] };

/** The fields before `batches`, in the order v0.1's body has them. */
function leadingFields(r: RolloutRow) {
  return {
    id: r.id,
    status: r.status,
    strategy: r.strategy,
    release_id: r.releaseId,
    on_failure: r.onFailure,
    failure_threshold: r.failureThreshold,
    health_timeout: r.healthTimeout,
  };
}

/** The fields after `batches` up to `blocked_by`, in order. */
function trailingFields(r: RolloutRow) {
  return {
    created_at: toTimestamp(r.createdAt),
    updated_at: toTimestamp(r.updatedAt),
    created_by: r.createdBy,
    cache_url: r.cacheUrl,
    soak_seconds: r.soakSeconds,
    batch_soak_seconds: r.batchSoakSeconds === null ? null : (JSON.parse(r.batchSoakSeconds) as number[]),
    min_decided: r.minDecided,
    max_in_flight: r.maxInFlight,
    not_before: toTimestamp(r.notBefore),
    offline_after_seconds: r.offlineAfterSeconds,
    supersede: r.supersede,
    pause_reason: r.pauseReason,
  };
}

function toEvent(e: RolloutEventRow): z.infer<typeof RolloutEvent> {
  return {
    id: e.id,
    rollout_id: e.rolloutId,
    event_type: e.eventType,
    detail: e.detail,
    actor: e.actor,
    created_at: toTimestamp(e.createdAt),
  };
}

/** The gates holding a rollout now: its own status's, and the reasons its waiting machines give. */
function blockedBy(row: RolloutRow, waitingReasons: Iterable<string>): string[] {
  const gates = new Set<string>();
  if (row.status === "scheduled") gates.add("not_before");
  if (row.status === "paused") gates.add("paused");
  if (row.status === "scheduled" || row.status === "running" || row.status === "paused") {
    for (const reason of waitingReasons) gates.add(reason);
  }
  return [...gates].sort();
}

/** v0.1's view of a machine: skipped and superseded machines left the batch, so they show what they were not decided as. */
function machineHealth(m: Pick<RolloutMachineView, "state" | "reason">): z.infer<typeof MachineHealth> {
  if (m.state === "unhealthy") return { unhealthy: m.reason ?? "unhealthy" };
  return m.state === "healthy" ? "healthy" : "pending";
}

/**
 * The number a machine id stands for when it is an array index ("0" to "4294967294" without
 * leading zeros), else null. A JavaScript object lists such keys first, in numeric order: the
 * per-machine maps keep that order, so the streamed body is the one `JSON.stringify` gave.
 */
function arrayIndexOf(id: string): number | null {
  if (!/^(?:0|[1-9]\d{0,9})$/.test(id)) return null;
  const n = Number(id);
  return n <= 4294967294 ? n : null;
}

/**
 * `pieces` separated by commas, skipping empty ones, with a turn of the event loop before each:
 * an in-process reader (or a fast socket) pulls the next piece at once, so sending a batch's maps
 * (9 MB for 100 000 machines) would otherwise be one turn.
 */
async function* commaSeparated(pieces: readonly string[]): AsyncGenerator<string> {
  let first = true;
  for (const piece of pieces) {
    if (piece === "") continue;
    await yieldToEventLoop();
    yield first ? piece : `,${piece}`;
    first = false;
  }
}

/**
 * One batch of v0.1's body: `machine_ids` streamed a page at a time; its two maps follow once the
 * batch is read (their members kept as text meanwhile, a fraction of the objects they replace).
 */
async function* fullBatch(
  db: DbOrTx,
  row: RolloutRow,
  batch: BatchRow,
  waitingReasons: Set<string>,
): AsyncGenerator<string> {
  yield `{"batch_index":${batch.batchIndex},"machine_ids":[`;
  const health: string[] = [];
  const states: string[] = [];
  const indexed: { index: number; health: string; state: string }[] = [];
  let after: MachineKey = [batch.batchIndex, -1];
  let first = true;
  for (;;) {
    await yieldToEventLoop();
    const page = await rolloutMachinesChunk(db, row, { batch: batch.batchIndex, after, scan: MACHINES_PER_PAGE });
    const ids: string[] = [];
    const pageHealth: string[] = [];
    const pageStates: string[] = [];
    for (const m of page.machines) {
      const id = JSON.stringify(m.machineId);
      ids.push(id);
      const healthMember = `${id}:${JSON.stringify(machineHealth(m))}`;
      const stateMember = `${id}:${JSON.stringify({ state: m.state, reason: m.reason, deploy_started_at: toTimestamp(m.deployStartedAt) })}`;
      const index = arrayIndexOf(m.machineId);
      if (index === null) {
        pageHealth.push(healthMember);
        pageStates.push(stateMember);
      } else indexed.push({ index, health: healthMember, state: stateMember });
      if (m.state === "waiting" && m.reason !== null) waitingReasons.add(m.reason);
    }
    if (ids.length > 0) {
      yield `${first ? "" : ","}${ids.join(",")}`;
      first = false;
    }
    health.push(pageHealth.join(","));
    states.push(pageStates.join(","));
    if (page.last === null) break;
    after = page.last;
  }
  indexed.sort((a, b) => a.index - b.index);
  yield `],"status":${JSON.stringify(batch.status)},"machine_health":{`;
  yield* commaSeparated([...indexed.map((m) => m.health), ...health]);
  yield `},"machine_states":{`;
  yield* commaSeparated([...indexed.map((m) => m.state), ...states]);
  const times = JSON.stringify({
    started_at: toTimestamp(batch.startedAt),
    completed_at: toTimestamp(batch.completedAt),
    soak_until: toTimestamp(batch.soakUntil),
  });
  yield `},${times.slice(1)}`;
}

/**
 * v0.1's body of one rollout (`Rollout` with its events, `RolloutSummary` without), as text pieces,
 * byte for byte what `JSON.stringify` of the whole object gives.
 */
export async function* fullRollout(db: DbOrTx, head: RolloutHead): AsyncGenerator<string> {
  const { row, batches, events } = head;
  const waitingReasons = new Set<string>();
  yield `${JSON.stringify(leadingFields(row)).slice(0, -1)},"batches":[`;
  for (const [n, batch] of batches.entries()) {
    if (n > 0) yield ",";
    yield* fullBatch(db, row, batch, waitingReasons);
  }
  const rest = JSON.stringify({
    ...trailingFields(row),
    blocked_by: blockedBy(row, waitingReasons),
    ...(events === null ? {} : { events: events.map(toEvent) }),
  });
  yield `],${rest.slice(1)}`;
}

interface BatchTally {
  machines: number;
  states: Record<MachineStateName, number>;
  /** Per state, machines per reason. */
  reasons: Map<MachineStateName, Map<string, number>>;
  changed: number;
}

function emptyTally(): BatchTally {
  return {
    machines: 0,
    states: Object.fromEntries(MACHINE_STATES.map((state) => [state, 0])) as Record<MachineStateName, number>,
    reasons: new Map(),
    changed: 0,
  };
}

/** Per state in `STATE_ORDER`, the reasons most given first (then by reason), at most REASONS_PER_STATE each. */
function topReasons(reasons: Map<MachineStateName, Map<string, number>>): z.infer<typeof BatchBrief>["reasons"] {
  return STATE_ORDER.flatMap((state) =>
    [...(reasons.get(state) ?? [])]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, REASONS_PER_STATE)
      .map(([reason, machines]) => ({ state, reason, machines })),
  );
}

/**
 * The brief body of one rollout (`machines=none`): each batch's machines counted by state and
 * reason, a bounded chunk per query, with its events when the head has them.
 */
export async function briefRollout(db: DbOrTx, head: RolloutHead): Promise<BriefBody> {
  const { row, batches, events } = head;
  const tallies = new Map(batches.map((b) => [b.batchIndex, emptyTally()]));
  const waitingReasons = new Set<string>();
  let after = FIRST_MACHINE_KEY;
  for (;;) {
    await yieldToEventLoop();
    const chunk = await rolloutTallyChunk(db, row.id, after, MACHINES_PER_SCAN);
    for (const t of chunk.tallies) {
      const tally = tallies.get(t.batchIndex);
      if (!tally) continue;
      tally.machines += t.machines;
      tally.states[t.state] += t.machines;
      tally.changed += t.changed;
      if (t.reason !== null) {
        const byReason = tally.reasons.get(t.state) ?? new Map<string, number>();
        byReason.set(t.reason, (byReason.get(t.reason) ?? 0) + t.machines);
        tally.reasons.set(t.state, byReason);
        if (t.state === "waiting") waitingReasons.add(t.reason);
      }
    }
    if (chunk.last === null) break;
    after = chunk.last;
  }
  return {
    ...leadingFields(row),
    batches: batches.map((b) => {
      const tally = tallies.get(b.batchIndex)!;
      return {
        batch_index: b.batchIndex,
        status: b.status,
        machine_count: tally.machines,
        state_counts: tally.states,
        reasons: topReasons(tally.reasons),
        changed_count: tally.changed,
        started_at: toTimestamp(b.startedAt),
        completed_at: toTimestamp(b.completedAt),
        soak_until: toTimestamp(b.soakUntil),
      };
    }),
    ...trailingFields(row),
    blocked_by: blockedBy(row, waitingReasons),
    ...(events === null ? {} : { events: events.map(toEvent) }),
  };
}

/**
 * A 200 JSON response whose body is `pieces` as they come; the work between them gives the event
 * loop its turns. A failure after the first bytes can only cut the body short: it is logged.
 */
export function streamedJson(pieces: AsyncGenerator<string>, logger: Logger, what: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        let text = "";
        while (text.length < FLUSH_CHARS) {
          const next = await pieces.next();
          if (next.done) {
            if (text !== "") controller.enqueue(encoder.encode(text));
            controller.close();
            return;
          }
          text += next.value;
        }
        controller.enqueue(encoder.encode(text));
      } catch (error) {
        logger.error(`${what} failed while streaming`, { error: String(error) });
        controller.error(error);
      }
    },
    cancel() {
      void pieces.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
