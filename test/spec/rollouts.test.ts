// SPEC §7 (rollouts), checked black-box: everything goes through the HTTP API as a client and
// an agent would use it (keys, registration, releases, reports), with the harness clock where
// timing matters.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { NIX_BASE32_ALPHABET } from "../../src/domain/store-path.ts";
import { createControlPlane } from "../../src/control-plane.ts";
import { silentLogger } from "../../src/logger.ts";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}

beforeEach(async () => {
  h = await createHarness();
  const boot = await h.request("/api/v1/keys/bootstrap", { json: { name: "root" } });
  expect(boot.status).toBe(200);
  admin = (await boot.json()).key;
  const newKey = async (name: string, role: string) => {
    const res = await h.request("/api/v1/keys", { key: admin, json: { name, role } });
    expect(res.status).toBe(201);
    return (await res.json()).key as string;
  };
  deploy = await newKey("ci", "deploy");
  readonly = await newKey("viewer", "readonly");
});
afterEach(() => h.close());

const executor = () => h.controlPlane.deps.rolloutExecutor;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A valid store path, distinct per (host, version). */
function sp(host: string, version = 1): string {
  let seed = [...`${host}@${version}`].reduce((a, ch) => (a * 33 + ch.charCodeAt(0)) >>> 0, 5);
  let hash = "";
  for (let i = 0; i < 32; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    hash += NIX_BASE32_ALPHABET[(seed >>> 16) % 32];
  }
  return `/nix/store/${hash}-nixos-system-${host}`;
}

async function register(id: string, options: { lifecycle?: string; tags?: string[] } = {}) {
  const res = await h.request(`/api/v1/machines/${encodeURIComponent(id)}/register`, {
    key: admin,
    json: { lifecycle: options.lifecycle ?? "active", tags: options.tags ?? [] },
  });
  expect(res.status).toBe(201);
}

async function fleet(ids: string[], tags = ["web"]) {
  for (const id of ids) await register(id, { tags });
}

