// `bun bench/silent-sockets.ts`: agent polls over TLS while 1 000 connections to the same port
// never start their TLS handshake (SPEC §13 "Connections"; issue 14, item 4). The attacker side
// re-opens every connection the server drops, so 1 000 are pending throughout. Prints the poll
// latency at a fixed offered rate without and with them, the server's CPU per poll, and how long
// the server let a silent connection live (the default head deadline, 10 s).
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, cpuSecondsOf, killChildren, runBunLoad, startControlPlane, stopProcess } from "./processes.ts";
import { seedFleet } from "./seed.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    machines: { type: "string", default: "100000" },
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "2000" },
    connections: { type: "string", default: "64" },
    silent: { type: "string", default: "1000" },
  },
});
const machines = Number(values.machines);
const duration = Number(values.duration);
const rate = Number(values.rate);
const connections = Number(values.connections);
const silentCount = Number(values.silent);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Keeps `count` connections open to `port` that never send a byte, re-opening each one the server drops. */
class SilentCrowd {
  private readonly sockets = new Set<Socket>();
  private stopped = false;
  /** How long each connection the server dropped had lived, in ms. */
  readonly lifetimes: number[] = [];

  constructor(
    private readonly port: number,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.open();
  }

  private open(): void {
    const opened = performance.now();
    const socket = connect(this.port, "127.0.0.1");
    this.sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      this.sockets.delete(socket);
      if (this.stopped) return;
      this.lifetimes.push(performance.now() - opened);
      this.open();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
  }
}

const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-silent-"));
const pki = join(dir, "pki");
let server: Awaited<ReturnType<typeof startControlPlane>> | null = null;
try {
  const certs = Bun.spawnSync([process.execPath, "scripts/certs.ts", "--out", pki, "--no-admin"], { cwd: ROOT });
  if (certs.exitCode !== 0) throw new Error(`certs: ${certs.stderr.toString()}`);
  const dbPath = join(dir, "state.db");
  log(`seeding ${machines} machines`);
  await seedFleet(dbPath, machines);
  const loadBefore = loadavg().map((l) => l.toFixed(2));
  server = await startControlPlane(dbPath, {
    binary: false,
    extraArgs: ["--tls-cert", join(pki, "server.pem"), "--tls-key", join(pki, "server-key.pem")],
  });
  const pid = server.proc.pid;
  const url = server.url;
  const polls = async () => {
    const cpuBefore = cpuSecondsOf(pid);
    const result = await runBunLoad({
      url,
      scenario: "poll",
      machines,
      connections,
      durationSeconds: duration,
      rate,
      ca: join(pki, "ca.pem"),
    });
    return { ...result, cpuUs: ((cpuSecondsOf(pid) - cpuBefore) * 1e6) / Math.max(result.requests, 1) };
  };
  log("warm-up");
  await runBunLoad({ url, scenario: "poll", machines, connections, durationSeconds: 2, ca: join(pki, "ca.pem") });
  log(`polls at ${rate}/s over TLS, nothing else connected`);
  const quiet = await polls();
  log(`opening ${silentCount} silent connections`);
  const crowd = new SilentCrowd(Number(new URL(url).port), silentCount);
  await Bun.sleep(1000);
  log(`polls at ${rate}/s over TLS beside ${silentCount} silent connections`);
  const crowded = await polls();
  // Past the head deadline, every first-generation silent connection has been dropped at least once.
  await Bun.sleep(Math.max(0, 12_000 - duration * 1000));
  crowd.stop();
  const lifetimes = Float64Array.from(crowd.lifetimes).sort();
  const at = (p: number) => (lifetimes.length === 0 ? 0 : lifetimes[Math.floor((lifetimes.length - 1) * p)]! / 1000);
  const ms = (value: number) => value.toFixed(2);
  const row = (label: string, r: typeof quiet) =>
    `| ${label} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.non2xx + r.errors} | ${r.cpuUs.toFixed(0)} |`;
  console.log(
    [
      `silent TLS connections — ${machines} machines, polls at ${rate}/s offered over TLS (server-only), ${connections} connections, ${duration} s each; Bun ${Bun.version}, load average before ${loadBefore.join(" / ")}`,
      "",
      "| polls over TLS | requests/s | p50 ms | p99 ms | max ms | errors | server CPU µs/req |",
      "|---|---:|---:|---:|---:|---:|---:|",
      row("nothing else connected", quiet),
      row(`beside ${silentCount} silent connections (re-opened as dropped)`, crowded),
      "",
      `silent connections dropped by the server: ${lifetimes.length}; lifetime min ${at(0).toFixed(1)} s, median ${at(0.5).toFixed(1)} s, max ${at(1).toFixed(1)} s`,
    ].join("\n"),
  );
} finally {
  if (server) await stopProcess(server.proc);
  killChildren();
  rmSync(dir, { recursive: true, force: true });
}
