import { createHash } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, openSync, statfsSync, statSync, unlinkSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createClient, type Client } from "@libsql/client";
import { sql } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { isRemoteDatabase } from "../config.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { DatabaseAvailability, WRITE_WAIT_MS, type DatabaseHealth } from "./availability.ts";
import { auditInsert, type AuditEntry } from "./audit.ts";
import { migrations } from "./migrations.gen.ts";
import * as schema from "./schema.ts";
import { clientTransaction, PreparedWriter, type StatementSession } from "./statement-session.ts";
import { DEFAULT_CHECKPOINT_POLICY, WalCheckpointer, type CheckpointPolicy } from "./wal-checkpointer.ts";
import {
  asDatabaseUnavailable,
  DatabaseUnavailableError,
  sqliteFailureOf,
  type DatabaseTrouble,
} from "./unavailable.ts";

export type Db = LibSQLDatabase<typeof schema>;
/** A transaction handle; query functions accept either a Db or a Tx. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

/** The database handle the app uses: reads go straight to `db`, writes through `write`. */
export interface Store {
  db: Db;
  client: Client;
  /**
   * Runs `fn` in one write transaction. Writes are serialized in-process: the local
   * libSQL driver executes synchronously, so a second writer waiting on SQLite's lock
   * would block the event loop the first writer needs to commit. While another process holds
   * the lock, the disk is full or the file is read-only, the write waits without blocking the
   * event loop, at most `WRITE_WAIT_MS` (5 s); then it fails with a DatabaseUnavailableError (503).
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction of statements prepared once (see `PreparedWriter`), in
   * the same order as `write`: for the agent report path, which runs the same few at a high rate.
   * `queuedAt` (`performance.now()` time, default now) is when its caller began to wait: the
   * bounded wait counts from then.
   */
  writeStatements<T>(fn: (session: WriteSession) => Promise<T>, options?: { queuedAt?: number }): Promise<T>;
  /**
   * Registers `listener` to be called after every write transaction that committed (the change
   * feed's cue), with the ids of the audit events it wrote (null: none).
   */
  onCommit(listener: (auditIds: AuditIdRange | null) => void): void;
  /**
   * Whether the database can be read and written now, with a one-line reason when not; answered
   * from recent writes and cheap cached probes, so health checks cannot hammer the database.
   */
  health(): Promise<DatabaseHealth>;
  /**
   * Checkpoints the WAL into the database file (local files), then closes every connection.
   * `checkpoint: false` only closes: for a short-lived process (`keys recover`) beside a running
   * server, whose writers a checkpoint would hold up while it waits for their readers.
   */
  close(options?: { checkpoint?: boolean }): Promise<void>;
}

/** The first and last id of the audit events one transaction wrote (they are consecutive: one writer at a time). */
export type AuditIdRange = readonly [number, number];

/** The statements of a `writeStatements` transaction; its audit events go through `recordAudit`. */
export interface WriteSession extends StatementSession {
  /** Writes audit events (none: nothing), taking their ids from the insert itself. */
  recordAudit(at: number, entries: AuditEntry[]): Promise<void>;
}

/** The last audit event id handed out (AUTOINCREMENT's counter, which this transaction's inserts move). */
const LAST_AUDIT_ID = sql`select coalesce((select seq from sqlite_sequence where name = 'audit_events'), 0)`;

/** The ids `fn` gave the audit events it wrote in the transaction `values` reads in, or null. */
async function withAuditIds<T>(
  values: (statement: typeof LAST_AUDIT_ID) => Promise<unknown[][]>,
  fn: () => Promise<T>,
): Promise<{ result: T; auditIds: AuditIdRange | null }> {
  const before = Number((await values(LAST_AUDIT_ID))[0]![0]);
  const result = await fn();
  const after = Number((await values(LAST_AUDIT_ID))[0]![0]);
  return { result, auditIds: after > before ? [before + 1, after] : null };
}

