import type { AuditRow } from "../db/audit.ts";
import type { DbOrTx } from "../db/database.ts";
import { latestReportId, reportTimesInRanges, rolloutMachineIdsPage } from "../db/views.ts";
import { foreignRanges, viewChanges, type IdRange, type ViewChanges } from "../domain/view-events.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import type { Logger } from "../logger.ts";
import { FEED_POLL_INTERVAL_MS, type ChangeFeed, type FeedFollower } from "./change-feed.ts";
import type { FleetState } from "./fleet-state.ts";

/** How often the reports table is tailed for reports other processes stored. */
export const REPORT_TAIL_INTERVAL_MS = FEED_POLL_INTERVAL_MS;
/** Machines read back per statement. */
const MACHINES_PER_READ = 500;
/**
 * Machine ids of a rollout that began or ended read per statement (with the event loop free
 * between): a 99 500-machine rollout's in one read, and its map, held it for ~50 ms.
 */
export const MEMBERS_PER_READ = 2000;
/** Report ids looked at per statement of the tail; a longer way is walked in steps, the event loop free between. */
const REPORT_IDS_PER_READ = 20_000;
/** Events the follower may fall behind the feed before it reads them from the database instead. */
const MAX_QUEUED_EVENTS = 5000;
const RESTART_DELAY_MS = 1000;

/** What the rollout executor hears from the follower. */
export interface FollowingExecutor {
  /** A page of events changed what `changes` says (any process's writes, this one's included). */
  followed(changes: ViewChanges): void;
  /** A report of this machine was stored (by another process). */
  machineReported(machineId: string): void;
}

export interface ViewFollowerDeps {
  db: DbOrTx;
  feed: ChangeFeed;
  fleet: FleetState;
  executor: FollowingExecutor;
  logger: Logger;
}

/**
 * Keeps this process's in-memory views following the database (SPEC §18), so what another process
 * writes is served here too. It follows the change feed (the audit log) and re-reads what each
 * page of events targets: the machines (desired generation, lifecycle, rollout membership), those
 * of a rollout that began or ended among them; the rollout executor hears of
 * the rollouts and gates the page touched. Unchanged heartbeats write no audit row, so the reports
 * table is tailed by id as well, one range read per tick for what other processes stored (this
 * process's own reports are known by their ids): the machines' last-seen times, and the leader's
 * executor judging a report at once wherever it arrived. Re-reading is idempotent: the page of a
 * process's own writes, or a page read twice, changes nothing.
 */
export class ViewFollower {
  private follower: FeedFollower | null = null;
  private following: Promise<void> | null = null;
  private appliedTo = 0;
  private waiters: (() => void)[] = [];
  private reportCursor = 0;
  /** Id ranges of the reports this process stored after `reportCursor`, in order. */
  private localReports: IdRange[] = [];
  /** Id ranges of the audit events this process wrote after `appliedTo`, in order. */
  private localEvents: IdRange[] = [];
  private tailing: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(private readonly deps: ViewFollowerDeps) {}

  /**
   * Starts following the feed from its position and the reports from the newest: call after
   * `feed.load()` and before the views are loaded, so nothing written in between is missed (what
   * the load already saw is read again, harmlessly).
   */
  async begin(): Promise<void> {
    this.reportCursor = await latestReportId(this.deps.db);
    this.appliedTo = this.deps.feed.position;
    this.following = this.run();
  }

  /** Starts tailing the reports every `REPORT_TAIL_INTERVAL_MS`. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      this.tail().catch((error: unknown) =>
        this.deps.logger.warn("report tail failed", { after_id: this.reportCursor, error: String(error) }),
      );
    }, REPORT_TAIL_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.follower?.close();
    await this.following;
    await this.tailing?.catch(() => undefined);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** This process stored the reports with ids `first..last` (it applied them to its views itself). */
  localReportsStored(first: number, last: number): void {
    if (last > this.reportCursor) this.localReports.push([first, last]);
  }

