import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createControlPlane } from "../../src/control-plane.ts";
import { insertRelease } from "../../src/db/releases.ts";
import {
  auditEvents,
  desiredGenerations,
  machineTags,
  machines,
  rolloutBatches,
  rolloutEvents,
  rolloutMachines,
  rollouts,
} from "../../src/db/schema.ts";
import { silentLogger } from "../../src/logger.ts";
import { CreatedRollout, Rollout, RolloutSummary } from "../../src/routes/rollouts/index.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRoleKeys } from "../support/keys.ts";
import { storePath } from "../support/rollouts.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

beforeEach(async () => {
  h = await createHarness();
  ({ admin, deploy, readonly } = await createRoleKeys(h));
});
afterEach(() => h.close());

const executor = () => h.controlPlane.deps.rolloutExecutor;

interface MachineSpec {
  id: string;
  lifecycle?: "pending" | "provisioning" | "active" | "maintenance" | "decommissioned";
  tags?: string[];
  currentGeneration?: string | null;
}

async function addMachines(specs: MachineSpec[]): Promise<void> {
  await h.store.write(async (tx) => {
    await tx.insert(machines).values(
      specs.map((m) => ({
        machineId: m.id,
        lifecycle: m.lifecycle ?? "active",
        registeredAt: Date.parse("2026-11-27T09:00:00Z"),
        currentGeneration: m.currentGeneration ?? null,
      })),
    );
    const tags = specs.flatMap((m) => (m.tags ?? []).map((tag) => ({ machineId: m.id, tag })));
    if (tags.length > 0) await tx.insert(machineTags).values(tags);
  });
}

async function addRelease(hosts: string[], options: { version?: number; cacheUrl?: string | null } = {}) {
  const id = `rel-test-${hosts.length}-${options.version ?? 1}-${Math.random().toString(36).slice(2)}`;
  await h.store.write((tx) =>
    insertRelease(tx, {
      id,
      flakeRef: null,
      flakeRev: null,
      cacheUrl: options.cacheUrl ?? null,
      createdAt: h.controlPlane.deps.now(),
      createdBy: "apikey:ci",
      entries: hosts.map((hostname) => ({
        hostname,
        storePath: storePath(hostname, options.version ?? 1),
        platform: "x86_64-linux",
        tags: [],
      })),
    }),
  );
  return id;
}

/** A web fleet of `n` active machines tagged web, and a release for all of them. */
async function webFleet(n: number, options: { version?: number; cacheUrl?: string | null } = {}) {
  const ids = Array.from({ length: n }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  await addMachines(ids.map((id) => ({ id, tags: ["web"], currentGeneration: storePath(id, 0) })));
  return { ids, releaseId: await addRelease(ids, options) };
}

function post(path: string, key: string | undefined, json?: unknown) {
  return h.request(path, { method: "POST", key, ...(json === undefined ? {} : { json }) });
}

async function create(body: Record<string, unknown>, key = deploy) {
  const res = await post("/api/v1/rollouts", key, body);
  await executor().idle();
  return res;
}

async function createOk(body: Record<string, unknown>) {
  const res = await create(body);
  expect(res.status).toBe(201);
  return CreatedRollout.parse(await res.json());
}

async function detail(id: string) {
  const res = await h.request(`/api/v1/rollouts/${id}`, { key: readonly });
  expect(res.status).toBe(200);
  return Rollout.parse(await res.json());
}

type Outcome = "healthy" | "failed-report" | "failed-check" | "old-generation";

/** Sends an agent report through the real report route and lets the executor react. */
async function report(machineId: string, outcome: Outcome, generation = storePath(machineId, 1)) {
  const body = {
    machine_id: machineId,
    current_generation: outcome === "old-generation" ? storePath(machineId, 0) : generation,
    success: outcome !== "failed-report",
    message: outcome === "failed-report" ? "activation failed" : "switched",
    timestamp: new Date(h.controlPlane.deps.now()).toISOString(),
    health: {
      results:
        outcome === "failed-check"
          ? [{ status: "fail", check_name: "nginx", duration_ms: 3, message: "connection refused" }]
          : [{ status: "pass", check_name: "nginx", duration_ms: 3 }],
      all_passed: outcome !== "failed-check",
      timestamp: new Date(h.controlPlane.deps.now()).toISOString(),
    },
  };
  const res = await h.request(`/api/v1/machines/${encodeURIComponent(machineId)}/report`, { json: body });
  expect(res.status).toBe(200);
  await executor().idle();
}

async function desired(machineId: string) {
  const res = await h.request(`/api/v1/machines/${encodeURIComponent(machineId)}/desired-generation`);
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

async function audits(target: string) {
  const rows = await h.store.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.target, target))
    .orderBy(auditEvents.id);
  return rows.map((r) => `${r.actor} ${r.action}`);
}

