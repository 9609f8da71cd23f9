// Agent polls while something else runs (SPEC §13): an outside process holding the database's
// write lock for 10 s while agents report, a 100 000-entry release being created, the whole fleet
// listed and exported, /metrics scraped, a fleet-wide rollout read, and a retention pass. Polls
// arrive on a fixed timetable (open loop, bench/loadgen.ts), so a stalled event loop shows as
// latency, not as fewer requests.
// usage: bun bench/stalls.ts [--machines N] [--binary] [--seconds S] [--only baseline,lock,reports,release,machines,audit,metrics,rollout,retention]
// (also run by `bun run bench` unless --skip-stalls)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { LoadResult } from "./loadgen.ts";
import { ROOT, memoryOf, runBunLoad, startControlPlane, stopProcess, type ServerProcess } from "./processes.ts";
import { seedFleet, type SeededFleet } from "./seed.ts";
import { machineId, machineTags, storePath } from "./workload.ts";

/** Polls offered per second during every scenario: a 100 000-machine fleet polling every minute is ~1 700/s. */
const POLL_RATE = 2000;
/** Reports offered per second in the reports scenario: enough WAL (~15 MB/s) for a checkpoint's worth every few seconds. */
const REPORT_RATE = 3000;
const POLL_CONNECTIONS = 64;
/** How long the outside process holds the write lock, and how long polls run during each bulk operation (default). */
export const STALL_SECONDS = 10;
/** The server's release body limit for these scenarios: a 100 000-entry manifest is ~18 MiB. */
export const STALL_SERVER_ARGS = ["--max-release-body-mib", "32"];

export interface StallFigure {
  scenario: string;
  polls: LoadResult;
  /** What ran meanwhile, in words (counts, durations). */
  note: string;
}

interface StallOptions {
  url: string;
  dbPath: string;
  fleet: SeededFleet;
  server: ServerProcess;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls at POLL_RATE for `seconds` while `work` runs (started after a short warm-up); returns the polls' figures and what `work` said. */
async function pollsDuring(
  url: string,
  machines: number,
  seconds: number,
  work: (until: number) => Promise<string>,
): Promise<{ polls: LoadResult; note: string }> {
  const load = runBunLoad({
    url,
    scenario: "poll",
    machines,
    connections: POLL_CONNECTIONS,
    durationSeconds: seconds,
    rate: POLL_RATE,
  });
  // The generator opens its connections first; start the work once polls flow.
  await sleep(500);
  const note = await work(performance.now() + (seconds - 1) * 1000);
  return { polls: await load, note };
}

/** Another process takes the write lock (`BEGIN EXCLUSIVE`) and holds it for `seconds`. */
async function holdWriteLock(dbPath: string, seconds: number): Promise<void> {
  const holder = Bun.spawn(
    [
      process.execPath,
      "-e",
      `const Database = require("libsql"); const db = new Database(process.argv[1], { timeout: 10000 });
       db.exec("BEGIN EXCLUSIVE"); setTimeout(() => { db.exec("ROLLBACK"); db.close(); }, ${seconds * 1000});`,
      dbPath,
    ],
    { cwd: ROOT, stdin: "ignore", stdout: "ignore", stderr: "inherit" },
  );
  if ((await holder.exited) !== 0) throw new Error("the lock holder failed");
}

/** A release manifest naming every machine of the fleet with its next-but-one generation. */
function releaseBody(machines: number, generation: number): string {
  return JSON.stringify({
    flake_ref: "github:example/fleet",
    entries: Array.from({ length: machines }, (_, k) => ({
      hostname: machineId(k + 1),
      store_path: storePath(k + 1, generation),
      platform: "x86_64-linux",
      tags: machineTags(k + 1),
    })),
  });
}

/** Runs `request` back to back until `until`; returns how many ran, their statuses and mean duration. */
async function repeat(until: number, request: () => Promise<Response>): Promise<string> {
  const statuses = new Map<number, number>();
  let count = 0;
  let totalMs = 0;
  while (performance.now() < until) {
    const started = performance.now();
    const response = await request();
    await response.arrayBuffer();
    totalMs += performance.now() - started;
    count++;
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  }
  const answered = [...statuses].map(([status, n]) => `${n}× ${status}`).join(", ");
  return `${answered}, ${count > 0 ? (totalMs / count).toFixed(0) : "—"} ms each`;
}

/** Adds `count` rows of `kind` (see bench/seed-rows.ts), in a process of its own. */
async function seedRows(
  kind: "audit" | "aged-reports",
  dbPath: string,
  machines: number,
  count: number,
): Promise<void> {
  const seeder = Bun.spawn(
    [process.execPath, join(ROOT, "bench", "seed-rows.ts"), kind, dbPath, String(machines), String(count)],
    {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  if ((await seeder.exited) !== 0) throw new Error(`seeding ${kind} rows failed`);
}

/**
 * Creates a rollout over the whole fleet (batches of 1 %, 10 % and the rest, a long health
 * timeout) and waits until its machines are written and its first batch has started.
 */
async function fleetWideRollout(url: string, fleet: SeededFleet): Promise<{ id: string; machines: number }> {
  const headers = { authorization: `Bearer ${fleet.adminKey}`, "content-type": "application/json" };
  const created = await fetch(`${url}/api/v1/rollouts`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      release_id: fleet.releaseId,
      strategy: "staged",
      batch_sizes: ["1%", "10%", "100%"],
      health_timeout: 3600,
      target: { tags: ["fleet:bench"] },
      // `bun run bench` has rolled out to the fleet before (bench/scale.ts): take its machines.
      supersede: true,
    }),
  });
  if (created.status !== 201) throw new Error(`rollout: ${created.status} ${await created.text()}`);
  const { rollout_id: id, total_machines: machines } = (await created.json()) as {
    rollout_id: string;
    total_machines: number;
  };
  for (;;) {
    const rollout = (await (await fetch(`${url}/api/v1/rollouts/${id}`, { headers })).json()) as {
      status: string;
      batches: { status: string }[];
    };
    if (rollout.status !== "created" && rollout.batches[0]!.status !== "pending") return { id, machines };
    await sleep(500);
  }
}

