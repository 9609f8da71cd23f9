// The rollout executor at fleet scale, in-process: a rollout over the whole seeded fleet, then
// executor ticks with nothing new, a batch's reports being judged, and the next batch starting.
// Shows that the executor's work follows what changed, not the fleet size.
// usage: bun bench/executor-tick.ts [--machines N]   (also run by `bun run bench` unless --skip-scale)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { silentLogger } from "../src/logger.ts";
import { seedFleet } from "./seed.ts";
import { reportBody } from "./workload.ts";

/** One timed step of the executor benchmark. */
export interface TickFigure {
  step: string;
  ms: number;
}

/** Runs the executor benchmark on a fresh fleet of `machines`; returns each step's time. */
export async function measureExecutorTicks(machines: number): Promise<TickFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-executor-"));
  const figures: TickFigure[] = [];
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    figures.push({ step, ms: performance.now() - started });
    return result;
  };
  try {
    const fleet = await seedFleet(join(dir, "state.db"), machines);
    const store = await openStore(join(dir, "state.db"));
    const controlPlane = await createControlPlane({
      store,
      logger: silentLogger,
      config: { perMachineMetrics: false, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
    });
    const { app, deps } = controlPlane;
    const executor = deps.rolloutExecutor;
    const auth = { authorization: `Bearer ${fleet.adminKey}`, "content-type": "application/json" };
    const report = async (ids: string[]) => {
      const answers = await Promise.all(
        ids.map((id) =>
          app.request(`/api/v1/machines/${id}/report`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: reportBody(id, new Date().toISOString(), 1),
          }),
        ),
      );
      if (answers.some((a) => a.status !== 200)) throw new Error("a report was refused");
    };

    const created = await timed(`create a rollout over the fleet (POST /api/v1/rollouts)`, async () => {
      const response = await app.request("/api/v1/rollouts", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          release_id: fleet.releaseId,
          strategy: "staged",
          batch_sizes: ["1%", "10%", "100%"],
          failure_threshold: "5%",
          target: { tags: ["fleet:bench"] },
        }),
      });
      if (response.status !== 201) throw new Error(`rollout creation: ${response.status} ${await response.text()}`);
      return (await response.json()) as { total_machines: number; batches: { machine_ids: string[] }[] };
    });
    const [first, second] = created.batches;
    figures[0]!.step += ` — ${created.total_machines} machines`;
    await timed(`tick: start batch 0 (${first!.machine_ids.length} machines get their desired generation)`, () =>
      executor.tick(),
    );
    await timed("tick: nothing changed", () => executor.tick());
    // A committed report wakes the executor at once, so these steps time ingest plus judging.
    const batch0 = first!.machine_ids;
    const some = Math.min(100, Math.ceil(batch0.length / 10));
    await timed(`${some} reports from batch 0: ingested and judged (until the executor is idle)`, async () => {
      await report(batch0.slice(0, some));
      await executor.idle();
    });
    await timed(
      `the other ${batch0.length - some} reports of batch 0: ingested, judged, batch 0 succeeds, batch 1 starts (${second?.machine_ids.length ?? 0} machines)`,
      async () => {
        await report(batch0.slice(some));
        await executor.idle();
      },
    );
    await timed("tick: nothing changed (second batch waiting)", () => executor.tick());
    await controlPlane.stop();
    store.close();
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { machines: { type: "string", default: "100000" } },
  });
  const figures = await measureExecutorTicks(Number(values.machines));
  console.log(
    ["| executor step | ms |", "|---|---:|", ...figures.map((f) => `| ${f.step} | ${f.ms.toFixed(1)} |`)].join("\n"),
  );
}
