import Database from "libsql/promise";
import type { Logger } from "../logger.ts";

/** SQLite's checkpoint modes used here (`PRAGMA wal_checkpoint(<mode>)`). */
export type CheckpointMode = "PASSIVE" | "RESTART" | "TRUNCATE";

/** What one checkpoint did: `walFrames` in the WAL, `checkpointedFrames` of them now in the database file. */
export interface CheckpointResult {
  /** The checkpoint could not finish: another connection was checkpointing, or a restart met a writer or reader. */
  busy: boolean;
  walFrames: number;
  checkpointedFrames: number;
}

/** When the checkpointer works (tests shorten it). */
export interface CheckpointPolicy {
  /** Pause between passes. */
  intervalMs: number;
  /**
   * WAL size at which a pass also restarts the WAL: copies alone never let the WAL start over
   * while readers overlap or commits keep arriving, so past this size the writes are held while
   * the WAL is copied to its end and its readers finish. Also the size a WAL file a burst made
   * larger is truncated back to (`journal_size_limit`).
   */
  restartBytes: number;
  /** How long a restart waits for older readers to finish, twice: before and after copying the rest. */
  restartWaitMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {
  intervalMs: 1000,
  restartBytes: 64 * 1024 * 1024,
  restartWaitMs: 250,
};

/**
 * Passes run back to back while commits arrive during each: each copies only what the one
 * before left, so they usually catch up, and a WAL copied to its end starts over at the next commit.
 */
const CATCH_UP_PASSES = 3;

interface PreparedRows {
  raw(toggle: boolean): PreparedRows;
  all(): Promise<unknown[][]>;
}

/** The promise flavour of the `libsql` driver: statements step on the driver's own threads. */
interface AsyncConnection {
  prepare(sql: string): Promise<PreparedRows>;
  close(): void;
}

/**
 * After a restart that readers held back, the next is tried this many times the restart's wait
 * later, and twice as late after each further one (up to a minute): the writes a restart holds
 * up then wait a small share of the time while a reader keeps the WAL.
 */
const RESTART_BACKOFF_FACTOR = 10;
const RESTART_MAX_BACKOFF_MS = 60_000;
/** Pause between the copies a restart makes while readers that began before it finish. */
const RESTART_POLL_MS = 5;

/** Runs `work` in the turn of this process's writes, with none of them running meanwhile. */
export type BetweenWrites = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * Copies the WAL back into the database file off the event loop. The event loop's connections
 * never checkpoint (`wal_autocheckpoint = 0`): SQLite would do it inside the commit that takes
 * the WAL past the threshold, holding the event loop for the whole copy (~250 ms for 40 MiB).
 * This connection of its own runs `PRAGMA wal_checkpoint` through the driver's promise API,
 * whose statements step on a thread of the driver, not on the event loop (in Bun, the compiled
 * executable and Deno alike).
 *
 * Each pass is a PASSIVE checkpoint, which never blocks a writer or reader; a WAL copied to its
 * end starts over at the next commit. Readers that keep overlapping, or commits arriving during
 * every pass, can keep that from happening for good, so past `restartBytes` a restart copies the
 * rest and ends with a RESTART checkpoint, which takes the write lock and waits for the WAL's
 * readers. It runs in the turn of the store's writes (`betweenWrites`): this process's writes
 * wait for it in their queue (at most twice `restartWaitMs`), without blocking the event loop,
 * rather than meet its lock. A reader that keeps one snapshot open longer than that holds the
 * WAL: the restart gives up, says so once in the log, and is tried again later and later.
 */
export class WalCheckpointer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The WAL's frames right after the last restart that succeeded: until a commit, no other is needed. */
  private restartedFrames = -1;
  /** `performance.now()` before which no restart is tried again (after one was held back), and the pause that set it. */
  private restartAllowedAt = 0;
  private restartBackoffMs = 0;
  /** The trouble last logged (one line per episode), null while passes go well. */
  private reported: "held back" | "failed" | null = null;
  /** Its statements, one per mode (see `statement`). */
  private readonly statements = new Map<CheckpointMode, PreparedRows>();

  private constructor(
    private readonly connection: AsyncConnection,
    private readonly pageSize: number,
    private readonly betweenWrites: BetweenWrites,
    private readonly logger: Logger,
    private readonly policy: CheckpointPolicy,
  ) {}

  /** Opens the checkpointer's connection to the database file at `path` (pages of `pageSize` bytes). */
  static open(
    path: string,
    pageSize: number,
    betweenWrites: BetweenWrites,
    logger: Logger,
    policy: CheckpointPolicy,
  ): WalCheckpointer {
    const connection = new Database(path, { timeout: policy.restartWaitMs }) as AsyncConnection;
    return new WalCheckpointer(connection, pageSize, betweenWrites, logger, policy);
  }

