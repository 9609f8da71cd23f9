// The in-memory views of one control plane following what another writes to the same database
// (SPEC §18): each kind of event the follower applies, the reports tail, and idempotence.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { auditEvents } from "../../src/db/schema.ts";
import { NOTHING_DESIRED_ETAG } from "../../src/services/fleet-state.ts";
import { addPeer, type Peer } from "../support/cluster.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { reportBody } from "../support/machines.ts";
import { storePath } from "../support/rollouts.ts";

let h: Harness;
let b: Peer;
let admin: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
  b = await addPeer(h, { nodeId: "b", leaseSeconds: 5, executor: true });
});

afterEach(async () => {
  await b.close();
  await h.close();
});

/** A request to the harness's control plane (the leader, "a"). */
function onA(path: string, init: RequestInit & { json?: unknown } = {}) {
  return h.request(path, { key: admin, ...init });
}

async function desiredOn(peer: { request: Peer["request"] }, id: string) {
  const res = await peer.request(`/api/v1/machines/${id}/desired-generation`);
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null };
}

const bFleet = () => b.controlPlane.deps.fleet;
const sync = () => b.controlPlane.deps.views.sync();

test("registration and lifecycle changes made through one process reach the other's fleet view", async () => {
  expect((await onA("/api/v1/machines/web-1/register", { json: { tags: ["web"] } })).status).toBe(201);
  expect(bFleet().machine("web-1")).toBeUndefined();
  await sync();
  expect(bFleet().machine("web-1")).toMatchObject({ lifecycle: "active" });
  expect(bFleet().fleetSize).toBe(1);

  const patched = await onA("/api/v1/machines/web-1/lifecycle", {
    method: "PATCH",
    json: { lifecycle: "maintenance" },
  });
  expect(patched.status).toBe(200);
  await sync();
  expect(bFleet().machine("web-1")?.lifecycle).toBe("maintenance");
  expect(bFleet().countByLifecycle()).toMatchObject({ active: 0, maintenance: 1 });
});

test("a desired generation set through one process answers a poll held on the other; clearing it is followed too", async () => {
  const path = storePath("web-1");
  const held = b.request("/api/v1/machines/web-1/desired-generation?wait=20", {
    headers: { "if-none-match": NOTHING_DESIRED_ETAG },
  });
  await Bun.sleep(10);
  expect((await onA("/api/v1/machines/web-1/notify-deploy", { json: { store_path: path } })).status).toBe(200);
  await sync();
  const answered = await held;
  expect(answered.status).toBe(200);
  expect(await answered.json()).toEqual({ hash: path, cache_url: null, poll_hint: null });

  expect((await onA("/api/v1/machines/web-1/desired-generation", { method: "DELETE" })).status).toBe(204);
  expect((await desiredOn(b, "web-1")).status).toBe(200);
  await sync();
  expect((await desiredOn(b, "web-1")).status).toBe(404);
});

test("reports through one process: registration and activation through the feed, an unchanged heartbeat's last-seen through the reports tail", async () => {
  const first = await h.request("/api/v1/machines/m-1/report", { json: reportBody("m-1") });
  expect(first.status).toBe(200);
  await sync();
  const seenAt = h.controlPlane.deps.now();
  expect(bFleet().machine("m-1")).toEqual({ lifecycle: "active", lastReportAt: seenAt });

  h.advance(60_000);
  const again = await h.request("/api/v1/machines/m-1/report", { json: reportBody("m-1") });
  expect(again.status).toBe(200);
  // An unchanged heartbeat writes no audit row: only the tail of the reports can tell.
  const reports = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "report"));
  expect(reports).toHaveLength(1);
  expect(bFleet().machine("m-1")?.lastReportAt).toBe(seenAt);
  await sync();
  expect(bFleet().machine("m-1")?.lastReportAt).toBe(seenAt + 60_000);
  // The per-machine metric follows.
  const metrics = await (await b.request("/metrics")).text();
  expect(metrics).toContain(
    `nixfleet_machine_last_seen_timestamp_seconds{machine_id="m-1"} ${(seenAt + 60_000) / 1000}`,
  );
});

