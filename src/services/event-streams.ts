import type { EventFilter } from "../domain/event-filter.ts";
import type { ChangeFeed, FeedFollower } from "./change-feed.ts";

/** Seconds between heartbeat comments on an idle event stream. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

/**
 * Events a stream may have queued for a reader that does not keep up; past that the stream is
 * dropped (its client resumes with `Last-Event-ID`), so a stalled reader holds bounded memory.
 */
export const MAX_QUEUED_STREAM_EVENTS = 1000;

/**
 * The open event streams (`/events/stream`, `/rollouts/{id}/stream`): each a follower of the
 * change feed. One timer beats the heart of all of them, and only while any is open.
 */
export class EventStreams {
  private readonly open = new Set<FeedFollower>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly options = { heartbeatMs: HEARTBEAT_INTERVAL_MS, maxQueued: MAX_QUEUED_STREAM_EVENTS },
  ) {}

  /** Number of open streams. */
  get size(): number {
    return this.open.size;
  }

  /** Opens a stream of the events after `after` that pass `filter`; `release` it when it ends. */
  subscribe(filter: EventFilter, after: number): FeedFollower {
    const follower = this.feed.follow({
      after,
      filter,
      maxQueued: this.options.maxQueued,
      onOverflow: "drop",
    });
    this.open.add(follower);
    this.timer ??= setInterval(() => {
      for (const stream of this.open) stream.heartbeat();
    }, this.options.heartbeatMs);
    return follower;
  }

  /** Forgets an ended stream. */
  release(follower: FeedFollower): void {
    follower.close();
    this.open.delete(follower);
    if (this.open.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Ends every stream (the server is stopping; clients resume elsewhere or after the restart). */
  endAll(): void {
    for (const follower of [...this.open]) {
      follower.end();
      this.release(follower);
    }
  }
}