  /**
   * A transaction of this process committed the audit events `first..last`: its writer updated
   * the views itself, so the machines they target need not be read again (an optimization only:
   * reading them again would change nothing).
   */
  localEventsStored(first: number, last: number): void {
    if (last > this.appliedTo) this.localEvents.push([first, last]);
  }

  /**
   * Reads the feed and the reports now and resolves once every event and report the database held
   * when it was called has been applied (tests, benchmarks).
   */
  async sync(): Promise<void> {
    await this.deps.feed.poll();
    const target = this.deps.feed.position;
    while (this.appliedTo < target && !this.stopped) await new Promise<void>((resolve) => this.waiters.push(resolve));
    while (this.tailing) await this.tailing.catch(() => undefined);
    await this.tail();
  }

  /** Applies the reports stored since the last tail by other processes (one pass at a time). */
  tail(): Promise<void> {
    this.tailing ??= this.tailOnce().finally(() => (this.tailing = null));
    return this.tailing;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const follower = this.deps.feed.follow({
        after: this.appliedTo,
        maxQueued: MAX_QUEUED_EVENTS,
        onOverflow: "rewind",
      });
      this.follower = follower;
      try {
        for (let item = await follower.next(); item !== null; item = await follower.next()) {
          if (item === "heartbeat" || item.length === 0) continue;
          await this.apply(item);
          await yieldToEventLoop();
        }
        return;
      } catch (error) {
        this.deps.logger.warn("view follower fell behind; reading again from its last event", {
          after_id: this.appliedTo,
          error: String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      } finally {
        follower.close();
      }
    }
  }

  /**
   * Reads again what a page of events targets (those another process wrote), a chunk of machines
   * per turn of the event loop; the rollout executor hears of every event of the page.
   */
  private async apply(events: readonly AuditRow[]): Promise<void> {
    const last = events[events.length - 1]!.id;
    const foreign = events.filter((event) => !this.isLocal(event.id));
    this.localEvents = this.localEvents.filter(([, to]) => to > last);
    const changes = viewChanges(foreign);
    const machines = new Map(changes.machines);
    for (const rolloutId of changes.memberships) {
      for (let after = ""; ;) {
        const page = await rolloutMachineIdsPage(this.deps.db, rolloutId, after, MEMBERS_PER_READ);
        for (const machineId of page) machines.set(machineId, new Set([...(machines.get(machineId) ?? []), rolloutId]));
        if (page.length < MEMBERS_PER_READ) break;
        after = page.at(-1)!;
        await yieldToEventLoop();
      }
    }
    const entries = [...machines];
    for (let i = 0; i < entries.length; i += MACHINES_PER_READ) {
      await this.deps.fleet.refreshMachines(this.deps.db, new Map(entries.slice(i, i + MACHINES_PER_READ)));
      await yieldToEventLoop();
    }
    if (changes.allMemberships) await this.deps.fleet.refreshMembership(this.deps.db);
    this.deps.executor.followed(foreign.length === events.length ? changes : viewChanges(events));
    this.appliedTo = last;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private isLocal(id: number): boolean {
    return this.localEvents.some(([from, to]) => id >= from && id <= to);
  }

  private async tailOnce(): Promise<void> {
    const latest = await latestReportId(this.deps.db);
    while (this.reportCursor < latest && !this.stopped) {
      const upTo = Math.min(latest, this.reportCursor + REPORT_IDS_PER_READ);
      const ranges = foreignRanges(this.reportCursor, upTo, this.localReports);
      for (const [machineId, at] of await reportTimesInRanges(this.deps.db, ranges)) {
        this.deps.fleet.noteReport(machineId, at);
        this.deps.executor.machineReported(machineId);
      }
      this.reportCursor = upTo;
      this.localReports = this.localReports.filter(([, to]) => to > upTo);
      if (upTo < latest) await yieldToEventLoop();
    }
  }
}
