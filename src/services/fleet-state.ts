import * as crypto from "node:crypto";
import type { DbOrTx } from "../db/database.ts";
import { allDesiredGenerations, machineSummaries } from "../db/machines.ts";
import { activeRolloutMembers, followedMachines, heldBy, type FollowedMachine } from "../db/views.ts";
import { LIFECYCLES, type Lifecycle } from "../domain/lifecycle.ts";

export interface DesiredGeneration {
  storePath: string;
  cacheUrl: string | null;
}

/** The body of an agent's `desired-generation` answer. */
export interface DesiredGenerationBody {
  hash: string;
  cache_url: string | null;
  poll_hint: number | null;
}

/** An agent's answer with its ETag (a digest of the body, so every process and restart agrees on it). */
export interface DesiredAnswer {
  body: DesiredGenerationBody;
  etag: string;
}

/**
 * The ETag of the 404 answer (nothing desired): an agent that sends it back in `If-None-Match`
 * is told 304 while still nothing is desired, and can long-poll for its first desired generation.
 */
export const NOTHING_DESIRED_ETAG = '"none"';

/** A desired generation with the ETags of its two possible answers, each computed once, on first use. */
interface DesiredEntry extends DesiredGeneration {
  etag?: string;
  etagInRollout?: string;
}

/** How often (seconds) an agent in an active rollout should poll. */
export const ROLLOUT_POLL_HINT_SECONDS = 5;

/** What the fleet metrics need of one machine. */
export interface MachineSummary {
  lifecycle: Lifecycle;
  /** When the last report was received (ms), null before any. */
  lastReportAt: number | null;
}

/**
 * The in-memory view that answers agent polls (and metric scrapes) without touching the
 * database. Writers update it only after their transaction has committed; at start it is
 * rebuilt from the database, so it never holds anything the database does not. Other processes'
 * writes reach it through `refreshMachines`, `refreshMembership` and `noteReport` (SPEC §18).
 */
export class FleetState {
  private readonly desired = new Map<string, DesiredEntry>();
  /** Machine → the active rollout holding it (its agent gets the rollout's poll hint). */
  private readonly holders = new Map<string, string>();
  private readonly machines = new Map<string, MachineSummary>();
  private readonly lifecycleCounts = emptyLifecycleCounts();
  /**
   * Per refresh reading the database now, the machines this process changed meanwhile. Several
   * may be out at once (the follower's re-read and the executor's read of the memberships), and
   * each must hear of every change.
   */
  private readonly readsInFlight = new Set<Set<string>>();

  /** `answerChanged` is told, synchronously, each machine whose agent answer (body or 404) changed. */
  constructor(private readonly answerChanged: (machineId: string) => void = () => {}) {}

  /** Rebuilds the view from the database (start-up). */
  async load(db: DbOrTx): Promise<void> {
    this.desired.clear();
    this.holders.clear();
    this.machines.clear();
    Object.assign(this.lifecycleCounts, emptyLifecycleCounts());
    for (const [machineId, lifecycle, lastReportAt] of await machineSummaries(db)) {
      this.recordMachine(machineId, lifecycle, lastReportAt);
    }
    for (const [machineId, storePath, cacheUrl] of await allDesiredGenerations(db)) {
      this.desired.set(machineId, { storePath, cacheUrl });
    }
    for (const [machineId, rolloutId] of await activeRolloutMembers(db)) this.holders.set(machineId, rolloutId);
  }

