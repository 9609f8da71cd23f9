// `bun bench/serving-paths.ts [--source DIR]`: the server's CPU time per request on each serving
// path (plain HTTP, server-only TLS, mTLS) for `GET /health` and an agent poll on keep-alive
// connections, and for a poll on a new connection each time (README, "Connections" and "TLS and
// certificates"). `--source` runs the server from another checkout, to compare edges.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, cpuSecondsOf, killChildren, startControlPlane, stopProcess } from "./processes.ts";
import { seedFleet } from "./seed.ts";
import { machineId } from "./workload.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    source: { type: "string", default: ROOT },
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "20" },
  },
});
const durationMs = Number(values.duration) * 1000;
const connections = Number(values.connections);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
// Machine 1 has a desired generation, so its poll answers 200 with a body; its certificate's CN is its id.
const AGENT = machineId(1);

interface Tls {
  ca: string;
  cert?: string;
  key?: string;
}

/** One request on `socket`'s connection, resolved when its Content-Length body has arrived. */
class Client {
  private received = "";
  private waiting: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: Awaited<ReturnType<typeof Bun.connect>>) {}

  static async open(url: URL, tls: Tls | undefined): Promise<Client> {
    let client: Client | null = null;
    // A TLS client's writes before its handshake completes sit unsent until a later write.
    const handshake = Promise.withResolvers<void>();
    if (!tls) handshake.resolve();
    const socket = await Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      ...(tls ? { tls } : {}),
      socket: {
        handshake: () => handshake.resolve(),
        data: (_socket, chunk) => client?.onData(chunk.toString("latin1")),
        close: () => client?.onClose(),
        error: () => client?.onClose(),
      },
    });
    client = new Client(socket);
    await handshake.promise;
    return client;
  }

  request(path: string, host: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.end();
  }

  private onData(text: string): void {
    this.received += text;
    const headEnd = this.received.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(this.received.slice(0, headEnd))?.[1] ?? 0);
    if (this.received.length < headEnd + 4 + length) return;
    this.received = this.received.slice(headEnd + 4 + length);
    const done = this.waiting;
    this.waiting = null;
    done?.();
  }

  private onClose(): void {
    this.closed = true;
    this.waiting?.();
  }
}

/** Closed loop for `durationMs`; returns requests served and the server's CPU µs per request. */
async function drive(pid: number, url: URL, path: string, tls: Tls | undefined, fresh: boolean) {
  const host = `${url.hostname}:${url.port}`;
  let requests = 0;
  const cpuBefore = cpuSecondsOf(pid);
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: fresh ? Math.min(connections, 4) : connections }, async () => {
      let client = fresh ? null : await Client.open(url, tls);
      while (performance.now() < deadline) {
        const current = client ?? (await Client.open(url, tls));
        await current.request(path, host);
        requests++;
        if (fresh) current.close();
        else client = current;
      }
      client?.close();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rps: requests / seconds, cpuUs: ((cpuSecondsOf(pid) - cpuBefore) * 1e6) / Math.max(requests, 1) };
}

const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-paths-"));
const pki = join(dir, "pki");
const pem = (name: string) => readFileSync(join(pki, name), "utf8");
try {
  const certs = Bun.spawnSync([process.execPath, "scripts/certs.ts", "--out", pki, "--machines", AGENT], {
    cwd: ROOT,
  });
  if (certs.exitCode !== 0) throw new Error(`certs: ${certs.stderr.toString()}`);
  const dbPath = join(dir, "state.db");
  await seedFleet(dbPath, 1000);
  const loadBefore = loadavg().map((l) => l.toFixed(2));
  const serverTls = ["--tls-cert", join(pki, "server.pem"), "--tls-key", join(pki, "server-key.pem")];
  const paths = [
    { label: "plain HTTP", args: [], tls: undefined },
    { label: "server-only TLS", args: serverTls, tls: { ca: pem("ca.pem") } },
    {
      label: "mTLS",
      args: [...serverTls, "--client-ca", join(pki, "ca.pem")],
      tls: { ca: pem("ca.pem"), cert: pem(`${AGENT}.pem`), key: pem(`${AGENT}-key.pem`) },
    },
  ];
  const rows: string[] = [];
  for (const path of paths) {
    const running = await startControlPlane(dbPath, { binary: false, extraArgs: path.args, source: values.source });
    try {
      const url = new URL(running.url);
      const poll = `/api/v1/machines/${AGENT}/desired-generation`;
      await drive(running.proc.pid, url, poll, path.tls, false);
      const health = await drive(running.proc.pid, url, "/health", path.tls, false);
      const polls = await drive(running.proc.pid, url, poll, path.tls, false);
      const fresh = await drive(running.proc.pid, url, poll, path.tls, true);
      const cell = (r: { rps: number; cpuUs: number }) =>
        `${r.cpuUs.toFixed(0)} µs, ${(r.rps / 1000).toFixed(1)}k req/s`;
      rows.push(`| ${path.label} | ${cell(health)} | ${cell(polls)} | ${(fresh.cpuUs / 1000).toFixed(2)} ms |`);
      log(rows.at(-1)!);
    } finally {
      await stopProcess(running.proc);
    }
  }
  console.log(
    [
      `serving paths — source ${values.source}, Bun ${Bun.version}, ${connections} keep-alive connections, ${values.duration} s each, load average before ${loadBefore.join(" / ")}`,
      "",
      "| serving path | `GET /health` | agent poll (200) | poll on a new connection (server CPU) |",
      "|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
} finally {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
}
