// `bun bench/ha-views.ts [--machines 100000] [--duration 10] [--report-rate 5000] [--generator wrk|bun]`:
// two figures of SPEC §18 on one host (bench/RESULTS.md "High availability"), two control planes from
// source on one seeded SQLite file.
//   view lag: while reports arrive at --report-rate per second (open loop), a desired generation is
//     set through A every 100 ms (notify-deploy) and a poll held on B with the machine's current ETag
//     waits for it; the lag runs from A's answer to B's. Twice: every report sent to A, then half of
//     them to each process (the processes then compete for SQLite's one write lock);
//   poll throughput: closed-loop polls against one process alone, then against two processes at once
//     (one load generator each), the same number of connections in all.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LoadResult } from "./loadgen.ts";
import {
  killChildren,
  runBunLoad,
  runWrkLoad,
  startControlPlane,
  stopProcess,
  wrkAvailable,
  type LoadOptions,
  type ServerProcess,
} from "./processes.ts";
import { seedFleet } from "./seed.ts";
import { machineId, storePath } from "./workload.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    machines: { type: "string", default: "100000" },
    duration: { type: "string", default: "10" },
    "report-rate": { type: "string", default: "5000" },
    connections: { type: "string", default: "64" },
    generator: { type: "string" },
  },
});
const machines = Number(values.machines);
const durationSeconds = Number(values.duration);
const reportRate = Number(values["report-rate"]);
const connections = Number(values.connections);
const generator = values.generator ?? (wrkAvailable() ? "wrk" : "bun");

const log = (line: string) => process.stderr.write(`[bench:ha-views] ${line}\n`);
process.on("SIGINT", () => {
  killChildren();
  process.exit(130);
});

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

interface LagRun {
  lags: number[];
  /** notify-deploy calls answered 503 (the database locked for longer than a write waits) and retried. */
  refused: number;
}

/** Samplers at once, each on its own machines: more samples for the percentiles in the same time. */
const SAMPLERS = 4;

/**
 * Sets a desired generation through `a` every 100 ms (per sampler) and times until a poll held on
 * `b` answers it.
 */
async function measureLag(a: ServerProcess, b: ServerProcess, key: string, untilMs: number): Promise<LagRun> {
  const runs = await Promise.all(
    Array.from({ length: SAMPLERS }, (_, sampler) => sampleLag(a, b, key, untilMs, sampler)),
  );
  return {
    lags: runs.flatMap((run) => run.lags).sort((x, y) => x - y),
    refused: runs.reduce((sum, run) => sum + run.refused, 0),
  };
}

async function sampleLag(a: ServerProcess, b: ServerProcess, key: string, untilMs: number, sampler: number) {
  const lags: number[] = [];
  let refused = 0;
  for (let round = sampler; performance.now() < untilMs; round += SAMPLERS) {
    // Machines with a desired generation are those not divisible by 10 (bench/workload.ts).
    const i = 1 + ((round * 7919) % machines);
    if (i % 10 === 0) continue;
    const id = machineId(i);
    const before = await fetch(new URL(`/api/v1/machines/${id}/desired-generation`, b.url));
    const etag = before.headers.get("etag");
    const current = ((await before.json()) as { hash: string }).hash;
    const next = storePath(i, current === storePath(i, 2) ? 3 : 2);
    const held = fetch(new URL(`/api/v1/machines/${id}/desired-generation?wait=30`, b.url), {
      headers: { "if-none-match": etag ?? "" },
    });
    await Bun.sleep(5);
    for (;;) {
      const set = await fetch(new URL(`/api/v1/machines/${id}/notify-deploy`, a.url), {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ store_path: next }),
      });
      if (set.status === 200) break;
      if (set.status !== 503) throw new Error(`notify-deploy answered ${set.status}: ${await set.text()}`);
      refused += 1;
    }
    const setAt = performance.now();
    const answer = await held;
    const body = (await answer.json()) as { hash: string };
    if (answer.status !== 200 || body.hash !== next) throw new Error(`B answered ${answer.status} ${body.hash}`);
    lags.push(performance.now() - setAt);
    await Bun.sleep(100);
  }
  return { lags, refused };
}

