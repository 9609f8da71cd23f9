// Child processes of the benchmark: the control plane, the bare ceiling server and the load generators.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { LoadResult } from "./loadgen.ts";
import type { Scenario } from "./workload.ts";

export const ROOT = join(import.meta.dir, "..");
export const BINARY = join(ROOT, "dist", "nixfleet-control-plane");

const children = new Set<Subprocess>();

/** Remembers a child so that `killChildren` can stop it if the benchmark is interrupted. */
function track<T extends Subprocess>(proc: T): T {
  children.add(proc);
  void proc.exited.then(() => children.delete(proc));
  return proc;
}

/** Kills every child still running (the benchmark was interrupted). */
export function killChildren(): void {
  for (const proc of children) proc.kill("SIGKILL");
}

/** A running control plane started by the benchmark. */
export interface ServerProcess {
  proc: Subprocess<"ignore", "ignore", "pipe">;
  url: string;
  /** Seconds from spawn to the "listening" log line. */
  startupSeconds: number;
  /** The last log lines, for diagnostics when something fails. */
  recentLogs: string[];
  exited: Promise<number>;
}

/** Memory of a process from /proc: current and peak resident set, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakRssMiB: kib("VmHWM") / 1024 };
}

/** CPU time (user + system, seconds) a process has used so far, from /proc. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: Linux reports /proc CPU times in 1/100 s on every common architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Starts the control plane on `dbPath` (from source, or the compiled binary) and waits for "listening". */
export async function startControlPlane(
  dbPath: string,
  options: {
    binary: boolean;
    extraArgs?: string[];
    timeoutMs?: number;
    /** Another checkout's sources. */ source?: string;
  },
): Promise<ServerProcess> {
  const command = options.binary ? [BINARY] : [process.execPath, join(options.source ?? ROOT, "src", "main.ts")];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("NIXFLEET_CP_")));
  const started = performance.now();
  const proc = track(
    Bun.spawn([...command, "--listen", "127.0.0.1:0", "--db-path", dbPath, ...(options.extraArgs ?? [])], {
      cwd: ROOT,
      env,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    }),
  );
  const recentLogs: string[] = [];
  let onListening: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (onListening = resolve));
  // Keep draining stderr for the whole run, or a full pipe would stall the server.
  void (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stderr) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        recentLogs.push(line);
        if (recentLogs.length > 50) recentLogs.shift();
        if (line.includes('"listening"')) {
          try {
            onListening(JSON.parse(line).url);
          } catch {
            // not the start-up line after all
          }
        }
      }
    }
  })();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const exitedFirst = proc.exited.then((code) => {
    throw new Error(`control plane exited with ${code} before listening:\n${recentLogs.join("\n")}`);
  });
  // Once the server listens, its later exit is no start-up failure.
  exitedFirst.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`control plane did not log "listening" within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  // The timer must stand down once the server listens, or it stops the server mid-scenario.
  const url = await Promise.race([listening, exitedFirst, timedOut]).finally(() => clearTimeout(timer));
  return { proc, url, startupSeconds: (performance.now() - started) / 1000, recentLogs, exited: proc.exited };
}

/** Stops a process with SIGTERM (SIGKILL after `graceMs`) and returns its exit code. */
export async function stopProcess(proc: Subprocess, graceMs = 10_000): Promise<number> {
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return code;
}

/** Starts bench/bare-server.ts and returns it with its URL. */
export async function startBareServer(): Promise<{ proc: Subprocess<"ignore", "pipe", "inherit">; url: string }> {
  const proc = track(
    Bun.spawn([process.execPath, join(import.meta.dir, "bare-server.ts")], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    }),
  );
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const { port } = JSON.parse(new TextDecoder().decode(value)) as { port: number };
  return { proc, url: `http://127.0.0.1:${port}` };
}

/** True when the wrk binary can be run. */
export function wrkAvailable(): boolean {
  return Bun.which("wrk") !== null;
}

/** Tries to install wrk from Debian (root only); returns whether it is available afterwards. */
export async function installWrk(log: (line: string) => void): Promise<boolean> {
  if (wrkAvailable()) return true;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return false;
  log("wrk is missing: installing it with apt-get (Debian package wrk)");
  const install = Bun.spawn(["sh", "-c", "apt-get install -y wrk || (apt-get update && apt-get install -y wrk)"], {
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  const timer = setTimeout(() => install.kill(), 180_000);
  await install.exited;
  clearTimeout(timer);
  return wrkAvailable();
}

export interface LoadOptions {
  url: string;
  scenario: Scenario;
  machines: number;
  connections: number;
  durationSeconds: number;
  /** Open loop at this many requests per second (in-repo generator only). */
  rate?: number;
  threads?: number;
  /** For an https URL: the PEM file of the CA that signed the server's certificate (in-repo generator only). */
  ca?: string;
  /** Share of reports that switch their machine's generation, so they change something (and are audited). */
  changedShare?: number;
}

async function runBounded(command: string[], env: Record<string, string | undefined>, limitMs: number) {
  const proc = track(Bun.spawn(command, { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
  const timer = setTimeout(() => proc.kill("SIGKILL"), limitMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command[0]} exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

/** Drives `options.url` with the in-repo generator (bench/loadgen.ts) in its own process. */
export async function runBunLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    process.execPath,
    join(import.meta.dir, "loadgen.ts"),
    `--url=${options.url}`,
    `--scenario=${options.scenario}`,
    `--machines=${options.machines}`,
    `--connections=${options.connections}`,
    `--duration=${options.durationSeconds}`,
    ...(options.rate === undefined ? [] : [`--rate=${options.rate}`]),
    ...(options.ca === undefined ? [] : [`--ca=${options.ca}`]),
    ...(options.changedShare === undefined ? [] : [`--changed-share=${options.changedShare}`]),
  ];
  const stdout = await runBounded(args, process.env, options.durationSeconds * 1000 + 30_000);
  return JSON.parse(stdout.trim().split("\n").pop()!) as LoadResult;
}

/** Drives `options.url` with wrk and bench/wrk/scenario.lua (closed loop). */
export async function runWrkLoad(options: LoadOptions): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(options.durationSeconds));
  const args = [
    "wrk",
    `--threads=${options.threads ?? 1}`,
    `--connections=${options.connections}`,
    `--duration=${seconds}s`,
    "--timeout=10s",
    `--script=${join(import.meta.dir, "wrk", "scenario.lua")}`,
    options.url,
  ];
  const env = { ...process.env, BENCH_SCENARIO: options.scenario, BENCH_MACHINES: String(options.machines) };
  const stdout = await runBounded(args, env, seconds * 1000 + 30_000);
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const raw = JSON.parse(line.slice("BENCH_RESULT ".length)) as Record<string, number>;
  const requests = raw.requests!;
  const ok = requests - raw.non2xx!;
  return {
    generator: "wrk",
    requests,
    ok,
    // wrk cannot tell which answers were reports in a mix; only the pure report scenario knows.
    reportsOk: options.scenario === "report" ? ok : 0,
    non2xx: raw.non2xx!,
    errors: raw.errors!,
    seconds: raw.duration_us! / 1e6,
    rps: requests / (raw.duration_us! / 1e6),
    p50: raw.p50_us! / 1000,
    p99: raw.p99_us! / 1000,
    max: raw.max_us! / 1000,
  };
}
