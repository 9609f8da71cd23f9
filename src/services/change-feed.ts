import { eventsAfter, latestAuditId, type AuditRow } from "../db/audit.ts";
import type { DbOrTx } from "../db/database.ts";
import { matchesEvent, type EventFilter } from "../domain/event-filter.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import type { Logger } from "../logger.ts";

/**
 * How often the feed looks for events without being told of a commit: those another process
 * on the same database wrote (SPEC §18), so that what one process writes is served by the others
 * well within the SPEC's 1 s (one small indexed read per tick). A local commit is read at once.
 */
export const FEED_POLL_INTERVAL_MS = 250;

/**
 * The feed reads at most this often. Under load commits come every few milliseconds (report
 * batches); reading once per commit would write to every event stream as often, so events are
 * gathered for up to this long and sent together: fewer, larger writes, at a small delay.
 */
export const FEED_MIN_READ_INTERVAL_MS = 25;

/** Events read per query, by the feed and by a follower catching up. */
export const FEED_PAGE_SIZE = 500;

/** What a follower does when it falls more than `maxQueued` events behind. */
export type OverflowPolicy =
  /** Ends the follow (an event stream: its client reconnects with `Last-Event-ID`). */
  | "drop"
  /** Forgets what is queued and reads it again from the database when it is ready (a background consumer). */
  | "rewind";

export interface FollowOptions {
  /** Deliver the events after this id. */
  after: number;
  filter?: EventFilter;
  maxQueued: number;
  onOverflow: OverflowPolicy;
}

/** What `FeedFollower.next` yields: matching events in id order, or a heartbeat that is due. */
export type FollowerItem = readonly AuditRow[] | "heartbeat";

/**
 * The audit log followed as a change feed. One tail per process reads `audit_events` after the
 * last id it has seen when told that a local transaction committed (after the commit, off the
 * request path) and every `FEED_POLL_INTERVAL_MS`, and hands each page to its followers; a
 * follower filters it in memory. A follower that starts behind (a reconnect with
 * `Last-Event-ID`) reads its own way up from the database first, so a reconnect is a query,
 * not a buffer, and no event is sent twice or skipped (ids are given in commit order: SQLite
 * has one writer at a time).
 */
export class ChangeFeed {
  private lastId = 0;
  private readonly followers = new Set<FeedFollower>();
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private scheduled = false;
  private lastReadAt = -Infinity;
  private timer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    private readonly db: DbOrTx,
    private readonly logger: Logger,
    private readonly pollIntervalMs = FEED_POLL_INTERVAL_MS,
  ) {}

  /** The newest event id the feed has handed out. */
  get position(): number {
    return this.lastId;
  }

  /** Starts at the newest event in the database (start-up). */
  async load(): Promise<void> {
    this.lastId = await latestAuditId(this.db);
  }

  /** Starts the timer that picks up other processes' events. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.committed(), this.pollIntervalMs);
  }

  /** Stops reading and ends every follower. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const follower of this.followers) follower.end();
    await this.reading;
  }

  /**
   * A transaction has committed (maybe with audit rows): read them soon. Costs the committer a
   * flag check; the read runs on a later turn of the event loop, and bursts share one read.
   */
  committed(): void {
    if (this.stopped || this.scheduled) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.scheduled = true;
    const wait = this.lastReadAt + FEED_MIN_READ_INTERVAL_MS - performance.now();
    const read = () => {
      this.scheduled = false;
      this.lastReadAt = performance.now();
      this.reading = this.readNew().finally(() => {
        this.reading = null;
        // A commit told while the last page was being handed out.
        if (this.readAgain) this.committed();
      });
    };
    if (wait > 0) setTimeout(read, wait);
    else setImmediate(read);
  }

  /**
   * Reads what is new now, another process's events included, without waiting for the timer;
   * resolves once it has been handed to the followers.
   */
  async poll(): Promise<void> {
    while (this.reading) await this.reading;
    if (this.stopped) return;
    this.reading = this.readNew().finally(() => {
      this.reading = null;
      if (this.readAgain) this.committed();
    });
    await this.reading;
  }

  /** Follows the feed from `options.after`; end it with `FeedFollower.close`. */
  follow(options: FollowOptions): FeedFollower {
    const follower = new FeedFollower(this, this.db, options);
    this.followers.add(follower);
    return follower;
  }

  /** Number of followers now. */
  get followerCount(): number {
    return this.followers.size;
  }

  /** Called by a follower that has ended. */
  forget(follower: FeedFollower): void {
    this.followers.delete(follower);
  }

  private async readNew(): Promise<void> {
    try {
      do {
        this.readAgain = false;
        for (let page = 0; ; page++) {
          // A page per turn of the event loop: another process's bulk work (a rollout over the
          // fleet) can add 100 000 events at once, which read in one go held polls up ~700 ms.
          if (page > 0) await yieldToEventLoop();
          const events = await eventsAfter(this.db, this.lastId, FEED_PAGE_SIZE);
          if (events.length === 0 || this.stopped) break;
          this.lastId = events[events.length - 1]!.id;
          for (const follower of this.followers) follower.offer(events);
          if (events.length < FEED_PAGE_SIZE) break;
        }
      } while (this.readAgain && !this.stopped);
    } catch (error) {
      // The next commit or tick reads again from the same id: nothing is lost.
      this.logger.warn("change feed read failed", { after_id: this.lastId, error: String(error) });
    }
  }
}