describe("POST /api/v1/rollouts", () => {
  test("201: plans the batches, records the rollout and starts the first batch", async () => {
    const { ids, releaseId } = await webFleet(5);
    const res = await create({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    expect(res.status).toBe(201);
    const created = CreatedRollout.parse(await res.json());
    expect(created.rollout_id).toMatch(/^r-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.total_machines).toBe(5);
    expect(created.batches.map((b) => [b.batch_index, b.machine_ids.length, b.status])).toEqual([
      [0, 1, "pending"],
      [1, 4, "pending"],
    ]);
    expect(created.batches.flatMap((b) => b.machine_ids).sort()).toEqual(ids);

    const rollout = await detail(created.rollout_id);
    expect(rollout).toMatchObject({
      id: created.rollout_id,
      status: "running",
      strategy: "canary",
      release_id: releaseId,
      on_failure: "pause",
      failure_threshold: "0",
      health_timeout: 300,
      created_by: "apikey:ci",
    });
    expect(rollout.batches.map((b) => b.status)).toEqual(["waiting_health", "pending"]);
    expect(rollout.batches[0]!.started_at).toBe("2026-11-27T10:00:00.000Z");
    expect(rollout.batches[1]!.started_at).toBeNull();
    const [canary] = created.batches[0]!.machine_ids;
    expect(rollout.batches[0]!.machine_health).toEqual({ [canary!]: "pending" });
    expect(rollout.events.map((e) => e.event_type)).toEqual([
      "rollout.created",
      "batch.deploying",
      "batch.waiting_health",
    ]);
    expect(rollout.events[0]).toMatchObject({ rollout_id: created.rollout_id, actor: "apikey:ci" });
    expect(rollout.events[1]).toMatchObject({ actor: "executor" });

    // Only the canary has something to deploy; every target polls faster while the rollout runs.
    expect(await desired(canary!)).toEqual({
      status: 200,
      body: { hash: storePath(canary!), cache_url: null, poll_hint: 5 },
    });
    for (const id of created.batches[1]!.machine_ids) expect((await desired(id)).status).toBe(404);
    expect(await audits(created.rollout_id)).toEqual(["apikey:ci rollout.created", "executor batch.deploying"]);
  });

  test("staged 1 / 50% / 100% of 7 machines → batches of 1, 3 and 3", async () => {
    const { releaseId } = await webFleet(7);
    const created = await createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["1", "50%", "100%"],
      target: { tags: ["web"] },
    });
    expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1, 3, 3]);
  });

  test("all_at_once puts every machine in one batch; staged without sizes too", async () => {
    const { releaseId } = await webFleet(4);
    const all = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    expect(all.batches.map((b) => b.machine_ids.length)).toEqual([4]);
    await post(`/api/v1/rollouts/${all.rollout_id}/cancel`, deploy);
    const staged = await createOk({ release_id: releaseId, strategy: "staged", target: { tags: ["web"] } });
    expect(staged.batches.map((b) => b.machine_ids.length)).toEqual([4]);
  });

  test("null options mean their defaults (v0.1 clients send null)", async () => {
    const { releaseId } = await webFleet(2);
    const created = await createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: null,
      failure_threshold: null,
      on_failure: null,
      health_timeout: null,
      cache_url: null,
      target: { tags: ["web"], hosts: null },
    });
    const rollout = await detail(created.rollout_id);
    expect(rollout).toMatchObject({ failure_threshold: "0", on_failure: "pause", health_timeout: 300 });
  });

  test("tags: only active machines having all the tags, and only those in the release", async () => {
    await addMachines([
      { id: "a", tags: ["web", "prod"] },
      { id: "b", tags: ["web"] },
      { id: "c", tags: ["web", "prod"], lifecycle: "maintenance" },
      { id: "d", tags: ["web", "prod"] },
      { id: "e", tags: ["web", "prod"] },
    ]);
    const releaseId = await addRelease(["a", "b", "c", "d"]);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      target: { tags: ["prod", "web"] },
    });
    expect(created.batches[0]!.machine_ids.sort()).toEqual(["a", "d"]);
  });

  test("hosts: named machines, skipping registered non-active ones, unregistered names allowed", async () => {
    await addMachines([{ id: "a" }, { id: "b", lifecycle: "decommissioned" }, { id: "c", lifecycle: "pending" }]);
    const releaseId = await addRelease(["a", "b", "c", "newcomer"]);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      target: { hosts: ["a", "b", "c", "newcomer", "not-in-release"] },
    });
    expect(created.batches[0]!.machine_ids.sort()).toEqual(["a", "newcomer"]);
  });

  test("404 for an unknown release", async () => {
    const res = await create({ release_id: "rel-nope", strategy: "canary", target: { tags: ["web"] } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "release rel-nope not found" });
  });

  test("400 when no active machine matches, or none is in the release", async () => {
    const { releaseId } = await webFleet(2);
    await addMachines([
      { id: "db-1", tags: ["db"] },
      { id: "off", tags: ["off"], lifecycle: "maintenance" },
    ]);
    for (const target of [{ tags: ["nothing"] }, { tags: ["off"] }, { hosts: ["off"] }]) {
      const res = await create({ release_id: releaseId, strategy: "canary", target });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "no active machine matches the target" });
    }
    const res = await create({ release_id: releaseId, strategy: "canary", target: { tags: ["db"] } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "none of the targeted machines is in the release" });
  });

  test("409 when a target machine is already in an active rollout; free again once that one ends", async () => {
    const { releaseId } = await webFleet(3);
    const first = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-02"] } });
    const res = await create({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: `machine web-02 is already in active rollout ${first.rollout_id}` });
    expect(await h.store.db.select().from(rollouts)).toHaveLength(1);

    await post(`/api/v1/rollouts/${first.rollout_id}/cancel`, deploy);
    expect((await create({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } })).status).toBe(201);
  });

  const malformed: [string, Record<string, unknown>, string][] = [
    ["batch size", { strategy: "staged", batch_sizes: ["1", "half"] }, "batch_sizes[1]"],
    ["batch size over 100%", { strategy: "staged", batch_sizes: ["150%"] }, "more than 100%"],
    ["negative batch size", { strategy: "staged", batch_sizes: ["-1"] }, "batch_sizes[0]"],
    ["empty batch sizes", { strategy: "staged", batch_sizes: [] }, "batch_sizes must not be empty"],
    ["batch size given to canary", { strategy: "canary", batch_sizes: ["1", "lots"] }, "batch_sizes[1]"],
    ["batch size type", { strategy: "staged", batch_sizes: [1] }, "batch_sizes.0"],
    ["threshold", { failure_threshold: "a few" }, "failure_threshold"],
    ["threshold over 100%", { failure_threshold: "101%" }, "failure_threshold"],
    ["threshold type", { failure_threshold: 1 }, "failure_threshold"],
    ["negative timeout", { health_timeout: -1 }, "health_timeout"],
    ["fractional timeout", { health_timeout: 1.5 }, "health_timeout"],
    ["string timeout", { health_timeout: "300" }, "health_timeout"],
    ["strategy", { strategy: "yolo" }, "strategy"],
    ["on_failure", { on_failure: "panic" }, "on_failure"],
    ["target with both", { target: { tags: ["web"], hosts: ["web-01"] } }, "target"],
    ["target with neither", { target: {} }, "target"],
    ["empty tags", { target: { tags: [] } }, "target.tags"],
    ["missing target", { target: undefined }, "target is required"],
    ["missing release", { release_id: undefined }, "release_id is required"],
  ];
  test.each(malformed)("400 for a malformed %s", async (_, change, message) => {
    const { releaseId } = await webFleet(2);
    const body = { release_id: releaseId, strategy: "canary", target: { tags: ["web"] }, ...change };
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await h.store.db.select().from(rollouts)).toHaveLength(0);
  });

  test("400 for malformed JSON", async () => {
    const res = await h.request("/api/v1/rollouts", {
      method: "POST",
      key: deploy,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
  });

  test("401 without a key, 403 for a readonly key", async () => {
    const body = { release_id: "rel-x", strategy: "canary", target: { tags: ["web"] } };
    expect((await post("/api/v1/rollouts", undefined, body)).status).toBe(401);
    expect((await post("/api/v1/rollouts", "nfk-" + "0".repeat(64), body)).status).toBe(401);
    expect((await post("/api/v1/rollouts", readonly, body)).status).toBe(403);
    expect((await post("/api/v1/rollouts", admin, body)).status).toBe(404);
  });
});

