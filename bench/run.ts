// `bun run bench`: the control plane under agent load, against a bare Bun.serve ceiling.
// See bench/RESULTS.md for what it measures and the figures from the reference machine.
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LoadResult } from "./loadgen.ts";
import {
  ROOT,
  cpuSecondsOf,
  installWrk,
  killChildren,
  memoryOf,
  runBunLoad,
  runWrkLoad,
  startBareServer,
  startControlPlane,
  stopProcess,
  type LoadOptions,
} from "./processes.ts";
import { measureExecutorTicks, type TickFigure } from "./executor-tick.ts";
import { measureScalePaths, type ScaleFigures } from "./scale.ts";
import { measureStalls, STALL_SECONDS, STALL_SERVER_ARGS, type StallFigure } from "./stalls.ts";
import { seedFleet } from "./seed.ts";

const USAGE = `usage: bun run bench [-- flags]
  --machines N            fleet size loaded into the database (default 100000)
  --duration S            seconds per scenario (default 10)
  --warmup S              seconds of polls before measuring (default 2)
  --connections C         load generator connections (default 64)
  --threads T             wrk threads (default 1)
  --rate R                offered polls per second in scenario (e) (default 10000)
  --report-rate R         offered reports per second in scenario (f) (default 5000)
  --open-connections C    connections of the open-loop report generator in (f) (default 256)
  --generator wrk|bun     load generator (default: wrk, installed with apt-get if missing; else bun)
  --binary                build and run dist/nixfleet-control-plane instead of the source
  --per-machine-metrics B passed to the server (default: the server's default)
  --skip-scale            skip the scale-path measurements
  --skip-stalls           skip poll latency during faults and bulk work (bench/stalls.ts)
  --stall-seconds S       how long the outside lock is held and each bulk operation repeated (default 10)
  --json FILE             also write every figure as JSON
  --keep                  keep the temp directory with the database`;

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    machines: { type: "string", default: "100000" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "64" },
    threads: { type: "string", default: "1" },
    rate: { type: "string", default: "10000" },
    "report-rate": { type: "string", default: "5000" },
    "open-connections": { type: "string", default: "256" },
    generator: { type: "string" },
    binary: { type: "boolean", default: false },
    "per-machine-metrics": { type: "string" },
    "skip-scale": { type: "boolean", default: false },
    "skip-stalls": { type: "boolean", default: false },
    "stall-seconds": { type: "string", default: String(STALL_SECONDS) },
    json: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const machines = Number(values.machines);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const threads = Number(values.threads);
