// Rollouts end to end: the real server process, simulated agents over HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, ok, type FleetClient, type Schema } from "../../src/client/index.ts";
import { asFull } from "../../src/client/rollouts.ts";
import { NIX_BASE32_ALPHABET } from "../../src/domain/store-path.ts";
import { FleetSimulator, type SimulatedMachineSpec } from "../support/fleet-simulator.ts";
import { repoRoot, startServer, type ServerProcess } from "../support/process.ts";

type Rollout = Schema<"Rollout">;

const dir = mkdtempSync(join(tmpdir(), "nixfleet-e2e-rollouts-"));
const servers: ServerProcess[] = [];
const simulators: FleetSimulator[] = [];

async function startControlPlane(dbPath: string): Promise<ServerProcess> {
  const server = await startServer(["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", dbPath]);
  servers.push(server);
  return server;
}

afterAll(async () => {
  await Promise.all(simulators.map((s) => s.stop()));
  for (const server of servers) server.kill();
  await Promise.all(servers.map((s) => s.exited));
  rmSync(dir, { recursive: true, force: true });
});

/** The typed client of one control plane with an admin key, plus the steps these tests repeat. */
class Api {
  constructor(
    public url: string,
    private key = "",
  ) {}

  static async bootstrap(url: string): Promise<Api> {
    const { key } = await ok(
      createFleetClient({ baseUrl: url }).POST("/api/v1/keys/bootstrap", { body: { name: "e2e" } }),
    );
    return new Api(url, key);
  }

  /** A client for the current URL (tests move it to a restarted control plane). */
  get client(): FleetClient {
    return createFleetClient({ baseUrl: this.url, apiKey: this.key });
  }

  async publish(hosts: string[], version: number): Promise<string> {
    const entries = hosts.map((hostname) => ({
      hostname,
      store_path: storePath(hostname, version),
      platform: "x86_64-linux",
    }));
    const res = await this.client.POST("/api/v1/releases", { body: { entries } });
    expect(res.response.status).toBe(201);
    return res.data!.id;
  }

  async rollout(body: Schema<"CreateRolloutRequest">): Promise<Schema<"CreatedRollout">> {
    const res = await this.client.POST("/api/v1/rollouts", { body });
    expect(res.response.status).toBe(201);
    return res.data!;
  }

  async get(id: string): Promise<Rollout> {
    const res = await this.client.GET("/api/v1/rollouts/{id}", { params: { path: { id } } });
    expect(res.response.status).toBe(200);
    return asFull(res.data!);
  }

  /** Polls the rollout until `done` holds (or fails after `timeoutMs`). */
  async waitFor(id: string, done: (r: Rollout) => boolean, timeoutMs = 10_000): Promise<Rollout> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rollout = await this.get(id);
      if (done(rollout)) return rollout;
      if (Date.now() > deadline) throw new Error(`rollout ${id} never got there: ${JSON.stringify(rollout)}`);
      await Bun.sleep(25);
    }
  }

  async desired(machineId: string): Promise<{ status: number; hash?: string; poll_hint?: number | null }> {
    const agent = createFleetClient({ baseUrl: this.url });
    const res = await agent.GET("/api/v1/machines/{id}/desired-generation", { params: { path: { id: machineId } } });
    return { status: res.response.status, ...res.data };
  }
}

const statusIs =
  (...statuses: string[]) =>
  (r: Rollout) =>
    statuses.includes(r.status);

/** A valid store path, distinct per (host, version). */
function storePath(host: string, version: number): string {
  let seed = [...`${host}#${version}`].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) >>> 0, 11);
  let hash = "";
  for (let i = 0; i < 32; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    hash += NIX_BASE32_ALPHABET[seed % 32];
  }
  return `/nix/store/${hash}-nixos-system-${host}`;
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

async function fleet(api: Api, specs: SimulatedMachineSpec[]): Promise<FleetSimulator> {
  const sim = new FleetSimulator({ baseUrl: api.url, machines: specs, pollIntervalMs: 30, heartbeatMs: 300 });
  simulators.push(sim);
  await sim.register();
  sim.start();
  return sim;
}