describe("execution", () => {
  test("canary: the next batch starts as soon as the last machine of a batch is healthy, then completes", async () => {
    const { releaseId } = await webFleet(3);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    const rest = created.batches[1]!.machine_ids;

    await report(canary!, "old-generation");
    expect((await detail(created.rollout_id)).batches[0]!.machine_health).toEqual({ [canary!]: "pending" });

    h.advance(1000);
    await report(canary!, "healthy");
    let rollout = await detail(created.rollout_id);
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
    expect(rollout.batches[0]!.machine_health).toEqual({ [canary!]: "healthy" });
    expect(rollout.batches[0]!.completed_at).toBe("2026-11-27T10:00:01.000Z");
    expect(rollout.batches[1]!.started_at).toBe("2026-11-27T10:00:01.000Z");
    for (const id of rest) expect((await desired(id)).body).toMatchObject({ hash: storePath(id), poll_hint: 5 });

    await report(rest[0]!, "healthy");
    expect((await detail(created.rollout_id)).status).toBe("running");
    await report(rest[1]!, "healthy");
    rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("completed");
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "succeeded"]);
    expect(rollout.events.map((e) => e.event_type)).toEqual([
      "rollout.created",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "batch.deploying",
      "batch.waiting_health",
      "batch.succeeded",
      "rollout.completed",
    ]);
    expect(await audits(created.rollout_id)).toEqual([
      "apikey:ci rollout.created",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor rollout.completed",
    ]);
    // Machines keep their new generation; the fast poll hint ends with the rollout.
    expect((await desired(canary!)).body).toEqual({ hash: storePath(canary!), cache_url: null, poll_hint: null });
  });

  test("reports from before the batch started never count", async () => {
    const { releaseId } = await webFleet(1);
    // Already on the target path and healthy, but before the rollout.
    await report("web-01", "healthy");
    h.advance(10);
    const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    expect((await detail(created.rollout_id)).batches[0]!.machine_health).toEqual({ "web-01": "pending" });
    h.advance(10);
    await report("web-01", "healthy");
    expect((await detail(created.rollout_id)).status).toBe("completed");
  });

  test("unhealthy reasons: a failed report, a failed health check; the batch fails and the rollout pauses", async () => {
    const { releaseId } = await webFleet(3);
    const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    await report("web-01", "failed-report");
    await report("web-02", "failed-check");
    let rollout = await detail(created.rollout_id);
    expect(rollout.batches[0]!.status).toBe("waiting_health");
    await report("web-03", "healthy");
    rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0]!.status).toBe("failed");
    expect(rollout.batches[0]!.machine_health).toEqual({
      "web-01": { unhealthy: "report failed: activation failed" },
      "web-02": { unhealthy: "health check nginx failed" },
      "web-03": "healthy",
    });
    expect(await audits(created.rollout_id)).toEqual([
      "apikey:ci rollout.created",
      "executor batch.deploying",
      "executor batch.failed",
      "executor rollout.paused",
    ]);
    // Paused still holds the machines.
    expect((await desired("web-01")).body).toMatchObject({ poll_hint: 5 });
  });

  test("the first decisive event stands: a pass after a failure does not heal the machine", async () => {
    const { releaseId } = await webFleet(2);
    const created = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    await report("web-01", "failed-check");
    await report("web-01", "healthy");
    await report("web-02", "healthy");
    await report("web-02", "failed-report");
    const rollout = await detail(created.rollout_id);
    expect(rollout.batches[0]!.machine_health).toEqual({
      "web-01": { unhealthy: "health check nginx failed" },
      "web-02": "healthy",
    });
    expect(rollout.status).toBe("paused");
  });

  test('threshold "30%" of a batch of 10: 3 unhealthy succeed', async () => {
    const { ids, releaseId } = await webFleet(10);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      failure_threshold: "30%",
      target: { tags: ["web"] },
    });
    for (const [i, id] of ids.entries()) await report(id, i < 3 ? "failed-check" : "healthy");
    expect((await detail(created.rollout_id)).status).toBe("completed");
  });

  test('threshold "30%" of a batch of 10: 4 unhealthy fail', async () => {
    const { ids, releaseId } = await webFleet(10);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      failure_threshold: "30%",
      target: { tags: ["web"] },
    });
    for (const [i, id] of ids.entries()) await report(id, i < 4 ? "failed-check" : "healthy");
    const rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.events.find((e) => e.event_type === "batch.failed")!.detail).toBe(
      JSON.stringify({ batch_index: 0, unhealthy: 4, allowed_failures: 3 }),
    );
  });

  test('threshold "N" counts machines', async () => {
    const { ids, releaseId } = await webFleet(4);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      failure_threshold: "1",
      target: { tags: ["web"] },
    });
    for (const [i, id] of ids.entries()) await report(id, i < 1 ? "failed-report" : "healthy");
    expect((await detail(created.rollout_id)).status).toBe("completed");
  });

  test("timeout → paused; resume restarts the batch, judged only on reports after the resume", async () => {
    const { releaseId } = await webFleet(2);
    const created = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      health_timeout: 60,
      target: { tags: ["web"] },
    });
    await report("web-01", "healthy");
    h.advance(59_999);
    await executor().tick();
    expect((await detail(created.rollout_id)).status).toBe("running");
    h.advance(1);
    await executor().tick();
    let rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0]!.machine_health).toEqual({ "web-01": "healthy", "web-02": { unhealthy: "timeout" } });

    // web-02 reports healthy while paused: that report predates the resumed batch.
    h.advance(1000);
    await report("web-02", "healthy");
    h.advance(1000);
    const res = await post(`/api/v1/rollouts/${created.rollout_id}/resume`, deploy);
    expect(res.status).toBe(200);
    const resumed = Rollout.parse(await res.json());
    expect(resumed.status).toBe("running");
    await executor().idle();
    rollout = await detail(created.rollout_id);
    expect(rollout.batches[0]!.status).toBe("waiting_health");
    expect(rollout.batches[0]!.started_at).toBe("2026-11-27T10:01:02.000Z");
    expect(rollout.batches[0]!.completed_at).toBeNull();
    expect(rollout.batches[0]!.machine_health).toEqual({ "web-01": "pending", "web-02": "pending" });

    h.advance(10);
    await report("web-01", "healthy");
    await report("web-02", "healthy");
    rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("completed");
    expect(await audits(created.rollout_id)).toEqual([
      "apikey:ci rollout.created",
      "executor batch.deploying",
      "executor batch.failed",
      "executor rollout.paused",
      "apikey:ci rollout.resumed",
      "executor batch.deploying",
      "executor batch.succeeded",
      "executor rollout.completed",
    ]);
  });

  test("revert: machines of the succeeded batches and of the failed batch get their previous generation back", async () => {
    const { releaseId } = await webFleet(3);
    // web-01 had a desired generation with a cache; the others only a reported one; a newcomer has nothing.
    await h.store.write((tx) =>
      tx.insert(desiredGenerations).values({
        machineId: "web-01",
        storePath: storePath("web-01", 0),
        cacheUrl: "https://old.cache",
        setAt: 0,
        setBy: "apikey:ci",
      }),
    );
    await h.controlPlane.deps.fleet.load(h.store.db);
    const release = await addRelease(["web-01", "web-02", "web-03", "newcomer"], { version: 1 });
    void releaseId;
    const created = await createOk({
      release_id: release,
      strategy: "staged",
      batch_sizes: ["2", "100%"],
      on_failure: "revert",
      target: { hosts: ["web-01", "web-02", "web-03", "newcomer"] },
    });
    const [first, second] = created.batches.map((b) => b.machine_ids);
    for (const id of first!) await report(id, "healthy");
    expect((await detail(created.rollout_id)).batches[0]!.status).toBe("succeeded");
    for (const id of second!) await report(id, "failed-report");

    const rollout = await detail(created.rollout_id);
    expect(rollout.status).toBe("failed");
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "failed"]);
    const expected: Record<string, unknown> = {
      "web-01": { hash: storePath("web-01", 0), cache_url: "https://old.cache", poll_hint: null },
      "web-02": { hash: storePath("web-02", 0), cache_url: null, poll_hint: null },
      "web-03": { hash: storePath("web-03", 0), cache_url: null, poll_hint: null },
    };
    for (const id of ["web-01", "web-02", "web-03"]) expect((await desired(id)).body).toEqual(expected[id]);
    // The newcomer had nothing before: its desired generation is cleared, in the database too.
    expect((await desired("newcomer")).status).toBe(404);
    const rows = await h.store.db.select().from(desiredGenerations).orderBy(desiredGenerations.machineId);
    expect(rows.map((r) => [r.machineId, r.storePath])).toEqual([
      ["web-01", storePath("web-01", 0)],
      ["web-02", storePath("web-02", 0)],
      ["web-03", storePath("web-03", 0)],
    ]);
    expect((await audits(created.rollout_id)).slice(-2)).toEqual(["executor batch.failed", "executor rollout.failed"]);
  });

  test("cache_url: the rollout's, else the release's", async () => {
    const { releaseId } = await webFleet(2, { cacheUrl: "https://release.cache" });
    const own = await createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      cache_url: "https://rollout.cache",
      target: { hosts: ["web-01"] },
    });
    expect((await desired("web-01")).body).toMatchObject({ cache_url: "https://rollout.cache" });
    void own;
    await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-02"] } });
    expect((await desired("web-02")).body).toMatchObject({ cache_url: "https://release.cache" });
  });

  test("a restarted control plane carries on: it re-judges the waiting batch from the reports it missed", async () => {
    const { releaseId } = await webFleet(3);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    await h.controlPlane.stop();
    // The report lands while no executor is running.
    h.advance(5);
    await report(canary!, "healthy");
    expect((await detail(created.rollout_id)).batches[0]!.status).toBe("waiting_health");

    const second = await createControlPlane({
      store: h.store,
      logger: silentLogger,
      config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
      now: h.controlPlane.deps.now,
    });
    second.start();
    try {
      await second.deps.rolloutExecutor.idle();
      const rollout = await detail(created.rollout_id);
      expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
      const next = created.batches[1]!.machine_ids[0]!;
      expect(second.deps.fleet.desiredGeneration(next)).toMatchObject({ hash: storePath(next), poll_hint: 5 });
    } finally {
      await second.stop();
    }
  });
});

