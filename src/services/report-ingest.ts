import type { AppDeps } from "../context.ts";
import { storeReports, type IncomingReport, type StoredReport } from "../db/machines.ts";
import { DatabaseUnavailableError } from "../db/unavailable.ts";
import { yieldToEventLoop } from "../event-loop.ts";

/** Reports stored per transaction at most; bounds statement size (SQLite variables) and lock time. */
export const MAX_REPORTS_PER_COMMIT = 500;

interface Waiting {
  report: IncomingReport;
  /** `performance.now()` when it was submitted: a report's bounded wait for the database counts from then. */
  submittedAt: number;
  resolve: (stored: StoredReport) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for agent reports. Reports that arrive together (up to the next turn of the
 * event loop) or while a commit runs are gathered and written in one transaction. Each caller
 * is answered only after the transaction holding its report has committed, so an acknowledged
 * report is durable, while a burst costs one commit per batch instead of one per report.
 *
 * Reports committed together never share a failure (SPEC §13, one bad report fails alone): a
 * batch whose transaction fails is split in halves, each committed on its own, down to single
 * reports, so a report the database refuses gets its error while every other report of the batch
 * is stored and answered. Halving finds one bad report among n in about 2·log2(n) transactions
 * instead of n. A database that cannot take writes at all (`DatabaseUnavailableError`: locked,
 * full, read-only) fails the whole batch at once: no report of it could be stored.
 */
export class ReportIngest {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly deps: Pick<AppDeps, "store" | "now" | "fleet" | "rolloutEvents" | "views" | "logger">) {}

  /** Stores one report; resolves once it has committed. */
  submit(report: IncomingReport): Promise<StoredReport> {
    return new Promise<StoredReport>((resolve, reject) => {
      this.waiting.push({ report, submittedAt: performance.now(), resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        // The local driver runs a whole transaction synchronously, so no request is read while
        // one commits: yield to the event loop first, or every batch would hold a single report.
        await yieldToEventLoop();
        await this.commit(this.waiting.splice(0, MAX_REPORTS_PER_COMMIT));
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Commits `batch` in one transaction and answers its reports; on failure, commits its halves in
   * turn. Returns the unavailability error that failed the batch (its reports are answered with
   * it), for the caller to fail what it still holds the same way instead of trying it.
   */
  private async commit(batch: Waiting[]): Promise<DatabaseUnavailableError | undefined> {
    let at = 0;
    let stored: StoredReport[];
    try {
      stored = await this.deps.store.writeStatements(
        (session) => {
          at = this.deps.now();
          return storeReports(
            session,
            at,
            batch.map((w) => w.report),
          );
        },
        { queuedAt: batch[0]!.submittedAt },
      );
    } catch (error) {
      if (batch.length === 1 || error instanceof DatabaseUnavailableError) {
        for (const w of batch) w.reject(error);
        return error instanceof DatabaseUnavailableError ? error : undefined;
      }
      this.deps.logger.warn("report batch failed; committing its halves apart", {
        reports: batch.length,
        error: error instanceof Error ? error.message : String(error),
      });
      const half = Math.ceil(batch.length / 2);
      const [first, second] = [batch.slice(0, half), batch.slice(half)];
      await yieldToEventLoop();
      const unavailable = await this.commit(first);
      if (unavailable) {
        for (const w of second) w.reject(unavailable);
        return unavailable;
      }
      await yieldToEventLoop();
      return this.commit(second);
    }
    // Their ids are consecutive (one transaction); the views' tail of other processes' reports skips them.
    this.deps.views.localReportsStored(stored[0]!.reportId, stored[stored.length - 1]!.reportId);
    const reported = new Set<string>();
    for (const result of stored) {
      this.deps.fleet.recordMachine(result.machineId, result.lifecycle, at);
      reported.add(result.machineId);
    }
    stored.forEach((result, i) => batch[i]!.resolve(result));
    for (const machineId of reported) {
      try {
        this.deps.rolloutEvents.machineReported(machineId);
      } catch (error) {
        this.deps.logger.error("rollout executor failed on a report", { machine_id: machineId, error: String(error) });
      }
    }
    return undefined;
  }
}
