// `bun bench/failover.ts [--lease-seconds 5] [--trials 5] [--machines 10]`: fail-over time
// (SPEC §18, bench/RESULTS.md "High availability"). Two control planes share one database; a canary
// rollout waits for its canary's health. The leader is killed with SIGKILL, the canary's healthy
// report goes to the standby at once, and the bench measures, from the kill, when the standby
// took the lease and when it started the next batch (its `batch.deploying` audit event), both on
// the database's clock (this host's clock for a file).
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killChildren, startControlPlane, stopProcess, type ServerProcess } from "./processes.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "lease-seconds": { type: "string", default: "5" },
    trials: { type: "string", default: "5" },
    machines: { type: "string", default: "10" },
  },
});
const leaseSeconds = Number(values["lease-seconds"]);
const trials = Number(values.trials);
const machineCount = Number(values.machines);

const log = (line: string) => process.stderr.write(`[bench:failover] ${line}\n`);
process.on("SIGINT", () => {
  killChildren();
  process.exit(130);
});

const storePathOf = (id: string) => `/nix/store/${"3".repeat(32)}-nixos-system-${id}`;

async function call(server: ServerProcess, path: string, key: string, body?: unknown): Promise<any> {
  const res = await fetch(new URL(path, server.url), {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

interface Trial {
  leaseMs: number;
  nextStepMs: number;
}

async function trial(index: number): Promise<Trial> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-failover-"));
  const dbPath = join(dir, "state.db");
  const args = (node: string) => ({
    binary: false,
    extraArgs: ["--node-id", node, "--lease-seconds", String(leaseSeconds)],
  });
  const leader = await startControlPlane(dbPath, args(`leader-${index}`));
  const standby = await startControlPlane(dbPath, args(`standby-${index}`));
  try {
    const { key } = await (await fetch(new URL("/api/v1/keys/bootstrap", leader.url), { method: "POST" })).json();
    const ids = Array.from({ length: machineCount }, (_, i) => `failover-${i}`);
    for (const id of ids) await call(leader, `/api/v1/machines/${id}/register`, key, { tags: ["failover"] });
    const release = await call(leader, "/api/v1/releases", key, {
      entries: ids.map((hostname) => ({ hostname, store_path: storePathOf(hostname), platform: "x86_64-linux" })),
    });
    const rollout = await call(leader, "/api/v1/rollouts", key, {
      release_id: release.id,
      strategy: "canary",
      health_timeout: 600,
      target: { tags: ["failover"] },
    });
    const canary: string = rollout.batches[0].machine_ids[0];
    await until("the canary batch to wait for health", async () => {
      const detail = await call(standby, `/api/v1/rollouts/${rollout.rollout_id}`, key);
      return detail.batches[0].status === "waiting_health" ? true : undefined;
    });

    const killedAt = Date.now();
    leader.proc.kill("SIGKILL");
    const now = new Date().toISOString();
    await call(standby, `/api/v1/machines/${canary}/report`, key, {
      machine_id: canary,
      current_generation: storePathOf(canary),
      success: true,
      message: "switched",
      timestamp: now,
      health: { results: [], all_passed: true, timestamp: now },
    });
    const deploying = await until("the next batch to start", async () => {
      const events = await call(standby, `/api/v1/audit?target=${rollout.rollout_id}&action=batch.deploying`, key);
      return events.length >= 2 ? events[0] : undefined;
    });
    const cluster = await call(standby, "/api/v1/cluster", key);
    return {
      leaseMs: Date.parse(cluster.leader.acquired_at) - killedAt,
      nextStepMs: Date.parse(deploying.timestamp) - killedAt,
    };
  } finally {
    leader.proc.kill("SIGKILL");
    await stopProcess(standby.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

log(`lease ${leaseSeconds} s, ${trials} trials, ${machineCount} machines, load ${loadavg()[0]!.toFixed(1)}`);
const results: Trial[] = [];
for (let i = 0; i < trials; i++) {
  const result = await trial(i);
  log(`trial ${i + 1}: lease taken ${result.leaseMs} ms, next batch started ${result.nextStepMs} ms after the kill`);
  results.push(result);
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
};
console.log(
  JSON.stringify({
    leaseSeconds,
    trials,
    leaseTakenMs: summary(results.map((r) => r.leaseMs)),
    nextBatchStepMs: summary(results.map((r) => r.nextStepMs)),
    bound2xLeaseMs: 2 * leaseSeconds * 1000,
    load: loadavg()[0],
  }),
);