test("rollout transitions: a batch's desired generations with their poll hint, a skipped machine, an abort's revert", async () => {
  for (const id of ["m-1", "m-2"]) {
    expect((await onA(`/api/v1/machines/${id}/register`, { json: { tags: ["web"] } })).status).toBe(201);
  }
  expect((await onA("/api/v1/machines/m-1/notify-deploy", { json: { store_path: storePath("m-1", 0) } })).status).toBe(
    200,
  );
  const release = await onA("/api/v1/releases", {
    json: {
      entries: ["m-1", "m-2"].map((hostname) => ({
        hostname,
        store_path: storePath(hostname),
        platform: "x86_64-linux",
      })),
    },
  });
  const { id: releaseId } = (await release.json()) as { id: string };
  const created = await onA("/api/v1/rollouts", {
    json: { release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } },
  });
  expect(created.status).toBe(201);
  const { rollout_id: rolloutId } = (await created.json()) as { rollout_id: string };
  await h.controlPlane.deps.rolloutExecutor.idle();
  await sync();
  for (const id of ["m-1", "m-2"]) {
    expect((await desiredOn(b, id)).body).toEqual({ hash: storePath(id), cache_url: null, poll_hint: 5 });
  }

  expect((await onA(`/api/v1/rollouts/${rolloutId}/machines/m-2/skip`, { method: "POST" })).status).toBe(200);
  await sync();
  expect((await desiredOn(b, "m-2")).body).toEqual({ hash: storePath("m-2"), cache_url: null, poll_hint: null });

  expect((await onA(`/api/v1/rollouts/${rolloutId}/abort`, { method: "POST" })).status).toBe(200);
  await h.controlPlane.deps.rolloutExecutor.idle();
  await sync();
  // m-1 gets back what it was told before; m-2 left the rollout, so it keeps the rollout's.
  expect((await desiredOn(b, "m-1")).body).toEqual({ hash: storePath("m-1", 0), cache_url: null, poll_hint: null });
  expect((await desiredOn(b, "m-2")).body).toEqual({ hash: storePath("m-2"), cache_url: null, poll_hint: null });
});

test("a rollout that completes elsewhere drops the poll hint of all its machines", async () => {
  for (const id of ["m-1", "m-2"]) {
    expect((await onA(`/api/v1/machines/${id}/register`, { json: { tags: ["web"] } })).status).toBe(201);
  }
  const release = await onA("/api/v1/releases", {
    json: { entries: ["m-1", "m-2"].map((hostname) => ({ hostname, store_path: storePath(hostname), platform: "x" })) },
  });
  const { id: releaseId } = (await release.json()) as { id: string };
  const created = await onA("/api/v1/rollouts", {
    json: { release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } },
  });
  expect(created.status).toBe(201);
  await h.controlPlane.deps.rolloutExecutor.idle();
  await sync();
  expect(bFleet().isInActiveRollout("m-1")).toBe(true);
  const now = new Date(h.controlPlane.deps.now() + 1).toISOString();
  h.advance(1);
  for (const id of ["m-1", "m-2"]) {
    const reported = await h.request(`/api/v1/machines/${id}/report`, {
      json: reportBody(id, {
        current_generation: storePath(id),
        timestamp: now,
        health: { results: [], all_passed: true, timestamp: now },
      }),
    });
    expect(reported.status).toBe(200);
  }
  await h.controlPlane.deps.rolloutExecutor.idle();
  await sync();
  expect([bFleet().isInActiveRollout("m-1"), bFleet().isInActiveRollout("m-2")]).toEqual([false, false]);
  expect((await desiredOn(b, "m-1")).body).toEqual({ hash: storePath("m-1"), cache_url: null, poll_hint: null });
});

