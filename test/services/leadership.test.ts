// The lease and heartbeat service on a real database file shared by several Leadership instances,
// each on its own connections (as separate processes would be), with the database clock and each
// instance's monotonic clock under the test's control.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { findLease, liveNodes } from "../../src/db/cluster.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { auditEvents, clusterNodes } from "../../src/db/schema.ts";
import { LeaseLostError } from "../../src/domain/lease.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { EXECUTOR_LEASE, Leadership } from "../../src/services/leadership.ts";

const LEASE_MS = 5000;
let dir: string;
let dbPath: string;
let dbNow: number;
let logLines: Record<string, unknown>[];
let logger: Logger;
const opened: { store: Store; node: Leadership }[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nixfleet-lease-"));
  dbPath = join(dir, "state.db");
  dbNow = Date.parse("2026-11-27T10:00:00Z");
  logLines = [];
  logger = createLogger({ level: "debug", write: (line) => logLines.push(JSON.parse(line)) });
});

afterEach(async () => {
  for (const { store, node } of opened.splice(0)) {
    await node.stop();
    await store.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Node {
  leadership: Leadership;
  store: Store;
  /** Advances this node's own monotonic clock. */
  sleep(ms: number): void;
  events: string[];
  /** Joins the cluster and starts heartbeating at `http://<nodeId>:1` (running the lead hooks if it holds the lease). */
  joinAndStart(): Promise<void>;
}

/** A Leadership on its own store of the shared file, recording its hook runs in `events`. */
async function node(nodeId: string, options: { eligible?: boolean; store?: Store } = {}): Promise<Node> {
  const store = options.store ?? (await openStore(dbPath));
  let monotonic = 0;
  const leadership = new Leadership({
    store,
    logger,
    nodeId,
    leaseMs: LEASE_MS,
    eligible: options.eligible ?? true,
    version: "0.2.0",
    clock: async () => dbNow,
    monotonic: () => monotonic,
    // Heartbeats run only when a test calls tick().
    setTimer: () => () => {},
  });
  const events: string[] = [];
  leadership.onLead(() => void events.push("lead"));
  leadership.onLoseLead(() => void events.push("lose"));
  opened.push({ store, node: leadership });
  const joinAndStart = async () => {
    await leadership.join();
    leadership.start(`http://${nodeId}:1`);
  };
  return { leadership, store, events, sleep: (ms) => (monotonic += ms), joinAndStart };
}

/** A store of the shared file whose writes fail (the database unreachable) while `failing` is set. */
async function flakyStore(): Promise<{ store: Store; failing(on: boolean): void }> {
  const shared = await openStore(dbPath);
  let failing = false;
  const store: Store = {
    ...shared,
    write: (fn) => (failing ? Promise.reject(new Error("database unreachable")) : shared.write(fn)),
  };
  return { store, failing: (on) => (failing = on) };
}

/** The `msg`s logged for `nodeId`, in order. */
const logged = (nodeId: string) => logLines.filter((l) => l.node_id === nodeId).map((l) => l.msg);

test("the first process to join takes the lease with token 1; the lead hooks run on start", async () => {
  const a = await node("a");
  await a.leadership.join();
  expect(a.leadership.role).toBe("leader");
  expect(a.leadership.fencingToken).toBe(1);
  expect(a.events).toEqual([]);
  a.leadership.start("http://a:1");
  // The synchronous part of the lead hooks has run when start returns.
  expect(a.events).toEqual(["lead"]);
  expect(await findLease(a.store.db, EXECUTOR_LEASE)).toEqual({
    holder: "a",
    token: 1,
    acquiredAt: dbNow,
    expiresAt: dbNow + LEASE_MS,
  });
});

test("a second process waits while the lease is held, and takes it with the next token once it expires", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.leadership.join();
  await b.joinAndStart();
  expect(b.leadership.role).toBe("standby");
  dbNow += LEASE_MS - 1;
  await b.leadership.tick();
  expect(b.leadership.role).toBe("standby");
  dbNow += 1;
  await b.leadership.tick();
  expect(b.leadership.role).toBe("leader");
  expect(b.leadership.fencingToken).toBe(2);
  expect(b.events).toEqual(["lead"]);
  expect(logged("b")).toContain("took the executor lease");
});

test("the holder's renewals keep the lease: nobody else takes it while they come", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.leadership.join();
  await b.leadership.join();
  for (let i = 0; i < 5; i++) {
    dbNow += LEASE_MS - 1;
    a.sleep(LEASE_MS / 3);
    await a.leadership.tick();
    await b.leadership.tick();
  }
  expect(a.leadership.fencingToken).toBe(1);
  expect(b.leadership.role).toBe("standby");
  expect((await findLease(a.store.db, EXECUTOR_LEASE))?.expiresAt).toBe(dbNow + LEASE_MS);
});

test("fencing: a paused leader that wakes after a takeover has its leader-only write refused, and nothing of it is written", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.joinAndStart();
  await b.joinAndStart();
  expect(await a.leadership.write(async (tx) => insertMarker(tx, "a while leading"))).toBe("written");

  // a is paused (no heartbeat runs) past its lease; b takes over.
  dbNow += LEASE_MS;
  await b.leadership.tick();
  expect(b.leadership.fencingToken).toBe(2);

  // a wakes and writes before any heartbeat of its own could tell it.
  const refused = await a.leadership.write(async (tx) => insertMarker(tx, "a after the takeover")).catch((e) => e);
  expect(refused).toBeInstanceOf(LeaseLostError);
  expect(refused).toMatchObject({ nodeId: "a", token: 1, holder: "b", holderToken: 2 });
  expect(await markers(a.store)).toEqual(["a while leading"]);
  // The refusal ended a's lead at once.
  expect(a.leadership.role).toBe("standby");
  expect(a.events).toEqual(["lead", "lose"]);
  expect(logged("a")).toEqual(["fenced write refused", "lost the executor lease"]);

  // The new leader's writes go through.
  await b.leadership.write(async (tx) => insertMarker(tx, "b leading"));
  expect(await markers(a.store)).toEqual(["a while leading", "b leading"]);
});