describe("GET /api/v1/rollouts", () => {
  test("lists rollouts newest first without events, filtered by ?status=", async () => {
    const { releaseId } = await webFleet(2);
    const a = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-01"] } });
    h.advance(1000);
    const b = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-02"] } });
    await post(`/api/v1/rollouts/${a.rollout_id}/cancel`, deploy);

    const all = await h.request("/api/v1/rollouts", { key: readonly });
    expect(all.status).toBe(200);
    const list = (await all.json()) as unknown[];
    expect(list.map((r) => RolloutSummary.parse(r).id)).toEqual([b.rollout_id, a.rollout_id]);
    expect(list[0]).not.toHaveProperty("events");
    expect(RolloutSummary.parse(list[0]).batches[0]!.machine_health).toEqual({ "web-02": "pending" });

    const cancelled = await h.request("/api/v1/rollouts?status=cancelled", { key: readonly });
    expect(((await cancelled.json()) as { id: string }[]).map((r) => r.id)).toEqual([a.rollout_id]);
    const completed = await h.request("/api/v1/rollouts?status=completed", { key: readonly });
    expect(await completed.json()).toEqual([]);
  });

  test("400 for an unknown status, 401 without a key", async () => {
    const res = await h.request("/api/v1/rollouts?status=sleeping", { key: readonly });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("status");
    expect((await h.request("/api/v1/rollouts")).status).toBe(401);
  });

  test("GET one: 404 unknown, 400 for an id over 128 characters, 401 without a key", async () => {
    const res = await h.request("/api/v1/rollouts/r-nope", { key: readonly });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "rollout r-nope not found" });
    expect((await h.request(`/api/v1/rollouts/${"r".repeat(129)}`, { key: readonly })).status).toBe(400);
    expect((await h.request("/api/v1/rollouts/r-nope")).status).toBe(401);
  });
});

