import type { Client, InValue } from "@libsql/client";
import type { SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import Database from "libsql";

/**
 * The statements of one write transaction, for a path that runs the same few statements at a
 * high rate (agent reports). Locally they run on statements prepared once and reused.
 */
export interface StatementSession {
  run(statement: SQL): Promise<void>;
  /** The rows as arrays of column values. */
  values<T extends unknown[]>(statement: SQL): Promise<T[]>;
}

const dialect = new SQLiteAsyncDialect();

/** The statement's text and parameters; SQLite has no booleans, so they bind as 1 and 0 (as the client binds them). */
function compile(statement: SQL): { sql: string; args: InValue[] } {
  const query = dialect.sqlToQuery(statement);
  return {
    sql: query.sql,
    args: query.params.map((value) => (typeof value === "boolean" ? Number(value) : (value as InValue))),
  };
}

/** Prepared statements kept per connection: report batches use about eight; the bound is for any other text. */
const MAX_PREPARED_STATEMENTS = 64;

/**
 * A connection of its own (the `libsql` driver that `@libsql/client` wraps for local files),
 * used only inside write transactions, with its statements prepared once. Through the client
 * every statement is prepared again and its result converted row by row, which measured
 * ~40 µs per statement before SQLite did any work; a report batch runs about eight.
 */
export class PreparedWriter {
  private readonly prepared = new Map<string, Database.Statement>();

  private constructor(private readonly connection: Database.Database) {}

  /** Opens the writer's connection; `pragmas` are this connection's settings, applied once. */
  static open(path: string, busyTimeoutMs: number, pragmas: string[]): PreparedWriter {
    const connection = new Database(path, { timeout: busyTimeoutMs });
    for (const pragma of pragmas) connection.exec(pragma);
    return new PreparedWriter(connection);
  }

  /** Runs `fn` in one immediate transaction on this connection; commits unless it throws. */
  async transaction<T>(fn: (session: StatementSession) => Promise<T>): Promise<T> {
    this.statement("BEGIN IMMEDIATE").run();
    try {
      const result = await fn(this.session);
      this.statement("COMMIT").run();
      return result;
    } catch (error) {
      if (this.connection.inTransaction) this.statement("ROLLBACK").run();
      throw error;
    }
  }

  close(): void {
    this.prepared.clear();
    this.connection.close();
  }

  private readonly session: StatementSession = {
    run: async (statement) => {
      const { sql, args } = compile(statement);
      this.statement(sql).run(...args);
    },
    values: async <T extends unknown[]>(statement: SQL) => {
      const { sql, args } = compile(statement);
      return this.statement(sql)
        .raw(true)
        .all(...args) as T[];
    },
  };

  private statement(sql: string): Database.Statement {
    let prepared = this.prepared.get(sql);
    if (prepared === undefined) {
      if (this.prepared.size >= MAX_PREPARED_STATEMENTS) this.prepared.delete(this.prepared.keys().next().value!);
      prepared = this.connection.prepare(sql);
      this.prepared.set(sql, prepared);
    }
    return prepared;
  }
}

/** The same session over a `@libsql/client` transaction: for a libSQL server, where nothing is prepared locally. */
export async function clientTransaction<T>(client: Client, fn: (session: StatementSession) => Promise<T>): Promise<T> {
  const transaction = await client.transaction("write");
  try {
    const result = await fn({
      run: async (statement) => {
        await transaction.execute(compile(statement));
      },
      values: async <T extends unknown[]>(statement: SQL) =>
        (await transaction.execute(compile(statement))).rows.map((row) => Array.from(row) as T),
    });
    await transaction.commit();
    return result;
  } finally {
    transaction.close();
  }
}
