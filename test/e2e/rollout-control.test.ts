// SPEC §14 end to end: the real server process, simulated agents over HTTP, the typed client.
// One scenario per verb and gate, with short timeouts and soaks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, ok, type FleetClient, type Schema } from "../../src/client/index.ts";
import { asFull } from "../../src/client/rollouts.ts";
import { NIX_BASE32_ALPHABET } from "../../src/domain/store-path.ts";
import { FleetSimulator, type SimulatedMachineSpec } from "../support/fleet-simulator.ts";
import { startServer, type ServerProcess } from "../support/process.ts";

type Rollout = Schema<"Rollout">;

const dir = mkdtempSync(join(tmpdir(), "nixfleet-e2e-control-"));
const simulators: FleetSimulator[] = [];
let server: ServerProcess;
let client: FleetClient;

beforeAll(async () => {
  server = await startServer(["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", join(dir, "state.db")]);
  const { key } = await ok(
    createFleetClient({ baseUrl: server.url }).POST("/api/v1/keys/bootstrap", { body: { name: "e2e" } }),
  );
  client = createFleetClient({ baseUrl: server.url, apiKey: key });
});

afterAll(async () => {
  await Promise.all(simulators.map((s) => s.stop()));
  server?.kill();
  await server?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function storePath(host: string, version: number): string {
  let seed = [...`${host}~${version}`].reduce((a, ch) => (a * 29 + ch.charCodeAt(0)) >>> 0, 13);
  let hash = "";
  for (let i = 0; i < 32; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    hash += NIX_BASE32_ALPHABET[(seed >>> 16) % 32];
  }
  return `/nix/store/${hash}-nixos-system-${host}`;
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

/** A simulated fleet tagged `prefix`, registered and polling, and a release for it. */
async function fleet(prefix: string, n: number, specs: Partial<SimulatedMachineSpec>[] = []) {
  const ids = names(prefix, n);
  const sim = new FleetSimulator({
    baseUrl: server.url,
    machines: ids.map((id, i) => ({ id, tags: [prefix], ...specs[i] })),
    pollIntervalMs: 30,
    heartbeatMs: 300,
  });
  simulators.push(sim);
  await sim.register();
  sim.start();
  const entries = ids.map((hostname) => ({ hostname, store_path: storePath(hostname, 1), platform: "x86_64-linux" }));
  const release = await ok(client.POST("/api/v1/releases", { body: { entries } }));
  return { ids, sim, releaseId: release.id };
}

async function rollout(body: Schema<"CreateRolloutRequest">) {
  return ok(client.POST("/api/v1/rollouts", { body }));
}

const byId = (id: string) => ({ params: { path: { id } } });

async function get(id: string): Promise<Rollout> {
  return asFull(await ok(client.GET("/api/v1/rollouts/{id}", byId(id))));
}

async function waitFor(id: string, done: (r: Rollout) => boolean, what: string, timeoutMs = 10_000): Promise<Rollout> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await get(id);
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`rollout ${id} never ${what}: ${JSON.stringify(r)}`);
    await Bun.sleep(25);
  }
}

const states = (r: Rollout) =>
  Object.assign({}, ...r.batches.map((b) => b.machine_states)) as Record<string, Schema<"RolloutMachineState">>;
const finished = (r: Rollout) => ["completed", "failed", "aborted", "cancelled"].includes(r.status);