/**
 * Measures poll latency during each scenario against `options.server` (started with
 * STALL_SERVER_ARGS). The retention scenario restarts the server (a pass runs at start); the
 * server running at the end is returned, for the caller to stop.
 */
export async function measureStalls(
  options: StallOptions & {
    binary: boolean;
    extraArgs: string[];
    /** Scenario keys to run (default all). */
    only?: string;
    /** Seconds the lock is held and each bulk operation repeated (default STALL_SECONDS). */
    seconds?: number;
  },
): Promise<{ figures: StallFigure[]; lines: string[]; server: ServerProcess }> {
  const { dbPath, fleet, log } = options;
  const seconds = options.seconds ?? STALL_SECONDS;
  let server = options.server;
  const figures: StallFigure[] = [];
  const machines = fleet.machines;
  const auth = { authorization: `Bearer ${fleet.adminKey}` };
  const record = (scenario: string, measured: { polls: LoadResult; note: string }) => {
    figures.push({ scenario, ...measured });
    log(
      `${scenario}: poll p99 ${measured.polls.p99.toFixed(1)} ms, max ${measured.polls.max.toFixed(0)} ms (${measured.note})`,
    );
  };

  const scenarios: { key: string; run: () => Promise<void> }[] = [
    {
      key: "baseline",
      run: async () =>
        record(
          "nothing else (baseline)",
          await pollsDuring(server.url, machines, seconds, async (until) => {
            await sleep(until - performance.now());
            return "polls only";
          }),
        ),
    },
    {
      key: "lock",
      run: async () =>
        record(
          `outside process holds the write lock ${seconds} s, 32 agents reporting`,
          await pollsDuring(server.url, machines, seconds + 3, async () => {
            const reports = runBunLoad({
              url: server.url,
              scenario: "report",
              machines,
              connections: 32,
              durationSeconds: seconds + 1,
            });
            await sleep(250);
            await holdWriteLock(dbPath, seconds);
            const reported = await reports;
            return `reports meanwhile: ${reported.ok} stored, ${reported.non2xx} refused (503), ${reported.errors} errors`;
          }),
        ),
    },
    {
      // The WAL grows with every report batch; SQLite checkpointed it inside the commit that took it past 40 MiB.
      key: "reports",
      run: async () =>
        record(
          `agents report at ${REPORT_RATE}/s (open loop, 256 connections)`,
          await pollsDuring(server.url, machines, seconds, async (until) => {
            const reported = await runBunLoad({
              url: server.url,
              scenario: "report",
              machines,
              connections: 256,
              durationSeconds: (until - performance.now()) / 1000,
              rate: REPORT_RATE,
            });
            return `${reported.ok} reports stored (p99 ${reported.p99.toFixed(0)} ms), ${reported.non2xx} refused, ${reported.errors} errors`;
          }),
        ),
    },
    {
      key: "release",
      run: async () => {
        let generation = 2;
        const rssBefore = memoryOf(server.proc.pid).peakRssMiB;
        record(
          `${machines}-entry releases created back to back`,
          await pollsDuring(server.url, machines, seconds, (until) =>
            repeat(until, () =>
              fetch(`${server.url}/api/v1/releases`, {
                method: "POST",
                headers: { ...auth, "content-type": "application/json" },
                body: releaseBody(machines, generation++),
              }),
            ),
          ),
        );
        const rssAfter = memoryOf(server.proc.pid).peakRssMiB;
        figures.at(-1)!.note += `; server peak RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MiB`;
      },
    },
    {
      key: "machines",
      run: async () =>
        record(
          "GET /api/v1/machines (the whole fleet) back to back",
          await pollsDuring(server.url, machines, seconds, (until) =>
            repeat(until, () => fetch(`${server.url}/api/v1/machines`, { headers: auth })),
          ),
        ),
    },
    {
      key: "audit",
      run: async () => {
        await seedRows("audit", dbPath, machines, machines);
        record(
          `GET /api/v1/audit/export (${machines}+ events) back to back`,
          await pollsDuring(server.url, machines, seconds, (until) =>
            repeat(until, () => fetch(`${server.url}/api/v1/audit/export`, { headers: auth })),
          ),
        );
      },
    },
    {
      key: "metrics",
      run: async () =>
        record(
          `GET /metrics (${machines} per-machine series) back to back`,
          await pollsDuring(server.url, machines, seconds, (until) =>
            repeat(until, () => fetch(`${server.url}/metrics`)),
          ),
        ),
    },
    {
      key: "rollout",
      run: async () => {
        const rollout = await fleetWideRollout(server.url, fleet);
        const reads = [
          [`GET /api/v1/rollouts/{id} (a ${rollout.machines}-machine rollout, every machine)`, `/${rollout.id}`],
          ["GET /api/v1/rollouts (the list holding it)", ""],
          ["GET /api/v1/rollouts/{id}?machines=none (its counts)", `/${rollout.id}?machines=none`],
        ];
        for (const [what, path] of reads) {
          record(
            `${what} back to back`,
            await pollsDuring(server.url, machines, seconds, (until) =>
              repeat(until, () => fetch(`${server.url}/api/v1/rollouts${path}`, { headers: auth })),
            ),
          );
        }
      },
    },
    {
      // A retention pass runs when the server starts: restart it on a database with aged reports.
      key: "retention",
      run: async () => {
        const aged = 2 * machines;
        await stopProcess(server.proc);
        await seedRows("aged-reports", dbPath, machines, aged);
        server = await startControlPlane(dbPath, { binary: options.binary, extraArgs: options.extraArgs });
        const started = performance.now();
        const pruned = () => server.recentLogs.some((line) => line.includes('"pruned old reports"'));
        record(
          `retention pass pruning ${aged} reports (at start-up)`,
          await pollsDuring(server.url, machines, seconds, async (until) => {
            while (performance.now() < until && !pruned()) await sleep(20);
            return pruned()
              ? `pass took ${((performance.now() - started) / 1000).toFixed(1)} s`
              : "pass still running at the end";
          }),
        );
      },
    },
  ];
  for (const scenario of scenarios) {
    if (options.only === undefined || options.only.split(",").includes(scenario.key)) await scenario.run();
  }

  const lines = [
    `| polls at ${POLL_RATE}/s offered (open loop) while … | p50 ms | p99 ms | max ms | poll errors | what ran meanwhile |`,
    "|---|---:|---:|---:|---:|---|",
    ...figures.map(
      (f) =>
        `| ${f.scenario} | ${f.polls.p50.toFixed(2)} | ${f.polls.p99.toFixed(2)} | ${f.polls.max.toFixed(0)} | ${f.polls.non2xx + f.polls.errors} | ${f.note} |`,
    ),
  ];
  return { figures, lines, server };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      machines: { type: "string", default: "100000" },
      binary: { type: "boolean", default: false },
      only: { type: "string" },
      seconds: { type: "string", default: String(STALL_SECONDS) },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-stalls-"));
  const dbPath = join(dir, "state.db");
  const log = (line: string) => process.stderr.write(`[stalls] ${line}\n`);
  let server: ServerProcess | null = null;
  try {
    const fleet = await seedFleet(dbPath, Number(values.machines));
    server = await startControlPlane(dbPath, { binary: values.binary, extraArgs: STALL_SERVER_ARGS });
    const measured = await measureStalls({
      url: server.url,
      dbPath,
      fleet,
      server,
      log,
      binary: values.binary,
      extraArgs: STALL_SERVER_ARGS,
      only: values.only,
      seconds: Number(values.seconds),
    });
    server = measured.server;
    console.log(measured.lines.join("\n"));
  } finally {
    if (server) await stopProcess(server.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}