describe("one control plane, several fleets", () => {
  let api: Api;
  beforeAll(async () => {
    const server = await startControlPlane(join(dir, "state.db"));
    api = await Api.bootstrap(server.url);
  });

  test("canary: one machine first, then the rest; every machine ends on the release", async () => {
    const ids = names("canary", 5);
    const sim = await fleet(
      api,
      ids.map((id) => ({ id, tags: ["canary"] })),
    );
    const release = await api.publish(ids, 1);
    const created = await api.rollout({ release_id: release, strategy: "canary", target: { tags: ["canary"] } });
    expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1, 4]);
    const rollout = await api.waitFor(created.rollout_id, statusIs("completed", "paused", "failed"));
    expect(rollout.status).toBe("completed");
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "succeeded"]);
    for (const id of ids) {
      expect(sim.machine(id).currentGeneration).toBe(storePath(id, 1));
      expect(rollout.batches.some((b) => b.machine_health[id] === "healthy")).toBe(true);
    }
  });

  test("staged 1 / 50% / 100% on 7 machines: batches of 1, 3, 3, each deployed only after the previous is healthy", async () => {
    const ids = names("staged", 7);
    const sim = await fleet(
      api,
      ids.map((id) => ({ id, tags: ["staged"], applyDelayMs: 60 })),
    );
    const release = await api.publish(ids, 1);
    const created = await api.rollout({
      release_id: release,
      strategy: "staged",
      batch_sizes: ["1", "50%", "100%"],
      target: { tags: ["staged"] },
    });
    expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1, 3, 3]);
    for (const id of [...created.batches[1]!.machine_ids, ...created.batches[2]!.machine_ids]) {
      expect((await api.desired(id)).status).toBe(404);
    }
    const rollout = await api.waitFor(created.rollout_id, statusIs("completed", "paused", "failed"));
    expect(rollout.status).toBe("completed");
    for (const index of [1, 2]) {
      const previousDone = Date.parse(rollout.batches[index - 1]!.completed_at!);
      for (const id of rollout.batches[index]!.machine_ids) {
        const [first] = sim.machine(id).received;
        expect(first!.hash).toBe(storePath(id, 1));
        expect(first!.at).toBeGreaterThanOrEqual(previousDone);
      }
    }
  });

  test('threshold "30%" of one batch of 10: 3 unhealthy machines pass, 4 fail it', async () => {
    const run = async (prefix: string, failing: number) => {
      const ids = names(prefix, 10);
      await fleet(
        api,
        ids.map((id, i) => ({
          id,
          tags: [prefix],
          outcome: i >= failing ? "healthy" : i % 2 === 0 ? "failing-health" : "failing-report",
        })),
      );
      const release = await api.publish(ids, 1);
      const created = await api.rollout({
        release_id: release,
        strategy: "all_at_once",
        failure_threshold: "30%",
        target: { tags: [prefix] },
      });
      return api.waitFor(created.rollout_id, statusIs("completed", "paused", "failed"));
    };
    const [three, four] = await Promise.all([run("thr-a", 3), run("thr-b", 4)]);
    expect(three.status).toBe("completed");
    expect(four.status).toBe("paused");
    expect(four.batches[0]!.status).toBe("failed");
    const reasons = Object.values(four.batches[0]!.machine_health).filter((h) => h !== "healthy");
    expect(reasons).toHaveLength(4);
    expect(reasons).toContainEqual({ unhealthy: "health check http failed" });
    expect(reasons).toContainEqual({ unhealthy: "report failed: switch-to-configuration failed" });
  });

  test("a silent agent times out and pauses the rollout; resumed, the rollout carries on", async () => {
    const ids = names("silent", 3);
    const sim = await fleet(
      api,
      ids.map((id, i) => ({ id, tags: ["silent"], outcome: i === 0 ? "silent" : "healthy" })),
    );
    const release = await api.publish(ids, 1);
    const created = await api.rollout({
      release_id: release,
      strategy: "all_at_once",
      health_timeout: 1,
      target: { tags: ["silent"] },
    });
    const paused = await api.waitFor(created.rollout_id, statusIs("paused", "completed", "failed"));
    expect(paused.status).toBe("paused");
    expect(paused.batches[0]!.machine_health["silent-1"]).toEqual({ unhealthy: "timeout" });
    expect(paused.batches[0]!.machine_health["silent-2"]).toBe("healthy");

    sim.setOutcome("silent-1", "healthy");
    const byId = { params: { path: { id: created.rollout_id } } };
    const resumed = await api.client.POST("/api/v1/rollouts/{id}/resume", byId);
    expect(resumed.response.status).toBe(200);
    const done = await api.waitFor(created.rollout_id, statusIs("completed", "paused", "failed"));
    expect(done.status).toBe("completed");
    expect(done.events.map((e) => e.event_type)).toContain("rollout.resumed");
  });

  test("on_failure revert: the succeeded batch and the failed batch go back to their previous generation", async () => {
    const ids = names("revert", 4);
    const sim = await fleet(
      api,
      ids.map((id) => ({ id, tags: ["revert"], applyDelayMs: 40 })),
    );
    const v1 = await api.publish(ids, 1);
    const first = await api.rollout({ release_id: v1, strategy: "all_at_once", target: { tags: ["revert"] } });
    expect((await api.waitFor(first.rollout_id, statusIs("completed", "paused", "failed"))).status).toBe("completed");

    const v2 = await api.publish(ids, 2);
    const created = await api.rollout({
      release_id: v2,
      strategy: "staged",
      batch_sizes: ["2", "100%"],
      on_failure: "revert",
      target: { tags: ["revert"] },
    });
    // The second batch gets nothing before the first is healthy: there is time to make it fail.
    for (const id of created.batches[1]!.machine_ids) sim.setOutcome(id, "failing-health");
    const failed = await api.waitFor(created.rollout_id, statusIs("failed", "completed", "paused"));
    expect(failed.status).toBe("failed");
    expect(failed.batches.map((b) => b.status)).toEqual(["succeeded", "failed"]);
    for (const id of ids) {
      expect(await api.desired(id)).toMatchObject({ status: 200, hash: storePath(id, 1), poll_hint: null });
    }
    const deadline = Date.now() + 5000;
    while (ids.some((id) => sim.machine(id).currentGeneration !== storePath(id, 1)) && Date.now() < deadline) {
      await Bun.sleep(25);
    }
    for (const id of ids) expect(sim.machine(id).currentGeneration).toBe(storePath(id, 1));
  });

  test("cancel: the rollout stops where it is and machines keep what they have", async () => {
    const ids = names("cancel", 4);
    await fleet(
      api,
      ids.map((id) => ({ id, tags: ["cancel"], outcome: "silent" })),
    );
    const release = await api.publish(ids, 1);
    const created = await api.rollout({ release_id: release, strategy: "canary", target: { tags: ["cancel"] } });
    await api.waitFor(created.rollout_id, (r) => r.batches[0]!.status === "waiting_health");
    const byId = { params: { path: { id: created.rollout_id } } };
    const res = await api.client.POST("/api/v1/rollouts/{id}/cancel", byId);
    expect(res.response.status).toBe(200);
    expect(res.data?.status).toBe("cancelled");
    const [canary] = created.batches[0]!.machine_ids;
    expect(await api.desired(canary!)).toMatchObject({ status: 200, hash: storePath(canary!, 1), poll_hint: null });
    for (const id of created.batches[1]!.machine_ids) expect((await api.desired(id)).status).toBe(404);
    expect((await api.client.POST("/api/v1/rollouts/{id}/cancel", byId)).response.status).toBe(409);
  });
});