test("a leader whose renewal finds another holder loses the lease and runs its lose hooks", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.joinAndStart();
  await b.leadership.join();
  dbNow += LEASE_MS;
  await b.leadership.tick();
  await a.leadership.tick();
  expect(a.leadership.role).toBe("standby");
  expect(a.events).toEqual(["lead", "lose"]);
  expect(logLines.find((l) => l.node_id === "a" && l.msg === "lost the executor lease")).toMatchObject({
    token: 1,
    reason: "another process holds the lease",
    holder: "b",
    holder_token: 2,
  });
});

test("a process that never led cannot make a fenced write", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.leadership.join();
  await b.leadership.join();
  const refused = await b.leadership.write(async (tx) => insertMarker(tx, "b")).catch((e) => e);
  expect(refused).toBeInstanceOf(LeaseLostError);
  expect(refused.message).toBe("node b does not hold the executor lease");
  expect(await markers(a.store)).toEqual([]);
});

test("a clean stop gives the lease up: the next process takes it at once, with the next token", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.joinAndStart();
  await b.leadership.join();
  await a.leadership.stop();
  expect(a.events).toEqual(["lead", "lose"]);
  expect(logged("a")).toContain("gave up the executor lease");
  await b.leadership.tick();
  expect(b.leadership.fencingToken).toBe(2);
});

test("when renewals fail, the leader stops counting itself leader after one lease by its own clock, and carries on once a renewal succeeds", async () => {
  const flaky = await flakyStore();
  const a = await node("a", { store: flaky.store });
  await a.joinAndStart();
  flaky.failing(true);
  a.sleep(LEASE_MS - 1);
  await a.leadership.tick();
  expect(a.leadership.isLeader).toBe(true);
  a.sleep(1);
  expect(a.leadership.isLeader).toBe(false);
  await a.leadership.tick();
  expect(logged("a")).toEqual([
    "cluster heartbeat failed",
    "cluster heartbeat failed",
    "executor lease renewal overdue",
  ]);
  // Nobody took the lease meanwhile: the next renewal makes a leader again, its token unchanged.
  flaky.failing(false);
  dbNow += 2 * LEASE_MS;
  await a.leadership.tick();
  expect(a.leadership.isLeader).toBe(true);
  expect(a.leadership.fencingToken).toBe(1);
  expect(a.events).toEqual(["lead"]);
});

