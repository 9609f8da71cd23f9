// `bun run demo`: a control plane on a temporary database, a simulated fleet of 20 machines,
// a release, and a canary rollout watched batch by batch until it finishes; then a second
// release rolled out in stages with a soak after each batch under a disruption budget, aborted
// halfway so every machine it changed goes back to the first release.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, ok, type Schema } from "../src/client/index.ts";
import { getRolloutBrief } from "../src/client/rollouts.ts";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { NIX_BASE32_ALPHABET } from "../src/domain/store-path.ts";
import { silentLogger } from "../src/logger.ts";
import { FleetSimulator } from "../test/support/fleet-simulator.ts";

const FLEET_SIZE = 20;
const TIMEOUT_MS = 60_000;
const BUDGET = 3;
const SOAK_SECONDS = 2;

function storePath(host: string): string {
  const hash = Array.from({ length: 32 }, () => NIX_BASE32_ALPHABET[Math.floor(Math.random() * 32)]).join("");
  return `/nix/store/${hash}-nixos-system-${host}-24.11`;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** One progress line: the batch's status, how many of its machines are decided, and why others wait. */
function describeBatch(batch: Schema<"BatchBrief">, of: number): string {
  const { healthy, unhealthy, deploying } = batch.state_counts;
  const failures = unhealthy > 0 ? `, ${unhealthy} unhealthy` : "";
  const busy = deploying > 0 ? `, ${deploying} deploying` : "";
  const held = batch.reasons
    .filter((r) => r.state === "waiting")
    .map((r) => `, ${r.machines} waiting (${r.reason})`)
    .join("");
  return `  batch ${batch.batch_index + 1}/${of}: ${batch.status.padEnd(14)} ${healthy}/${batch.machine_count} healthy${failures}${busy}${held}`;
}

type Api = ReturnType<typeof createFleetClient>;
type Rollout = Schema<"RolloutBrief">;

/** Prints each batch line when it changes until `done` holds; false on timeout. */
async function watch(api: Api, rolloutId: string, done: (r: Rollout) => boolean): Promise<Rollout> {
  const deadline = Date.now() + TIMEOUT_MS;
  let printed = new Set<string>();
  for (;;) {
    // The brief form: each batch counted, whatever the fleet's size.
    const rollout = await getRolloutBrief(api, rolloutId);
    const lines = rollout.batches.map((batch) => describeBatch(batch, rollout.batches.length));
    for (const line of lines) if (!printed.has(line)) say(line);
    printed = new Set(lines);
    if (done(rollout) || Date.now() > deadline) return rollout;
    await Bun.sleep(100);
  }
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

    const firstEntries = hosts.map((hostname) => ({
      hostname,
      store_path: storePath(hostname),
      platform: "x86_64-linux",
    }));
    const release = await ok(
      api.POST("/api/v1/releases", { body: { flake_ref: "github:example/fleet", entries: firstEntries } }),
    );
    say(`published release ${release.id} for ${release.host_count} hosts`);

    const created = await ok(
      api.POST("/api/v1/rollouts", {
        body: { release_id: release.id, strategy: "canary", health_timeout: 30, target: { tags: ["demo"] } },
      }),
    );
    const sizes = created.batches.map((b) => b.machine_ids.length).join(" + ");
    say(`started canary rollout ${created.rollout_id}: batches of ${sizes} machines`);

    const first = await watch(api, created.rollout_id, (r) => !["created", "running"].includes(r.status));
    say(`rollout ${first.id} ${first.status}`);
    if (first.status !== "completed") return 1;

    await ok(
      api.PUT("/api/v1/budgets/{name}", {
        params: { path: { name: "demo" } },
        body: { tags: ["demo"], max_unavailable: String(BUDGET) },
      }),
    );
    say(`\nbudget "demo": at most ${BUDGET} machines tagged demo deploying at once, across all rollouts`);
    const next = await ok(
      api.POST("/api/v1/releases", {
        body: {
          flake_ref: "github:example/fleet",
          entries: hosts.map((hostname) => ({ hostname, store_path: storePath(hostname), platform: "x86_64-linux" })),
        },
      }),
    );
    const staged = await ok(
      api.POST("/api/v1/rollouts", {
        body: {
          release_id: next.id,
          strategy: "staged",
          batch_sizes: ["1", "50%", "100%"],
          soak_seconds: SOAK_SECONDS,
          health_timeout: 30,
          target: { tags: ["demo"] },
        },
      }),
    );
    const stagedSizes = staged.batches.map((b) => b.machine_ids.length).join(" + ");
    say(
      `started staged rollout ${staged.rollout_id} of ${next.id}: batches of ${stagedSizes}, ${SOAK_SECONDS} s soak each`,
    );
    const halfway = await watch(
      api,
      staged.rollout_id,
      (r) => r.batches[1]!.status === "soaking" || r.status !== "running",
    );
    if (halfway.status !== "running") {
      say(`rollout ${halfway.id} ${halfway.status} before its second batch soaked`);
      return 1;
    }
    say(
      `aborting ${staged.rollout_id} while batch 2 soaks: every machine it changed gets its previous generation back`,
    );
    const aborted = await ok(
      api.POST("/api/v1/rollouts/{id}/abort", {
        params: { path: { id: staged.rollout_id } },
        body: { reason: "demo: abort halfway" },
      }),
    );
    const reverted = hosts.filter((h) => fleet.machine(h).received.length > 1);
    const back = await Promise.all(
      reverted.map(async (id) => {
        const desired = await ok(api.GET("/api/v1/machines/{id}", { params: { path: { id } } }));
        return desired.desired_generation === firstEntries.find((e) => e.hostname === id)?.store_path;
      }),
    );
    say(
      `rollout ${aborted.id} ${aborted.status}: ${back.filter(Boolean).length} of the ${reverted.length} machines it changed desire ${release.id} again`,
    );
    return aborted.status === "aborted" && back.every(Boolean) ? 0 : 1;
  } finally {
    await fleet.stop();
    await server.stop(true);
    await controlPlane.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main());
