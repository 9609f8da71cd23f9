// GET /api/v1/cluster and what several control planes on one database do (SPEC §18), with
// in-process control planes on one database file, each on its own connections as separate
// processes would be. Their heartbeats are not started unless a test needs the lead hooks (the
// tests tick them and sync the views), and a test lets one control plane's writes finish before
// it sends another a request: the local driver runs SQLite on this thread, so one that meets
// another's lock blocks the thread for its busy timeout. Real processes and their timers are in
// test/e2e/cluster.test.ts.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createControlPlane, type ControlPlane } from "../../src/control-plane.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { eq, sql } from "drizzle-orm";
import { insertRelease } from "../../src/db/releases.ts";
import { auditEvents, leases, machines, machineTags, rollouts } from "../../src/db/schema.ts";
import { silentLogger } from "../../src/logger.ts";
import type { ClusterConfig } from "../../src/config.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { reportBody } from "../support/machines.ts";
import { storePath } from "../support/rollouts.ts";

let h: Harness;
let readonly: string;
let deploy: string;
let adminKey: string;
const admin = () => adminKey;
const others: { controlPlane: ControlPlane; store: Store }[] = [];

beforeEach(async () => {
  h = await createHarness();
  readonly = await createTestKey(h, "readonly");
  deploy = await createTestKey(h, "deploy");
  adminKey = await createTestKey(h, "admin");
});

afterEach(async () => {
  for (const { controlPlane, store } of others.splice(0)) {
    await controlPlane.stop();
    await store.close();
  }
  await h.close();
});

/** Another control plane on the harness's database file. */
async function another(cluster: ClusterConfig): Promise<ControlPlane> {
  const store = await openStore(h.dbPath);
  const controlPlane = await createControlPlane({
    store,
    logger: silentLogger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    cluster,
    mtls: false,
    now: h.controlPlane.deps.now,
  });
  others.push({ controlPlane, store });
  return controlPlane;
}