  /** Starts the passes, one every `intervalMs`. */
  start(): void {
    this.schedule();
  }

  /** One checkpoint in `mode`, off the event loop. */
  async checkpoint(mode: CheckpointMode): Promise<CheckpointResult> {
    const [busy, walFrames, checkpointedFrames] = (await (await this.statement(mode)).all())[0]!.map(Number);
    // SQLite reports -1 frames when the checkpoint could not look at the WAL (busy).
    return {
      busy: busy !== 0,
      walFrames: Math.max(0, walFrames!),
      checkpointedFrames: Math.max(0, checkpointedFrames!),
    };
  }

  /** Stops the passes; resolves once the pass running now (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Copies the whole WAL and truncates it (a clean stop), in the writes' turn; false when something held it up. */
  async truncate(): Promise<boolean> {
    const result = await this.betweenWrites(() => this.checkpoint("TRUNCATE"));
    return !result.busy;
  }

  close(): void {
    this.connection.close();
    // The driver closes the connection once its last statement is collected.
    this.statements.clear();
  }

  /**
   * The statement of `mode`, prepared once and kept while the connection is open. A statement
   * collected by the garbage collector is finalized on the event loop, and finalizing takes its
   * connection's mutex, which a checkpoint holds while it steps on the driver's thread: one
   * statement per pass left to the collector stalled the event loop for a whole restart's wait
   * whenever a collection came during one, and the readers the restart waited for could not
   * move on meanwhile, so it gave up.
   */
  private async statement(mode: CheckpointMode): Promise<PreparedRows> {
    let statement = this.statements.get(mode);
    if (statement === undefined) {
      statement = (await this.connection.prepare(`PRAGMA wal_checkpoint(${mode})`)).raw(true);
      this.statements.set(mode, statement);
    }
    return statement;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.policy.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async pass(): Promise<void> {
    try {
      let result = await this.checkpoint("PASSIVE");
      for (let n = 1; n < CATCH_UP_PASSES && !this.stopped && isBehind(result); n++) {
        result = await this.checkpoint("PASSIVE");
      }
      if (this.needsRestart(result)) {
        result = await this.betweenWrites(() => this.restart());
        if (result.busy) return this.heldBack(result);
        this.restartedFrames = result.walFrames;
        this.restartBackoffMs = 0;
      }
      if (!result.busy && result.checkpointedFrames === result.walFrames) this.caughtUp();
    } catch (error) {
      if (this.reported !== "failed") {
        this.reported = "failed";
        this.logger.warn("WAL checkpoint failed; retrying", { error: (error as Error).message.split("\n")[0] });
      }
    }
  }

  /**
   * With this process's writes held: copies what the readers allow until the WAL is copied to its
   * end, then restarts it. Copying first matters: a RESTART waiting for a reader of an older
   * snapshot keeps waiting on that reader's slot, which the readers that follow can take over
   * and hold without a gap; once the WAL is copied to its end, new readers read the database
   * file and the restart only waits for those already reading the WAL to finish.
   */
  private async restart(): Promise<CheckpointResult> {
    const deadline = performance.now() + this.policy.restartWaitMs;
    let result = await this.checkpoint("PASSIVE");
    while (isBehind(result) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, RESTART_POLL_MS));
      result = await this.checkpoint("PASSIVE");
    }
    return this.checkpoint("RESTART");
  }

  private needsRestart(result: CheckpointResult): boolean {
    return (
      !this.stopped &&
      result.walFrames * this.pageSize >= this.policy.restartBytes &&
      result.walFrames !== this.restartedFrames &&
      performance.now() >= this.restartAllowedAt
    );
  }

  private heldBack(result: CheckpointResult): void {
    this.restartBackoffMs = Math.min(
      RESTART_MAX_BACKOFF_MS,
      this.restartBackoffMs === 0 ? RESTART_BACKOFF_FACTOR * this.policy.restartWaitMs : 2 * this.restartBackoffMs,
    );
    this.restartAllowedAt = performance.now() + this.restartBackoffMs;
    if (this.reported === "held back") return;
    this.reported = "held back";
    this.logger.warn("WAL checkpoint held back: a reader or writer kept the WAL from starting over", {
      wal_bytes: result.walFrames * this.pageSize,
    });
  }

  private caughtUp(): void {
    if (this.reported !== null) this.logger.info("WAL checkpoints caught up", { after: this.reported });
    this.reported = null;
  }
}

/** Frames are left to copy although nothing refused the checkpoint: commits arrived during it. */
function isBehind(result: CheckpointResult): boolean {
  return !result.busy && result.checkpointedFrames < result.walFrames;
}
