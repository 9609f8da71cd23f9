// The in-repo HTTP/1.1 load generator (a separate process from the server it drives).
// Raw keep-alive sockets, one request in flight per connection. Two modes:
//   closed loop (default): every connection sends its next request when the previous answer arrives;
//   open loop (--rate R): requests are due on a fixed schedule of R per second and wait for a free
//     connection; latency runs from the moment a request was due, so queueing counts (no coordinated omission).
// Prints one JSON object (LoadResult) on stdout.
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { machineId, pickPolledMachine, reportBody, type Scenario } from "./workload.ts";

/** What one generator run measured; latencies in milliseconds. */
export interface LoadResult {
  generator: "bun" | "wrk";
  requests: number;
  /** Requests answered with 2xx. */
  ok: number;
  /** Reports answered with 2xx (acknowledged, so they must be in the database). */
  reportsOk: number;
  non2xx: number;
  /** Socket errors and requests still unanswered at the end. */
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Open loop only: the rate asked for. */
  offeredRate?: number;
}

type Kind = "poll" | "report";

interface Pending {
  kind: Kind;
  due: number;
}

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    url: { type: "string" },
    scenario: { type: "string", default: "poll" },
    machines: { type: "string", default: "1000" },
    connections: { type: "string", default: "64" },
    duration: { type: "string", default: "5" },
    rate: { type: "string" },
    // PEM file of the CA that signed the server's certificate: speak TLS to an https URL.
    ca: { type: "string" },
    "changed-share": { type: "string", default: "0" },
  },
});

const url = new URL(values.url ?? "http://127.0.0.1:8080");
const scenario = values.scenario as Scenario;
const machines = Number(values.machines);
const connectionCount = Number(values.connections);
const durationMs = Number(values.duration) * 1000;
const rate = values.rate === undefined ? null : Number(values.rate);
const tls = values.ca === undefined ? undefined : { ca: await Bun.file(values.ca).text() };
const hostHeader = `${url.hostname}:${url.port}`;
/** Share of reports that carry the machine's next generation instead of its current one (so some change something). */
const changedShare = Number(values["changed-share"]);

function nextKind(): Kind {
  if (scenario === "report") return "report";
  if (scenario === "mix") return Math.random() < 0.1 ? "report" : "poll";
  return "poll";
}

const pollRequests: string[] = [];

