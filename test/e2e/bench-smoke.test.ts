// A five-second smoke of the benchmark: it must run end to end on a small fleet with the in-repo
// generator (no wrk needed). No timing assertions: benchmarks are not tests.
import type { Subprocess } from "bun";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-smoke-"));
let bench: Subprocess | null = null;
afterAll(async () => {
  // SIGTERM lets the benchmark stop the server and generators it started.
  if (bench && bench.exitCode === null) {
    bench.kill("SIGTERM");
    await bench.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Load {
  requests: number;
  ok: number;
  reportsOk: number;
  non2xx: number;
  errors: number;
}

test("bench runs every scenario against a 1 000-machine fleet and every acknowledged report is stored", async () => {
  const jsonPath = join(dir, "bench.json");
  const proc = (bench = Bun.spawn(
    [
      process.execPath,
      "bench/run.ts",
      "--machines=1000",
      "--duration=0.5",
      "--warmup=0",
      "--connections=8",
      "--rate=500",
      "--report-rate=200",
      "--open-connections=16",
      "--generator=bun",
      "--stall-seconds=1",
      `--json=${jsonPath}`,
    ],
    { cwd: join(import.meta.dir, "..", ".."), stdout: "pipe", stderr: "pipe" },
  ));
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("| (a) GET desired-generation");
  expect(stdout).toContain("| (f) reports at 200/s offered (open loop, 16 connections)");

  const report = JSON.parse(readFileSync(jsonPath, "utf8")) as {
    results: Record<"poll" | "report" | "mix" | "bare" | "paced" | "openReport", Load>;
    durability: Record<"closed" | "open", { acknowledged: number; reportsStored: number; durable: boolean }>;
    startupSeconds: number;
    memoryAfterLoad: { peakRssMiB: number };
    serverExitCode: number;
    scale: {
      metrics: { series: number } | null;
      listAll: { machines: number } | null;
      listPaged: { machines: number } | null;
      rolloutCreate: { machines: number } | null;
    };
    executor: { step: string; ms: number }[];
    stalls: { scenario: string; polls: Load; note: string }[];
  };
  for (const name of ["poll", "report", "mix", "bare", "paced", "openReport"] as const) {
    const result = report.results[name];
    expect(result.requests, name).toBeGreaterThan(0);
    expect(result.ok, name).toBe(result.requests);
    expect(result.non2xx + result.errors, name).toBe(0);
  }
  for (const [scenario, loop] of [
    ["report", "closed"],
    ["openReport", "open"],
  ] as const) {
    const result = report.results[scenario];
    expect(result.reportsOk, scenario).toBe(result.requests);
    expect(report.durability[loop].acknowledged, scenario).toBe(result.reportsOk);
    expect(report.durability[loop].reportsStored, scenario).toBeGreaterThanOrEqual(result.reportsOk);
    expect(report.durability[loop].durable, scenario).toBe(true);
  }
  expect(report.startupSeconds).toBeGreaterThan(0);
  expect(report.memoryAfterLoad.peakRssMiB).toBeGreaterThan(0);
  expect(report.serverExitCode).toBe(0);
  // The scale paths ran against the same fleet (figures only, no timing assertions).
  expect(report.scale.metrics?.series).toBeGreaterThan(1000);
  expect(report.scale.listAll?.machines).toBe(1000);
  expect(report.scale.listPaged?.machines).toBe(1000);
  expect(report.scale.rolloutCreate?.machines).toBeGreaterThan(900);
  expect(report.executor.map((t) => t.step)).toHaveLength(6);
  // Polls during an outside write lock and bulk work (eight scenarios, the rollout one with three
  // reads): every one answered (figures only).
  expect(report.stalls).toHaveLength(11);
  for (const stall of report.stalls) {
    expect(stall.polls.requests, stall.scenario).toBeGreaterThan(0);
    expect(stall.polls.non2xx + stall.polls.errors, stall.scenario).toBe(0);
  }
}, 120_000);
