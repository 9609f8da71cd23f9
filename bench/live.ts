// `bun bench/live.ts [--only g|h]`: the live-progress paths under load (SPEC §15, bench/RESULTS.md "Live progress").
//   (g) N agents hold long-polls on one host: the server's RSS per held poll, and how long after
//       each machine's desired generation is set its agent's held poll is answered (a batch of
//       about N machines starts in steps, so the batch-wide figure from `batch.deploying` is also
//       given, apart).
//   (h) reports at a fixed offered rate, some of them changing something (so the audit feed moves),
//       without and then with S event-stream subscribers reading everything.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { cpuSecondsOf, killChildren, memoryOf, runBunLoad, startControlPlane, stopProcess } from "./processes.ts";
import { seedFleet } from "./seed.ts";
import { machineId, storePath } from "./workload.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    agents: { type: "string", default: "10000" },
    subscribers: { type: "string", default: "100" },
    "report-rate": { type: "string", default: "5000" },
    "changed-share": { type: "string", default: "0.05" },
    duration: { type: "string", default: "10" },
    "report-machines": { type: "string", default: "100000" },
    only: { type: "string" },
  },
});
const agents = Number(values.agents);
const subscribers = Number(values.subscribers);
const reportRate = Number(values["report-rate"]);
const changedShare = Number(values["changed-share"]);
const duration = Number(values.duration);
const reportMachines = Number(values["report-machines"]);

const log = (line: string) => process.stderr.write(`[bench:live] ${line}\n`);
process.on("SIGINT", () => {
  killChildren();
  process.exit(130);
});

/** One agent's keep-alive connection: one request at a time, responses parsed for status, ETag and body. */
class AgentConnection {
  socket: Socket<undefined> | null = null;
  private received = "";
  private waiting: ((response: { status: number; etag: string | null; body: string; at: number }) => void) | null =
    null;

  constructor(
    readonly id: string,
    private readonly url: URL,
  ) {}

  async open(): Promise<void> {
    this.socket = await Bun.connect({
      hostname: this.url.hostname,
      port: Number(this.url.port),
      socket: {
        data: (_s, chunk) => this.onData(chunk),
        close: () => {
          this.socket = null;
        },
        error: () => {},
      },
    });
  }