function call(controlPlane: ControlPlane, path: string, init: RequestInit & { json?: unknown; key?: string } = {}) {
  const { json, key, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("content-type", "application/json");
  return controlPlane.app.request(path, {
    ...rest,
    headers,
    method: rest.method ?? (json === undefined ? "GET" : "POST"),
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

async function cluster(controlPlane: ControlPlane) {
  const res = await call(controlPlane, "/api/v1/cluster", { key: readonly });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    leader: { node_id: string; fencing_token: number; acquired_at: string; expires_at: string } | null;
    nodes: {
      node_id: string;
      address: string | null;
      version: string;
      role: string;
      started_at: string;
      last_seen_at: string;
    }[];
  };
}

/** Active machines `web-01…` tagged web, and a release for them; the body of a rollout over them. */
async function rolloutRequest(count = 1) {
  const ids = Array.from({ length: count }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  await h.store.write(async (tx) => {
    await tx
      .insert(machines)
      .values(ids.map((machineId) => ({ machineId, lifecycle: "active" as const, registeredAt: 0 })));
    await tx.insert(machineTags).values(ids.map((machineId) => ({ machineId, tag: "web" })));
    await insertRelease(tx, {
      id: "rel-1",
      flakeRef: null,
      flakeRev: null,
      cacheUrl: null,
      createdAt: 0,
      createdBy: "apikey:ci",
      entries: ids.map((hostname) => ({
        hostname,
        storePath: storePath(hostname),
        platform: "x86_64-linux",
        tags: [],
      })),
    });
  });
  for (const cp of [h.controlPlane, ...others.map((o) => o.controlPlane)]) await cp.deps.fleet.load(cp.deps.store.db);
  return { release_id: "rel-1", strategy: "all_at_once", target: { tags: ["web"] } };
}

/** A healthy report of `id` running its release entry, through `cp`. */
async function healthyReport(cp: ControlPlane, id: string) {
  const now = new Date(h.controlPlane.deps.now()).toISOString();
  const res = await call(cp, `/api/v1/machines/${id}/report`, {
    json: reportBody(id, {
      current_generation: storePath(id),
      timestamp: now,
      health: { results: [], all_passed: true, timestamp: now },
    }),
  });
  expect(res.status).toBe(200);
}

async function rolloutOf(cp: ControlPlane, id: string) {
  const res = await call(cp, `/api/v1/rollouts/${id}`, { key: readonly });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

/** Audit actions of a rollout, oldest first. */
async function actionsOf(rolloutId: string): Promise<string[]> {
  const rows = await h.store.db
    .select({ action: auditEvents.action })
    .from(auditEvents)
    .where(eq(auditEvents.rolloutId, rolloutId))
    .orderBy(auditEvents.id);
  return rows.map((r) => r.action);
}

/** The leader hears what the feed carries, then runs what it asks for. */
async function leaderFollows() {
  await h.controlPlane.deps.views.sync();
  await h.controlPlane.deps.rolloutExecutor.tick();
}

test("GET /api/v1/cluster needs a readonly key", async () => {
  expect((await h.request("/api/v1/cluster")).status).toBe(401);
  expect((await h.request("/api/v1/cluster", { key: readonly })).status).toBe(200);
});

test("one process: it is listed and leads with token 1", async () => {
  const body = await cluster(h.controlPlane);
  const nodeId = h.controlPlane.deps.leadership.nodeId;
  expect(body.leader).toMatchObject({ node_id: nodeId, fencing_token: 1 });
  expect(Date.parse(body.leader!.expires_at) - Date.parse(body.leader!.acquired_at)).toBe(5000);
  expect(body.nodes).toEqual([
    {
      node_id: nodeId,
      address: null,
      version: "0.2.0",
      role: "leader",
      started_at: body.leader!.acquired_at,
      last_seen_at: body.leader!.acquired_at,
    },
  ]);
});

test("three processes on one database: every one answers the same list, one leads", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  await standby.deps.leadership.tick();
  await replica.deps.leadership.tick();
  // One after another: each request's key check writes its last use (see the comment at the top).
  const bodies = [await cluster(h.controlPlane), await cluster(standby), await cluster(replica)];
  const leader = h.controlPlane.deps.leadership.nodeId;
  expect(bodies[0]!.nodes.map((n) => [n.node_id, n.address, n.role])).toEqual(
    [
      [leader, null, "leader"],
      ["replica", null, "replica"],
      ["standby", null, "standby"],
    ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  );
  for (const body of bodies) expect(body).toEqual(bodies[0]!);
  expect(standby.deps.leadership.role).toBe("standby");
  expect(replica.deps.leadership.role).toBe("replica");
});

test("a creation and every verb work on a process that does not lead: plain transactions, and the leader carries on from the feed", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  const body = await rolloutRequest(2);
  const created = await call(replica, "/api/v1/rollouts", {
    key: deploy,
    json: { ...body, strategy: "staged", batch_sizes: ["1", "100%"], health_timeout: 60 },
  });
  expect(created.status).toBe(201);
  const { rollout_id: id, batches } = (await created.json()) as {
    rollout_id: string;
    batches: { machine_ids: string[] }[];
  };
  const [first, second] = [batches[0]!.machine_ids[0]!, batches[1]!.machine_ids[0]!];
  // The replica wrote the creation and nothing more: no machine starts but by the leader.
  expect((await rolloutOf(replica, id)).batches[0].status).toBe("pending");
  await leaderFollows();
  expect((await rolloutOf(replica, id)).batches[0].machine_states[first].state).toBe("deploying");

  const paused = await call(standby, `/api/v1/rollouts/${id}/pause`, { key: deploy, json: { reason: "look first" } });
  expect(paused.status).toBe(200);
  expect(((await paused.json()) as any).status).toBe("paused");
  // Refused by the state as it is in the database, wherever asked.
  expect((await call(replica, `/api/v1/rollouts/${id}/pause`, { key: deploy, method: "POST" })).status).toBe(409);
  await leaderFollows();
  h.advance(1000);
  await healthyReport(h.controlPlane, first);
  await h.controlPlane.deps.rolloutExecutor.idle();
  // Paused: the batch is judged, the next does not start.
  const afterReport = await rolloutOf(h.controlPlane, id);
  expect([afterReport.status, afterReport.batches[0].status, afterReport.batches[1].status]).toEqual([
    "paused",
    "succeeded",
    "pending",
  ]);

  expect((await call(replica, `/api/v1/rollouts/${id}/resume`, { key: deploy, method: "POST" })).status).toBe(200);
  await leaderFollows();
  expect((await rolloutOf(h.controlPlane, id)).batches[1].machine_states[second].state).toBe("deploying");
  expect(
    (await call(replica, `/api/v1/rollouts/${id}/machines/${second}/skip`, { key: deploy, method: "POST" })).status,
  ).toBe(200);
  await leaderFollows();
  expect((await rolloutOf(h.controlPlane, id)).status).toBe("completed");
  expect((await call(standby, `/api/v1/rollouts/${id}`, { key: admin(), method: "DELETE" })).status).toBe(204);
  expect(await actionsOf(id)).toEqual([
    "rollout.created",
    "batch.deploying",
    `machine.deploying`,
    "rollout.paused",
    "machine.healthy",
    "batch.succeeded",
    "rollout.resumed",
    "batch.deploying",
    "machine.deploying",
    "machine.skipped",
    "batch.succeeded",
    "rollout.completed",
    "rollout.deleted",
  ]);
});

test("a verb applied elsewhere while the leader holds the rollout's old state: the leader reads it again and writes nothing over it", async () => {
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  const body = await rolloutRequest(1);
  const created = await call(h.controlPlane, "/api/v1/rollouts", {
    key: deploy,
    json: { ...body, health_timeout: 60 },
  });
  const { rollout_id: id } = (await created.json()) as { rollout_id: string };
  await h.controlPlane.deps.rolloutExecutor.idle();
  expect((await call(replica, `/api/v1/rollouts/${id}/abort`, { key: deploy, method: "POST" })).status).toBe(200);
  // The leader has not followed the feed: its state says running. The timeout passes.
  h.advance(61_000);
  await h.controlPlane.deps.rolloutExecutor.tick();
  const rollout = await rolloutOf(h.controlPlane, id);
  expect(rollout.status).toBe("aborted");
  expect(await actionsOf(id)).toEqual([
    "rollout.created",
    "batch.deploying",
    "machine.deploying",
    "machine.reverted",
    "rollout.aborted",
  ]);
});

test("a report to a process that does not lead counts for the leader's rollout at once, through the reports tail", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const body = await rolloutRequest(1);
  const created = await call(h.controlPlane, "/api/v1/rollouts", {
    key: deploy,
    json: { ...body, health_timeout: 600 },
  });
  expect(created.status).toBe(201);
  const { rollout_id: id } = (await created.json()) as { rollout_id: string };
  await h.controlPlane.deps.rolloutExecutor.idle();
  h.advance(1000);
  await healthyReport(standby, "web-01");
  // Long before the health timeout: as soon as the leader tails the reports.
  await leaderFollows();
  const rollout = await rolloutOf(h.controlPlane, id);
  expect(rollout.batches[0].machine_health).toEqual({ "web-01": "healthy" });
  expect(rollout.status).toBe("completed");
});

test("views follow without a takeover: a standby answers polls with what the leader set", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const path = storePath("web-09");
  const deployed = await h.request("/api/v1/machines/web-09/notify-deploy", {
    key: admin(),
    json: { store_path: path },
  });
  expect(deployed.status).toBe(200);
  await standby.deps.views.sync();
  const poll = await call(standby, "/api/v1/machines/web-09/desired-generation");
  expect(poll.status).toBe(200);
  expect(await poll.json()).toMatchObject({ hash: path });
  expect(standby.deps.leadership.role).toBe("standby");
});

test("when the leader stops cleanly, a standby takes the lease at once and runs the rollouts it followed", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 60, executor: true });
  const body = await rolloutRequest(1);
  const created = await call(standby, "/api/v1/rollouts", { key: deploy, json: { ...body, health_timeout: 60 } });
  expect(created.status).toBe(201);
  await h.controlPlane.stop();
  standby.start("http://127.0.0.1:2");
  await standby.deps.leadership.tick();
  expect(standby.deps.leadership.role).toBe("leader");
  expect((await cluster(standby)).leader).toMatchObject({ node_id: "standby", fencing_token: 2 });
  await standby.deps.rolloutExecutor.idle();
  const [rollout] = await h.store.db.select().from(rollouts);
  expect(rollout?.status).toBe("running");
  expect(standby.deps.fleet.desiredGeneration("web-01")).toEqual({
    hash: storePath("web-01"),
    cache_url: null,
    poll_hint: 5,
  });
});