test("following is idempotent: events read again, or a process's own, change no answer and wake no held poll", async () => {
  const path = storePath("web-1");
  expect((await onA("/api/v1/machines/web-1/notify-deploy", { json: { store_path: path } })).status).toBe(200);
  await sync();
  const etag = (await b.request("/api/v1/machines/web-1/desired-generation")).headers.get("etag")!;
  let answered = false;
  const onB = b
    .request("/api/v1/machines/web-1/desired-generation?wait=2", { headers: { "if-none-match": etag } })
    .then((res) => ((answered = true), res));
  const onAHeld = h
    .request("/api/v1/machines/web-1/desired-generation?wait=2", { headers: { "if-none-match": etag } })
    .then((res) => ((answered = true), res));
  // An event that makes both processes read web-1 again without changing what it is told.
  expect((await onA("/api/v1/machines/web-1/register", { json: {} })).status).toBe(201);
  await sync();
  await h.controlPlane.deps.views.sync();
  await b.controlPlane.deps.fleet.refreshMachines(b.store.db, new Map([["web-1", new Set<string>()]]));
  await Bun.sleep(20);
  expect(answered).toBe(false);
  // Both waits end unchanged (304) when their time is up.
  expect([(await onB).status, (await onAHeld).status]).toEqual([304, 304]);
});

test("a machine this process changes while a re-read is in flight keeps what this process set", async () => {
  const path = storePath("web-1");
  expect((await onA("/api/v1/machines/web-1/notify-deploy", { json: { store_path: path } })).status).toBe(200);
  // The re-read begins (it would see `path`); this process commits a newer change before it lands.
  const reading = bFleet().refreshMachines(b.store.db, new Map([["web-1", new Set<string>()]]));
  bFleet().setDesired("web-1", { storePath: storePath("web-1", 2), cacheUrl: null });
  await reading;
  expect(bFleet().getDesired("web-1")?.storePath).toBe(storePath("web-1", 2));
});

test("two re-reads in flight at once: a change this process makes while both are out is kept by each", async () => {
  const path = storePath("web-1");
  expect((await onA("/api/v1/machines/web-1/notify-deploy", { json: { store_path: path } })).status).toBe(200);
  await sync();
  // The follower's re-read of web-1 is held before its statements run (it will see `path`), while
  // the executor's read of the memberships (after a discarded creation) starts and ends.
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const db = b.store.db;
  const heldDb = new Proxy(db, {
    get: (target, prop) =>
      prop === "values"
        ? async (...args: Parameters<typeof db.values>) => {
            await gate;
            return target.values(...args);
          }
        : Reflect.get(target, prop, target),
  });
  const reading = bFleet().refreshMachines(heldDb, new Map([["web-1", new Set<string>()]]));
  await bFleet().refreshMembership(db);
  bFleet().setDesired("web-1", { storePath: storePath("web-1", 2), cacheUrl: null });
  release();
  await reading;
  expect(bFleet().getDesired("web-1")?.storePath).toBe(storePath("web-1", 2));
});

test("a finished rollout's machines are released only where this view still sees that rollout holding them", async () => {
  const fleet = bFleet();
  fleet.setInActiveRollout(["web-1", "web-2"], "r-old");
  // While the old rollout's machines were released page by page, the follower saw a newer rollout take web-2.
  fleet.setInActiveRollout(["web-2"], "r-new");
  fleet.releasedBy(["web-1", "web-2", "web-3"], "r-old");
  expect(fleet.holderOf("web-1")).toBeUndefined();
  expect(fleet.holderOf("web-2")).toBe("r-new");
  expect(fleet.holderOf("web-3")).toBeUndefined();
});

test("a re-read that fails (the database busy) is tried again: the view catches up, the fleet metrics with it", async () => {
  const fleet = bFleet();
  const refresh = fleet.refreshMachines.bind(fleet);
  let failures = 1;
  fleet.refreshMachines = (db, candidates) =>
    failures-- > 0 ? Promise.reject(new Error("SQLITE_BUSY: database is locked")) : refresh(db, candidates);
  expect((await onA("/api/v1/machines/web-1/register", { json: { lifecycle: "maintenance" } })).status).toBe(201);
  await sync();
  expect(failures).toBeLessThan(0);
  const metrics = await (await b.request("/metrics")).text();
  expect(metrics).toContain("nixfleet_fleet_size 1");
  expect(metrics).toContain('nixfleet_machines_by_lifecycle{lifecycle="maintenance"} 1');
});
