// The generated client against the real process over HTTP: an operator's script (bootstrap,
// register, release, canary rollout, audit export) and three agents, all typed calls.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, FleetApiError, ok, type FleetClient, type Schema } from "../../src/client/index.ts";
import { asFull } from "../../src/client/rollouts.ts";
import { repoRoot, startFromSource, startServer, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-client-"));
const servers: ServerProcess[] = [];
const MACHINES = ["web-01", "web-02", "web-03"];
const OLD = (host: string) => `/nix/store/${"0".repeat(32)}-nixos-system-${host}-25.05`;
const NEW = (host: string) => `/nix/store/${"1".repeat(32)}-nixos-system-${host}-25.11`;

let server: ServerProcess;
let admin: FleetClient;
let agent: FleetClient;

beforeAll(async () => {
  server = await startFromSource(join(dir, "state.db"));
  servers.push(server);
  agent = createFleetClient({ baseUrl: server.url });
});

afterAll(() => {
  for (const started of servers) started.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** One agent's report: `generation` is running; its health checks pass. */
function report(machineId: string, generation: string): Schema<"AgentReport"> {
  const now = new Date().toISOString();
  return {
    machine_id: machineId,
    current_generation: generation,
    success: true,
    message: "switched",
    timestamp: now,
    tags: ["web"],
    health: { results: [{ status: "pass", check_name: "nginx", duration_ms: 3 }], all_passed: true, timestamp: now },
    agent_version: "0.1.0",
    uptime_seconds: 60,
  };
}

/** Polls like an agent: switches to the desired generation when there is a new one and reports it. */
async function agentStep(machineId: string, running: Map<string, string>): Promise<void> {
  const desired = await agent.GET("/api/v1/machines/{id}/desired-generation", {
    params: { path: { id: machineId } },
  });
  if (desired.data && desired.data.hash !== running.get(machineId)) running.set(machineId, desired.data.hash);
  await ok(
    agent.POST("/api/v1/machines/{id}/report", {
      params: { path: { id: machineId } },
      body: report(machineId, running.get(machineId)!),
    }),
  );
}

test("bootstrap, register, release, canary rollout to completion, audit export — all through the client", async () => {
  const bootstrap = await ok(agent.POST("/api/v1/keys/bootstrap", { body: { name: "admin" } }));
  expect(bootstrap).toMatchObject({ name: "admin", role: "admin" });
  expect(bootstrap.key).toMatch(/^nfk-[0-9a-f]{64}$/);
  admin = createFleetClient({ baseUrl: `${server.url}/`, apiKey: bootstrap.key });

  const second = await agent.POST("/api/v1/keys/bootstrap", { body: {} });
  expect(second.response.status).toBe(409);
  expect(second.error?.error).toContain("already exist");

  const deployKey = await ok(admin.POST("/api/v1/keys", { body: { name: "ci", role: "deploy" } }));
  expect(deployKey.role).toBe("deploy");
  const deployer = createFleetClient({ baseUrl: server.url, apiKey: deployKey.key });

  for (const id of MACHINES) {
    const registered = await ok(
      admin.POST("/api/v1/machines/{id}/register", {
        params: { path: { id } },
        body: { lifecycle: "active", tags: ["web"] },
      }),
    );
    expect(registered).toEqual({ machine_id: id, lifecycle: "active" });
  }
  const running = new Map(MACHINES.map((id) => [id, OLD(id)]));
  for (const id of MACHINES) await agentStep(id, running);

  const machines = await ok(admin.GET("/api/v1/machines", { params: { query: { tag: ["web"] } } }));
  expect(machines.map((m) => [m.machine_id, m.lifecycle, m.current_generation, m.system_state])).toEqual(
    MACHINES.map((id) => [id, "active", OLD(id), "ok"]),
  );

  const release = await ok(
    deployer.POST("/api/v1/releases", {
      body: {
        flake_ref: "github:example/fleet",
        entries: MACHINES.map((hostname) => ({ hostname, store_path: NEW(hostname), platform: "x86_64-linux" })),
      },
    }),
  );
  expect(release.host_count).toBe(3);
  const stored = await ok(deployer.GET("/api/v1/releases/{id}", { params: { path: { id: release.id } } }));
  expect(stored.entries.map((e) => e.store_path)).toEqual(MACHINES.map(NEW));

  const created = await ok(
    deployer.POST("/api/v1/rollouts", {
      body: { release_id: release.id, strategy: "canary", target: { tags: ["web"] }, health_timeout: 60 },
    }),
  );
  expect(created.total_machines).toBe(3);
  expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1, 2]);

  // Watch it as a script would, while the agents poll and report.
  let rollout: Schema<"Rollout"> | undefined;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const id of MACHINES) await agentStep(id, running);
    rollout = asFull(await ok(deployer.GET("/api/v1/rollouts/{id}", { params: { path: { id: created.rollout_id } } })));
    if (rollout.status !== "running") break;
    await Bun.sleep(100);
  }
  expect(rollout?.status).toBe("completed");
  expect(rollout?.batches.map((b) => b.status)).toEqual(["succeeded", "succeeded"]);
  for (const batch of rollout!.batches) {
    for (const id of batch.machine_ids) expect(batch.machine_health[id]).toBe("healthy");
  }
  expect(rollout?.events.map((e) => e.event_type)).toContain("rollout.completed");

  const machine = await ok(admin.GET("/api/v1/machines/{id}", { params: { path: { id: "web-02" } } }));
  expect(machine.current_generation).toBe(NEW("web-02"));
  expect(machine.desired_generation).toBe(NEW("web-02"));
  expect(machine.latest_health_report?.all_passed).toBe(true);

  const completed = await ok(admin.GET("/api/v1/audit", { params: { query: { action: "rollout.completed" } } }));
  expect(completed.map((e) => [e.actor, e.target])).toEqual([["executor", created.rollout_id]]);

  const exported = await admin.GET("/api/v1/audit/export", { params: { query: {} }, parseAs: "text" });
  expect(exported.response.headers.get("content-disposition")).toBe('attachment; filename="audit.csv"');
  const lines = exported.data!.trimEnd().split("\n");
  expect(lines[0]).toBe("timestamp,actor,action,target,detail");
  const actions = lines.slice(1).map((line) => line.split(",")[2]);
  expect(actions).toEqual(expect.arrayContaining(["bootstrap", "register", "create_release", "rollout.created"]));
  expect(actions.at(-1)).toBe("bootstrap");
});

