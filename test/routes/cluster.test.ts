// GET /api/v1/cluster and the leader-only rules, with several in-process control planes on one
// database file, each on its own connections as separate processes would be. Their heartbeats are
// not started (the tests tick them): the local driver runs SQLite on this thread, so a transaction
// held open by one would block another's on the same thread until the busy timeout. Real
// processes and their timers are in test/e2e/cluster.test.ts.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createControlPlane, type ControlPlane } from "../../src/control-plane.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { insertRelease } from "../../src/db/releases.ts";
import { machines, machineTags, rollouts } from "../../src/db/schema.ts";
import { silentLogger } from "../../src/logger.ts";
import type { ClusterConfig } from "../../src/config.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { reportBody } from "../support/machines.ts";

let h: Harness;
let readonly: string;
let deploy: string;
const others: { controlPlane: ControlPlane; store: Store }[] = [];

beforeEach(async () => {
  h = await createHarness();
  readonly = await createTestKey(h, "readonly");
  deploy = await createTestKey(h, "deploy");
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

async function rolloutRequest() {
  const storePath = "/nix/store/00000000000000000000000000000000-nixos-system-web-01";
  await h.store.write(async (tx) => {
    await tx.insert(machines).values({ machineId: "web-01", lifecycle: "active", registeredAt: 0 });
    await tx.insert(machineTags).values({ machineId: "web-01", tag: "web" });
    await insertRelease(tx, {
      id: "rel-1",
      flakeRef: null,
      flakeRev: null,
      cacheUrl: null,
      createdAt: 0,
      createdBy: "apikey:ci",
      entries: [{ hostname: "web-01", storePath, platform: "x86_64-linux", tags: [] }],
    });
  });
  return { release_id: "rel-1", strategy: "all_at_once", target: { tags: ["web"] } };
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

test("a rollout change asked of a process that does not lead is a 503 naming why; nothing is written", async () => {
  const body = await rolloutRequest();
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const replica = await another({ nodeId: "replica", leaseSeconds: 5, executor: false });
  for (const follower of [standby, replica]) {
    const res = await call(follower, "/api/v1/rollouts", { key: deploy, json: body });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const nodeId = follower.deps.leadership.nodeId;
    expect(await res.json()).toEqual({
      error: `node ${nodeId} does not hold the executor lease: rollout changes are made by the leading control plane (GET /api/v1/cluster)`,
    });
    // Authentication still comes first.
    expect((await call(follower, "/api/v1/rollouts", { json: body })).status).toBe(401);
  }
  expect(await h.store.db.select().from(rollouts)).toEqual([]);
  const created = await call(h.controlPlane, "/api/v1/rollouts", { key: deploy, json: body });
  expect(created.status).toBe(201);
});

test("a report to a process that does not lead is stored but does not wake its executor", async () => {
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const woken: string[] = [];
  const executor = standby.deps.rolloutExecutor;
  executor.machineReported = (id: string) => void woken.push(id);
  const res = await call(standby, "/api/v1/machines/web-01/report", { json: reportBody("web-01") });
  expect(res.status).toBe(200);
  expect(woken).toEqual([]);
  const leaderExecutor = h.controlPlane.deps.rolloutExecutor;
  leaderExecutor.machineReported = (id: string) => void woken.push(id);
  await h.request("/api/v1/machines/web-02/report", { json: reportBody("web-02") });
  expect(woken).toEqual(["web-02"]);
});

test("when the leader stops cleanly, a standby takes the lease at once and runs rollouts", async () => {
  const body = await rolloutRequest();
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  await h.controlPlane.stop();
  await standby.deps.leadership.tick();
  expect(standby.deps.leadership.role).toBe("leader");
  expect((await cluster(standby)).leader).toMatchObject({ node_id: "standby", fencing_token: 2 });
  const created = await call(standby, "/api/v1/rollouts", { key: deploy, json: body });
  expect(created.status).toBe(201);
  await standby.deps.rolloutExecutor.idle();
  const [rollout] = await h.store.db.select().from(rollouts);
  expect(rollout?.status).toBe("running");
  expect(standby.deps.fleet.desiredGeneration("web-01")?.poll_hint).toBe(5);
});

test("a standby that takes over answers polls with what the old leader set after the standby started", async () => {
  const admin = await createTestKey(h, "admin");
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const storePath = "/nix/store/00000000000000000000000000000000-nixos-system-web-09";
  const deployed = await h.request("/api/v1/machines/web-09/notify-deploy", {
    key: admin,
    json: { store_path: storePath },
  });
  expect(deployed.status).toBe(200);
  // Its own view does not follow the leader's writes yet (phase 2: the change feed)...
  expect((await call(standby, "/api/v1/machines/web-09/desired-generation")).status).toBe(404);
  await h.controlPlane.stop();
  // ...but it reads the fleet again when it takes the lease (only this store writes from here on).
  standby.start("http://127.0.0.1:2");
  for (let i = 0; i < 200 && standby.deps.fleet.desiredGeneration("web-09") === null; i++) await Bun.sleep(10);
  const poll = await call(standby, "/api/v1/machines/web-09/desired-generation");
  expect(poll.status).toBe(200);
  expect(await poll.json()).toMatchObject({ hash: storePath });
  expect(standby.deps.leadership.role).toBe("leader");
});

test("a report sent to a process that does not lead counts for the leader's rollout when it judges the batch", async () => {
  const body = await rolloutRequest();
  const standby = await another({ nodeId: "standby", leaseSeconds: 5, executor: true });
  const created = await call(h.controlPlane, "/api/v1/rollouts", {
    key: deploy,
    json: { ...body, health_timeout: 60 },
  });
  expect(created.status).toBe(201);
  const { rollout_id: rolloutId } = (await created.json()) as { rollout_id: string };
  await h.controlPlane.deps.rolloutExecutor.idle();
  h.advance(1000);
  const storePath = "/nix/store/00000000000000000000000000000000-nixos-system-web-01";
  const reported = await call(standby, "/api/v1/machines/web-01/report", {
    json: reportBody("web-01", {
      current_generation: storePath,
      health: { results: [], all_passed: true, timestamp: "2026-11-27T10:00:01Z" },
    }),
  });
  expect(reported.status).toBe(200);
  await h.controlPlane.deps.rolloutExecutor.tick();
  const rolloutOf = async () =>
    (await (await h.request(`/api/v1/rollouts/${rolloutId}`, { key: readonly })).json()) as any;
  // The leader has not heard of it...
  expect((await rolloutOf()).batches[0].machine_health).toEqual({ "web-01": "pending" });
  // ...until it judges the batch at its timeout, from the database.
  h.advance(60_000);
  await h.controlPlane.deps.rolloutExecutor.tick();
  const rollout = await rolloutOf();
  expect(rollout.batches[0].machine_health).toEqual({ "web-01": "healthy" });
  expect(rollout.status).toBe("completed");
});