/** Raised when the database cannot be opened; its message is one line for the operator. */
export class DatabaseOpenError extends Error {
  override name = "DatabaseOpenError";

  /** "cannot <doing> database <path>: <the first line of the cause>". */
  static because(doing: "open" | "migrate", dbPath: string, cause: unknown): DatabaseOpenError {
    return new DatabaseOpenError(`cannot ${doing} database ${dbPath}: ${(cause as Error).message.split("\n")[0]}`);
  }
}

/**
 * How long one SQLite call may wait for another process's lock. The driver runs calls
 * synchronously, so this wait blocks the event loop: it is kept to a few milliseconds, which
 * absorbs brief contention; longer waits happen asynchronously, between attempts (see
 * DatabaseAvailability).
 */
export const BUSY_TIMEOUT_MS = 5;
/** Free space below which a file system counts as full (a write transaction needs room in the WAL). */
const MIN_FREE_BYTES = 1024 * 1024;
/**
 * Page size of a new database file. A report rewrites two random pages (its machine's row and
 * the machine's report index leaf); every such page goes to the WAL, is checksummed and later
 * copied back by a checkpoint, so smaller pages make a report cheaper (measured 8–12 % less
 * storage time per report than SQLite's default 4 KiB). Existing files keep their page size.
 */
const NEW_DATABASE_PAGE_SIZE = 2048;
/**
 * Page cache of the connection that writes, in KiB. Larger is not cheaper: when a B-tree page
 * splits, SQLite briefly renumbers a page to the 1 GiB lock page, and the commit then walks the
 * cache's whole hash table to drop pages past the end of the file; at 32 MiB that walk took
 * ~550 µs in about every other report batch. 8 MiB made reports ~12 % faster than 32 MiB and
 * as fast as SQLite's 2 MiB default, with room for larger transactions (a rollout over a fleet).
 */
const WRITER_CACHE_KIB = 8 * 1024;
/** How long a write transaction runs before its WAL is synced ahead of its commit, and how often then. */
const WAL_SYNC_AHEAD_MS = 100;

/**
 * Settings of every connection that commits on the event loop. It never checkpoints: SQLite
 * would copy the WAL into the database file inside the commit that crossed the threshold
 * (~250 ms for 40 MiB, the event loop held all along); the store's WalCheckpointer does it on
 * another thread. After the WAL starts over, the next commit truncates a file a burst had grown
 * past the checkpointer's restart size back to that size.
 */
const committerPragmas = (policy: CheckpointPolicy) => [
  "PRAGMA wal_autocheckpoint = 0",
  `PRAGMA journal_size_limit = ${policy.restartBytes}`,
];

/**
 * Settings of the connection a write transaction runs on. They are per connection and the
 * driver keeps a pool (a second connection opens whenever one is busy), so every write
 * transaction sets them first, whichever connection it got: cheap, once per commit.
 */
const writerPragmas = (policy: CheckpointPolicy) => [
  ...committerPragmas(policy),
  // SQLite's default 2 MiB cache re-read most pages of each report batch from the file.
  `PRAGMA cache_size = -${WRITER_CACHE_KIB}`,
];

/**
 * Opens (creating if needed) and migrates the database named by `--db-path`. `logger` gets a
 * line when the database becomes unavailable and when it is back; `writeWaitMs` is a write's
 * bounded wait for an unavailable database (default `WRITE_WAIT_MS`), `checkpoints` when the WAL
 * is checkpointed (default `DEFAULT_CHECKPOINT_POLICY`); tests shorten them.
 */
