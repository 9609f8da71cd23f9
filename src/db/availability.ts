import type { Logger } from "../logger.ts";
import type { DatabaseUnavailableError } from "./unavailable.ts";

/** How long a write may wait for the database (its lock, or a fault to clear) before it is refused with 503. */
export const WRITE_WAIT_MS = 5000;
/**
 * A write lock another process has held this long is reported by `/health` and logged; shorter
 * waits are ordinary contention (another process's transaction) and pass unremarked.
 */
export const LOCK_REPORTED_AFTER_MS = 1000;
/** First and largest pause between probes while the database is unavailable (a lock is usually held briefly). */
const PROBE_FIRST_DELAY_MS = 10;
const PROBE_MAX_DELAY_MS = 250;
/** Without a successful write for this long, `/health` has a probe write made. */
export const WRITE_STALE_MS = 10_000;
/** How long `/health` waits for its own probe write before answering from what is known. */
const HEALTH_PROBE_WAIT_MS = 20;

/** What `/health` says of the database. */
export type DatabaseHealth = { ok: true } | { ok: false; reason: string };

/** The database calls availability needs; the store provides them. */
export interface AvailabilityProbes {
  /**
   * A write transaction that changes nothing but is committed: proves the lock can be taken and a
   * commit written. `current` is the unavailability being probed, when there is one.
   */
  write(current: DatabaseUnavailableError | null): Promise<void>;
  /** A small read of the database file. */
  read(): Promise<void>;
  /** What a failed database call means: an unavailability, or null for any other failure. */
  classify(error: unknown): DatabaseUnavailableError | null;
}

interface Trouble {
  error: DatabaseUnavailableError;
  /** `now()` when the database became unavailable. */
  since: number;
  /** Whether the operator has been told (one log line per outage). */
  announced: boolean;
  /** Settles when the database is available again. */
  over: Promise<void>;
  end: () => void;
}

const now = () => performance.now();

/** Resolves after `ms` or when `event` settles, whichever is first, leaving no timer behind. */
function waitAtMost(ms: number, event?: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([
    elapsed,
    event?.then(
      () => undefined,
      () => undefined,
    ) ?? elapsed,
  ]).finally(() => clearTimeout(timer));
}

/**
 * The store's writes, one at a time, and what is known of whether the database takes them.
 *
 * SQLite calls run synchronously on the event loop, so no call may wait long for a lock: the
 * connections wait a few milliseconds at most, and a write that finds the lock taken (or the disk
 * full, or the file read-only) waits here asynchronously, while a probe retries in the
 * background, until the database takes writes again or its bounded wait (`WRITE_WAIT_MS`) is over:
 * then it fails with a DatabaseUnavailableError (503). Polls and `/health` go on meanwhile. A
 * write whose own commit finds the disk full or the file read-only fails at once (its work is
 * never run twice); the writes after it wait like the others, so background tasks retrying
 * a failed step try once per bounded wait instead of spinning.
 */
export class DatabaseAvailability {
  private queue: Promise<unknown> = Promise.resolve();
  private trouble: Trouble | null = null;
  private probing = false;
  private closed = false;
  private lastWriteAt = now();
  private healthProbe: Promise<unknown> | null = null;
  private readCheck: Promise<string | null> | null = null;

  constructor(
    private readonly probes: AvailabilityProbes,
    private readonly logger: Logger,
    /** The bounded wait of a write, and how old the last successful write may be before /health probes (tests shorten them). */
    private readonly timing: { writeWaitMs?: number; writeStaleMs?: number } = {},
  ) {}

  /**
   * Runs `transaction` after every write before it, waiting while the database is unavailable,
   * at most until the bounded wait since `queuedAt` (`performance.now()` time when the caller
   * began to wait; default now) is over. `transaction` calls `began` once its transaction has
   * begun: a failure before that (the lock was not free) is retried, one after it never is, so
   * the caller's work never runs twice.
   */
  run<T>(transaction: (began: () => void) => Promise<T>, queuedAt = now()): Promise<T> {
    return this.enqueue(transaction, queuedAt + (this.timing.writeWaitMs ?? WRITE_WAIT_MS));
  }