async function release(hosts: string[], options: { version?: number; cacheUrl?: string } = {}): Promise<string> {
  const res = await h.request("/api/v1/releases", {
    key: deploy,
    json: {
      cache_url: options.cacheUrl,
      entries: hosts.map((hostname) => ({
        hostname,
        store_path: sp(hostname, options.version ?? 1),
        platform: "x86_64-linux",
      })),
    },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

async function create(body: Record<string, unknown>, key = deploy): Promise<Response> {
  const res = await h.request("/api/v1/rollouts", { key, json: body });
  await executor().idle();
  return res;
}

async function createOk(body: Record<string, unknown>): Promise<any> {
  const res = await create(body);
  const created = await res.json();
  expect(res.status, JSON.stringify(created)).toBe(201);
  return created;
}

async function get(id: string): Promise<any> {
  const res = await h.request(`/api/v1/rollouts/${id}`, { key: readonly });
  expect(res.status).toBe(200);
  return res.json();
}

interface AgentReport {
  generation: string;
  success?: boolean;
  /** true/false: a health report with all_passed; undefined: none. */
  health?: boolean;
  message?: string;
}

async function report(id: string, r: AgentReport) {
  const now = new Date(h.controlPlane.deps.now()).toISOString();
  const res = await h.request(`/api/v1/machines/${encodeURIComponent(id)}/report`, {
    json: {
      machine_id: id,
      current_generation: r.generation,
      success: r.success ?? true,
      message: r.message ?? "ok",
      timestamp: now,
      ...(r.health === undefined
        ? {}
        : {
            health: {
              results: r.health
                ? [{ status: "pass", check_name: "http", duration_ms: 3 }]
                : [{ status: "fail", check_name: "http", duration_ms: 3, message: "refused" }],
              all_passed: r.health,
              timestamp: now,
            },
          }),
    },
  });
  expect(res.status).toBe(200);
  await executor().idle();
}

/** The agent switched to its release path and its checks pass. */
const healthy = (id: string, version = 1) => report(id, { generation: sp(id, version), health: true });

async function desired(id: string): Promise<{ status: number; body: any }> {
  const res = await h.request(`/api/v1/machines/${encodeURIComponent(id)}/desired-generation`);
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

async function auditActions(target: string): Promise<string[]> {
  const res = await h.request(`/api/v1/audit?target=${encodeURIComponent(target)}&limit=500`, { key: readonly });
  expect(res.status).toBe(200);
  const rows: any[] = await res.json();
  return rows.reverse().map((r) => `${r.actor} ${r.action}`);
}

async function timeOut(seconds: number) {
  h.advance(seconds * 1000);
  await executor().tick();
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

describe("POST /api/v1/rollouts: request and response", () => {
  test("defaults, the exact response shape, status running, rollout.created", async () => {
    const ids = names("web", 3);
    await fleet(ids);
    const releaseId = await release(ids);
    const res = await create({ release_id: releaseId, strategy: "staged", target: { tags: ["web"] } });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["batches", "rollout_id", "total_machines"]);
    expect(body.rollout_id).toMatch(/^r-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body.total_machines).toBe(3);
    expect(body.batches).toHaveLength(1);
    expect(Object.keys(body.batches[0]).sort()).toEqual(["batch_index", "machine_ids", "status"]);
    expect(body.batches[0]).toMatchObject({ batch_index: 0, status: "pending" });
    expect([...body.batches[0].machine_ids].sort()).toEqual(ids);

    const rollout = await get(body.rollout_id);
    expect(Object.keys(rollout).sort()).toEqual(
      [
        "id",
        "status",
        "strategy",
        "release_id",
        "on_failure",
        "failure_threshold",
        "health_timeout",
        "batches",
        "created_at",
        "updated_at",
        "created_by",
        "events",
        // SPEC §14 adds these; v0.1's fields above keep their meaning.
        "blocked_by",
        "cache_url",
        "soak_seconds",
        "batch_soak_seconds",
        "min_decided",
        "max_in_flight",
        "not_before",
        "offline_after_seconds",
        "supersede",
        "pause_reason",
      ].sort(),
    );
    expect(rollout).toMatchObject({
      id: body.rollout_id,
      status: "running",
      strategy: "staged",
      release_id: releaseId,
      on_failure: "pause",
      failure_threshold: "0",
      health_timeout: 300,
      created_by: "apikey:ci",
    });
    expect(rollout.created_at).toMatch(RFC3339);
    expect(rollout.updated_at).toMatch(RFC3339);
    const [batch] = rollout.batches;
    expect(Object.keys(batch).sort()).toEqual(
      [
        "batch_index",
        "machine_ids",
        "status",
        "machine_health",
        "started_at",
        "completed_at",
        // SPEC §14.4
        "machine_states",
        "soak_until",
      ].sort(),
    );
    expect(batch.status).toBe("waiting_health");
    expect(batch.started_at).toMatch(RFC3339);
    expect(batch.completed_at).toBeNull();
    expect(batch.machine_health).toEqual(Object.fromEntries(ids.map((id) => [id, "pending"])));
    const [event] = rollout.events;
    expect(Object.keys(event).sort()).toEqual(["actor", "created_at", "detail", "event_type", "id", "rollout_id"]);
    expect(event).toMatchObject({ rollout_id: body.rollout_id, event_type: "rollout.created", actor: "apikey:ci" });
    expect(event.created_at).toMatch(RFC3339);
    expect(rollout.events.map((e: any) => e.event_type)).toContain("batch.deploying");
    expect(await auditActions(body.rollout_id)).toEqual(["apikey:ci rollout.created", "executor batch.deploying"]);
  });

  test("the response shows every batch pending even though the first one has already started", async () => {
    const ids = names("web", 4);
    await fleet(ids);
    const releaseId = await release(ids);
    // A running executor starts the first batch on its own, as the real server does.
    h.controlPlane.start();
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    expect(created.batches.map((b: any) => b.status)).toEqual(["pending", "pending"]);
    const rollout = await get(created.rollout_id);
    expect(rollout.batches.map((b: any) => b.status)).toEqual(["waiting_health", "pending"]);
    expect(rollout.batches[1].started_at).toBeNull();
  });

  test("given options are stored and shown", async () => {
    const ids = names("web", 2);
    await fleet(ids);
    const releaseId = await release(ids);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      failure_threshold: "50%",
      on_failure: "revert",
      health_timeout: 60,
      cache_url: "https://cache.example",
      target: { hosts: ids },
    });
    const rollout = await get(created.rollout_id);
    expect(rollout).toMatchObject({
      strategy: "all_at_once",
      on_failure: "revert",
      failure_threshold: "50%",
      health_timeout: 60,
    });
    expect(Number.isInteger(rollout.health_timeout)).toBe(true);
  });

  test("batch planning: strategies, N vs p% of the remaining (ceil, at least 1), the last takes the rest", async () => {
    const sizesOf = async (n: number, strategy: string, batchSizes?: string[]) => {
      const ids = names(`m${n}${strategy}${(batchSizes ?? []).join("_").replace(/%/g, "p")}`, n);
      await fleet(ids, [ids[0]!]);
      const releaseId = await release(ids);
      const created = await createOk({
        release_id: releaseId,
        strategy,
        ...(batchSizes ? { batch_sizes: batchSizes } : {}),
        target: { tags: [ids[0]!] },
      });
      expect(created.batches.map((b: any) => b.batch_index)).toEqual(created.batches.map((_: any, i: number) => i));
      const all = created.batches.flatMap((b: any) => b.machine_ids).sort();
      expect(all).toEqual([...ids].sort());
      expect(created.total_machines).toBe(n);
      return created.batches.map((b: any) => b.machine_ids.length);
    };
    expect(await sizesOf(5, "canary")).toEqual([1, 4]);
    expect(await sizesOf(1, "canary")).toEqual([1]);
    expect(await sizesOf(5, "all_at_once")).toEqual([5]);
    expect(await sizesOf(5, "staged")).toEqual([5]);
    expect(await sizesOf(7, "staged", ["1", "50%", "100%"])).toEqual([1, 3, 3]);
    expect(await sizesOf(7, "staged", ["2", "50%", "100%"])).toEqual([2, 3, 2]);
    expect(await sizesOf(7, "staged", ["10%", "100%"])).toEqual([1, 6]);
    expect(await sizesOf(5, "staged", ["1", "1", "1"])).toEqual([1, 1, 3]);
    expect(await sizesOf(4, "staged", ["3", "3"])).toEqual([3, 1]);
    expect(await sizesOf(4, "staged", ["10", "100%"])).toEqual([4]);
    expect(await sizesOf(3, "staged", ["1", "1", "1", "1", "1"])).toEqual([1, 1, 1]);
    // canary and all_at_once use their own sizes whatever is given.
    expect(await sizesOf(6, "canary", ["50%", "100%"])).toEqual([1, 5]);
    expect(await sizesOf(6, "all_at_once", ["1", "100%"])).toEqual([6]);
  });

  test("machines are shuffled before being cut into batches", async () => {
    const ids = names("s", 8);
    await fleet(ids);
    const releaseId = await release(ids);
    const orders = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
      orders.add(created.batches[0].machine_ids.join(","));
      expect(
        (await h.request(`/api/v1/rollouts/${created.rollout_id}/cancel`, { method: "POST", key: deploy })).status,
      ).toBe(200);
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  test("tags: active machines having ALL the tags, intersected with the release", async () => {
    await register("a", { tags: ["web", "eu"] });
    await register("b", { tags: ["web", "eu", "x"] });
    await register("c", { tags: ["web"] });
    await register("d", { tags: ["web", "eu"], lifecycle: "maintenance" });
    await register("e", { tags: ["web", "eu"], lifecycle: "pending" });
    await register("f", { tags: ["web", "eu"] });
    const releaseId = await release(["a", "b", "c", "d", "e"]);
    const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web", "eu"] } });
    expect([...created.batches[0].machine_ids].sort()).toEqual(["a", "b"]);
    expect(created.total_machines).toBe(2);
  });

  test("hosts: named machines, skipping registered non-active ones, unregistered names allowed", async () => {
    await register("a");
    await register("m", { lifecycle: "maintenance" });
    await register("p", { lifecycle: "provisioning" });
    await register("x");
    const releaseId = await release(["a", "m", "p", "ghost", "x"]);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      target: { hosts: ["a", "m", "p", "ghost", "not-in-release"] },
    });
    expect([...created.batches[0].machine_ids].sort()).toEqual(["a", "ghost"]);
    // The unregistered host gets its desired generation and is waited for.
    expect((await desired("ghost")).body).toEqual({ hash: sp("ghost"), cache_url: null, poll_hint: 5 });
    await healthy("a");
    await healthy("ghost");
    expect((await get(created.rollout_id)).status).toBe("completed");
  });

  test("404 unknown release; 400 no active match; 400 none in the release; 409 already in an active rollout", async () => {
    await fleet(["a", "b"]);
    await register("m", { lifecycle: "maintenance", tags: ["web"] });
    const releaseId = await release(["a", "m"]);
    const r404 = await create({ release_id: "rel-nope", strategy: "canary", target: { tags: ["web"] } });
    expect(r404.status).toBe(404);
    expect((await r404.json()).error).toEqual(expect.any(String));
    expect((await create({ release_id: releaseId, strategy: "canary", target: { tags: ["db"] } })).status).toBe(400);
    expect((await create({ release_id: releaseId, strategy: "canary", target: { hosts: ["m"] } })).status).toBe(400);
    expect((await create({ release_id: releaseId, strategy: "canary", target: { hosts: ["b"] } })).status).toBe(400);
    const first = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    const busy = await create({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    expect(busy.status).toBe(409);
    expect((await busy.json()).error).toEqual(expect.any(String));
    // Paused still holds the machines.
    await report("a", { generation: sp("a"), success: false });
    expect((await get(first.rollout_id)).status).toBe("paused");
    expect((await create({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } })).status).toBe(409);
    // Once finished they are free again.
    await h.request(`/api/v1/rollouts/${first.rollout_id}/cancel`, { method: "POST", key: deploy });
    expect((await create({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } })).status).toBe(201);
    // Precedence: unknown release wins over a target that matches nothing.
    expect((await create({ release_id: "rel-nope", strategy: "canary", target: { tags: ["db"] } })).status).toBe(404);
  });

  test("400 naming the field for malformed input; nothing is created", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    const base = { release_id: releaseId, strategy: "staged", target: { tags: ["web"] } };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, batch_sizes: ["abc"] }, "batch_sizes"],
      [{ ...base, batch_sizes: ["1", "-1"] }, "batch_sizes"],
      [{ ...base, batch_sizes: ["1", "150%"] }, "batch_sizes"],
      [{ ...base, batch_sizes: [] }, "batch_sizes"],
      [{ ...base, batch_sizes: [""] }, "batch_sizes"],
      [{ ...base, batch_sizes: "1,100%" }, "batch_sizes"],
      [{ ...base, batch_sizes: [1, "100%"] }, "batch_sizes"],
      [{ ...base, strategy: "canary", batch_sizes: ["x"] }, "batch_sizes"],
      [{ ...base, failure_threshold: "many" }, "failure_threshold"],
      [{ ...base, failure_threshold: "-1" }, "failure_threshold"],
      [{ ...base, failure_threshold: "101%" }, "failure_threshold"],
      [{ ...base, failure_threshold: 1 }, "failure_threshold"],
      [{ ...base, health_timeout: 1.5 }, "health_timeout"],
      [{ ...base, health_timeout: -1 }, "health_timeout"],
      [{ ...base, health_timeout: "300" }, "health_timeout"],
      [{ ...base, strategy: "rolling" }, "strategy"],
      [{ ...base, on_failure: "explode" }, "on_failure"],
      [{ ...base, target: { tags: ["web"], hosts: ["a"] } }, "target"],
      [{ ...base, target: {} }, "target"],
      [{ release_id: releaseId, strategy: "staged" }, "target"],
      [{ strategy: "staged", target: { tags: ["web"] } }, "release_id"],
      [{ ...base, release_id: "r".repeat(129) }, "release_id"],
    ];
    for (const [body, field] of cases) {
      const res = await create(body);
      const error = (await res.json()).error;
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(error, JSON.stringify(body)).toContain(field);
    }
    const malformed = await h.request("/api/v1/rollouts", {
      method: "POST",
      key: deploy,
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect(await json(h.request("/api/v1/rollouts", { key: readonly }))).toEqual([]);
  });

  test("roles: deploy and admin create; readonly 403; no key 401", async () => {
    await fleet(["a", "b"]);
    const releaseId = await release(["a", "b"]);
    const body = (host: string) => ({ release_id: releaseId, strategy: "canary", target: { hosts: [host] } });
    expect((await create(body("a"), readonly)).status).toBe(403);
    expect((await h.request("/api/v1/rollouts", { json: body("a") })).status).toBe(401);
    expect((await create(body("a"), deploy)).status).toBe(201);
    expect((await create(body("b"), admin)).status).toBe(201);
  });
});

