// A stand-in for sqld (the libSQL server) for tests: the Hrana v2 HTTP protocol's
// pipeline endpoint over one bun:sqlite connection, which lets a test read the database and
// the Authorization headers directly. It is enough for @libsql/client's `http://` mode:
// execute, batch with conditions, stored SQL, and transactions held across requests by a
// baton (every stream shares the one connection, which one process's serialized writes make
// safe, but not several processes': test/support/sqld.ts runs the real sqld for those).
import { Database, type SQLQueryBindings } from "bun:sqlite";

type HranaValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

interface HranaStmt {
  sql?: string;
  sql_id?: number;
  args?: HranaValue[];
  named_args?: { name: string; value: HranaValue }[];
}

type HranaCond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: HranaCond }
  | { type: "and" | "or"; conds: HranaCond[] }
  | { type: "is_autocommit" };

type HranaRequest =
  | { type: "execute"; stmt: HranaStmt }
  | { type: "batch"; batch: { steps: { stmt: HranaStmt; condition?: HranaCond }[] } }
  | { type: "sequence"; sql: string }
  | { type: "get_autocommit" }
  | { type: "store_sql"; sql_id: number; sql: string }
  | { type: "close_sql"; sql_id: number }
  | { type: "close" };

export interface FakeSqld {
  /** `http://127.0.0.1:<port>`, for `--db-path`. */
  url: string;
  /** The database behind it, to inspect what the client wrote. */
  db: Database;
  /** Every Authorization header received. */
  authorizations: (string | null)[];
  stop(): void;
}

/** Starts the stand-in on a free port. */
export function startFakeSqld(): FakeSqld {
  const db = new Database(":memory:");
  const storedSql = new Map<number, string>();
  const authorizations: (string | null)[] = [];
  let batonCounter = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST" || path !== "/v2/pipeline") return new Response("not found", { status: 404 });
      authorizations.push(request.headers.get("authorization"));
      const body = (await request.json()) as { baton: string | null; requests: HranaRequest[] };
      const results = body.requests.map((req) => {
        try {
          return { type: "ok", response: handle(db, storedSql, req) };
        } catch (error) {
          return { type: "error", error: { message: (error as Error).message, code: "SQLITE_ERROR" } };
        }
      });
      const closed = body.requests.some((req) => req.type === "close");
      return Response.json({ baton: closed ? null : `baton-${++batonCounter}`, base_url: null, results });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, db, authorizations, stop: () => server.stop(true) };
}

function handle(db: Database, storedSql: Map<number, string>, req: HranaRequest): unknown {
  const sqlOf = (stmt: HranaStmt) => stmt.sql ?? storedSql.get(stmt.sql_id!) ?? "";
  switch (req.type) {
    case "execute":
      return { type: "execute", result: execute(db, sqlOf(req.stmt), req.stmt) };
    case "batch": {
      const results: (unknown | null)[] = [];
      const errors: ({ message: string } | null)[] = [];
      req.batch.steps.forEach((step, i) => {
        results[i] = null;
        errors[i] = null;
        if (step.condition && !holds(db, step.condition, results, errors)) return;
        try {
          results[i] = execute(db, sqlOf(step.stmt), step.stmt);
        } catch (error) {
          errors[i] = { message: (error as Error).message };
        }
      });
      return { type: "batch", result: { step_results: results, step_errors: errors } };
    }
    case "sequence":
      db.run(req.sql);
      return { type: "sequence" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: !db.inTransaction };
    case "store_sql":
      storedSql.set(req.sql_id, req.sql);
      return { type: "store_sql" };
    case "close_sql":
      storedSql.delete(req.sql_id);
      return { type: "close_sql" };
    default:
      return { type: req.type };
  }
}

function holds(db: Database, cond: HranaCond, results: unknown[], errors: unknown[]): boolean {
  switch (cond.type) {
    case "ok":
      return results[cond.step] !== null;
    case "error":
      return errors[cond.step] !== null;
    case "not":
      return !holds(db, cond.cond, results, errors);
    case "and":
      return cond.conds.every((c) => holds(db, c, results, errors));
    case "or":
      return cond.conds.some((c) => holds(db, c, results, errors));
    case "is_autocommit":
      return !db.inTransaction;
  }
}

function execute(db: Database, sql: string, stmt: HranaStmt) {
  const query = db.prepare(sql);
  const bindings: SQLQueryBindings[] = (stmt.args ?? []).map(decode);
  const named = Object.fromEntries((stmt.named_args ?? []).map((arg) => [arg.name, decode(arg.value)]));
  const params = (stmt.named_args ?? []).length > 0 ? [named as SQLQueryBindings] : bindings;
  const cols = query.columnNames.map((name, i) => ({ name, decltype: query.declaredTypes[i] ?? null }));
  if (cols.length === 0) {
    const { changes, lastInsertRowid } = query.run(...params);
    return { cols, rows: [], affected_row_count: changes, last_insert_rowid: String(lastInsertRowid) };
  }
  const rows = query.values(...params).map((row) => row.map(encode));
  return { cols, rows, affected_row_count: 0, last_insert_rowid: null };
}

function decode(value: HranaValue): SQLQueryBindings {
  switch (value.type) {
    case "null":
      return null;
    case "integer":
      return BigInt(value.value);
    case "float":
      return value.value;
    case "text":
      return value.value;
    case "blob":
      return Buffer.from(value.base64, "base64");
  }
}

function encode(value: unknown): HranaValue {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: String(value) };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { type: "integer", value: String(value) } : { type: "float", value };
  }
  if (typeof value === "string") return { type: "text", value };
  return { type: "blob", base64: Buffer.from(value as Uint8Array).toString("base64") };
}