/**
 * One consumer of the feed: yields every event after its starting id that passes its filter,
 * once, in id order. Catching up it reads the database a page at a time, only as fast as it is
 * consumed; caught up, it takes the feed's pages and queues what passes, at most `maxQueued`.
 */
export class FeedFollower {
  /** Every event up to this id has been looked at (queued if it passed the filter). */
  private cursor: number;
  /** Every passing event up to this id has been handed out by `next`. */
  private handedOutTo: number;
  private queue: AuditRow[] = [];
  private caughtUp = false;
  private closed = false;
  private heartbeatDue = false;
  private pagesRead = 0;
  private wake: (() => void) | null = null;
  /** Called when the follow ends from the server's side (overflow under "drop", or shutdown). */
  onEnd: () => void = () => {};

  constructor(
    private readonly feed: ChangeFeed,
    private readonly db: DbOrTx,
    private readonly options: FollowOptions,
  ) {
    this.cursor = options.after;
    this.handedOutTo = options.after;
  }

  /** The next events, or a heartbeat when one is due and nothing else is; null once ended. */
  async next(): Promise<FollowerItem | null> {
    for (;;) {
      if (this.closed) return null;
      if (this.queue.length > 0) {
        const events = this.queue;
        this.queue = [];
        this.handedOutTo = this.cursor;
        return events;
      }
      if (!this.caughtUp) {
        await this.readPage();
        continue;
      }
      if (this.heartbeatDue) {
        this.heartbeatDue = false;
        return "heartbeat";
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Asks `next` for a heartbeat when it has nothing else to give. */
  heartbeat(): void {
    this.heartbeatDue = true;
    this.wake?.();
  }

  /** Ends the follow from the consumer's side (its client went away). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.feed.forget(this);
    this.wake?.();
  }

  /** Ends the follow from the server's side: `onEnd` tells the consumer. */
  end(): void {
    if (this.closed) return;
    this.close();
    this.onEnd();
  }

  /** A page of new events from the feed, in id order. */
  offer(events: readonly AuditRow[]): void {
    if (!this.caughtUp || this.closed) return;
    const filter = this.options.filter ?? {};
    for (const event of events) {
      if (event.id <= this.cursor) continue;
      this.cursor = event.id;
      if (matchesEvent(filter, event)) this.queue.push(event);
    }
    if (this.queue.length > this.options.maxQueued) {
      if (this.options.onOverflow === "drop") return this.end();
      this.queue = [];
      this.cursor = this.handedOutTo;
      this.caughtUp = false;
    }
    if (this.queue.length > 0) this.wake?.();
  }

  /** Reads the next page of passing events from the database; caught up once nothing is left. */
  private async readPage(): Promise<void> {
    // A page per turn of the event loop after the first: a follower far behind (a stream resuming
    // from an old Last-Event-ID, the webhook dispatcher after a restart) catches up without
    // holding agents' polls up.
    if (this.pagesRead++ > 0) await yieldToEventLoop();
    if (this.closed) return;
    const feedPosition = this.feed.position;
    const events = await eventsAfter(this.db, this.cursor, FEED_PAGE_SIZE, this.options.filter);
    if (this.closed) return;
    if (events.length > 0) {
      this.queue = events;
      this.cursor = events[events.length - 1]!.id;
    }
    if (events.length < FEED_PAGE_SIZE) {
      // The read saw every event the feed had handed out before it: none after the last one
      // returned passes the filter, so the feed's later pages continue exactly from there.
      this.cursor = Math.max(this.cursor, feedPosition);
      if (this.cursor >= this.feed.position) this.caughtUp = true;
    }
  }
}