test("one process loses the lease and takes it again: its executor stops, and starts again from what the database says", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 60, executor: true });
  const body = await rolloutRequest(2);
  h.controlPlane.start("http://127.0.0.1:1");
  const created = await call(h.controlPlane, "/api/v1/rollouts", {
    key: deploy,
    json: { ...body, strategy: "staged", batch_sizes: ["1", "100%"], health_timeout: 60 },
  });
  const { rollout_id: id, batches } = (await created.json()) as {
    rollout_id: string;
    batches: { machine_ids: string[] }[];
  };
  const [first, second] = [batches[0]!.machine_ids[0]!, batches[1]!.machine_ids[0]!];
  await h.controlPlane.deps.rolloutExecutor.idle();
  const leader = h.controlPlane.deps.rolloutExecutor;
  expect(leader.isLeading).toBe(true);

  // The lease runs out (as if the leader had been paused) and the standby takes it.
  await h.store.write((tx) => tx.update(leases).set({ expiresAt: 0 }));
  await standby.deps.leadership.tick();
  expect(standby.deps.leadership.role).toBe("leader");
  await h.controlPlane.deps.leadership.tick();
  expect(h.controlPlane.deps.leadership.role).toBe("standby");
  await leader.idle();
  expect(leader.isLeading).toBe(false);
  // No autonomous step from the old leader: the report it hears is left to the new one.
  h.advance(1000);
  await healthyReport(h.controlPlane, first);
  await leader.tick();
  expect((await rolloutOf(h.controlPlane, id)).batches[0].machine_states[first].state).toBe("deploying");

  // The new leader is stopped; the old one takes the lease back and carries on from the database.
  await standby.stop();
  await h.controlPlane.deps.leadership.tick();
  expect(h.controlPlane.deps.leadership.role).toBe("leader");
  await leader.idle();
  expect(leader.isLeading).toBe(true);
  const rollout = await rolloutOf(h.controlPlane, id);
  expect(rollout.batches[0].status).toBe("succeeded");
  expect(rollout.batches[1].machine_states[second].state).toBe("deploying");
  expect((await actionsOf(id)).filter((a) => a === "batch.succeeded")).toHaveLength(1);
});