function requestText(kind: Kind): string {
  if (kind === "poll") {
    const i = pickPolledMachine(machines);
    return (pollRequests[i] ??=
      `GET /api/v1/machines/${machineId(i)}/desired-generation HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`);
  }
  const id = machineId(1 + Math.floor(Math.random() * machines));
  const body = reportBody(id, new Date().toISOString(), Math.random() < changedShare ? 1 : 0);
  return `POST /api/v1/machines/${id}/report HTTP/1.1\r\nHost: ${hostHeader}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const latencies: number[] = [];
let ok = 0;
let reportsOk = 0;
let non2xx = 0;
let errors = 0;
const backlog: Pending[] = [];
let deadline = Infinity;
let finished = false;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  socket: Socket<undefined> | null = null;
  inFlight: Pending | null = null;
  /** Response bytes so far, as latin1 so string length equals byte length. */
  private received = "";
  private unsent = "";

  async open(): Promise<void> {
    // A TLS client's writes before its handshake completes sit unsent until a later write.
    const handshake = Promise.withResolvers<void>();
    if (!tls) handshake.resolve();
    this.socket = await Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      ...(tls ? { tls } : {}),
      socket: {
        handshake: () => handshake.resolve(),
        data: (_socket, chunk) => this.onData(chunk),
        drain: () => this.flush(),
        close: () => this.onClose(),
        error: () => this.onClose(),
      },
    });
    await handshake.promise;
  }

  send(pending: Pending): void {
    this.inFlight = pending;
    this.unsent = requestText(pending.kind);
    this.flush();
  }

  private flush(): void {
    if (!this.socket || this.unsent === "") return;
    const written = this.socket.write(this.unsent);
    this.unsent = written >= this.unsent.length ? "" : this.unsent.slice(written);
  }

  private onClose(): void {
    if (this.inFlight && !finished) errors++;
    this.inFlight = null;
    this.socket = null;
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.toString("latin1");
    const status = this.completeResponseStatus();
    if (status === null) return;
    const done = this.inFlight!;
    this.inFlight = null;
    latencies.push(performance.now() - done.due);
    if (status >= 200 && status < 300) {
      ok++;
      if (done.kind === "report") reportsOk++;
    } else non2xx++;
    dispatch(this);
  }

  /** The status of the response at the head of the buffer once it is complete (and consumes it), else null. */
  private completeResponseStatus(): number | null {
    const headerEnd = this.received.indexOf("\r\n\r\n");
    if (headerEnd < 0) return null;
    const head = this.received.slice(0, headerEnd);
    const status = Number(head.slice(9, 12));
    const bodyStart = headerEnd + 4;
    const length = contentLength(head);
    let end: number;
    if (length !== null) {
      end = bodyStart + length;
      if (this.received.length < end) return null;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const last = this.received.indexOf("\r\n0\r\n\r\n", bodyStart - 2);
      if (last < 0) return null;
      end = last + 7;
    } else {
      end = bodyStart;
    }
    this.received = this.received.slice(end);
    return status;
  }
}

/** The Content-Length of a response head, or null; Bun spells it `Content-Length`, others may not. */
function contentLength(head: string): number | null {
  const at = head.indexOf("\r\nContent-Length: ");
  if (at >= 0) return parseInt(head.slice(at + 18), 10);
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return match ? Number(match[1]) : null;
}

const connections: Connection[] = [];

/** Gives an idle connection its next request: a due one from the backlog (open loop) or a fresh one (closed loop). */
function dispatch(connection: Connection): void {
  if (finished || !connection.socket) return;
  if (rate === null) {
    const now = performance.now();
    if (now < deadline) connection.send({ kind: nextKind(), due: now });
  } else {
    // The backlog only ever holds requests due before the deadline: they are all sent.
    const next = backlog.shift();
    if (next) connection.send(next);
  }
}

for (let i = 0; i < connectionCount; i++) {
  const connection = new Connection();
  await connection.open();
  connections.push(connection);
}

const started = performance.now();
deadline = started + durationMs;
let scheduled = 0;
let timer: ReturnType<typeof setInterval> | null = null;
if (rate === null) {
  for (const connection of connections) dispatch(connection);
} else {
  const interval = 1000 / rate;
  timer = setInterval(() => {
    const now = Math.min(performance.now(), deadline);
    while (started + scheduled * interval <= now) {
      backlog.push({ kind: nextKind(), due: started + scheduled * interval });
      scheduled++;
    }
    for (const connection of connections) if (!connection.inFlight) dispatch(connection);
  }, 1);
}

await Bun.sleep(durationMs);
if (timer) clearInterval(timer);
// Let requests already due finish (bounded), so the counts describe whole requests.
const grace = performance.now() + 2000;
while ((backlog.length > 0 || connections.some((c) => c.inFlight)) && performance.now() < grace) await Bun.sleep(5);
finished = true;
const elapsed = (performance.now() - started) / 1000;
const unanswered = connections.filter((c) => c.inFlight).length + backlog.length;
for (const connection of connections) connection.socket?.end();

const sorted = Float64Array.from(latencies).sort();
const percentile = (p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const requests = latencies.length;
const result: LoadResult = {
  generator: "bun",
  requests,
  ok,
  reportsOk,
  non2xx,
  errors: errors + unanswered,
  seconds: elapsed,
  rps: requests / (durationMs / 1000),
  p50: percentile(0.5),
  p99: percentile(0.99),
  max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
  ...(rate === null ? {} : { offeredRate: rate }),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
