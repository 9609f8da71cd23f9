import { Database } from "bun:sqlite";
import { afterAll, afterEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSY_TIMEOUT_MS, DatabaseOpenError, openStore, type Store } from "../../src/db/database.ts";
import { migrations } from "../../src/db/migrations.gen.ts";
import { DEFAULT_CHECKPOINT_POLICY } from "../../src/db/wal-checkpointer.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-db-"));
const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(path: string): Promise<Store> {
  const store = await openStore(path);
  opened.push(store);
  return store;
}

/** The error openStore rejects with for `path`. */
async function openError(path: string): Promise<DatabaseOpenError> {
  try {
    await (await openStore(path)).close();
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseOpenError);
    return error as DatabaseOpenError;
  }
  throw new Error(`openStore(${path}) succeeded`);
}

test("a local file is opened in WAL mode with a busy timeout of a few milliseconds (longer waits do not block)", async () => {
  const store = await open(join(dir, "wal.db"));
  const mode = await store.client.execute("PRAGMA journal_mode");
  expect(mode.rows[0]![0]).toBe("wal");
  const timeout = await store.client.execute("PRAGMA busy_timeout");
  expect(Number(timeout.rows[0]![0])).toBe(BUSY_TIMEOUT_MS);
  expect(BUSY_TIMEOUT_MS).toBeGreaterThan(0);
  expect(BUSY_TIMEOUT_MS).toBeLessThanOrEqual(10);
});

test("every commit is synced (an acknowledged report is durable); the event loop's connections never checkpoint", async () => {
  const store = await open(join(dir, "durable.db"));
  const synchronous = await store.client.execute("PRAGMA synchronous");
  expect(Number(synchronous.rows[0]![0])).toBe(2); // FULL
  const checkpoint = await store.client.execute("PRAGMA wal_autocheckpoint");
  expect(Number(checkpoint.rows[0]![0])).toBe(0); // the WalCheckpointer's thread does
  const sizeLimit = await store.client.execute("PRAGMA journal_size_limit");
  expect(Number(sizeLimit.rows[0]![0])).toBe(DEFAULT_CHECKPOINT_POLICY.restartBytes);
});

test("a new file gets 2 KiB pages; an existing file keeps its page size", async () => {
  const fresh = await open(join(dir, "fresh.db"));
  expect(Number((await fresh.client.execute("PRAGMA page_size")).rows[0]![0])).toBe(2048);

  const legacyPath = join(dir, "legacy.db");
  const legacy = new Database(legacyPath);
  legacy.exec("PRAGMA page_size = 4096; CREATE TABLE made_before (x); PRAGMA journal_mode = WAL;");
  legacy.close();
  const store = await open(legacyPath);
  expect(Number((await store.client.execute("PRAGMA page_size")).rows[0]![0])).toBe(4096);
  const settings = await store.write(async (tx) => (await tx.values<[number]>(sql`PRAGMA wal_autocheckpoint`))[0]![0]);
  expect(settings).toBe(0);
});

test("a write transaction on a connection the pool opened later has the writer's settings too", async () => {
  const store = await open(join(dir, "pooled.db"));
  // A read transaction holds the first connection, so the write gets a new one.
  const held = await store.client.transaction("read");
  try {
    const settings = await store.write(async (tx) => ({
      checkpoint: (await tx.values<[number]>(sql`PRAGMA wal_autocheckpoint`))[0]![0],
      sizeLimit: (await tx.values<[number]>(sql`PRAGMA journal_size_limit`))[0]![0],
      cache: (await tx.values<[number]>(sql`PRAGMA cache_size`))[0]![0],
      synchronous: (await tx.values<[number]>(sql`PRAGMA synchronous`))[0]![0],
    }));
    expect(settings).toEqual({
      checkpoint: 0,
      sizeLimit: DEFAULT_CHECKPOINT_POLICY.restartBytes,
      cache: -8 * 1024,
      synchronous: 2,
    });
  } finally {
    held.close();
  }
});