test("gates set through a process that does not lead reach the leader; budgets show what deploys from any process", async () => {
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  const body = await rolloutRequest(2);
  const put = await call(replica, "/api/v1/budgets/web", {
    key: admin(),
    method: "PUT",
    json: { tags: ["web"], max_unavailable: "1" },
  });
  expect(put.status).toBe(200);
  await h.controlPlane.deps.views.sync();
  const created = await call(replica, "/api/v1/rollouts", { key: deploy, json: { ...body, health_timeout: 60 } });
  expect(created.status).toBe(201);
  await leaderFollows();
  const budgets = await call(replica, "/api/v1/budgets", { key: readonly });
  expect(((await budgets.json()) as any[]).map((b) => [b.name, b.in_flight])).toEqual([["web", 1]]);
  const { rollout_id: id } = (await created.json()) as { rollout_id: string };
  expect((await rolloutOf(replica, id)).blocked_by).toEqual(["budget:web"]);

  const frozen = await call(replica, "/api/v1/freeze", { key: admin(), method: "PUT", json: { reason: "incident" } });
  expect(frozen.status).toBe(200);
  expect(((await (await call(h.controlPlane, "/api/v1/freeze", { key: readonly })).json()) as any).frozen).toBe(false);
  await leaderFollows();
  expect(((await (await call(h.controlPlane, "/api/v1/freeze", { key: readonly })).json()) as any).frozen).toBe(true);
});

test("two processes creating rollouts over the same machine: the check is in each creation's transaction, the second is refused", async () => {
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  const body = await rolloutRequest(1);
  expect((await call(h.controlPlane, "/api/v1/rollouts", { key: deploy, json: body })).status).toBe(201);
  await h.controlPlane.deps.rolloutExecutor.idle();
  const refused = await call(replica, "/api/v1/rollouts", { key: deploy, json: body });
  expect(refused.status).toBe(409);
  expect(((await refused.json()) as { error: string }).error).toMatch(
    /^machine web-01 is already in active rollout r-/,
  );
  // What the refused creation had written is gone.
  expect(await h.store.db.select({ id: rollouts.id }).from(rollouts)).toHaveLength(1);
});

test("creations left `created` are discarded by the leader only when their process is gone", async () => {
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  await replica.deps.leadership.tick();
  await rolloutRequest(1);
  await h.store.write(async (tx) => {
    for (const [id, createdOn] of [
      ["r-on-replica", "replica"],
      ["r-on-ghost", "ghost"],
    ]) {
      await tx.run(sql`insert into rollouts (id, release_id, strategy, status, on_failure, failure_threshold,
        health_timeout, target, batch_sizes, created_at, updated_at, created_by, created_on)
        values (${id}, 'rel-1', 'all_at_once', 'created', 'pause', '0', 300, '{"tags":["web"]}', '["100%"]', 1, 1, 'apikey:ci', ${createdOn})`);
    }
  });
  const leader = h.controlPlane.deps.rolloutExecutor;
  await leader.stop();
  await leader.lead();
  const left = await h.store.db.select({ id: rollouts.id }).from(rollouts);
  expect(left.map((r) => r.id)).toEqual(["r-on-replica"]);
  const [discarded] = await h.store.db.select().from(auditEvents).where(eq(auditEvents.target, "r-on-ghost"));
  expect(JSON.parse(discarded!.detail)).toMatchObject({
    reason: "its creation was interrupted: process ghost stopped",
  });
});