describe("execution", () => {
  test("canary to completion: desired generations, poll_hint, events, audit, batch timestamps", async () => {
    const ids = names("web", 3);
    await fleet(ids);
    const releaseId = await release(ids, { cacheUrl: "https://release.cache" });
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0].machine_ids;
    const rest: string[] = created.batches[1].machine_ids;
    expect((await desired(canary)).body).toEqual({
      hash: sp(canary),
      cache_url: "https://release.cache",
      poll_hint: 5,
    });
    // The second batch has not started: nothing desired yet, but the machines are in the rollout.
    expect(await desired(rest[0]!)).toEqual({ status: 404, body: null });

    h.advance(1000);
    await healthy(canary);
    let rollout = await get(created.rollout_id);
    expect(rollout.batches[0]).toMatchObject({ status: "succeeded", machine_health: { [canary]: "healthy" } });
    expect(rollout.batches[0].completed_at).toMatch(RFC3339);
    expect(rollout.batches[1].status).toBe("waiting_health");
    for (const id of rest) expect((await desired(id)).body).toMatchObject({ hash: sp(id), poll_hint: 5 });

    h.advance(1000);
    for (const id of rest) await healthy(id);
    rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("completed");
    expect(rollout.batches.map((b: any) => b.status)).toEqual(["succeeded", "succeeded"]);
    for (const id of ids)
      expect((await desired(id)).body).toEqual({ hash: sp(id), cache_url: "https://release.cache", poll_hint: null });
    expect(rollout.events.map((e: any) => e.event_type)).toEqual([
      "rollout.created",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "rollout.completed",
    ]);
    expect(new Set(rollout.events.map((e: any) => e.id)).size).toBe(rollout.events.length);
    expect(await auditActions(created.rollout_id)).toEqual([
      "apikey:ci rollout.created",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor rollout.completed",
    ]);
  });

  test("the rollout's cache_url wins over the release's", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"], { cacheUrl: "https://release.cache" });
    await createOk({
      release_id: releaseId,
      strategy: "canary",
      cache_url: "https://rollout.cache",
      target: { hosts: ["a"] },
    });
    expect((await desired("a")).body).toEqual({ hash: sp("a"), cache_url: "https://rollout.cache", poll_hint: 5 });
  });

  test("healthy needs the release generation AND a passing health report, both after the batch started", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    // Before the rollout: already on the path and healthy — does not count.
    await healthy("a");
    h.advance(5);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    const health = async () => (await get(created.rollout_id)).batches[0].machine_health.a;
    expect(await health()).toBe("pending");
    h.advance(5);
    await report("a", { generation: sp("a", 0), health: true });
    expect(await health()).toBe("pending");
    await report("a", { generation: sp("a") });
    expect(await health()).toBe("healthy");
    expect((await get(created.rollout_id)).status).toBe("completed");
  });

  test("a report committed before the batch started, in the same millisecond, does not count", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    // A failed report right before the rollout, in the very millisecond its first batch starts.
    await report("a", { generation: sp("a", 0), success: false });
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    expect((await get(created.rollout_id)).batches[0].machine_health).toEqual({ a: "pending" });
    h.advance(5);
    await healthy("a");
    expect((await get(created.rollout_id)).status).toBe("completed");
  });

  test("unhealthy: success=false, a failed health check, or health_timeout; the reason is shown", async () => {
    const ids = ["a", "b", "c", "d"];
    await fleet(ids);
    const releaseId = await release(ids);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      health_timeout: 30,
      target: { hosts: ids },
    });
    h.advance(1);
    await report("a", { generation: sp("a", 0), success: false, message: "switch failed" });
    await report("b", { generation: sp("b"), health: false });
    await healthy("c");
    let rollout = await get(created.rollout_id);
    const mh = rollout.batches[0].machine_health;
    expect(mh.a).toEqual({ unhealthy: expect.any(String) });
    expect(mh.b).toEqual({ unhealthy: expect.any(String) });
    expect(mh.c).toBe("healthy");
    expect(mh.d).toBe("pending");
    expect(rollout.batches[0].status).toBe("waiting_health");
    await timeOut(29);
    expect((await get(created.rollout_id)).batches[0].machine_health.d).toBe("pending");
    await timeOut(1);
    rollout = await get(created.rollout_id);
    expect(rollout.batches[0].machine_health.d).toEqual({ unhealthy: expect.any(String) });
    expect(rollout.batches[0].status).toBe("failed");
    expect(rollout.status).toBe("paused");
  });

  test("health_timeout 0 is accepted (v0.1 clients may send it): no machine gets time to become healthy", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    const created = await createOk({
      release_id: releaseId,
      strategy: "canary",
      health_timeout: 0,
      target: { hosts: ["a"] },
    });
    expect((await get(created.rollout_id)).health_timeout).toBe(0);
    await timeOut(0);
    const rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0].machine_health).toEqual({ a: { unhealthy: "timeout" } });
  });

  test('threshold "N" and ceil(size × p%): within it the batch succeeds, past it the batch fails', async () => {
    const run = async (prefix: string, threshold: string, failures: number) => {
      const ids = names(prefix, 3);
      await fleet(ids, [prefix]);
      const releaseId = await release(ids);
      const created = await createOk({
        release_id: releaseId,
        strategy: "all_at_once",
        failure_threshold: threshold,
        target: { tags: [prefix] },
      });
      h.advance(1);
      for (const [i, id] of ids.entries()) {
        if (i < failures) await report(id, { generation: sp(id), success: false });
        else await healthy(id);
      }
      return (await get(created.rollout_id)).status;
    };
    expect(await run("n1ok", "1", 1)).toBe("completed");
    expect(await run("n1ko", "1", 2)).toBe("paused");
    // ceil(3 × 50%) = 2
    expect(await run("p50ok", "50%", 2)).toBe("completed");
    expect(await run("p50ko", "50%", 3)).toBe("paused");
    // ceil(3 × 1%) = 1
    expect(await run("p1ok", "1%", 1)).toBe("completed");
    expect(await run("zero", "0", 1)).toBe("paused");
  });

  test("pause: the next batch stays pending; resume restarts the failed batch, judged on new reports only", async () => {
    const ids = names("web", 3);
    await fleet(ids);
    const releaseId = await release(ids);
    const created = await createOk({
      release_id: releaseId,
      strategy: "canary",
      health_timeout: 10,
      target: { tags: ["web"] },
    });
    const [canary] = created.batches[0].machine_ids;
    await timeOut(10);
    let rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches.map((b: any) => b.status)).toEqual(["failed", "pending"]);
    expect(rollout.batches[0].machine_health[canary]).toEqual({ unhealthy: "timeout" });
    expect((await desired(canary)).body.poll_hint).toBe(5);
    // Healthy while paused — before the batch restarts: must not count.
    h.advance(1000);
    await healthy(canary);
    h.advance(1000);
    const resumed = await h.request(`/api/v1/rollouts/${created.rollout_id}/resume`, { method: "POST", key: deploy });
    expect(resumed.status).toBe(200);
    await executor().idle();
    rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("running");
    expect(rollout.batches[0].status).toBe("waiting_health");
    expect(rollout.batches[0].machine_health[canary]).toBe("pending");
    expect(rollout.batches[0].completed_at).toBeNull();
    await timeOut(9);
    expect((await get(created.rollout_id)).batches[0].machine_health[canary]).toBe("pending");
    await healthy(canary);
    rollout = await get(created.rollout_id);
    expect(rollout.batches.map((b: any) => b.status)).toEqual(["succeeded", "waiting_health"]);
    h.advance(1);
    for (const id of created.batches[1].machine_ids) await healthy(id);
    expect((await get(created.rollout_id)).status).toBe("completed");
    expect(await auditActions(created.rollout_id)).toEqual([
      "apikey:ci rollout.created",
      "executor batch.deploying",
      "executor batch.failed",
      "executor rollout.paused",
      "apikey:ci rollout.resumed",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor rollout.completed",
    ]);
  });

  test("revert: succeeded batches and the failed batch get their previous generation (desired, else reported) back", async () => {
    // prev-desired: had a desired generation; prev-reported: only a reported one; fresh: neither.
    await fleet(["prev-desired", "prev-reported", "fresh", "later"]);
    const notify = await h.request("/api/v1/machines/prev-desired/notify-deploy", {
      key: deploy,
      json: { store_path: sp("prev-desired", 7) },
    });
    expect(notify.status).toBe(200);
    await report("prev-desired", { generation: sp("prev-desired", 6) });
    await report("prev-reported", { generation: sp("prev-reported", 5) });
    const releaseId = await release(["prev-desired", "prev-reported", "fresh", "later"]);
    h.advance(10);
    const created = await createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["2", "1", "100%"],
      on_failure: "revert",
      target: { tags: ["web"] },
    });
    expect(created.batches.map((b: any) => b.machine_ids.length)).toEqual([2, 1, 1]);
    h.advance(1);
    for (const id of created.batches[0].machine_ids) await healthy(id);
    const [failing] = created.batches[1].machine_ids;
    const [untouched] = created.batches[2].machine_ids;
    await report(failing, { generation: sp(failing), health: false });
    const rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("failed");
    expect(rollout.batches.map((b: any) => b.status)).toEqual(["succeeded", "failed", "pending"]);
    const expected: Record<string, string | null> = {
      "prev-desired": sp("prev-desired", 7),
      "prev-reported": sp("prev-reported", 5),
      fresh: null,
      later: null,
    };
    for (const id of [...created.batches[0].machine_ids, failing]) {
      const d = await desired(id);
      if (expected[id] === null) expect(d.status).toBe(404);
      else expect(d.body).toMatchObject({ hash: expected[id], poll_hint: null });
    }
    // The pending batch never deployed: left as it was.
    if (untouched === "prev-desired") expect((await desired(untouched)).body.hash).toBe(sp("prev-desired", 7));
    else expect((await desired(untouched)).status).toBe(404);
    expect((await auditActions(created.rollout_id)).slice(-2)).toEqual([
      "executor batch.failed",
      "executor rollout.failed",
    ]);
  });

  // Seed page: a release is "referenced by rollouts multiple times (e.g., staging then prod, or
  // rollback to a previous release)", each machine's store path read from the release entries.
  test("one release referenced by several rollouts: staging then prod, and later a rollback to it", async () => {
    await fleet(["stage-1"], ["web", "staging"]);
    await fleet(["prod-1", "prod-2"], ["web", "prod"]);
    const hosts = ["stage-1", "prod-1", "prod-2"];
    const first = await release(hosts, { version: 1 });
    const second = await release(hosts, { version: 2 });

    const rollOut = async (releaseId: string, version: number, tags: string[]) => {
      const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags } });
      h.advance(1000);
      for (const id of created.batches[0].machine_ids) await healthy(id, version);
      expect((await get(created.rollout_id)).status).toBe("completed");
      return created.batches[0].machine_ids as string[];
    };
    expect(await rollOut(first, 1, ["staging"])).toEqual(["stage-1"]);
    expect((await rollOut(first, 1, ["prod"])).sort()).toEqual(["prod-1", "prod-2"]);
    await rollOut(second, 2, ["web"]);
    for (const id of hosts) expect((await desired(id)).body.hash).toBe(sp(id, 2));

    await rollOut(first, 1, ["web"]);
    for (const id of hosts)
      expect((await desired(id)).body).toEqual({ hash: sp(id, 1), cache_url: null, poll_hint: null });
    const res = await h.request(`/api/v1/rollouts?status=completed`, { key: readonly });
    const completed: any[] = await res.json();
    expect(completed.filter((r) => r.release_id === first)).toHaveLength(3);
  });

  test("cancel keeps what machines have; poll_hint goes back to null", async () => {
    const ids = names("web", 3);
    await fleet(ids);
    const releaseId = await release(ids);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0].machine_ids;
    const res = await h.request(`/api/v1/rollouts/${created.rollout_id}/cancel`, { method: "POST", key: deploy });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe("cancelled");
    await executor().idle();
    expect((await desired(canary)).body).toEqual({ hash: sp(canary), cache_url: null, poll_hint: null });
    expect((await get(created.rollout_id)).status).toBe("cancelled");
    // A late report changes nothing.
    h.advance(1);
    await healthy(canary);
    const rollout = await get(created.rollout_id);
    expect(rollout.status).toBe("cancelled");
    expect(rollout.batches[1].status).toBe("pending");
    expect((await auditActions(created.rollout_id)).at(-1)).toBe("apikey:ci rollout.cancelled");
  });

  test("a control plane restarted mid-rollout carries on where it stopped", async () => {
    const ids = names("web", 3);
    await fleet(ids);
    const releaseId = await release(ids);
    const created = await createOk({
      release_id: releaseId,
      strategy: "canary",
      health_timeout: 20,
      target: { tags: ["web"] },
    });
    const [canary] = created.batches[0].machine_ids;
    await h.controlPlane.stop();
    const second = await createControlPlane({
      store: h.store,
      logger: silentLogger,
      config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
      now: h.controlPlane.deps.now,
    });
    try {
      second.start();
      await second.deps.rolloutExecutor.idle();
      const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
        second.app.request(path, {
          ...init,
          headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
        });
      expect((await json(call(`/api/v1/machines/${canary}/desired-generation`))).poll_hint).toBe(5);
      h.advance(1);
      const body = {
        machine_id: canary,
        current_generation: sp(canary),
        success: true,
        message: "ok",
        timestamp: new Date().toISOString(),
        health: { results: [], all_passed: true, timestamp: new Date().toISOString() },
      };
      expect((await call(`/api/v1/machines/${canary}/report`, { method: "POST", json: body })).status).toBe(200);
      await second.deps.rolloutExecutor.idle();
      let rollout = await json(call(`/api/v1/rollouts/${created.rollout_id}`));
      expect(rollout.batches.map((b: any) => b.status)).toEqual(["succeeded", "waiting_health"]);
      // The timeout of the new batch still runs after the restart.
      h.advance(20_000);
      await second.deps.rolloutExecutor.tick();
      rollout = await json(call(`/api/v1/rollouts/${created.rollout_id}`));
      expect(rollout.status).toBe("paused");
    } finally {
      await second.stop();
    }
  });
});