export async function openStore(
  dbPath: string,
  authToken?: string,
  options: { logger?: Logger; writeWaitMs?: number; checkpoints?: Partial<CheckpointPolicy> } = {},
): Promise<Store> {
  const remote = isRemoteDatabase(dbPath);
  if (!remote) assertWritableLocation(dbPath);
  const logger = options.logger ?? silentLogger;
  const checkpointPolicy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoints };
  let client: Client;
  let pageSize = 0;
  try {
    client = createClient({
      url: remote ? dbPath : `file:${resolve(dbPath)}`,
      authToken,
      timeout: BUSY_TIMEOUT_MS,
    });
    if (!remote) {
      await whileLocked(async () => {
        // Takes effect only while the file is still empty (before WAL mode writes its header).
        await client.execute(`PRAGMA page_size = ${NEW_DATABASE_PAGE_SIZE}`);
        await client.execute("PRAGMA journal_mode = WAL");
      });
      pageSize = Number((await client.execute("PRAGMA page_size")).rows[0]![0]);
      // Not the writer's larger cache here: it would also fill while start-up reads the whole
      // fleet through this connection, for pages no report may touch again.
      for (const pragma of committerPragmas(checkpointPolicy)) await client.execute(pragma);
    }
  } catch (error) {
    throw DatabaseOpenError.because("open", dbPath, error);
  }
  const db = drizzle(client, { schema });
  try {
    await whileLocked(() => applyMigrations(client));
  } catch (error) {
    client.close();
    throw DatabaseOpenError.because("migrate", dbPath, error);
  }

  const pragmas = remote ? [] : writerPragmas(checkpointPolicy);
  let writer: PreparedWriter | undefined;
  try {
    if (!remote) writer = PreparedWriter.open(resolve(dbPath), BUSY_TIMEOUT_MS, pragmas);
  } catch (error) {
    client.close();
    throw DatabaseOpenError.because("open", dbPath, error);
  }

  /**
   * A write transaction's `BEGIN IMMEDIATE` that finds the lock taken (another process writing)
   * leaves its connection, back in the client's pool, inside the read it began: on an old snapshot
   * until the failed statement is garbage-collected, so reads on that connection would see old data
   * and its next `BEGIN` would fail with SQLITE_BUSY_SNAPSHOT however free the lock is (seen with
   * several processes on one file: stale views, and writes refused for seconds). After such a
   * failure the client's connections are closed; new ones open at the next use.
   */
  const dropConnectionsAfterFailedBegin = async () => {
    if (!remote) await client.reconnect();
  };
  const commitListeners: ((auditIds: AuditIdRange | null) => void)[] = [];
  const committed = <T>({ result, auditIds }: { result: T; auditIds: AuditIdRange | null }): T => {
    for (const listener of commitListeners) listener(auditIds);
    return result;
  };
  const classify = remote ? asDatabaseUnavailable : localTroubleClassifier(resolve(dbPath));
  const availability = new DatabaseAvailability(
    {
      classify,
      read: async () => {
        await client.execute("SELECT 1 FROM sqlite_schema LIMIT 1");
      },
      write: async (current) => {
        // After a full disk, a probe commit may fit in WAL space already allocated while the next
        // real write would not: the file system must have room again first.
        if (current?.trouble === "disk full" && !remote && freeBytes(dirname(resolve(dbPath))) < MIN_FREE_BYTES) {
          throw current;
        }
        await probeWrite(writer, client);
      },
    },
    logger,
    { writeWaitMs: options.writeWaitMs },
  );
  let checkpointer: WalCheckpointer | undefined;
  try {
    if (!remote) {
      const betweenWrites = <T>(work: () => Promise<T>) => availability.exclusive(work);
      checkpointer = WalCheckpointer.open(resolve(dbPath), pageSize, betweenWrites, logger, checkpointPolicy);
    }
  } catch (error) {
    writer?.close();
    client.close();
    throw DatabaseOpenError.because("open", dbPath, error);
  }
  checkpointer?.start();
  return {
    db,
    client,
    write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      const transaction = availability.run(async (began) => {
        // Drizzle rolls back when `fn` fails; if SQLite already rolled back (it does after a full
        // disk), that rollback fails too and its error would hide the cause.
        let failure: { error: unknown } | null = null;
        let begun = false;
        try {
          return await db.transaction(
            async (tx) => {
              begun = true;
              began();
              for (const pragma of pragmas) await tx.run(sql.raw(pragma));
              const stopSyncing = remote ? undefined : syncWalAhead(`${resolve(dbPath)}-wal`);
              try {
                return await withAuditIds(
                  (statement) => tx.values(statement),
                  () => fn(tx),
                );
              } catch (error) {
                failure = { error };
                throw error;
              } finally {
                stopSyncing?.();
              }
            },
            { behavior: "immediate" },
          );
        } catch (error) {
          if (!begun) await dropConnectionsAfterFailedBegin();
          throw failure === null ? error : (failure as { error: unknown }).error;
        }
      });
      return transaction.then(committed);
    },
    writeStatements<T>(fn: (session: WriteSession) => Promise<T>, options: { queuedAt?: number } = {}) {
      return availability
        .run((began) => {
          // The ids come back from the audit insert: a report batch (most write no audit event)
          // costs no statement for them.
          const inTransaction = async (session: StatementSession) => {
            began();
            let auditIds: AuditIdRange | null = null;
            const result = await fn({
              run: session.run,
              values: session.values,
              recordAudit: async (at, entries) => {
                if (entries.length === 0) return;
                const ids = (await session.values<[number]>(sql`${auditInsert(at, entries)} returning id`)).map(
                  ([id]) => Number(id),
                );
                // RETURNING gives the rows in no promised order; the ids are consecutive.
                const range: AuditIdRange = [Math.min(...ids), Math.max(...ids)];
                auditIds = auditIds === null ? range : [auditIds[0], range[1]];
              },
            });
            return { result, auditIds };
          };
          return writer ? writer.transaction(inTransaction) : clientTransaction(client, inTransaction);
        }, options.queuedAt)
        .then(committed);
    },
    onCommit(listener) {
      commitListeners.push(listener);
    },
    health: () => availability.health(),
    async close({ checkpoint = true } = {}) {
      availability.close();
      const closing = checkpointer;
      checkpointer = undefined;
      await closing?.stop();
      writer?.close();
      writer = undefined;
      // libSQL does not checkpoint when its connections close, so a clean stop would
      // otherwise leave every recent write in the -wal file.
      if (checkpoint) await closing?.truncate().catch(() => undefined);
      closing?.close();
      client.close();
    },
  };
}