test("when renewals fail and another process takes the lease meanwhile, the old leader's next renewal ends its lead", async () => {
  const flaky = await flakyStore();
  const a = await node("a", { store: flaky.store });
  const b = await node("b");
  await a.joinAndStart();
  await b.leadership.join();
  flaky.failing(true);
  a.sleep(LEASE_MS);
  await a.leadership.tick();
  dbNow += LEASE_MS;
  await b.leadership.tick();
  flaky.failing(false);
  await a.leadership.tick();
  expect(a.leadership.role).toBe("standby");
  expect(a.events).toEqual(["lead", "lose"]);
  expect(b.leadership.fencingToken).toBe(2);
});

test("--no-executor: a replica heartbeats but never takes the lease, even a free one", async () => {
  const replica = await node("replica", { eligible: false });
  await replica.joinAndStart();
  await replica.leadership.tick();
  expect(replica.leadership.role).toBe("replica");
  expect(await findLease(replica.store.db, EXECUTOR_LEASE)).toBeNull();
  expect((await liveNodes(replica.store.db, dbNow)).map((n) => [n.nodeId, n.eligible])).toEqual([["replica", false]]);
});

test("a process that lost the lease stays eligible: it takes the lease again later and its lead hooks run again", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.joinAndStart();
  await b.joinAndStart();
  dbNow += LEASE_MS;
  await b.leadership.tick();
  await a.leadership.tick();
  expect([a.leadership.role, b.leadership.role]).toEqual(["standby", "leader"]);
  await b.leadership.stop();
  await a.leadership.tick();
  expect(a.leadership.role).toBe("leader");
  expect(a.leadership.fencingToken).toBe(3);
  expect(a.events).toEqual(["lead", "lose", "lead"]);
  expect(await a.leadership.write(async (tx) => insertMarker(tx, "a leading again"))).toBe("written");
});

test("heartbeat rows: listed until two lease times after the last heartbeat, then deleted by anyone's heartbeat", async () => {
  const a = await node("a");
  const b = await node("b");
  await a.joinAndStart();
  await a.leadership.tick();
  await b.joinAndStart();
  await b.leadership.tick();
  const rows = await liveNodes(a.store.db, dbNow);
  expect(rows.map((r) => [r.nodeId, r.address, r.version, r.lastSeenAt])).toEqual([
    ["a", "http://a:1", "0.2.0", dbNow],
    ["b", "http://b:1", "0.2.0", dbNow],
  ]);
  const startedAt = dbNow;
  // a dies (no more heartbeats); b goes on.
  dbNow += 2 * LEASE_MS - 1;
  await b.leadership.tick();
  expect((await liveNodes(a.store.db, dbNow)).map((r) => r.nodeId)).toEqual(["a", "b"]);
  dbNow += 1;
  expect((await liveNodes(a.store.db, dbNow)).map((r) => r.nodeId)).toEqual(["b"]);
  await b.leadership.tick();
  const left = await b.store.db.select().from(clusterNodes);
  expect(left.map((r) => [r.nodeId, r.startedAt, r.lastSeenAt])).toEqual([["b", startedAt, dbNow]]);
});

test("a clean stop removes the process's row at once", async () => {
  const a = await node("a");
  await a.leadership.join();
  await a.leadership.stop();
  expect(await a.store.db.select().from(clusterNodes).where(eq(clusterNodes.nodeId, "a"))).toEqual([]);
});

async function insertMarker(tx: Parameters<Parameters<Store["write"]>[0]>[0], detail: string): Promise<string> {
  await tx
    .insert(auditEvents)
    .values({ timestamp: dbNow, actor: "executor", action: "marker", target: "lease-test", detail });
  return "written";
}

async function markers(store: Store): Promise<string[]> {
  const rows = await store.db.select().from(auditEvents).where(eq(auditEvents.action, "marker"));
  return rows.map((r) => r.detail);
}

test("a clean stop runs the lose hooks while the lease is still held: their last fenced writes land", async () => {
  const a = await node("a");
  await a.joinAndStart();
  let written: unknown = null;
  a.leadership.onLoseLead(async () => {
    written = await a.leadership
      .write(async (tx) => {
        await tx
          .insert(auditEvents)
          .values({ timestamp: dbNow, actor: "test", action: "x", target: "t", detail: "{}" });
        return "written";
      })
      .catch((error: unknown) => error);
  });
  await a.leadership.stop();
  expect(written).toBe("written");
  expect(await a.store.db.$count(auditEvents, eq(auditEvents.action, "x"))).toBe(1);
});