describe("verbs", () => {
  test("pause holds the next batch; resume carries on to completion", async () => {
    const slow = { applyDelayMs: 300 };
    const { releaseId } = await fleet("pause", 3, [slow, slow, slow]);
    const created = await rollout({ release_id: releaseId, strategy: "canary", target: { tags: ["pause"] } });
    const paused = await ok(
      client.POST("/api/v1/rollouts/{id}/pause", { ...byId(created.rollout_id), body: { reason: "e2e" } }),
    );
    expect(paused).toMatchObject({ status: "paused", pause_reason: "e2e" });
    const held = await waitFor(created.rollout_id, (r) => r.batches[0]!.status === "succeeded", "had its canary");
    expect(held.status).toBe("paused");
    expect(held.batches[1]!.status).toBe("pending");
    expect(held.blocked_by).toEqual(["paused"]);
    await ok(client.POST("/api/v1/rollouts/{id}/resume", byId(created.rollout_id)));
    expect((await waitFor(created.rollout_id, finished, "finished")).status).toBe("completed");
  });

  test("promote ends a soak now", async () => {
    const { releaseId } = await fleet("promote", 2);
    const created = await rollout({
      release_id: releaseId,
      strategy: "canary",
      soak_seconds: 3600,
      target: { tags: ["promote"] },
    });
    await waitFor(created.rollout_id, (r) => r.batches[0]!.status === "soaking", "soaked");
    await ok(client.POST("/api/v1/rollouts/{id}/promote", { ...byId(created.rollout_id), body: {} }));
    const done = await waitFor(created.rollout_id, (r) => r.batches[1]!.status === "soaking", "soaked its 2nd batch");
    expect(done.batches[0]!.status).toBe("succeeded");
  });

  test("abort: the machines go back to what they ran before", async () => {
    const slow = { applyDelayMs: 400 };
    const { ids, sim, releaseId } = await fleet("abort", 3, [slow, slow, slow]);
    const created = await rollout({ release_id: releaseId, strategy: "canary", target: { tags: ["abort"] } });
    await waitFor(created.rollout_id, (r) => r.batches[1]!.status === "waiting_health", "started batch 2");
    const aborted = await ok(
      client.POST("/api/v1/rollouts/{id}/abort", { ...byId(created.rollout_id), body: { reason: "e2e" } }),
    );
    expect(aborted.status).toBe("aborted");
    const deadline = Date.now() + 5000;
    const initial = (id: string) => `/nix/store/${"0".repeat(32)}-nixos-system-${id}-initial`;
    while (ids.some((id) => sim.machine(id).currentGeneration !== initial(id)) && Date.now() < deadline) {
      await Bun.sleep(25);
    }
    for (const id of ids) expect(sim.machine(id).currentGeneration).toBe(initial(id));
  });

  test("retry re-deploys only the unhealthy machine once it is fixed", async () => {
    const { sim, releaseId } = await fleet("retry", 3, [{ outcome: "failing-health" }]);
    const created = await rollout({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["retry"] } });
    const paused = await waitFor(created.rollout_id, (r) => r.status === "paused", "paused");
    expect(states(paused)["retry-1"]).toMatchObject({ state: "unhealthy", reason: "health check http failed" });
    sim.setOutcome("retry-1", "healthy");
    await ok(client.POST("/api/v1/rollouts/{id}/retry", byId(created.rollout_id)));
    const done = await waitFor(created.rollout_id, finished, "finished");
    expect(done.status).toBe("completed");
    expect(states(done)["retry-1"]!.state).toBe("healthy");
  });

  test("skip: a silent machine no longer blocks its batch", async () => {
    const { releaseId } = await fleet("skip", 2, [{ outcome: "silent" }]);
    const created = await rollout({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["skip"] } });
    await waitFor(created.rollout_id, (r) => states(r)["skip-2"]?.state === "healthy", "had skip-2 healthy");
    await ok(
      client.POST("/api/v1/rollouts/{id}/machines/{machine}/skip", {
        params: { path: { id: created.rollout_id, machine: "skip-1" } },
        body: { reason: "unplugged" },
      }),
    );
    const done = await waitFor(created.rollout_id, finished, "finished");
    expect(done.status).toBe("completed");
    expect(states(done)["skip-1"]).toMatchObject({ state: "skipped", reason: "unplugged" });
    const trace = await ok(
      client.GET("/api/v1/rollouts/{id}/trace", {
        ...byId(created.rollout_id),
        params: { path: { id: created.rollout_id }, query: {} },
      }),
    );
    expect(trace.events.some((e) => e.action === "machine.skipped" && e.machine_id === "skip-1")).toBe(true);
  });
});

describe("options", () => {
  test("max_in_flight: never more machines deploying at once; offline machines skipped", async () => {
    const { releaseId, sim } = await fleet("flight", 5, [{ outcome: "silent" }]);
    await sim.stop();
    // flight-1 never reports again: offline once a second has passed.
    const live = names("flight", 5).slice(1);
    const liveSim = new FleetSimulator({
      baseUrl: server.url,
      machines: live.map((id) => ({ id, tags: ["flight"], applyDelayMs: 80 })),
      pollIntervalMs: 30,
      heartbeatMs: 300,
    });
    simulators.push(liveSim);
    await Bun.sleep(1200);
    await liveSim.register();
    liveSim.start();
    const created = await rollout({
      release_id: releaseId,
      strategy: "all_at_once",
      max_in_flight: "2",
      offline_after_seconds: 1,
      target: { tags: ["flight"] },
    });
    let most = 0;
    for (;;) {
      const r = await get(created.rollout_id);
      most = Math.max(most, Object.values(states(r)).filter((s) => s.state === "deploying").length);
      if (finished(r)) {
        expect(r.status).toBe("completed");
        expect(states(r)["flight-1"]).toMatchObject({ state: "skipped", reason: "offline" });
        break;
      }
      await Bun.sleep(10);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  });

  test("not_before: scheduled, then it runs", async () => {
    const { releaseId } = await fleet("later", 1);
    const created = await rollout({
      release_id: releaseId,
      strategy: "all_at_once",
      not_before: new Date(Date.now() + 1500).toISOString(),
      target: { tags: ["later"] },
    });
    expect((await get(created.rollout_id)).status).toBe("scheduled");
    expect((await waitFor(created.rollout_id, finished, "finished")).status).toBe("completed");
  });

  test("supersede: a new rollout takes machines from a stuck one", async () => {
    const { releaseId } = await fleet("super", 2, [{ outcome: "silent" }]);
    const stuck = await rollout({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["super"] } });
    const created = await rollout({
      release_id: releaseId,
      strategy: "all_at_once",
      supersede: true,
      target: { hosts: ["super-2"] },
    });
    expect(states(await get(stuck.rollout_id))["super-2"]!.state).toBe("superseded");
    expect((await waitFor(created.rollout_id, finished, "finished")).status).toBe("completed");
  });
});