  /**
   * Whether the database can be read and written, with a one-line reason when not: one small read
   * (shared by concurrent checks), then what recent writes showed; when no write has succeeded
   * for a while a probe write is queued, and waited for a few milliseconds only.
   */
  async health(): Promise<DatabaseHealth> {
    if (this.closed) return { ok: false, reason: "database unavailable: the store is closed" };
    this.readCheck ??= this.probes
      .read()
      .then(
        () => null,
        (error: unknown) =>
          this.probes.classify(error)?.trouble ??
          `database unavailable: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
      )
      .finally(() => (this.readCheck = null));
    const readFailure = await this.readCheck;
    if (readFailure !== null) return { ok: false, reason: readFailure };
    const at = now();
    if (this.trouble === null && at - this.lastWriteAt >= (this.timing.writeStaleMs ?? WRITE_STALE_MS)) {
      // One attempt, no wait: a health check must not queue up behind the database.
      this.healthProbe ??= this.enqueue((began) => {
        began();
        return this.probes.write(null);
      }, at)
        .catch(() => undefined)
        .finally(() => (this.healthProbe = null));
      await waitAtMost(HEALTH_PROBE_WAIT_MS, this.healthProbe);
    }
    const trouble = this.trouble;
    if (trouble === null) return { ok: true };
    if (trouble.error.trouble === "database locked" && now() - trouble.since < LOCK_REPORTED_AFTER_MS) {
      return { ok: true };
    }
    return { ok: false, reason: trouble.error.trouble };
  }

  /**
   * Runs `work` in the writes' turn, as any write, but without waiting for or judging the
   * database's availability: for the WAL checkpointer's restart, which takes the write lock,
   * so that this process's own writes wait for it here instead of meeting its lock.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops probing; writes still waiting fail with the unavailability they wait on. */
  close(): void {
    this.closed = true;
    this.trouble?.end();
  }

  private enqueue<T>(transaction: (began: () => void) => Promise<T>, deadline: number): Promise<T> {
    const run = this.queue.then(() => this.attempt(transaction, deadline));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async attempt<T>(transaction: (began: () => void) => Promise<T>, deadline: number): Promise<T> {
    for (;;) {
      await this.whileUnavailable(deadline);
      let began = false;
      try {
        const result = await transaction(() => (began = true));
        this.lastWriteAt = now();
        return result;
      } catch (error) {
        const unavailable = this.probes.classify(error);
        if (unavailable === null) throw error;
        this.enter(unavailable);
        if (began || now() >= deadline) throw unavailable;
      }
    }
  }

  private async whileUnavailable(deadline: number): Promise<void> {
    for (let trouble = this.trouble; trouble !== null; trouble = this.trouble) {
      const remaining = deadline - now();
      if (remaining <= 0 || this.closed) throw trouble.error;
      await waitAtMost(remaining, trouble.over);
    }
  }

  private enter(error: DatabaseUnavailableError): void {
    let end = () => {};
    const over = new Promise<void>((resolve) => (end = resolve));
    this.trouble = { error, since: now(), announced: false, over, end };
    // A lock is announced only once it has been held a while (see the probe loop).
    if (error.trouble !== "database locked") this.announce(this.trouble);
    void this.probeUntilAvailable();
  }

  private announce(trouble: Trouble): void {
    trouble.announced = true;
    this.logger.warn("database unavailable: writes wait for it, then get 503", {
      trouble: trouble.error.trouble,
      sqlite_code: trouble.error.sqliteCode,
    });
  }

  /** Probes in the background, backing off, until a probe write succeeds (or the store closes). */
  private async probeUntilAvailable(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      for (let delay = PROBE_FIRST_DELAY_MS; this.trouble !== null && !this.closed;) {
        await waitAtMost(delay);
        delay = Math.min(delay * 2, PROBE_MAX_DELAY_MS);
        const trouble = this.trouble;
        if (trouble === null || this.closed) return;
        if (!trouble.announced && now() - trouble.since >= LOCK_REPORTED_AFTER_MS) this.announce(trouble);
        try {
          await this.probes.write(trouble.error);
        } catch (error) {
          trouble.error = this.probes.classify(error) ?? trouble.error;
          continue;
        }
        this.trouble = null;
        this.lastWriteAt = now();
        if (trouble.announced) {
          this.logger.info("database available again", {
            trouble: trouble.error.trouble,
            sqlite_code: trouble.error.sqliteCode,
            unavailable_ms: Math.round(now() - trouble.since),
          });
        }
        trouble.end();
      }
    } finally {
      this.probing = false;
    }
  }
}