test("error statuses come back typed, and ok() turns them into FleetApiError", async () => {
  const missing = await admin.GET("/api/v1/machines/{id}", { params: { path: { id: "no such/host" } } });
  expect(missing.response.status).toBe(404);
  expect(missing.error).toEqual({ error: "machine no such/host not found" });

  const wrongKey = createFleetClient({ baseUrl: server.url, apiKey: `nfk-${"0".repeat(64)}` });
  const refused = ok(wrongKey.GET("/api/v1/releases", { params: { query: {} } }));
  await expect(refused).rejects.toBeInstanceOf(FleetApiError);
  await expect(refused).rejects.toMatchObject({ status: 401 });

  const health = await agent.GET("/health", { parseAs: "text" });
  expect(health.data).toBe("ok");
});

test("the tls option presents a client certificate to a mutual-TLS control plane", async () => {
  const pki = join(dir, "pki");
  const issued = Bun.spawnSync(["bun", "scripts/certs.ts", "--out", pki, "--machines", "web-01"], { cwd: repoRoot });
  expect(issued.exitCode).toBe(0);
  const pem = (name: string) => readFileSync(join(pki, name), "utf8");
  const mtls = await startServer([
    "bun",
    "src/main.ts",
    "--listen",
    "127.0.0.1:0",
    "--db-path",
    join(dir, "mtls.db"),
    "--tls-cert",
    join(pki, "server.pem"),
    "--tls-key",
    join(pki, "server-key.pem"),
    "--client-ca",
    join(pki, "ca.pem"),
  ]);
  servers.push(mtls);
  expect(mtls.url).toStartWith("https://");

  const operator = createFleetClient({
    baseUrl: mtls.url,
    tls: { ca: pem("ca.pem"), cert: pem("admin.pem"), key: pem("admin-key.pem") },
  });
  const { key } = await ok(operator.POST("/api/v1/keys/bootstrap", { body: {} }));
  const keyed = createFleetClient({
    baseUrl: mtls.url,
    apiKey: key,
    tls: { ca: pem("ca.pem"), cert: pem("admin.pem"), key: pem("admin-key.pem") },
  });
  expect(await ok(keyed.GET("/api/v1/keys"))).toHaveLength(1);

  const machine = createFleetClient({
    baseUrl: mtls.url,
    tls: { ca: pem("ca.pem"), cert: pem("web-01.pem"), key: pem("web-01-key.pem") },
  });
  const own = await machine.GET("/api/v1/machines/{id}/desired-generation", { params: { path: { id: "web-01" } } });
  expect(own.response.status).toBe(404);
  const other = await machine.GET("/api/v1/machines/{id}/desired-generation", { params: { path: { id: "web-02" } } });
  expect(other.response.status).toBe(403);

  const anonymous = createFleetClient({ baseUrl: mtls.url, tls: { ca: pem("ca.pem") } });
  await expect(anonymous.GET("/health", { parseAs: "text" })).rejects.toThrow();
});