describe("gates", () => {
  test("a budget summed over two rollouts: one machine at a time, both complete", async () => {
    await ok(
      client.PUT("/api/v1/budgets/{name}", {
        params: { path: { name: "e2e-shared" } },
        body: { tags: ["shared"], max_unavailable: "1" },
      }),
    );
    const a = await fleet("ba", 2, [
      { tags: ["ba", "shared"], applyDelayMs: 60 },
      { tags: ["ba", "shared"], applyDelayMs: 60 },
    ]);
    const b = await fleet("bb", 2, [
      { tags: ["bb", "shared"], applyDelayMs: 60 },
      { tags: ["bb", "shared"], applyDelayMs: 60 },
    ]);
    const ra = await rollout({ release_id: a.releaseId, strategy: "all_at_once", target: { tags: ["ba"] } });
    const rb = await rollout({ release_id: b.releaseId, strategy: "all_at_once", target: { tags: ["bb"] } });
    let most = 0;
    let sawBudget = false;
    for (;;) {
      const [x, y] = await Promise.all([get(ra.rollout_id), get(rb.rollout_id)]);
      const all = [...Object.values(states(x)), ...Object.values(states(y))];
      most = Math.max(most, all.filter((s) => s.state === "deploying").length);
      sawBudget ||= all.some((s) => s.reason === "budget:e2e-shared");
      if (finished(x) && finished(y)) break;
      await Bun.sleep(10);
    }
    expect(most).toBe(1);
    expect(sawBudget).toBe(true);
    await ok(client.DELETE("/api/v1/budgets/{name}", { params: { path: { name: "e2e-shared" } } }));
  });

  test("a maintenance window holds its machines until it opens", async () => {
    const window = { tags: ["win"], duration_minutes: 60, timezone: "UTC" };
    const closed = new Date(Date.now() + 3 * 3600_000);
    await ok(
      client.PUT("/api/v1/windows/{name}", {
        params: { path: { name: "e2e" } },
        body: { ...window, cron: [`${closed.getUTCMinutes()} ${closed.getUTCHours()} * * *`] },
      }),
    );
    const { releaseId } = await fleet("win", 2);
    const created = await rollout({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["win"] } });
    const held = await waitFor(created.rollout_id, (r) => r.blocked_by.includes("window:e2e"), "held by the window");
    expect(Object.values(states(held)).map((s) => s.reason)).toEqual(["window:e2e", "window:e2e"]);
    await ok(
      client.PUT("/api/v1/windows/{name}", {
        params: { path: { name: "e2e" } },
        body: { ...window, cron: ["* * * * *"] },
      }),
    );
    expect((await waitFor(created.rollout_id, finished, "finished")).status).toBe("completed");
    await ok(client.DELETE("/api/v1/windows/{name}", { params: { path: { name: "e2e" } } }));
  });

  test("a freeze holds every rollout until it is lifted; the metric counts the blocks", async () => {
    await ok(client.PUT("/api/v1/freeze", { body: { reason: "e2e freeze" } }));
    const { releaseId } = await fleet("frozen", 2);
    const created = await rollout({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["frozen"] } });
    const held = await waitFor(created.rollout_id, (r) => r.blocked_by.includes("freeze"), "held by the freeze");
    expect(held.status).toBe("running");
    await ok(client.DELETE("/api/v1/freeze"));
    expect((await waitFor(created.rollout_id, finished, "finished")).status).toBe("completed");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/nixfleet_gate_blocks_total\{gate="freeze"\} [1-9]/);
  });
});