/**
 * Syncs the WAL file every `WAL_SYNC_AHEAD_MS` on the runtime's I/O threads until the returned
 * function is called. A long write transaction (bulk work in chunks: a 100 000-entry release
 * writes ~30 MB) spills its pages into the WAL as it goes; its commit's own sync, on the event
 * loop, then finds most of them on disk already (that commit measured ~30 ms, ~15 ms with these).
 * Durability is still the commit's sync: these only come earlier. A short transaction is over
 * before the first.
 */
function syncWalAhead(walPath: string): () => void {
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void open(walPath, "r")
      .then(async (file) => {
        try {
          await file.datasync();
        } finally {
          await file.close();
        }
      })
      .catch(() => undefined)
      .finally(() => (syncing = false));
  }, WAL_SYNC_AHEAD_MS);
  return () => clearInterval(timer);
}

/**
 * Commits a transaction that rewrites the database header's `user_version` with its own value:
 * it takes the write lock and appends a frame to the WAL, and changes nothing. Locally it runs on
 * the writer's statements, prepared once: a statement that failed with SQLITE_BUSY stays active
 * until it is run again or collected, and the client prepares a new one each time, so a `BEGIN`
 * it left over from a probe during a lock made that connection's next COMMIT fail ("SQL statements
 * in progress") until the runtime happened to collect it.
 */
async function probeWrite(writer: PreparedWriter | undefined, client: Client): Promise<void> {
  const rewriteUserVersion = async (session: StatementSession) => {
    const [row] = await session.values<[number]>(sql`PRAGMA user_version`);
    await session.run(sql.raw(`PRAGMA user_version = ${Number(row![0])}`));
  };
  await (writer ? writer.transaction(rewriteUserVersion) : clientTransaction(client, rewriteUserVersion));
}