  /**
   * Reads machines from the database and takes what it finds (another process may have changed
   * them): each key of `candidates` with the rollouts that may hold it now (those its events named);
   * the rollout this view has it held by is asked too. A machine this process changed while the
   * read was in flight keeps what it has: its own write committed after the read began, so its view
   * is at least as new (and a newer write by another process has its own event, which asks for
   * another read).
   */
  async refreshMachines(db: DbOrTx, candidates: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const ids = [...candidates.keys()];
    const pairs: [string, string][] = [];
    for (const [machineId, rollouts] of candidates) {
      for (const rolloutId of rollouts) pairs.push([machineId, rolloutId]);
      const holder = this.holders.get(machineId);
      if (holder !== undefined && !rollouts.has(holder)) pairs.push([machineId, holder]);
    }
    const read = await this.readUnlessChanged(async () => ({
      machines: await followedMachines(db, ids),
      held: new Map(await heldBy(db, pairs)),
    }));
    for (const row of read.result.machines) {
      if (read.changed.has(row.machineId)) continue;
      this.applyFollowed(row);
      this.applyMembership(row.machineId, read.result.held.get(row.machineId) ?? null);
    }
  }

  /** Reads which rollouts hold which machines, all of them, and takes it (a creation was discarded). */
  async refreshMembership(db: DbOrTx): Promise<void> {
    const read = await this.readUnlessChanged(() => activeRolloutMembers(db));
    const members = new Map(read.result);
    for (const id of this.holders.keys()) {
      if (!members.has(id) && !read.changed.has(id)) this.applyMembership(id, null);
    }
    for (const [id, rolloutId] of members) if (!read.changed.has(id)) this.applyMembership(id, rolloutId);
  }

  /** The active rollout holding the machine, as this view has it. */
  holderOf(machineId: string): string | undefined {
    return this.holders.get(machineId);
  }

  /** A report another process stored: the machine was last seen at `at` (later than what is known, or ignored). */
  noteReport(machineId: string, at: number): void {
    const known = this.machines.get(machineId);
    if (known && (known.lastReportAt === null || known.lastReportAt < at)) known.lastReportAt = at;
  }

  private async readUnlessChanged<T>(read: () => Promise<T>): Promise<{ result: T; changed: ReadonlySet<string> }> {
    const changed = new Set<string>();
    this.readsInFlight.add(changed);
    try {
      return { result: await read(), changed };
    } finally {
      this.readsInFlight.delete(changed);
    }
  }

  private changedWhileReading(machineId: string): void {
    // Every report passes here: with no read out (nearly always) this costs a size check only.
    if (this.readsInFlight.size === 0) return;
    for (const changed of this.readsInFlight) changed.add(machineId);
  }

  private applyFollowed(row: FollowedMachine): void {
    if (row.lifecycle !== null) {
      const known = this.machines.get(row.machineId)?.lastReportAt ?? null;
      const lastReportAt =
        known !== null && (row.lastReportAt === null || known > row.lastReportAt) ? known : row.lastReportAt;
      this.updateMachine(row.machineId, row.lifecycle, lastReportAt);
    }
    this.applyDesired(row.machineId, row.desired);
  }

  /** The agent's `desired-generation` answer, or null when nothing is desired (404). */
  desiredGeneration(machineId: string): DesiredGenerationBody | null {
    return this.desiredAnswer(machineId)?.body ?? null;
  }

  /** The agent's answer and its ETag, or null when nothing is desired (404). */
  desiredAnswer(machineId: string): DesiredAnswer | null {
    const desired = this.desired.get(machineId);
    if (!desired) return null;
    const inRollout = this.holders.has(machineId);
    const body = {
      hash: desired.storePath,
      cache_url: desired.cacheUrl,
      poll_hint: inRollout ? ROLLOUT_POLL_HINT_SECONDS : null,
    };
    const etag = inRollout ? (desired.etagInRollout ??= etagOf(body)) : (desired.etag ??= etagOf(body));
    return { body, etag };
  }

  getDesired(machineId: string): DesiredGeneration | undefined {
    return this.desired.get(machineId);
  }

  /** Records a committed change of a machine's desired generation (null = cleared). */
  setDesired(machineId: string, desired: DesiredGeneration | null): void {
    this.changedWhileReading(machineId);
    this.applyDesired(machineId, desired);
  }

