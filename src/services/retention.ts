import type { AppDeps } from "../context.ts";
import { agedRowsAfter, deleteUnlessLatest } from "../db/machines.ts";
import { healthReports, reports } from "../db/schema.ts";
import { DatabaseUnavailableError, errorLogFields } from "../db/unavailable.ts";
import { LeaseLostError } from "../domain/lease.ts";
import { yieldToEventLoop } from "../event-loop.ts";

/** Rows deleted per write transaction (~10 ms), so a pass never holds the write lock or the event loop for long. */
export const RETENTION_CHUNK = 1000;
/** How often the background pass runs. */
export const RETENTION_INTERVAL_MS = 10 * 60 * 1000;

export interface RetentionResult {
  reports: number;
  healthReports: number;
}

/** The background task pruning old reports and health reports; each machine keeps its latest of each. */
export interface Retention {
  /** Runs a pass now, then every `intervalMs`. */
  start(): void;
  /** Stops scheduling and waits for a running pass to finish its current chunk. */
  stop(): Promise<void>;
  /** One full pass; resolves with the number of rows deleted. */
  runOnce(): Promise<RetentionResult>;
}

/** Creates the retention task for `deps.config.reportRetentionHours`. */
export function createRetention(
  deps: Pick<AppDeps, "store" | "now" | "logger" | "config">,
  intervalMs = RETENTION_INTERVAL_MS,
): Retention {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let cancelled = false;

  const prune = async (table: typeof reports | typeof healthReports, cutoff: number): Promise<number> => {
    let deleted = 0;
    let cursor = { receivedAt: Number.MIN_SAFE_INTEGER, id: 0 };
    // Walk the aged rows in (received_at, id) order; rows kept as a machine's latest stay behind the cursor.
    while (!cancelled) {
      await yieldToEventLoop();
      const chunk = await agedRowsAfter(deps.store.db, table, cutoff, cursor, RETENTION_CHUNK);
      if (chunk.length === 0) return deleted;
      const ids = chunk.map((row) => row.id);
      deleted += await deps.store.write((tx) => deleteUnlessLatest(tx, table, ids));
      cursor = chunk[chunk.length - 1]!;
      if (chunk.length < RETENTION_CHUNK) return deleted;
    }
    return deleted;
  };

  const runOnce = async (): Promise<RetentionResult> => {
    const cutoff = deps.now() - deps.config.reportRetentionHours * 3600 * 1000;
    const result = { reports: await prune(reports, cutoff), healthReports: await prune(healthReports, cutoff) };
    if (result.reports + result.healthReports > 0) deps.logger.info("pruned old reports", { ...result });
    return result;
  };

  const tick = () => {
    running = runOnce()
      .catch((error: unknown) => {
        // The lease moved: the new leader prunes from now on.
        if (error instanceof LeaseLostError) return;
        // Not this task's fault: the next pass, an interval later, picks up where this one stopped.
        if (error instanceof DatabaseUnavailableError) {
          deps.logger.warn("report retention stopped: database unavailable", errorLogFields(error));
        } else deps.logger.error("report retention failed", errorLogFields(error));
      })
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      cancelled = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      cancelled = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    runOnce,
  };
}