describe("list, get, resume, cancel, delete", () => {
  test("GET list ?status= filters, items carry no events; a bad status is 400", async () => {
    await fleet(["a", "b"]);
    const releaseId = await release(["a", "b"]);
    const one = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    h.advance(1);
    const two = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["b"] } });
    await h.request(`/api/v1/rollouts/${one.rollout_id}/cancel`, { method: "POST", key: deploy });
    const all = await json(h.request("/api/v1/rollouts", { key: readonly }));
    expect(all.map((r: any) => r.id)).toEqual([two.rollout_id, one.rollout_id]);
    for (const r of all) expect(r).not.toHaveProperty("events");
    expect(all[0].batches[0].machine_health).toEqual({ b: "pending" });
    const running = await json(h.request("/api/v1/rollouts?status=running", { key: readonly }));
    expect(running.map((r: any) => r.id)).toEqual([two.rollout_id]);
    const cancelled = await json(h.request("/api/v1/rollouts?status=cancelled", { key: readonly }));
    expect(cancelled.map((r: any) => r.id)).toEqual([one.rollout_id]);
    expect(await json(h.request("/api/v1/rollouts?status=completed", { key: readonly }))).toEqual([]);
    const bad = await h.request("/api/v1/rollouts?status=bogus", { key: readonly });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain("status");
    expect((await h.request("/api/v1/rollouts")).status).toBe(401);
  });

  test("ids over 128 characters are 400 on every rollout route; unknown ids 404", async () => {
    const long = "r".repeat(129);
    const routes: [string, string, string][] = [
      ["GET", `/api/v1/rollouts/${long}`, readonly],
      ["POST", `/api/v1/rollouts/${long}/resume`, deploy],
      ["POST", `/api/v1/rollouts/${long}/cancel`, deploy],
      ["DELETE", `/api/v1/rollouts/${long}`, admin],
    ];
    for (const [method, path, key] of routes) expect((await h.request(path, { method, key })).status).toBe(400);
    for (const [method, path, key] of routes) {
      const res = await h.request(path.replace(long, "r-unknown"), { method, key });
      expect(res.status).toBe(404);
      expect((await res.json()).error).toEqual(expect.any(String));
    }
    expect((await h.request(`/api/v1/rollouts/${"r".repeat(128)}`, { key: readonly })).status).toBe(404);
  });

  test("resume: only paused → 409 otherwise; roles", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    const resume = (key: string) => h.request(`/api/v1/rollouts/${created.rollout_id}/resume`, { method: "POST", key });
    expect((await resume(deploy)).status).toBe(409);
    await report("a", { generation: sp("a"), success: false });
    expect((await get(created.rollout_id)).status).toBe("paused");
    expect((await resume(readonly)).status).toBe(403);
    expect((await resume(admin)).status).toBe(200);
    await executor().idle();
    expect((await get(created.rollout_id)).status).toBe("running");
  });

  test("cancel: created/running/paused → cancelled, else 409; delete: finished → 204, active → 409, admin only", async () => {
    await fleet(["a", "b", "c"]);
    const releaseId = await release(["a", "b", "c"]);
    const running = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
    const paused = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["b"] } });
    const completed = await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["c"] } });
    h.advance(1);
    await report("b", { generation: sp("b"), success: false });
    await healthy("c");
    expect((await get(paused.rollout_id)).status).toBe("paused");
    expect((await get(completed.rollout_id)).status).toBe("completed");
    const del = (id: string, key = admin) => h.request(`/api/v1/rollouts/${id}`, { method: "DELETE", key });
    const cancel = (id: string, key = deploy) => h.request(`/api/v1/rollouts/${id}/cancel`, { method: "POST", key });

    expect((await del(running.rollout_id)).status).toBe(409);
    expect((await del(paused.rollout_id)).status).toBe(409);
    expect((await cancel(completed.rollout_id)).status).toBe(409);
    expect((await cancel(running.rollout_id, readonly)).status).toBe(403);
    expect((await cancel(running.rollout_id)).status).toBe(200);
    expect((await cancel(paused.rollout_id, admin)).status).toBe(200);
    expect((await cancel(paused.rollout_id)).status).toBe(409);
    expect((await get(paused.rollout_id)).status).toBe("cancelled");
    // b keeps the generation it was given.
    expect((await desired("b")).body).toMatchObject({ hash: sp("b"), poll_hint: null });
    expect(
      (await h.request(`/api/v1/rollouts/${paused.rollout_id}/resume`, { method: "POST", key: deploy })).status,
    ).toBe(409);

    expect((await del(completed.rollout_id, deploy)).status).toBe(403);
    for (const r of [running, paused, completed]) {
      const res = await del(r.rollout_id);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
      expect((await h.request(`/api/v1/rollouts/${r.rollout_id}`, { key: readonly })).status).toBe(404);
      expect((await del(r.rollout_id)).status).toBe(404);
      expect((await auditActions(r.rollout_id)).at(-1)).toBe("apikey:root rollout.deleted");
    }
    expect(await json(h.request("/api/v1/rollouts", { key: readonly }))).toEqual([]);
  });

  test("a failed (reverted) rollout can be deleted", async () => {
    await fleet(["a"]);
    const releaseId = await release(["a"]);
    const created = await createOk({
      release_id: releaseId,
      strategy: "canary",
      on_failure: "revert",
      target: { hosts: ["a"] },
    });
    await report("a", { generation: sp("a"), success: false });
    expect((await get(created.rollout_id)).status).toBe("failed");
    expect(
      (await h.request(`/api/v1/rollouts/${created.rollout_id}/cancel`, { method: "POST", key: deploy })).status,
    ).toBe(409);
    expect((await h.request(`/api/v1/rollouts/${created.rollout_id}`, { method: "DELETE", key: admin })).status).toBe(
      204,
    );
  });
});

test("metrics: nixfleet_rollouts_total{status} and nixfleet_rollouts_active", async () => {
  await fleet(["a", "b", "c"]);
  const releaseId = await release(["a", "b", "c"]);
  await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["a"] } });
  await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["b"] } });
  await createOk({ release_id: releaseId, strategy: "canary", target: { hosts: ["c"] } });
  h.advance(1);
  await report("b", { generation: sp("b"), success: false });
  await healthy("c");
  const text = await (await h.request("/metrics")).text();
  const value = (line: string) => {
    const found = text.split("\n").find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  };
  expect(value('nixfleet_rollouts_total{status="running"}')).toBe(1);
  expect(value('nixfleet_rollouts_total{status="paused"}')).toBe(1);
  expect(value('nixfleet_rollouts_total{status="completed"}')).toBe(1);
  expect(value('nixfleet_rollouts_total{status="cancelled"}')).toBe(0);
  expect(value("nixfleet_rollouts_active")).toBe(2);
});