  /** Sends a poll (held when `etag` and `wait` are given); resolves with its answer. */
  poll(etag: string | null, wait = 0): Promise<{ status: number; etag: string | null; body: string; at: number }> {
    const query = wait > 0 ? `?wait=${wait}` : "";
    const conditional = etag ? `If-None-Match: ${etag}\r\n` : "";
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket!.write(
        `GET /api/v1/machines/${this.id}/desired-generation${query} HTTP/1.1\r\nHost: ${this.url.host}\r\n${conditional}\r\n`,
      );
    });
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.toString("latin1");
    const headEnd = this.received.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = this.received.slice(0, headEnd);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.received.length < headEnd + 4 + length) return;
    const body = this.received.slice(headEnd + 4, headEnd + 4 + length);
    this.received = this.received.slice(headEnd + 4 + length);
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.({
      status: Number(head.slice(9, 12)),
      etag: /\r\netag:\s*(\S+)/i.exec(head)?.[1] ?? null,
      body,
      at: Date.now(),
    });
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function heldPolls(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-live-"));
  // Every 200th seeded machine is in maintenance and stays out of rollouts: seed enough for `agents` active ones.
  const seeded = Math.ceil((agents * 200) / 199);
  try {
    const fleet = await seedFleet(join(dir, "state.db"), seeded);
    const server = await startControlPlane(join(dir, "state.db"), { binary: false });
    const url = new URL(server.url);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, url), {
        ...init,
        headers: { authorization: `Bearer ${fleet.adminKey}`, "content-type": "application/json" },
      });
    try {
      const ids = Array.from({ length: seeded }, (_, i) => i + 1)
        .filter((i) => i % 200 !== 0)
        .map(machineId);
      await Bun.sleep(500);
      const baseline = memoryOf(server.proc.pid).rssMiB;
      const connections = ids.map((id) => new AgentConnection(id, url));
      for (let i = 0; i < connections.length; i += 500)
        await Promise.all(connections.slice(i, i + 500).map((c) => c.open()));
      const first = await Promise.all(connections.map((c) => c.poll(null)));
      await Bun.sleep(500);
      const idle = memoryOf(server.proc.pid).rssMiB;
      // Each agent holds a poll; a change answers it and the agent holds the next one, as a long-polling agent does.
      // When each agent got the release's generation (its receive time), recorded as it arrives:
      // the bench's own event loop must stay free to read the answers the moment they come.
      const answeredAt = new Map<string, number>();
      let cpuAtFirst: number | null = null;
      // An agent that got the release's generation stops polling (it would switch, then report).
      const nextPath = (id: string) => storePath(Number(id.slice(5)), 1);
      const holdLoop = (c: AgentConnection, etag: string | null) => {
        void c.poll(etag, 300).then((answer) => {
          if (answer.status === 200 && answer.body.includes(nextPath(c.id))) {
            answeredAt.set(c.id, answer.at);
            // The server's CPU time from the first answer of the batch to the last: what answering costs.
            if (answeredAt.size === 2) cpuAtFirst = cpuSecondsOf(server.proc.pid);
          } else if (answer.status !== 304) holdLoop(c, answer.etag);
        });
      };
      connections.forEach((c, i) => holdLoop(c, first[i]!.etag));
      await Bun.sleep(2000);
      const held = memoryOf(server.proc.pid).rssMiB;
      log(
        `rss: ${baseline.toFixed(0)} MiB at rest, ${idle.toFixed(0)} with ${ids.length} open connections, ${held.toFixed(0)} with every poll held`,
      );

      // A rollout of two batches: the canary, then every other agent.
      const created = await api("/api/v1/rollouts", {
        method: "POST",
        body: JSON.stringify({
          release_id: fleet.releaseId,
          strategy: "staged",
          batch_sizes: ["1", "100%"],
          health_timeout: 600,
          target: { tags: ["fleet:bench"] },
        }),
      });
      if (created.status !== 201) throw new Error(`rollout: ${created.status} ${await created.text()}`);
      const rollout = (await created.json()) as { rollout_id: string; batches: { machine_ids: string[] }[] };
      const canary = rollout.batches[0]!.machine_ids[0]!;
      const batch = new Set(rollout.batches[1]!.machine_ids);
      // Wait until the canary's agent has its new generation and every agent holds a poll again.
      for (let i = 0; i < 600 && !answeredAt.has(canary); i++) await Bun.sleep(50);
      await Bun.sleep(1000);
      const now = new Date().toISOString();
      const reported = await fetch(new URL(`/api/v1/machines/${canary}/report`, url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          machine_id: canary,
          current_generation: nextPath(canary),
          success: true,
          message: "switched",
          timestamp: now,
          health: { results: [], all_passed: true, timestamp: now },
        }),
      });
      if (reported.status !== 200) throw new Error(`canary report: ${reported.status}`);
      const reportedAt = Date.now();
      for (let i = 0; i < 600 && answeredAt.size < batch.size + 1; i++) await Bun.sleep(50);
      answeredAt.delete(canary);
      const fanOutCpuUs = ((cpuSecondsOf(server.proc.pid) - (cpuAtFirst ?? 0)) * 1e6) / answeredAt.size;
      const audit = await (await api("/api/v1/audit?action=batch.deploying&limit=5")).json();
      const deploying = (audit as { timestamp: string; detail: string }[]).find(
        (e) => JSON.parse(e.detail).batch_index === 1,
      );
      const deployedAt = Date.parse(deploying!.timestamp);
      const latencies = [...answeredAt.values()].map((at) => at - deployedAt).sort((a, b) => a - b);
      const spread = latencies.at(-1)! - latencies[0]!;
      // Each machine's desired generation carries the time of the executor step that set it (taken
      // inside the step's transaction, before its writes): a little before that step's commit.
      const setAt = desiredSetAt(join(dir, "state.db"), [...answeredAt.keys()]);
      const perMachine = [...answeredAt].map(([id, at]) => at - setAt.get(id)!).sort((a, b) => a - b);
      const steps = new Map<number, number>();
      for (const at of setAt.values()) steps.set(at, (steps.get(at) ?? 0) + 1);
      const stepTimes = [...steps.keys()].sort((a, b) => a - b);
      // Within a step every machine's answer follows the same commit: its first → last answer is the fan-out.
      let widestFanOut = 0;
      for (const step of stepTimes) {
        const answered = [...answeredAt].filter(([id]) => setAt.get(id) === step).map(([, at]) => at - step);
        widestFanOut = Math.max(widestFanOut, Math.max(...answered) - Math.min(...answered));
        log(
          `step at +${step - stepTimes[0]!} ms: ${answered.length} machines answered after ${Math.min(...answered)}–${Math.max(...answered)} ms`,
        );
      }
      const perHeldKiB = ((held - baseline) * 1024) / ids.length;
      const perPollKiB = ((held - idle) * 1024) / ids.length;
      for (const c of connections) c.socket?.end();
      return [
        `| (g) ${ids.length} agents holding long-polls (wait=300) | value |`,
        "|---|---:|",
        `| server RSS at rest / ${ids.length} open connections / every poll held | ${baseline.toFixed(0)} / ${idle.toFixed(0)} / ${held.toFixed(0)} MiB |`,
        `| RSS per held poll, connection included | ${perHeldKiB.toFixed(1)} KiB |`,
        `| RSS per held poll over an idle keep-alive connection | ${perPollKiB.toFixed(1)} KiB |`,
        `| batch of ${batch.size}: answered | ${answeredAt.size} of ${batch.size} |`,
        `| per machine: desired generation set (its step's time, taken before the step's writes and commit) → held poll answered, p50 / p99 / max | ${percentile(perMachine, 0.5)} / ${percentile(perMachine, 0.99)} / ${perMachine.at(-1)} ms |`,
        `| per step: first → last answer of its machines (after one commit), widest | ${widestFanOut} ms |`,
        `| the batch's executor steps: count, machines per step (largest), first → last step | ${stepTimes.length}, ${Math.max(...steps.values())}, ${stepTimes.at(-1)! - stepTimes[0]!} ms |`,
        `| batch-wide: batch.deploying (the batch's first step) → each held poll answered, p50 / p99 / max | ${percentile(latencies, 0.5)} / ${percentile(latencies, 0.99)} / ${latencies.at(-1)} ms |`,
        `| first → last answer of the batch | ${spread} ms |`,
        `| server CPU per answered held poll (first → last answer) | ${fanOutCpuUs.toFixed(1)} µs |`,
        `| canary report acknowledged → last answer | ${Math.max(...answeredAt.values()) - reportedAt} ms |`,
      ];
    } finally {
      await stopProcess(server.proc);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** When each machine's desired generation was set (`desired_generations.set_at`, ms), read from the database file. */
function desiredSetAt(dbPath: string, machineIds: string[]): Map<string, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .query("SELECT machine_id, set_at FROM desired_generations WHERE machine_id IN (SELECT value FROM json_each(?))")
      .values(JSON.stringify(machineIds)) as [string, number][];
    return new Map(rows);
  } finally {
    db.close();
  }
}

