import { createHash } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, openSync, statSync, unlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createClient, type Client } from "@libsql/client";
import { sql } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { isRemoteDatabase } from "../config.ts";
import { migrations } from "./migrations.gen.ts";
import * as schema from "./schema.ts";
import { clientTransaction, PreparedWriter, type StatementSession } from "./statement-session.ts";

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
   * would block the event loop the first writer needs to commit.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one write transaction of statements prepared once (see `PreparedWriter`), in
   * the same order as `write`: for the agent report path, which runs the same few at a high rate.
   */
  writeStatements<T>(fn: (session: StatementSession) => Promise<T>): Promise<T>;
  /** Registers `listener` to be called after every write transaction that committed (the change feed's cue). */
  onCommit(listener: () => void): void;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /**
   * Checkpoints the WAL into the database file (local files), then closes every connection.
   * `checkpoint: false` only closes: for a short-lived process (`keys recover`) beside a running
   * server, whose writers a checkpoint would hold up while it waits for their readers.
   */
  close(options?: { checkpoint?: boolean }): Promise<void>;
}

/** Raised when the database cannot be opened; its message is one line for the operator. */
export class DatabaseOpenError extends Error {
  override name = "DatabaseOpenError";
}

const BUSY_TIMEOUT_MS = 5000;
/**
 * Page size of a new database file. A report rewrites two random pages (its machine's row and
 * the machine's report index leaf); every such page goes to the WAL, is checksummed and later
 * copied back by a checkpoint, so smaller pages make a report cheaper (measured 8–12 % less
 * storage time per report than SQLite's default 4 KiB). Existing files keep their page size.
 */
const NEW_DATABASE_PAGE_SIZE = 2048;
/** WAL size at which the writer checkpoints, in bytes (converted to pages of the file's size). */
const WAL_AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024;
/**
 * Page cache of the connection that writes, in KiB. Larger is not cheaper: when a B-tree page
 * splits, SQLite briefly renumbers a page to the 1 GiB lock page, and the commit then walks the
 * cache's whole hash table to drop pages past the end of the file; at 32 MiB that walk took
 * ~550 µs in about every other report batch. 8 MiB made reports ~12 % faster than 32 MiB and
 * as fast as SQLite's 2 MiB default, with room for larger transactions (a rollout over a fleet).
 */
const WRITER_CACHE_KIB = 8 * 1024;

// Checkpoint every ~40 MiB of WAL instead of every 4 MiB: report batches rewrite the same
// hot pages, so fewer, larger checkpoints copy each page once (commits measured 40 % cheaper).
const checkpointPragma = (pageSize: number) =>
  `PRAGMA wal_autocheckpoint = ${Math.round(WAL_AUTOCHECKPOINT_BYTES / pageSize)}`;

/**
 * Settings of the connection a write transaction runs on. They are per connection and the
 * driver keeps a pool (a second connection opens whenever one is busy), so every write
 * transaction sets them first, whichever connection it got: cheap, once per commit.
 */
const writerPragmas = (pageSize: number) => [
  checkpointPragma(pageSize),
  // SQLite's default 2 MiB cache re-read most pages of each report batch from the file.
  `PRAGMA cache_size = -${WRITER_CACHE_KIB}`,
];

/** Opens (creating if needed) and migrates the database named by `--db-path`. */
export async function openStore(dbPath: string, authToken?: string): Promise<Store> {
  const remote = isRemoteDatabase(dbPath);
  if (!remote) assertWritableLocation(dbPath);
  let client: Client;
  let pragmas: string[] = [];
  try {
    client = createClient({
      url: remote ? dbPath : `file:${resolve(dbPath)}`,
      authToken,
      timeout: BUSY_TIMEOUT_MS,
    });
    if (!remote) {
      // Takes effect only while the file is still empty (before WAL mode writes its header).
      await client.execute(`PRAGMA page_size = ${NEW_DATABASE_PAGE_SIZE}`);
      await client.execute("PRAGMA journal_mode = WAL");
      const pageSize = Number((await client.execute("PRAGMA page_size")).rows[0]![0]);
      // Only the checkpoint size here: the writer's larger cache would also fill while start-up
      // reads the whole fleet through this connection, for pages no report may touch again.
      await client.execute(checkpointPragma(pageSize));
      pragmas = writerPragmas(pageSize);
    }
  } catch (error) {
    throw new DatabaseOpenError(`cannot open database ${dbPath}: ${(error as Error).message.split("\n")[0]}`);
  }
  const db = drizzle(client, { schema });
  try {
    await applyMigrations(client);
  } catch (error) {
    client.close();
    throw new DatabaseOpenError(`cannot migrate database ${dbPath}: ${(error as Error).message.split("\n")[0]}`);
  }

  let writer: PreparedWriter | undefined;
  try {
    if (!remote) writer = PreparedWriter.open(resolve(dbPath), BUSY_TIMEOUT_MS, pragmas);
  } catch (error) {
    client.close();
    throw new DatabaseOpenError(`cannot open database ${dbPath}: ${(error as Error).message.split("\n")[0]}`);
  }

  const commitListeners: (() => void)[] = [];
  const committed = <T>(result: T): T => {
    for (const listener of commitListeners) listener();
    return result;
  };
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(transaction: () => Promise<T>): Promise<T> => {
    const run = queue.then(transaction).then(committed);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    db,
    client,
    write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return serialized(() =>
        db.transaction(
          async (tx) => {
            for (const pragma of pragmas) await tx.run(sql.raw(pragma));
            return fn(tx);
          },
          { behavior: "immediate" },
        ),
      );
    },
    writeStatements<T>(fn: (session: StatementSession) => Promise<T>): Promise<T> {
      return serialized(() => (writer ? writer.transaction(fn) : clientTransaction(client, fn)));
    },
    onCommit(listener) {
      commitListeners.push(listener);
    },
    async ping() {
      try {
        await client.execute("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    async close({ checkpoint = true } = {}) {
      // libSQL does not checkpoint when its connections close, so a clean stop would
      // otherwise leave every recent write in the -wal file.
      writer?.close();
      writer = undefined;
      if (checkpoint && !remote && !client.closed) {
        await client.execute("PRAGMA wal_checkpoint(TRUNCATE)").catch(() => undefined);
      }
      client.close();
    },
  };
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