const rate = Number(values.rate);
const reportRate = Number(values["report-rate"]);
const openConnections = Number(values["open-connections"]);
for (const [name, value] of Object.entries({
  machines,
  duration,
  connections,
  threads,
  rate,
  reportRate,
  openConnections,
})) {
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

const generator = values.generator ?? ((await installWrk(log)) ? "wrk" : "bun");
if (values.generator === undefined && generator === "bun") log("wrk unavailable: using the in-repo generator");
if (generator !== "wrk" && generator !== "bun") {
  console.error("--generator must be wrk or bun");
  process.exit(2);
}
/** A generator's figures plus the server's CPU time per request during the run. */
type Measured = LoadResult & { serverCpuUsPerRequest: number };

/** Runs one scenario against the server with process id `pid` (its CPU use is read from /proc). */
const load = async (
  pid: number,
  options: Omit<LoadOptions, "machines" | "connections" | "threads"> & { connections?: number },
): Promise<Measured> => {
  const full = { connections, ...options, machines, threads };
  const cpuBefore = cpuSecondsOf(pid);
  const result = await (generator === "wrk" && options.rate === undefined ? runWrkLoad(full) : runBunLoad(full));
  const cpu = cpuSecondsOf(pid) - cpuBefore;
  return { ...result, serverCpuUsPerRequest: result.requests > 0 ? (cpu * 1e6) / result.requests : 0 };
};

if (values.binary) {
  // Always rebuilt: a binary left from older sources would measure the wrong code.
  log("building dist/nixfleet-control-plane");
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  if (build.exitCode !== 0) process.exit(1);
}

/** Row counts of the two report tables in one read transaction of a separate connection (committed rows only). */
function reportCounts(dbPath: string): { reports: number; health: number } {
  const db = new Database(dbPath);
  try {
    const count = (table: string) => (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return db.transaction(() => ({ reports: count("reports"), health: count("health_reports") }))();
  } finally {
    db.close();
  }
}

/** How long to let requests still in flight when a generator stops reach the database before counting. */
const SETTLE_MS = 500;

type Durability = { acknowledged: number; reportsStored: number; healthStored: number; durable: boolean };

/** Runs a report scenario and counts whether every report answered 2xx is in the database afterwards. */
async function durableReports(pid: number, options: Parameters<typeof load>[1]) {
  const before = reportCounts(dbPath);
  const result = await load(pid, options);
  await Bun.sleep(SETTLE_MS);
  const after = reportCounts(dbPath);
  const stored = { reports: after.reports - before.reports, health: after.health - before.health };
  const checked: Durability = {
    acknowledged: result.reportsOk,
    reportsStored: stored.reports,
    healthStored: stored.health,
    durable: stored.reports >= result.reportsOk && stored.health >= result.reportsOk,
  };
  return { result, checked };
}

const host = {
  nproc: cpus().length,
  cpu: /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown",
  memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
  bun: Bun.version,
  loadBefore: loadavg().map((l) => Math.round(l * 100) / 100),
};

const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-"));
const dbPath = join(dir, "state.db");
let failed = false;
const results: Record<string, Measured> = {};
const durability: { closed: Durability | null; open: Durability | null } = { closed: null, open: null };
let server: Awaited<ReturnType<typeof startControlPlane>> | null = null;
let memoryAfterStart = { rssMiB: 0, peakRssMiB: 0 };
let memoryAfterLoad = { rssMiB: 0, peakRssMiB: 0 };
let scale: { figures: ScaleFigures; lines: string[] } | null = null;
let exitCode: number | null = null;
let ticks: TickFigure[] | null = null;
let stalls: { figures: StallFigure[]; lines: string[] } | null = null;

try {
  log(`seeding ${machines} machines into ${dbPath}`);
  const fleet = await seedFleet(dbPath, machines);
  log(`seeded in ${fleet.seconds.toFixed(1)} s; generator: ${generator}`);

  const bare = await startBareServer();
  try {
    if (warmup > 0) await load(bare.proc.pid, { url: bare.url, scenario: "bare", durationSeconds: warmup });
    results.bare = await load(bare.proc.pid, { url: bare.url, scenario: "bare", durationSeconds: duration });
  } finally {
    await stopProcess(bare.proc);
  }
  log(`(d) bare Bun.serve: ${results.bare.rps.toFixed(0)} req/s`);

  const extraArgs = [
    ...(values["per-machine-metrics"] ? ["--per-machine-metrics", values["per-machine-metrics"]] : []),
    ...STALL_SERVER_ARGS,
  ];
  server = await startControlPlane(dbPath, { binary: values.binary, extraArgs });
  memoryAfterStart = memoryOf(server.proc.pid);
  log(`control plane listening at ${server.url} after ${server.startupSeconds.toFixed(2)} s`);

  if (warmup > 0) await load(server.proc.pid, { url: server.url, scenario: "poll", durationSeconds: warmup });
  results.poll = await load(server.proc.pid, { url: server.url, scenario: "poll", durationSeconds: duration });
  log(`(a) polls: ${results.poll.rps.toFixed(0)} req/s`);

  // (e) right after (a): polls at a steady offered rate on a server that has only served polls.
  results.paced = await load(server.proc.pid, { url: server.url, scenario: "poll", durationSeconds: duration, rate });
  log(`(e) polls at ${rate}/s offered: p99 ${results.paced.p99.toFixed(2)} ms`);

  ({ result: results.report, checked: durability.closed } = await durableReports(server.proc.pid, {
    url: server.url,
    scenario: "report",
    durationSeconds: duration,
  }));
  log(
    `(b) reports: ${results.report.rps.toFixed(0)} req/s; ${durability.closed.acknowledged} acknowledged, ${durability.closed.reportsStored} stored`,
  );

  // (f) Agents do not wait for one another: reports arriving on a fixed timetable from many
  // connections, as a fleet sends them, show whether the server keeps up with that rate.
  ({ result: results.openReport, checked: durability.open } = await durableReports(server.proc.pid, {
    url: server.url,
    scenario: "report",
    durationSeconds: duration,
    rate: reportRate,
    connections: openConnections,
  }));
  if (!durability.closed.durable || !durability.open.durable) failed = true;
  log(
    `(f) reports at ${reportRate}/s offered: ${results.openReport.rps.toFixed(0)} req/s, p99 ${results.openReport.p99.toFixed(2)} ms`,
  );

  results.mix = await load(server.proc.pid, { url: server.url, scenario: "mix", durationSeconds: duration });
  log(`(c) mix: ${results.mix.rps.toFixed(0)} req/s`);

  memoryAfterLoad = memoryOf(server.proc.pid);

  if (!values["skip-scale"]) {
    scale = await measureScalePaths({ url: server.url, dbPath, fleet, pid: server.proc.pid, log });
  }
  if (!values["skip-stalls"]) {
    const measured = await measureStalls({
      url: server.url,
      dbPath,
      fleet,
      server,
      log,
      binary: values.binary,
      extraArgs,
      seconds: Number(values["stall-seconds"]),
    });
    server = measured.server;
    stalls = measured;
  }
  exitCode = await stopProcess(server.proc);
  if (exitCode !== 0) failed = true;
  if (!values["skip-scale"]) {
    log("executor ticks (in-process, on a freshly seeded fleet)");
    ticks = await measureExecutorTicks(machines);
  }
} catch (error) {
  failed = true;
  log(`failed: ${(error as Error).message}`);
  if (server) log(`last server log lines:\n${server.recentLogs.join("\n")}`);
} finally {
  if (server && exitCode === null) await stopProcess(server.proc);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  else log(`kept ${dir}`);
}

const ms = (value: number) => value.toFixed(2);
const row = (label: string, r: Measured | undefined, note = "") =>
  r
    ? `| ${label} | ${r.generator} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.non2xx + r.errors} | ${r.serverCpuUsPerRequest.toFixed(0)} | ${note} |`
    : `| ${label} | — | — | — | — | — | — | — | not run |`;
const ratio = (a: LoadResult | undefined, b: LoadResult | undefined) =>
  a && b ? `${((a.rps / b.rps) * 100).toFixed(0)} %` : "—";

const durabilityNote = (checked: Durability | null) =>
  checked
    ? `${checked.durable ? "durable" : "NOT DURABLE"}: ${checked.acknowledged} acknowledged, ${checked.reportsStored} reports / ${checked.healthStored} health rows stored`
    : "";

const lines = [
  `nixfleet control-plane benchmark — ${machines} machines, ${duration} s per scenario, ${connections} connections, ${values.binary ? "compiled binary" : "from source"}`,
  `host: ${host.nproc} × ${host.cpu}, ${host.memGiB} GiB, Linux ${host.kernel}, Bun ${host.bun}, load average before ${host.loadBefore.join(" / ")}`,
  "",
  "| scenario | generator | requests/s | p50 ms | p99 ms | max ms | errors | server CPU µs/req | note |",
  "|---|---|---:|---:|---:|---:|---:|---:|---|",
  row("(a) GET desired-generation, random machines", results.poll),
  row("(b) POST report + health, random machines", results.report, durabilityNote(durability.closed)),
  row("(c) 90 % polls / 10 % reports", results.mix),
  row("(d) bare Bun.serve, fixed JSON (ceiling)", results.bare),
  row(`(e) polls at ${rate}/s offered (open loop)`, results.paced),
  row(
    `(f) reports at ${reportRate}/s offered (open loop, ${openConnections} connections)`,
    results.openReport,
    durabilityNote(durability.open),
  ),
  "",
  "| figure | value |",
  "|---|---:|",
  `| start-up to "listening" (${machines} machines) | ${server ? server.startupSeconds.toFixed(2) : "—"} s |`,
  `| server RSS after start-up | ${memoryAfterStart.rssMiB.toFixed(0)} MiB |`,
  `| server peak RSS during load (VmHWM) | ${memoryAfterLoad.peakRssMiB.toFixed(0)} MiB |`,
  `| (a) / (d) | ${ratio(results.poll, results.bare)} |`,
  `| (b) / (d) | ${ratio(results.report, results.bare)} |`,
  ...(scale ? ["", ...scale.lines] : []),
  ...(stalls ? ["", ...stalls.lines] : []),
  ...(ticks
    ? [
        "",
        "| rollout executor, in-process | ms |",
        "|---|---:|",
        ...ticks.map((t) => `| ${t.step} | ${t.ms.toFixed(1)} |`),
      ]
    : []),
];
console.log(lines.join("\n"));

if (values.json) {
  writeFileSync(
    values.json,
    JSON.stringify(
      {
        host,
        machines,
        duration,
        connections,
        openConnections,
        reportRate,
        generator,
        binary: values.binary,
        startupSeconds: server?.startupSeconds ?? null,
        memoryAfterStart,
        memoryAfterLoad,
        results,
        durability,
        scale: scale?.figures ?? null,
        stalls: stalls?.figures ?? null,
        executor: ticks,
        serverExitCode: exitCode,
        failed,
      },
      null,
      2,
    ),
  );
}
process.exit(failed ? 1 : 0);