/** Retries `fn` while another process holds the lock, for start-up, up to `WRITE_WAIT_MS`. */
async function whileLocked<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + WRITE_WAIT_MS;
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    try {
      return await fn();
    } catch (error) {
      if (asDatabaseUnavailable(error)?.trouble !== "database locked" || performance.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * What a failed call on the local file means. Most codes say it themselves; an I/O error does
 * not (a write to a file that became read-only is `SQLITE_IOERR_WRITE`, and so is a real disk
 * fault), so then the file system is asked: no room left, or the file can no longer be written.
 */
function localTroubleClassifier(file: string): (error: unknown) => DatabaseUnavailableError | null {
  return (error) => {
    const known = asDatabaseUnavailable(error);
    if (known !== null) return known;
    const failure = sqliteFailureOf(error);
    if (failure === null || !/^SQLITE_(IOERR|CANTOPEN)(_|$)/.test(failure.code)) return null;
    const trouble = fileSystemTrouble(file);
    return trouble === null ? null : new DatabaseUnavailableError(trouble, failure.code, { cause: error });
  };
}

function fileSystemTrouble(file: string): DatabaseTrouble | null {
  if (freeBytes(dirname(file)) < MIN_FREE_BYTES) return "disk full";
  for (const path of [file, `${file}-wal`, dirname(file)]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      // EROFS: a read-only mount; EPERM: an immutable file (even to root); EACCES: permissions.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EROFS" || code === "EPERM" || code === "EACCES") return "database read-only";
    }
  }
  return null;
}

/** Bytes an unprivileged writer may still use on the file system holding `dir`; Infinity when unknown. */
function freeBytes(dir: string): number {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return Infinity;
  }
}

function assertWritableLocation(dbPath: string): void {
  const file = resolve(dbPath);
  const dir = dirname(file);
  if (!existsSync(dir)) throw new DatabaseOpenError(`database directory ${dir} does not exist`);
  const dirStat = statSync(dir);
  if (!dirStat.isDirectory()) throw new DatabaseOpenError(`database directory ${dir} is not a directory`);
  // Root passes every access check; a directory or file without any write bit is still
  // meant to be read-only, so it is refused whoever runs the server.
  if ((dirStat.mode & 0o222) === 0) throw new DatabaseOpenError(`database directory ${dir} is not writable`);
  if (existsSync(file)) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
      if ((statSync(file).mode & 0o222) === 0) throw new Error("no write permission bits");
    } catch {
      throw new DatabaseOpenError(`database ${file} is not writable`);
    }
  }
  // SQLite creates `-wal` and `-shm` files beside the database, so the directory itself must
  // take new files. Creating one is the only check root cannot pass on a read-only mount.
  const probe = join(dir, `.nixfleet-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, "wx"));
    unlinkSync(probe);
  } catch {
    throw new DatabaseOpenError(`database directory ${dir} is not writable`);
  }
}

const MIGRATIONS_TABLE = "__drizzle_migrations";

/**
 * Applies the embedded drizzle-kit migrations not yet recorded, in one transaction.
 * Same bookkeeping table and hashes as drizzle's own migrator, so the two agree.
 */
async function applyMigrations(client: Client): Promise<void> {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  const last = await client.execute(`SELECT created_at FROM ${MIGRATIONS_TABLE} ORDER BY created_at DESC LIMIT 1`);
  const lastApplied = last.rows[0] ? Number(last.rows[0][0]) : -Infinity;
  const statements: { sql: string; args: (string | number)[] }[] = [];
  for (const migration of migrations) {
    if (migration.when <= lastApplied) continue;
    for (const stmt of migration.sql.split("--> statement-breakpoint")) {
      if (stmt.trim() !== "") statements.push({ sql: stmt, args: [] });
    }
    statements.push({
      sql: `INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`,
      args: [createHash("sha256").update(migration.sql).digest("hex"), migration.when],
    });
  }
  if (statements.length > 0) await client.batch(statements, "write");
}
