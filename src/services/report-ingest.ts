import type { AppDeps } from "../context.ts";
import { storeReports, type IncomingReport, type StoredReport } from "../db/machines.ts";

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
 */
export class ReportIngest {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly deps: Pick<AppDeps, "store" | "now" | "fleet" | "rolloutEvents" | "logger">) {}

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
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.waiting.splice(0, MAX_REPORTS_PER_COMMIT);
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
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
      for (const w of batch) w.reject(error);
      return;
    }
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
  }
}
