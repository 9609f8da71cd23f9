/** Why a write could not be made: the `error` sentence of the 503 and `/health`'s reason. */
export type DatabaseTrouble = "database locked" | "disk full" | "database read-only";

/**
 * A write the database cannot take now, for a reason outside the request (another process holds
 * the write lock, the disk is full, the file is read-only). Answered 503 with `Retry-After`, never
 * 500: the client did nothing wrong and may try again.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  constructor(
    readonly trouble: DatabaseTrouble,
    /** SQLite's extended result code name, e.g. `SQLITE_BUSY`, for the log line. */
    readonly sqliteCode: string,
    options?: { cause?: unknown },
  ) {
    super(trouble, options);
  }
}

/** Seconds a client is told to wait before retrying a write refused with 503. */
export const RETRY_AFTER_SECONDS = 5;