/** S subscribers each reading the whole stream; counts what they receive and whether any was dropped. */
function subscribe(url: URL, key: string, count: number) {
  let messages = 0;
  let ended = 0;
  const controllers: AbortController[] = [];
  const readers = Array.from({ length: count }, async () => {
    const abort = new AbortController();
    controllers.push(abort);
    const res = await fetch(new URL("/api/v1/events/stream", url), {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // Chunks may split a message anywhere: the last few characters are carried into the next.
    let carry = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = carry + decoder.decode(value, { stream: true });
        messages += text.split("\ndata: ").length - 1;
        carry = text.slice(-6);
      }
      ended += 1;
    } catch {
      // aborted at the end of the run
    }
  });
  return {
    get messages() {
      return messages;
    },
    get ended() {
      return ended;
    },
    async close() {
      for (const c of controllers) c.abort();
      await Promise.allSettled(readers);
    },
  };
}

async function reportsWithSubscribers(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-live-"));
  try {
    const fleet = await seedFleet(join(dir, "state.db"), reportMachines);
    const server = await startControlPlane(join(dir, "state.db"), { binary: false });
    const url = new URL(server.url);
    try {
      const run = async () => {
        const cpu = cpuSecondsOf(server.proc.pid);
        const result = await runBunLoad({
          url: server.url,
          scenario: "report",
          machines: reportMachines,
          connections: 256,
          durationSeconds: duration,
          rate: reportRate,
          changedShare,
        });
        return { ...result, cpuUs: ((cpuSecondsOf(server.proc.pid) - cpu) * 1e6) / result.requests };
      };
      const countEvents = async () =>
        (
          (await (
            await fetch(new URL("/api/v1/audit?action=report&limit=1", url), {
              headers: { authorization: `Bearer ${fleet.adminKey}` },
            })
          ).json()) as { id: number }[]
        )[0]?.id ?? 0;
      await runBunLoad({
        url: server.url,
        scenario: "report",
        machines: reportMachines,
        connections: 256,
        durationSeconds: 2,
        rate: reportRate,
      });
      const eventsBefore = await countEvents();
      const alone = await run();
      const eventsMid = await countEvents();
      const streams = subscribe(url, fleet.adminKey, subscribers);
      await Bun.sleep(1000);
      const watched = await run();
      await Bun.sleep(1000);
      const eventsAfter = await countEvents();
      const received = streams.messages;
      const dropped = streams.ended;
      await streams.close();
      const row = (label: string, r: typeof alone, note: string) =>
        `| ${label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${r.non2xx + r.errors} | ${r.cpuUs.toFixed(0)} | ${note} |`;
      return [
        `| (h) reports at ${reportRate}/s offered, ${(changedShare * 100).toFixed(0)} % of them carrying the next generation | reports/s | p50 ms | p99 ms | max ms | errors | server CPU µs/report | note |`,
        "|---|---:|---:|---:|---:|---:|---:|---|",
        row("no event-stream subscriber", alone, `~${eventsMid - eventsBefore} audit events`),
        row(
          `${subscribers} subscribers reading every event`,
          watched,
          `~${eventsAfter - eventsMid} audit events; ${received} messages received, ${dropped} streams dropped`,
        ),
        `| report rate with subscribers / without | ${((watched.rps / alone.rps) * 100).toFixed(0)} % | | | | | | |`,
      ];
    } finally {
      await stopProcess(server.proc);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = new Date().toISOString();
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" / ");
const lines = [`live-progress benchmark, ${started}, load average before ${load}`, ""];
try {
  if (values.only !== "h") {
    log(`(g) ${agents} held long-polls`);
    lines.push(...(await heldPolls()), "");
  }
  if (values.only !== "g") {
    log(`(h) ${subscribers} subscribers during ${reportRate} reports/s`);
    lines.push(...(await reportsWithSubscribers()));
  }
} catch (error) {
  log(`failed: ${(error as Error).stack ?? error}`);
  killChildren();
  process.exit(1);
}
console.log(lines.join("\n"));
process.exit(0);