test("killed mid-rollout (SIGKILL) and restarted on the same database, the rollout completes", async () => {
  const dbPath = join(dir, "restart.db");
  const first = await startControlPlane(dbPath);
  const api = await Api.bootstrap(first.url);
  const ids = names("restart", 5);
  const sim = await fleet(
    api,
    ids.map((id) => ({ id, tags: ["restart"] })),
  );
  const release = await api.publish(ids, 1);
  const created = await api.rollout({ release_id: release, strategy: "canary", target: { tags: ["restart"] } });
  // The rest must still be applying when the process dies.
  for (const id of created.batches[1]!.machine_ids) sim.setApplyDelay(id, 1500);
  await api.waitFor(created.rollout_id, (r) => r.batches[1]!.status === "waiting_health");

  first.proc.kill("SIGKILL");
  await first.exited;
  const second = await startControlPlane(dbPath);
  api.url = second.url;
  sim.setBaseUrl(second.url);

  const done = await api.waitFor(created.rollout_id, statusIs("completed", "paused", "failed"));
  expect(done.status).toBe("completed");
  for (const id of ids) expect(sim.machine(id).currentGeneration).toBe(storePath(id, 1));
});

test("bun run demo rolls a canary out to a simulated fleet, then shows a soak, a budget and an abort, and exits 0", async () => {
  const proc = Bun.spawn(["bun", "run", "demo"], { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("batch 1/2");
  expect(stdout).toMatch(/rollout r-[0-9a-f-]+ completed/);
  expect(stdout).toMatch(/batch 1\/3: soaking/);
  expect(stdout).toMatch(/waiting \(budget:demo\)/);
  expect(stdout).toMatch(/rollout r-[0-9a-f-]+ aborted: (\d+) of the \1 machines it changed desire rel-/);
}, 40_000);
