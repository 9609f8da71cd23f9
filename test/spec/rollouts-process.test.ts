// SPEC §7 against the real server process, started the way the acceptance tests start it,
// with agents simulated over plain HTTP.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NIX_BASE32_ALPHABET } from "../../src/domain/store-path.ts";
import { FleetSimulator } from "../support/fleet-simulator.ts";
import { startFromSource, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-spec-rollouts-"));
let server: ServerProcess;
let deployKey: string;
const simulators: FleetSimulator[] = [];

async function call(path: string, init: { method?: string; json?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (metrics, empty bodies).
  }
  return { status: res.status, body };
}

beforeAll(async () => {
  server = await startFromSource(join(dir, "state.db"));
  const admin = (await call("/api/v1/keys/bootstrap", { json: {} })).body.key;
  const created = await call("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } });
  expect(created.status).toBe(201);
  deployKey = created.body.key;
});

afterAll(async () => {
  await Promise.all(simulators.map((s) => s.stop()));
  server?.kill();
  await server?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function storePath(host: string, version: number): string {
  let seed = [...`${host}/${version}`].reduce((a, ch) => (a * 37 + ch.charCodeAt(0)) >>> 0, 3);
  let hash = "";
  for (let i = 0; i < 32; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    hash += NIX_BASE32_ALPHABET[(seed >>> 16) % 32];
  }
  return `/nix/store/${hash}-nixos-system-${host}`;
}

async function publish(hosts: string[], version = 1): Promise<string> {
  const entries = hosts.map((hostname) => ({
    hostname,
    store_path: storePath(hostname, version),
    platform: "x86_64-linux",
  }));
  const res = await call("/api/v1/releases", { key: deployKey, json: { entries } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function waitForStatus(id: string, status: string, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(`/api/v1/rollouts/${id}`, { key: deployKey });
    expect(res.status).toBe(200);
    if (res.body.status === status) return res.body;
    if (Date.now() > deadline) throw new Error(`rollout ${id} is not ${status}: ${JSON.stringify(res.body)}`);
    await Bun.sleep(20);
  }
}

async function agentReport(id: string, generation: string, health: boolean) {
  const now = new Date().toISOString();
  const res = await call(`/api/v1/machines/${id}/report`, {
    json: {
      machine_id: id,
      current_generation: generation,
      success: true,
      message: "ok",
      timestamp: now,
      health: { results: [{ status: "pass", check_name: "http", duration_ms: 1 }], all_passed: health, timestamp: now },
    },
  });
  expect(res.status).toBe(200);
}

test("staged 1 / 50% / 100% over simulated agents: batches, completion, poll_hint, audit, metrics", async () => {
  const ids = ["st-1", "st-2", "st-3", "st-4"];
  const sim = new FleetSimulator({
    baseUrl: server.url,
    machines: ids.map((id) => ({ id, tags: ["stage"] })),
    pollIntervalMs: 20,
    heartbeatMs: 200,
    applyDelayMs: 5,
  });
  simulators.push(sim);
  await sim.register();
  const releaseId = await publish(ids);
  sim.start();
  const created = await call("/api/v1/rollouts", {
    key: deployKey,
    json: { release_id: releaseId, strategy: "staged", batch_sizes: ["1", "50%", "100%"], target: { tags: ["stage"] } },
  });
  expect(created.status).toBe(201);
  expect(created.body.rollout_id).toMatch(/^r-[0-9a-f-]{36}$/);
  expect(created.body.total_machines).toBe(4);
  expect(created.body.batches.map((b: any) => [b.batch_index, b.machine_ids.length, b.status])).toEqual([
    [0, 1, "pending"],
    [1, 2, "pending"],
    [2, 1, "pending"],
  ]);
  const rollout = await waitForStatus(created.body.rollout_id, "completed");
  await sim.stop();
  expect(rollout.batches.map((b: any) => b.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  for (const batch of rollout.batches) {
    expect(Object.values(batch.machine_health)).toEqual(batch.machine_ids.map(() => "healthy"));
    // Each batch started only once the previous one was done.
    expect(Date.parse(batch.started_at)).toBeLessThanOrEqual(Date.parse(batch.completed_at));
  }
  for (const [i, batch] of rollout.batches.entries()) {
    if (i > 0)
      expect(Date.parse(batch.started_at)).toBeGreaterThanOrEqual(Date.parse(rollout.batches[i - 1].completed_at));
  }
  for (const id of ids) {
    const desired = await call(`/api/v1/machines/${id}/desired-generation`);
    expect(desired.body).toEqual({ hash: storePath(id, 1), cache_url: null, poll_hint: null });
  }
  const audit = await call(`/api/v1/audit?target=${created.body.rollout_id}`, { key: deployKey });
  expect(audit.body.map((e: any) => e.action).reverse()).toEqual([
    "rollout.created",
    "batch.deploying",
    "batch.succeeded",
    "batch.deploying",
    "batch.succeeded",
    "batch.deploying",
    "batch.succeeded",
    "rollout.completed",
  ]);
  const metrics: string = (await call("/metrics")).body;
  expect(metrics).toContain('nixfleet_rollouts_total{status="completed"} 1');
  expect(metrics).toMatch(/^nixfleet_rollouts_active 0$/m);
});

test("a healthy report sent just before the rollout does not count; timeout pauses, resume carries on", async () => {
  const id = "early-1";
  const releaseId = await publish([id]);
  // Registered, already on the release's path and healthy, right before the rollout starts.
  await agentReport(id, storePath(id, 1), true);
  const created = await call("/api/v1/rollouts", {
    key: deployKey,
    json: { release_id: releaseId, strategy: "all_at_once", health_timeout: 1, target: { hosts: [id] } },
  });
  expect(created.status).toBe(201);
  const rolloutId = created.body.rollout_id;
  expect((await call(`/api/v1/machines/${id}/desired-generation`)).body.poll_hint).toBe(5);
  const paused = await waitForStatus(rolloutId, "paused");
  expect(paused.batches[0]).toMatchObject({ status: "failed", machine_health: { [id]: { unhealthy: "timeout" } } });
  expect((await call(`/api/v1/machines/${id}/desired-generation`)).body.poll_hint).toBe(5);

  expect((await call(`/api/v1/rollouts/${rolloutId}/resume`, { method: "POST", key: deployKey })).status).toBe(200);
  // Report only once the batch has started again: earlier reports would not count.
  const restarted = await waitForStatus(rolloutId, "running");
  for (let b = restarted.batches[0]; b.status !== "waiting_health";) {
    await Bun.sleep(10);
    b = (await call(`/api/v1/rollouts/${rolloutId}`, { key: deployKey })).body.batches[0];
  }
  await Bun.sleep(2);
  await agentReport(id, storePath(id, 1), true);
  const completed = await waitForStatus(rolloutId, "completed");
  expect(completed.batches[0].machine_health).toEqual({ [id]: "healthy" });
  expect((await call(`/api/v1/machines/${id}/desired-generation`)).body.poll_hint).toBeNull();
  const audit = await call(`/api/v1/audit?target=${rolloutId}`, { key: deployKey });
  expect(audit.body.map((e: any) => `${e.actor} ${e.action}`).reverse()).toEqual([
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