describe("resume, cancel, delete", () => {
  test("resume: 409 unless paused, 404 unknown, 403 readonly", async () => {
    const { releaseId } = await webFleet(1);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const res = await post(`/api/v1/rollouts/${created.rollout_id}/resume`, deploy);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: `rollout ${created.rollout_id} is running, not paused` });
    expect((await post("/api/v1/rollouts/r-nope/resume", deploy)).status).toBe(404);
    expect((await post(`/api/v1/rollouts/${created.rollout_id}/resume`, readonly)).status).toBe(403);
    expect((await post(`/api/v1/rollouts/${created.rollout_id}/resume`, undefined)).status).toBe(401);
  });

  test("cancel: machines keep what they have; 409 once finished; 404 unknown; 403 readonly", async () => {
    const { releaseId } = await webFleet(3);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    expect((await post(`/api/v1/rollouts/${created.rollout_id}/cancel`, readonly)).status).toBe(403);
    const res = await post(`/api/v1/rollouts/${created.rollout_id}/cancel`, deploy);
    expect(res.status).toBe(200);
    expect(Rollout.parse(await res.json()).status).toBe("cancelled");
    expect((await desired(canary!)).body).toEqual({ hash: storePath(canary!), cache_url: null, poll_hint: null });

    // A late report changes nothing any more.
    await report(canary!, "healthy");
    expect((await detail(created.rollout_id)).batches.map((b) => b.status)).toEqual(["waiting_health", "pending"]);

    const again = await post(`/api/v1/rollouts/${created.rollout_id}/cancel`, deploy);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: `rollout ${created.rollout_id} is already cancelled` });
    expect((await post("/api/v1/rollouts/r-nope/cancel", deploy)).status).toBe(404);
    expect((await audits(created.rollout_id)).at(-1)).toBe("apikey:ci rollout.cancelled");
  });

  test("cancel a paused rollout", async () => {
    const { releaseId } = await webFleet(1);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    await report("web-01", "failed-report");
    expect((await detail(created.rollout_id)).status).toBe("paused");
    expect((await post(`/api/v1/rollouts/${created.rollout_id}/cancel`, deploy)).status).toBe(200);
    expect((await detail(created.rollout_id)).status).toBe("cancelled");
  });

  test("delete: admin only, 409 while active, 204 once finished with everything gone, then 404", async () => {
    const { releaseId } = await webFleet(2);
    const created = await createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const path = `/api/v1/rollouts/${created.rollout_id}`;
    expect((await h.request(path, { method: "DELETE", key: deploy })).status).toBe(403);
    expect((await h.request(path, { method: "DELETE" })).status).toBe(401);
    const active = await h.request(path, { method: "DELETE", key: admin });
    expect(active.status).toBe(409);

    await post(`${path}/cancel`, deploy);
    const res = await h.request(path, { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    for (const table of [rollouts, rolloutBatches, rolloutMachines, rolloutEvents]) {
      expect(await h.store.db.select().from(table)).toEqual([]);
    }
    expect((await audits(created.rollout_id)).at(-1)).toBe("apikey:root rollout.deleted");
    expect((await h.request(path, { method: "DELETE", key: admin })).status).toBe(404);
    expect((await h.request(path, { key: readonly })).status).toBe(404);
  });
});

