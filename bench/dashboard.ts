// The dashboard at fleet scale, in-process: server time of the first render (and of repeats) of the
// fleet overview and of machines pages with every machine in the database, then of the pages of a
// rollout over the whole fleet, each the whole request (session lookup, the page's API calls made
// in-process, JSX rendering).
// usage: bun bench/dashboard.ts [--machines N] [--repeats N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { silentLogger } from "../src/logger.ts";
import { seedFleet } from "./seed.ts";
import { machineId } from "./workload.ts";

/**
 * One page's server times: the first request after start, then the median of the repeats, as wall
 * time and as this process's CPU time (the steadier figure on a shared host).
 */
export interface PageFigure {
  page: string;
  firstMs: number;
  medianMs: number;
  firstCpuMs: number;
  medianCpuMs: number;
  bytes: number;
}

function firstAndMedian(kind: "" | "Cpu", times: number[]) {
  const [first, ...rest] = times;
  rest.sort((a, b) => a - b);
  return { [`first${kind}Ms`]: first!, [`median${kind}Ms`]: rest[Math.floor(rest.length / 2)] ?? first! };
}

/** Seeds `machines`, starts a control plane on them and times each dashboard page. */
export async function measureDashboard(machines: number, repeats: number): Promise<PageFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-dashboard-"));
  try {
    const fleet = await seedFleet(join(dir, "state.db"), machines);
    const store = await openStore(join(dir, "state.db"));
    const controlPlane = await createControlPlane({
      store,
      logger: silentLogger,
      config: { perMachineMetrics: false, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
    });
    const { app } = controlPlane;
    const login = await app.request("/ui/login", {
      method: "POST",
      headers: { origin: "http://localhost", host: "localhost", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: fleet.adminKey }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    if (login.status !== 303 || !cookie.startsWith("nixfleet_session=")) throw new Error(`login: ${login.status}`);

    const pages: [string, string][] = [
      ["fleet overview (/ui)", "/ui"],
      ["machines, first page (/ui/machines)", "/ui/machines"],
      [
        `machines, a page deep in the fleet (cursor after ${machineId(Math.floor(machines * 0.9))})`,
        `/ui/machines?cursor=${Buffer.from(machineId(Math.floor(machines * 0.9))).toString("base64url")}`,
      ],
      ["machines in maintenance (lifecycle filter, 1 in 200)", "/ui/machines?lifecycle=maintenance"],
      ["machines in error (state filter; none: scans the fleet)", "/ui/machines?state=error"],
      ["machines tagged web, in rack r007 (two tags)", "/ui/machines?tag=web,rack:r007"],
    ];
    const figures: PageFigure[] = [];
    const measure = async (name: string, path: string) => {
      const times: number[] = [];
      const cpuTimes: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= repeats; i++) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const response = await app.request(path, { headers: { cookie } });
        const body = await response.text();
        times.push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        cpuTimes.push((used.user + used.system) / 1000);
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${body.slice(0, 200)}`);
        bytes = body.length;
      }
      figures.push({
        page: name,
        ...firstAndMedian("", times),
        ...firstAndMedian("Cpu", cpuTimes),
        bytes,
      } as PageFigure);
    };
    for (const [name, path] of pages) await measure(name, path);

    // A rollout over the whole fleet in three batches (1 %, 10 %, the rest), its first batch started.
    const created = await app.request("/api/v1/rollouts", {
      method: "POST",
      headers: { authorization: `Bearer ${fleet.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        release_id: fleet.releaseId,
        strategy: "staged",
        batch_sizes: ["1%", "10%", "100%"],
        health_timeout: 3600,
        target: { tags: ["fleet:bench"] },
      }),
    });
    if (created.status !== 201) throw new Error(`rollout: ${created.status} ${await created.text()}`);
    const rollout = (await created.json()) as { rollout_id: string; total_machines: number; batches: unknown[] };
    await controlPlane.deps.rolloutExecutor.idle();
    const base = `/ui/rollouts/${rollout.rollout_id}`;
    const size = rollout.total_machines.toLocaleString("en-US");
    await measure(`a rollout of ${size} machines (/ui/rollouts/{id}; its first batch deploying)`, base);
    await measure("its live region, re-rendered on events (/ui/rollouts/{id}/progress)", `${base}/progress`);
    await measure("its last batch's machines, first page (/ui/rollouts/{id}/batches/2)", `${base}/batches/2`);
    await measure("the same, page 800", `${base}/batches/2?page=800`);
    await measure("its trace, first page (/ui/rollouts/{id}/trace)", `${base}/trace`);
    await measure("the rollouts list with it (/ui/rollouts)", "/ui/rollouts");
    await controlPlane.stop();
    await store.close();
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { machines: { type: "string", default: "100000" }, repeats: { type: "string", default: "5" } },
  });
  const machines = Number(values.machines);
  const figures = await measureDashboard(machines, Number(values.repeats));
  console.log(
    `dashboard server time, ${machines} machines (load average ${(await import("node:os")).loadavg()[0]!.toFixed(2)})`,
  );
  console.log("| page | first render | median of repeats | CPU, first | CPU, median | HTML |");
  console.log("|---|---|---|---|---|---|");
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  for (const f of figures) {
    const cells = [f.page, ms(f.firstMs), ms(f.medianMs), ms(f.firstCpuMs), ms(f.medianCpuMs)];
    console.log(`| ${cells.join(" | ")} | ${(f.bytes / 1024).toFixed(0)} KiB |`);
  }
}