  private applyDesired(machineId: string, desired: DesiredGeneration | null): void {
    const known = this.desired.get(machineId);
    if (desired) {
      if (known && known.storePath === desired.storePath && known.cacheUrl === desired.cacheUrl) return;
      this.desired.set(machineId, { storePath: desired.storePath, cacheUrl: desired.cacheUrl });
    } else {
      if (!known) return;
      this.desired.delete(machineId);
    }
    this.answerChanged(machineId);
  }

  /** Records committed rollout membership changes: `rolloutId` now holds the machines (created), or null: none does (left, finished). */
  setInActiveRollout(machineIds: Iterable<string>, rolloutId: string | null): void {
    for (const id of machineIds) {
      this.changedWhileReading(id);
      this.applyMembership(id, rolloutId);
    }
  }

  /**
   * Records that the finished rollout `rolloutId` no longer holds the machines, leaving alone any
   * this view already sees held by another (a later rollout another process created): a finished
   * rollout's machines are released a page at a time, other work running in between.
   */
  releasedBy(machineIds: Iterable<string>, rolloutId: string): void {
    for (const id of machineIds) {
      if (this.holders.get(id) !== rolloutId) continue;
      this.changedWhileReading(id);
      this.applyMembership(id, null);
    }
  }

  private applyMembership(id: string, rolloutId: string | null): void {
    const before = this.holders.get(id);
    if ((before ?? null) === rolloutId) return;
    if (rolloutId === null) this.holders.delete(id);
    else this.holders.set(id, rolloutId);
    // The poll hint is part of the answer (only whether a rollout holds the machine, not which);
    // a machine with nothing desired still gets the same 404.
    if ((before === undefined) !== (rolloutId === null) && this.desired.has(id)) this.answerChanged(id);
  }

  isInActiveRollout(machineId: string): boolean {
    return this.holders.has(machineId);
  }

  /** Records a committed machine change (registration, lifecycle, report). `lastReportAt` undefined keeps the known one. */
  recordMachine(machineId: string, lifecycle: Lifecycle, lastReportAt?: number | null): void {
    this.changedWhileReading(machineId);
    this.updateMachine(machineId, lifecycle, lastReportAt);
  }

  private updateMachine(machineId: string, lifecycle: Lifecycle, lastReportAt?: number | null): void {
    const known = this.machines.get(machineId);
    this.lifecycleCounts[lifecycle] += 1;
    if (!known) {
      this.machines.set(machineId, { lifecycle, lastReportAt: lastReportAt ?? null });
      return;
    }
    // Updated in place: a new object per report would be garbage the collector has to chase
    // through an old generation holding the whole fleet.
    this.lifecycleCounts[known.lifecycle] -= 1;
    known.lifecycle = lifecycle;
    if (lastReportAt !== undefined) known.lastReportAt = lastReportAt;
  }

  /** The machine's lifecycle and last report time, or undefined when it is not registered. */
  machine(machineId: string): MachineSummary | undefined {
    return this.machines.get(machineId);
  }

  /** Number of registered machines, whatever their lifecycle. */
  get fleetSize(): number {
    return this.machines.size;
  }

  /** Registered machines per lifecycle state (every state present, zero included). */
  countByLifecycle(): Readonly<Record<Lifecycle, number>> {
    return this.lifecycleCounts;
  }

  /** Every registered machine with its summary. */
  summaries(): IterableIterator<[string, MachineSummary]> {
    return this.machines.entries();
  }
}

/** SHA-256 as base64url: the one-shot `crypto.hash` where the runtime has it (about twice as fast), else a Hash object. */
const sha256: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha256", text, "base64url")
    : (text) => crypto.createHash("sha256").update(text).digest("base64url");

/** A strong ETag over the exact JSON the agent receives (128 bits of its SHA-256). */
function etagOf(body: DesiredGenerationBody): string {
  return `"${sha256(JSON.stringify(body)).slice(0, 22)}"`;
}

function emptyLifecycleCounts(): Record<Lifecycle, number> {
  return Object.fromEntries(LIFECYCLES.map((l) => [l, 0])) as Record<Lifecycle, number>;
}