/** Reports at `reportRate` per second spread over `targets` while the lag is measured; the figures. */
async function lagUnderReports(a: ServerProcess, b: ServerProcess, key: string, targets: ServerProcess[]) {
  const reports = targets.map((server) =>
    runBunLoad({
      url: server.url,
      scenario: "report",
      machines,
      connections: 128,
      durationSeconds,
      rate: reportRate / targets.length,
    }),
  );
  await Bun.sleep(1000);
  const run = await measureLag(a, b, key, performance.now() + (durationSeconds - 2) * 1000);
  const results = await Promise.all(reports);
  const { lags } = run;
  const figures = {
    reportsTo: targets.length === 1 ? "A" : "A and B",
    reportsAnsweredPerSecond: Math.round(results.reduce((sum, r) => sum + r.ok, 0) / durationSeconds),
    reports503: results.reduce((sum, r) => sum + r.non2xx, 0),
    samples: lags.length,
    p50: Math.round(percentile(lags, 0.5)),
    p99: Math.round(percentile(lags, 0.99)),
    max: Math.round(lags.at(-1)!),
    notifyRefused: run.refused,
  };
  log(
    `reports to ${figures.reportsTo}: view lag over ${figures.samples} changes p50 ${figures.p50} ms, p99 ${figures.p99} ms, max ${figures.max} ms; reports answered ${figures.reportsAnsweredPerSecond}/s (${figures.reports503} not 2xx); notify-deploy refused ${figures.notifyRefused} times`,
  );
  return figures;
}

function loadOptions(url: string, extra: Partial<LoadOptions>): LoadOptions {
  return { url, scenario: "poll", machines, connections, durationSeconds, ...extra };
}

const pollLoad = (options: LoadOptions): Promise<LoadResult> =>
  generator === "wrk" ? runWrkLoad(options) : runBunLoad(options);

const dir = mkdtempSync(join(tmpdir(), "nixfleet-ha-views-"));
const dbPath = join(dir, "state.db");
try {
  log(`seeding ${machines} machines; load average ${loadavg()[0]!.toFixed(2)}; poll generator ${generator}`);
  const { adminKey } = await seedFleet(dbPath, machines);
  const args = (node: string) => ({ binary: false, extraArgs: ["--node-id", node] });
  const a = await startControlPlane(dbPath, args("a"));
  const b = await startControlPlane(dbPath, args("b"));

  log(`view lag: reports at ${reportRate}/s for ${durationSeconds} s`);
  const lagReportsToA = await lagUnderReports(a, b, adminKey, [a]);
  const lagReportsSplit = await lagUnderReports(a, b, adminKey, [a, b]);

  log(`poll throughput: one process, ${connections} connections, ${durationSeconds} s`);
  const one = await pollLoad(loadOptions(a.url, {}));
  log(`one process: ${one.rps.toFixed(0)} polls/s, p99 ${one.p99.toFixed(2)} ms`);
  const two = await Promise.all(
    [a, b].map((server) => pollLoad(loadOptions(server.url, { connections: Math.max(1, connections / 2) }))),
  );
  const twoRps = two.reduce((sum, r) => sum + r.rps, 0);
  log(
    `two processes: ${twoRps.toFixed(0)} polls/s (${two.map((r) => r.rps.toFixed(0)).join(" + ")}), p99 ${Math.max(...two.map((r) => r.p99)).toFixed(2)} ms`,
  );
  await Promise.all([stopProcess(a.proc), stopProcess(b.proc)]);
  console.log(
    JSON.stringify({
      machines,
      reportRate,
      viewLagMs: [lagReportsToA, lagReportsSplit],
      pollGenerator: generator,
      pollsPerSecond: { oneProcess: Math.round(one.rps), twoProcesses: Math.round(twoRps) },
      load: loadavg()[0],
    }),
  );
} finally {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
}
