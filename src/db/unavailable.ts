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
    // The code is in the message too, so a log line that only prints the error still names it.
    super(`${trouble} (${sqliteCode})`, options);
  }
}

/** Seconds a client is told to wait before retrying a write refused with 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The SQLite failure behind a failed database call, looked for along the `cause` chain (Drizzle
 * wraps the driver's error in one whose message holds the whole statement and its parameters):
 * its result code name (extended when known, e.g. `SQLITE_IOERR_WRITE`) and SQLite's own
 * message. Null when the failure did not come from SQLite.
 */
export function sqliteFailureOf(error: unknown): { code: string; message: string } | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    // @libsql/client's LibsqlError has the base `code` and an `extendedCode`; the libsql driver's
    // SqliteError has the extended name as its `code`.
    const { code, extendedCode } = current as { code?: unknown; extendedCode?: unknown };
    if (typeof extendedCode === "string" && extendedCode.startsWith("SQLITE_")) {
      return { code: extendedCode, message: current.message };
    }
    if (typeof code === "string" && code.startsWith("SQLITE_")) return { code, message: current.message };
    current = current.cause;
  }
  return null;
}

/** The trouble a SQLite result code names by itself; null for codes that need a look at the disk (I/O errors) or are no trouble of the database. */
export function troubleOfCode(code: string): DatabaseTrouble | null {
  if (/^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) return "database locked";
  if (/^SQLITE_FULL(_|$)/.test(code)) return "disk full";
  if (/^SQLITE_READONLY(_|$)/.test(code)) return "database read-only";
  return null;
}

/** `error` as a DatabaseUnavailableError when it is one or its SQLite code names a trouble; else null. */
export function asDatabaseUnavailable(error: unknown): DatabaseUnavailableError | null {
  if (error instanceof DatabaseUnavailableError) return error;
  const failure = sqliteFailureOf(error);
  const trouble = failure && troubleOfCode(failure.code);
  return trouble ? new DatabaseUnavailableError(trouble, failure!.code, { cause: error }) : null;
}

/** Log fields naming a failure: its message, and its SQLite code and trouble when it has them. */
export function errorLogFields(error: unknown): Record<string, string> {
  const unavailable = asDatabaseUnavailable(error);
  if (unavailable)
    return { error: unavailable.message, trouble: unavailable.trouble, sqlite_code: unavailable.sqliteCode };
  const failure = sqliteFailureOf(error);
  if (failure) return { error: failure.message, sqlite_code: failure.code };
  return { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
