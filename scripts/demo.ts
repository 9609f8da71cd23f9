// `bun run demo`: a control plane on a temporary database, a simulated fleet of 20 machines,
// a release, and a canary rollout watched batch by batch until it finishes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, ok, type Schema } from "../src/client/index.ts";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { NIX_BASE32_ALPHABET } from "../src/domain/store-path.ts";
import { silentLogger } from "../src/logger.ts";
import { FleetSimulator } from "../test/support/fleet-simulator.ts";

const FLEET_SIZE = 20;
const TIMEOUT_MS = 60_000;

function storePath(host: string): string {
  const hash = Array.from({ length: 32 }, () => NIX_BASE32_ALPHABET[Math.floor(Math.random() * 32)]).join("");
  return `/nix/store/${hash}-nixos-system-${host}-24.11`;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** One progress line: the batch's status and how many of its machines are decided. */
function describeBatch(batch: Schema<"Batch">, of: number): string {
  const health = Object.values(batch.machine_health);
  const healthy = health.filter((h) => h === "healthy").length;
  const unhealthy = health.filter((h) => typeof h === "object").length;
  const failures = unhealthy > 0 ? `, ${unhealthy} unhealthy` : "";
  return `  batch ${batch.batch_index + 1}/${of}: ${batch.status.padEnd(14)} ${healthy}/${health.length} healthy${failures}`;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-demo-"));
  const store = await openStore(join(dir, "state.db"));
  const controlPlane = await createControlPlane({
    store,
    logger: silentLogger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    mtls: false,
  });
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => controlPlane.app.fetch(req, {}) });
  controlPlane.start();
  const url = `http://127.0.0.1:${server.port}`;
  const hosts = Array.from({ length: FLEET_SIZE }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  const fleet = new FleetSimulator({
    baseUrl: url,
    machines: hosts.map((id) => ({ id, tags: ["web", "demo"], applyDelayMs: 150 + Math.floor(Math.random() * 250) })),
    pollIntervalMs: 100,
  });

  try {
    say(`control plane listening on ${url} (database ${dir}/state.db)`);
    const { key } = await ok(
      createFleetClient({ baseUrl: url }).POST("/api/v1/keys/bootstrap", { body: { name: "demo" } }),
    );
    const api = createFleetClient({ baseUrl: url, apiKey: key });

    await fleet.register();
    fleet.start();
    say(`${FLEET_SIZE} simulated agents registered (tags web, demo), polling every 100 ms`);

    const release = await ok(
      api.POST("/api/v1/releases", {
        body: {
          flake_ref: "github:example/fleet",
          entries: hosts.map((hostname) => ({ hostname, store_path: storePath(hostname), platform: "x86_64-linux" })),
        },
      }),
    );
    say(`published release ${release.id} for ${release.host_count} hosts`);

    const created = await ok(
      api.POST("/api/v1/rollouts", {
        body: { release_id: release.id, strategy: "canary", health_timeout: 30, target: { tags: ["demo"] } },
      }),
    );
    const sizes = created.batches.map((b) => b.machine_ids.length).join(" + ");
    say(`started canary rollout ${created.rollout_id}: batches of ${sizes} machines`);

    const deadline = Date.now() + TIMEOUT_MS;
    let printed = new Set<string>();
    for (;;) {
      const rollout = await ok(api.GET("/api/v1/rollouts/{id}", { params: { path: { id: created.rollout_id } } }));
      const lines = rollout.batches.map((batch) => describeBatch(batch, rollout.batches.length));
      for (const line of lines) if (!printed.has(line)) say(line);
      printed = new Set(lines);
      if (!["created", "running"].includes(rollout.status)) {
        say(`rollout ${rollout.id} ${rollout.status}`);
        return rollout.status === "completed" ? 0 : 1;
      }
      if (Date.now() > deadline) {
        say(`rollout ${rollout.id} still ${rollout.status} after ${TIMEOUT_MS / 1000} s`);
        return 1;
      }
      await Bun.sleep(100);
    }
  } finally {
    await fleet.stop();
    await server.stop(true);
    await controlPlane.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main());