test("migrations are applied once: reopening the file changes neither schema nor bookkeeping", async () => {
  const path = join(dir, "twice.db");
  const snapshot = async (store: Store) => ({
    schema: (await store.client.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")).rows,
    applied: (await store.client.execute("SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at")).rows,
  });
  const first = await open(path);
  const before = await snapshot(first);
  await first.close();
  opened.length = 0;
  const second = await open(path);
  const after = await snapshot(second);
  expect(before.applied).toHaveLength(migrations.length);
  expect(JSON.stringify(after)).toBe(JSON.stringify(before));
  expect(before.schema.map((row) => row[1])).toContain("machines");
});

test("a database made before 0001 keeps its machines and tags, then clustered on their ids", async () => {
  const path = join(dir, "before-0001.db");
  const legacy = new Database(path);
  const init = migrations.find((m) => m.tag === "0000_init")!;
  for (const statement of init.sql.split("--> statement-breakpoint")) legacy.exec(statement);
  legacy.exec("CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)");
  legacy.query("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('0000', ?)").run(init.when);
  legacy.exec(`INSERT INTO machines VALUES
    ('web-1', 'active', 1, '/nix/store/a', '0.1.0', 60, 1, 1, 2, '2026-11-27T10:00:00Z', 7),
    ('db-1', 'maintenance', 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  legacy.exec("INSERT INTO machine_tags VALUES ('web-1', 'web'), ('web-1', 'rack:r1'), ('db-1', 'db')");
  legacy.close();

  const store = await open(path);
  const rows = async (query: string) => (await store.client.execute(query)).rows.map((row) => Array.from(row));
  expect(await rows("SELECT * FROM machines ORDER BY machine_id")).toEqual([
    ["db-1", "maintenance", 3, null, null, null, null, null, null, null, null],
    ["web-1", "active", 1, "/nix/store/a", "0.1.0", 60, 1, 1, 2, "2026-11-27T10:00:00Z", 7],
  ]);
  expect(await rows("SELECT machine_id, tag FROM machine_tags ORDER BY 1, 2")).toEqual([
    ["db-1", "db"],
    ["web-1", "rack:r1"],
    ["web-1", "web"],
  ]);
  const tables = await rows(
    "SELECT name, sql FROM sqlite_master WHERE name IN ('machines', 'machine_tags') ORDER BY 1",
  );
  expect(tables.map(([name, ddl]) => [name, String(ddl).endsWith("WITHOUT ROWID")])).toEqual([
    ["machine_tags", true],
    ["machines", true],
  ]);
  expect(
    await rows("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'machine%' ORDER BY 1"),
  ).toEqual([["machine_tags_tag_idx"], ["machines_lifecycle_idx"]]);
});

test("a database made before 0002 gets rollout_id on its rollouts' audit events, and on nothing else", async () => {
  const path = join(dir, "before-0002.db");
  const legacy = new Database(path);
  legacy.exec("CREATE TABLE __drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)");
  for (const migration of migrations.filter((m) => m.tag < "0002")) {
    for (const statement of migration.sql.split("--> statement-breakpoint")) legacy.exec(statement);
    legacy
      .query("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)")
      .run(migration.tag, migration.when);
  }
  legacy.exec(`INSERT INTO audit_events (timestamp, actor, action, target, detail) VALUES
    (1, 'apikey:ci', 'rollout.created', 'r-1', '{}'),
    (2, 'executor', 'batch.deploying', 'r-1', '{}'),
    (3, 'machine:web-1', 'report', 'web-1', '{}'),
    (4, 'apikey:ci', 'create_release', 'rel-1', '{}')`);
  legacy.close();

  const store = await open(path);
  const rows = (await store.client.execute("SELECT action, rollout_id FROM audit_events ORDER BY id")).rows;
  expect(rows.map((row) => Array.from(row))).toEqual([
    ["rollout.created", "r-1"],
    ["batch.deploying", "r-1"],
    ["report", null],
    ["create_release", null],
  ]);
});

test("concurrent writes through store.write are serialized, none fails", async () => {
  const store = await open(join(dir, "writes.db"));
  await store.client.execute("CREATE TABLE counter (n INTEGER NOT NULL)");
  await store.client.execute("INSERT INTO counter VALUES (0)");
  await Promise.all(
    Array.from({ length: 20 }, () =>
      store.write(async (tx) => {
        const { rows } = await tx.run(sql`SELECT n FROM counter`);
        await tx.run(sql`UPDATE counter SET n = ${Number(rows[0]![0]) + 1}`);
      }),
    ),
  );
  expect((await store.client.execute("SELECT n FROM counter")).rows[0]![0]).toBe(20);
});

test("a failed write rolls back and does not block the next one", async () => {
  const store = await open(join(dir, "rollback.db"));
  await store.client.execute("CREATE TABLE t (v TEXT)");
  const failing = store.write(async (tx) => {
    await tx.run(sql`INSERT INTO t VALUES ('lost')`);
    throw new Error("abort");
  });
  await expect(failing).rejects.toThrow("abort");
  await store.write(async (tx) => {
    await tx.run(sql`INSERT INTO t VALUES ('kept')`);
  });
  expect((await store.client.execute("SELECT v FROM t")).rows.map((r) => r[0])).toEqual(["kept"]);
});

test("a write refused by another process's lock leaves no connection reading an old snapshot: the next reads see what the other committed, the next write goes through", async () => {
  const path = join(dir, "stale-snapshot.db");
  const a = await openStore(path, undefined, { writeWaitMs: 50 });
  opened.push(a);
  const b = await open(path);
  await a.client.execute("CREATE TABLE t (v TEXT)");
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  const other = b.write(async (tx) => {
    await tx.run(sql`INSERT INTO t VALUES ('b')`);
    holding();
    await released;
  });
  await held;
  const refused = await a.write((tx) => tx.run(sql`INSERT INTO t VALUES ('a')`)).catch((error: unknown) => error);
  expect(refused).toMatchObject({ trouble: "database locked" });
  release();
  await other;
  // A connection its failed BEGIN IMMEDIATE left in the pool would still read the table as empty.
  for (let i = 0; i < 3; i++) {
    expect((await a.client.execute("SELECT v FROM t")).rows.map((r) => r[0])).toEqual(["b"]);
  }
  await a.write((tx) => tx.run(sql`INSERT INTO t VALUES ('a')`));
  expect((await a.client.execute("SELECT v FROM t ORDER BY v")).rows.map((r) => r[0])).toEqual(["a", "b"]);
});

test("commit listeners hear the ids of the audit events each transaction wrote, through either write path", async () => {
  const store = await open(join(dir, "audit-ids.db"));
  const heard: unknown[] = [];
  store.onCommit((ids) => heard.push(ids));
  const audit = (n: number) =>
    sql`insert into audit_events (timestamp, actor, action, target, detail)
      select 0, 'test', 'register', 'm-' || value, '{}' from json_each(${JSON.stringify(Array.from({ length: n }, (_, i) => i))})`;
  await store.write((tx) => tx.run(audit(2)));
  await store.write((tx) => tx.run(sql`select 1`));
  // That path's audit events go through its session's recordAudit, which takes their ids from the insert.
  await store.writeStatements((session) =>
    session.recordAudit(
      0,
      Array.from({ length: 3 }, (_, i) => ({
        actor: "test",
        action: "register" as const,
        target: `m-${i}`,
        detail: {},
      })),
    ),
  );
  await store.writeStatements((session) => session.run(sql`select 1`));
  expect(heard).toEqual([[1, 2], null, [3, 5], null]);
});

test("writeStatements has the writer's settings and busy timeout and commits what the next read sees", async () => {
  const store = await open(join(dir, "statements.db"));
  await store.client.execute("CREATE TABLE t (v TEXT, n INTEGER)");
  const settings = await store.writeStatements(async (session) => {
    await session.run(sql`INSERT INTO t VALUES (${"kept"}, ${true})`);
    return {
      checkpoint: (await session.values<[number]>(sql`PRAGMA wal_autocheckpoint`))[0]![0],
      sizeLimit: (await session.values<[number]>(sql`PRAGMA journal_size_limit`))[0]![0],
      cache: (await session.values<[number]>(sql`PRAGMA cache_size`))[0]![0],
      synchronous: (await session.values<[number]>(sql`PRAGMA synchronous`))[0]![0],
      busyTimeout: (await session.values<[number]>(sql`PRAGMA busy_timeout`))[0]![0],
    };
  });
  expect(settings).toEqual({
    checkpoint: 0,
    sizeLimit: DEFAULT_CHECKPOINT_POLICY.restartBytes,
    cache: -8 * 1024,
    synchronous: 2,
    busyTimeout: BUSY_TIMEOUT_MS,
  });
  expect((await store.client.execute("SELECT v, n FROM t")).rows.map((r) => [r[0], r[1]])).toEqual([["kept", 1]]);
});

test("writeStatements rolls back a failed transaction and keeps working, in order with store.write", async () => {
  const store = await open(join(dir, "statements-order.db"));
  await store.client.execute("CREATE TABLE t (v TEXT)");
  const failing = store.writeStatements(async (session) => {
    await session.run(sql`INSERT INTO t VALUES ('lost')`);
    throw new Error("abort");
  });
  const written = [
    store.write(async (tx) => {
      await tx.run(sql`INSERT INTO t VALUES ('first')`);
    }),
    store.writeStatements(async (session) => {
      // Runs after the write queued before it has committed.
      const [[seen]] = (await session.values<[number]>(sql`SELECT count(*) FROM t`)) as [[number]];
      await session.run(sql`INSERT INTO t VALUES (${`second after ${seen}`})`);
    }),
  ];
  await expect(failing).rejects.toThrow("abort");
  await Promise.all(written);
  expect((await store.client.execute("SELECT v FROM t ORDER BY rowid")).rows.map((r) => r[0])).toEqual([
    "first",
    "second after 1",
  ]);
});

test("writeStatements runs any number of distinct statements (its prepared ones are bounded)", async () => {
  const store = await open(join(dir, "statements-many.db"));
  await store.client.execute("CREATE TABLE t (k INTEGER, v INTEGER)");
  for (let round = 0; round < 2; round++) {
    await store.writeStatements(async (session) => {
      // A different text each, so each is prepared: more than the writer keeps.
      for (let k = 0; k < 100; k++) await session.run(sql.raw(`INSERT INTO t VALUES (${k}, ${round})`));
    });
  }
  const rows = await store.client.execute("SELECT count(*), count(DISTINCT k), sum(v) FROM t");
  expect(Array.from(rows.rows[0]!)).toEqual([200, 100, 100]);
});

test("close checkpoints the WAL into the database file", async () => {
  const path = join(dir, "checkpoint.db");
  const store = await openStore(path);
  await store.client.execute("CREATE TABLE t (v TEXT)");
  await store.client.execute("INSERT INTO t VALUES ('durable')");
  expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
  await store.close();
  expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
  const reopened = await open(path);
  expect((await reopened.client.execute("SELECT v FROM t")).rows[0]![0]).toBe("durable");
});

test("health answers ok while open and a one-line reason once closed", async () => {
  const store = await openStore(join(dir, "health.db"));
  expect(await store.health()).toEqual({ ok: true });
  await store.close();
  const closed = await store.health();
  expect(closed.ok).toBe(false);
  expect(closed.ok ? "" : closed.reason).toMatch(/^database unavailable: [^\n]+$/);
});

test("a missing database directory is refused with one line naming it", async () => {
  const error = await openError(join(dir, "missing", "state.db"));
  expect(error.message).toBe(`database directory ${join(dir, "missing")} does not exist`);
});

test("a database path under a regular file is refused", async () => {
  writeFileSync(join(dir, "plain-file"), "x");
  const error = await openError(join(dir, "plain-file", "state.db"));
  expect(error.message).toBe(`database directory ${join(dir, "plain-file")} is not a directory`);
});

test("a directory that refuses new files, even to root (/proc), is refused", async () => {
  const error = await openError("/proc/state.db");
  expect(error.message).toBe("database directory /proc is not writable");
});

test("the writability check leaves nothing behind", async () => {
  const clean = mkdtempSync(join(dir, "clean-"));
  await (await openStore(join(clean, "state.db"))).close();
  expect(readdirSync(clean).filter((name) => name.startsWith(".nixfleet"))).toEqual([]);
});

test("a libsql/http URL goes to the libSQL client as a remote database, not a file path", async () => {
  // A stand-in server that records what the client sends and refuses it.
  const received: { path: string; body: string }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      received.push({ path: new URL(request.url).pathname, body: await request.text() });
      return new Response("unavailable", { status: 503 });
    },
  });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const error = await openError(url);
    // It got past the file checks (the URL's "directory" does not exist) to the network.
    expect(error.message).toStartWith(`cannot migrate database ${url}: `);
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((r) => r.path.includes("pipeline"))).toBe(true);
    const sent = received.map((r) => r.body).join("\n");
    expect(sent).toContain("__drizzle_migrations");
    expect(sent).not.toMatch(/journal_mode/i);
  } finally {
    server.stop(true);
  }
  expect(readdirSync(".").some((name) => name.startsWith("http"))).toBe(false);
});
