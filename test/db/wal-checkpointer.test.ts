// The WAL checkpointer (src/db/wal-checkpointer.ts): the event loop's connections never
// checkpoint, so this is what keeps the WAL copied into the database file and its size bounded.
import { afterAll, afterEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import Database from "libsql";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "../../src/db/database.ts";
import { WalCheckpointer, type CheckpointPolicy } from "../../src/db/wal-checkpointer.ts";
import { silentLogger, type Logger } from "../../src/logger.ts";
import { repoRoot, waitUntil } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-checkpoint-"));
const opened: Store[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KiB = 1024;
const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** A logger keeping every line's message. */
function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const keep = (msg: string) => void messages.push(msg);
  return { messages, debug: keep, info: keep, warn: keep, error: keep };
}

async function open(path: string, checkpoints: Partial<CheckpointPolicy>, logger?: Logger): Promise<Store> {
  const store = await openStore(path, undefined, { checkpoints, logger });
  opened.push(store);
  await store.client.execute("CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
  return store;
}

/** Commits `count` transactions of one `bytes`-sized row each, yielding to timers in between. */
async function writeRows(store: Store, count: number, bytes: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.write(async (tx) => {
      await tx.run(sql`INSERT INTO blobs (payload) VALUES (randomblob(${bytes}))`);
    });
    await Bun.sleep(1);
  }
}

test("the WAL is copied into the database file while writes continue, with no checkpoint on the event loop", async () => {
  const path = join(dir, "copied.db");
  const store = await open(path, { intervalMs: 10, restartBytes: 1024 * 1024 * 1024 });
  const before = sizeOf(path);
  await writeRows(store, 100, 16 * KiB);
  // The pages reach the database file while the store is open: only the checkpointer copies them.
  const grown = await waitUntil(
    "the rows in the database file",
    async () => (sizeOf(path) - before >= 100 * 16 * KiB ? sizeOf(path) : undefined),
    10_000,
  );
  expect(grown).toBeGreaterThan(before);
  expect((await store.client.execute("SELECT count(*) FROM blobs")).rows[0]![0]).toBe(100);
});

test("the WAL stays bounded while overlapping readers never leave it, and writes meanwhile all succeed", async () => {
  const path = join(dir, "readers.db");
  const restartBytes = 128 * KiB;
  // A generous wait: on a loaded host the readers' own timers may run late.
  const store = await open(path, { intervalMs: 10, restartBytes, restartWaitMs: 2000 });
  // Readers on connections of their own: a new read transaction every 10 ms, each kept for 30 ms,
  // so at every moment some reader holds a snapshot older than the newest commit.
  const readers = Array.from({ length: 3 }, () => new Database(path, { timeout: 5 }));
  const counts = readers.map((reader) => reader.prepare("SELECT count(*) FROM blobs").raw(true));
  let next = 0;
  const rotation = setInterval(() => {
    const n = next++ % readers.length;
    if (readers[n]!.inTransaction) readers[n]!.exec("COMMIT");
    readers[n]!.exec("BEGIN");
    counts[n]!.get();
  }, 10);
  let largestWal = 0;
  const sampling = setInterval(() => (largestWal = Math.max(largestWal, sizeOf(`${path}-wal`))), 5);
  try {
    await writeRows(store, 160, 16 * KiB);
  } finally {
    clearInterval(rotation);
    clearInterval(sampling);
    for (const reader of readers) {
      if (reader.inTransaction) reader.exec("COMMIT");
      reader.close();
    }
  }
  expect(counts[0]!.get()).toEqual([160]);
  // 160 rows of 16 KiB went through a WAL that never grew far past the restart size.
  expect(160 * 16 * KiB).toBeGreaterThan(16 * restartBytes);
  expect(largestWal).toBeLessThan(4 * restartBytes);
});

test("a garbage collection during a restart's wait leaves the event loop free: the reader it waits for finishes, and the restart succeeds", async () => {
  const path = join(dir, "collected.db");
  const writer = new Database(path, { timeout: 1000 });
  writer.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (x)");
  const policy = { intervalMs: 1000, restartBytes: 1024 * 1024 * 1024, restartWaitMs: 3000 };
  const checkpointer = WalCheckpointer.open(path, 4096, (work) => work(), silentLogger, policy);
  const reader = new Database(path, { timeout: 5 });
  try {
    // Passes like the background ones, whose statements the collector finds if they were left to it.
    for (let i = 0; i < 20; i++) await checkpointer.checkpoint("PASSIVE");
    writer.exec("INSERT INTO t VALUES (1)");
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM t").get();
    writer.exec("INSERT INTO t VALUES (2)");
    // The restart copies what the reader allows, then waits for it on the driver's thread.
    const restart = checkpointer.checkpoint("RESTART");
    await Bun.sleep(200);
    Bun.gc(true);
    // The reader finishes on a timer, as a server's readers finish on the event loop: it must get
    // its turn while the restart waits, not once the restart has given up.
    setTimeout(() => reader.exec("COMMIT"), 50);
    expect(await restart).toEqual({ busy: false, walFrames: 2, checkpointedFrames: 2 });
  } finally {
    if (reader.inTransaction) reader.exec("COMMIT");
    reader.close();
    checkpointer.close();
    writer.close();
  }
});

test("a reader holding the WAL is waited for a bounded time and reported; writes wait meanwhile, then the WAL starts over", async () => {
  const path = join(dir, "held.db");
  const restartBytes = 128 * KiB;
  const logger = recordingLogger();
  const store = await open(path, { intervalMs: 10, restartBytes, restartWaitMs: 100 }, logger);
  await writeRows(store, 1, 100);
  const reader = new Database(path, { timeout: 5 });
  reader.exec("BEGIN");
  reader.prepare("SELECT count(*) FROM blobs").get();
  try {
    // Past the restart size: the checkpointer takes the write lock and waits for this reader.
    await writeRows(store, 40, 16 * KiB);
    await waitUntil(
      "the held-back report",
      async () => logger.messages.some((m) => m.startsWith("WAL checkpoint held back")) || undefined,
      10_000,
    );
    // Writes meeting the restart's lock waited for it instead of failing.
    await writeRows(store, 10, 16 * KiB);
    expect(sizeOf(`${path}-wal`)).toBeGreaterThan(40 * 16 * KiB);
  } finally {
    reader.exec("COMMIT");
    reader.close();
  }
  await waitUntil(
    "checkpoints caught up",
    async () => logger.messages.includes("WAL checkpoints caught up") || undefined,
    10_000,
  );
  // The next commit starts the WAL over and truncates it to the restart size.
  await writeRows(store, 1, 100);
  expect(sizeOf(`${path}-wal`)).toBeLessThanOrEqual(restartBytes);
  expect((await store.client.execute("SELECT count(*) FROM blobs")).rows[0]![0]).toBe(52);
});

test("a clean stop, even during a checkpoint, leaves an empty WAL and every row in the database file", async () => {
  const path = join(dir, "stopped.db");
  const store = await open(path, { intervalMs: 1 });
  await store.write(async (tx) => {
    for (let i = 0; i < 200; i++) await tx.run(sql`INSERT INTO blobs (payload) VALUES (randomblob(${16 * KiB}))`);
  });
  await Bun.sleep(2);
  await store.close();
  opened.length = 0;
  expect(sizeOf(`${path}-wal`)).toBe(0);
  const file = new Database(path, { readonly: true });
  expect(file.prepare("SELECT count(*) FROM blobs").raw(true).get()).toEqual([200]);
  file.close();
});

test("a process killed while it writes and checkpoints leaves a database that opens intact with every acknowledged row", async () => {
  const path = join(dir, "killed.db");
  for (let round = 0; round < 3; round++) {
    const writer = Bun.spawn([process.execPath, join(repoRoot, "test/support/checkpointed-writer.ts"), path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    let acknowledged = 0;
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of writer.stdout) {
      text += decoder.decode(chunk);
      const lines = text.split("\n");
      text = lines.pop()!;
      if (lines.length > 0) acknowledged = Number(lines.at(-1));
      // Killed mid-stream after a few WAL restarts' worth of rows (256 KiB each).
      if (acknowledged >= (round + 1) * 200) {
        writer.kill("SIGKILL");
        break;
      }
    }
    await writer.exited;
    const file = new Database(path, { timeout: 1000 });
    expect(file.prepare("PRAGMA integrity_check").raw(true).get()).toEqual(["ok"]);
    const rows = file.prepare("SELECT count(*), max(seq) FROM acked WHERE seq <= ?").raw(true).get(acknowledged);
    expect(rows).toEqual([acknowledged, acknowledged]);
    file.close();
  }
});