test("metrics: rollouts by status and active rollouts", async () => {
  const { releaseId } = await webFleet(3);
  const a = await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-01"] } });
  await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-02"] } });
  await createOk({ release_id: releaseId, strategy: "all_at_once", target: { hosts: ["web-03"] } });
  await post(`/api/v1/rollouts/${a.rollout_id}/cancel`, deploy);
  await report("web-02", "healthy");
  const text = await (await h.request("/metrics")).text();
  expect(text).toContain('nixfleet_rollouts_total{status="running"} 1');
  expect(text).toContain('nixfleet_rollouts_total{status="completed"} 1');
  expect(text).toContain('nixfleet_rollouts_total{status="cancelled"} 1');
  expect(text).toContain('nixfleet_rollouts_total{status="paused"} 0');
  expect(text).toContain("nixfleet_rollouts_active 1");
});

test("a rollout over 100 000 machines is created whole, batch by batch", async () => {
  const n = 100_000;
  const ids = Array.from({ length: n }, (_, i) => `node-${i}`);
  await h.store.write(async (tx) => {
    for (let i = 0; i < n; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      await tx
        .insert(machines)
        .values(chunk.map((machineId) => ({ machineId, lifecycle: "active" as const, registeredAt: 0 })));
      await tx.insert(machineTags).values(chunk.map((machineId) => ({ machineId, tag: "fleet" })));
    }
  });
  const releaseId = await addRelease(ids);
  const res = await post("/api/v1/rollouts", deploy, {
    release_id: releaseId,
    strategy: "staged",
    batch_sizes: ["1%", "10%", "100%"],
    target: { tags: ["fleet"] },
  });
  expect(res.status).toBe(201);
  const created = CreatedRollout.parse(await res.json());
  expect(created.total_machines).toBe(n);
  expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1000, 9900, 89100]);
  await executor().idle();
  const rows = await h.store.db
    .select()
    .from(rolloutMachines)
    .where(and(eq(rolloutMachines.rolloutId, created.rollout_id), eq(rolloutMachines.batchIndex, 2)));
  expect(rows).toHaveLength(89100);
}, 30_000);
