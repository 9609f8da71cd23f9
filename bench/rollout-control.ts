// Rollout control at fleet scale, in-process on a freshly seeded fleet (SPEC §13 bulk work, §14):
//   1. agent polls answered while a rollout over the whole fleet is created and its one
//      100 000-machine batch starts (poll latency p50/p99/max during each);
//   2. the time from the report that decides a batch to the next batch's desired generations
//      being served to polling agents (first machine and whole batch), for next batches of
//      1 000 and 10 000 machines;
//   3. ticks over 1 000 concurrently active rollouts of 100 machines each: nothing due, every
//      rollout due at once (their health timeouts), and a gate change (freeze) that steps all.
// usage: bun bench/rollout-control.ts [--machines N] [--rollouts N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createControlPlane, type ControlPlane } from "../src/control-plane.ts";
import { openStore, type Store } from "../src/db/database.ts";
import { silentLogger } from "../src/logger.ts";
import { seedFleet, type SeededFleet } from "./seed.ts";
import { machineId, reportBody, storePath } from "./workload.ts";

export interface ControlFigure {
  step: string;
  value: string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** An agent poll is due every this many milliseconds while the bulk work runs. */
const POLL_INTERVAL_MS = 5;

interface Plane {
  plane: ControlPlane;
  store: Store;
  fleet: SeededFleet;
  auth: Record<string, string>;
  advance(ms: number): void;
  close(): Promise<void>;
}

async function plane(machines: number): Promise<Plane> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-bench-control-"));
  const fleet = await seedFleet(join(dir, "state.db"), machines);
  const store = await openStore(join(dir, "state.db"));
  let offset = 0;
  const plane = await createControlPlane({
    store,
    logger: silentLogger,
    config: { perMachineMetrics: false, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    mtls: false,
    now: () => Date.now() + offset,
  });
  plane.start();
  return {
    plane,
    store,
    fleet,
    auth: { authorization: `Bearer ${fleet.adminKey}`, "content-type": "application/json" },
    advance(ms) {
      offset += ms;
    },
    async close() {
      await plane.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function call(p: Plane, method: string, path: string, body?: unknown): Promise<Response> {
  return p.plane.app.request(path, {
    method,
    headers: p.auth,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function ok(res: Response | Promise<Response>): Promise<any> {
  const answer = await res;
  if (answer.status >= 300) throw new Error(`${answer.status} ${await answer.text()}`);
  return answer.status === 204 ? null : answer.json();
}

/**
 * Polls desired-generation for a random machine every POLL_INTERVAL_MS until stopped; each
 * latency runs from when the poll was due, not from when it could be sent, so time the event loop
 * spent elsewhere counts (an agent's request would have waited that long).
 */
function pollWhile(p: Plane, machines: number): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    const start = performance.now();
    for (let k = 0; running; k++) {
      const due = start + k * POLL_INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = machineId(1 + Math.floor(Math.random() * machines));
      await p.plane.app.request(`/api/v1/machines/${id}/desired-generation`);
      latencies.push(performance.now() - due);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies;
    },
  };
}

function percentiles(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `p50 ${at(0.5).toFixed(1)} / p99 ${at(0.99).toFixed(1)} / max ${(sorted.at(-1) ?? 0).toFixed(1)} ms (${values.length} polls)`;
}

async function report(p: Plane, ids: string[]): Promise<void> {
  const now = new Date().toISOString();
  const answers = await Promise.all(
    ids.map((id) =>
      p.plane.app.request(`/api/v1/machines/${id}/report`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: reportBody(id, now, 1),
      }),
    ),
  );
  if (answers.some((a) => a.status !== 200)) throw new Error("a report was refused");
}

/** Waits until every one of `ids` is served `generation` by desired-generation; ms until the first and the last. */
async function servedAfter(p: Plane, ids: string[], started: number): Promise<{ first: number; all: number }> {
  const index = new Map(ids.map((id) => [id, Number(id.slice(id.lastIndexOf("-") + 1))]));
  const waiting = new Set(ids);
  let first = -1;
  while (waiting.size > 0) {
    for (const id of waiting) {
      const res = await p.plane.app.request(`/api/v1/machines/${id}/desired-generation`);
      if (res.status === 200 && ((await res.json()) as { hash: string }).hash === storePath(index.get(id)!, 1)) {
        waiting.delete(id);
        if (first < 0) first = performance.now() - started;
      }
      if (waiting.size > 200) break;
    }
    await yieldToEventLoop();
  }
  return { first, all: performance.now() - started };
}

/** Scenario 1: polls while a whole-fleet rollout is created and its single batch starts. */
async function bulk(machines: number, figures: ControlFigure[]): Promise<void> {
  const p = await plane(machines);
  try {
    const executor = p.plane.deps.rolloutExecutor;
    let polls = pollWhile(p, machines);
    let started = performance.now();
    const created = await ok(
      call(p, "POST", "/api/v1/rollouts", {
        release_id: p.fleet.releaseId,
        strategy: "all_at_once",
        target: { tags: ["fleet:bench"] },
      }),
    );
    const createMs = performance.now() - started;
    figures.push({
      step: `create a rollout over the fleet (${created.total_machines} machines, one batch): polls meanwhile`,
      value: `${createMs.toFixed(0)} ms; ${percentiles(await polls.stop())}`,
    });
    polls = pollWhile(p, machines);
    started = performance.now();
    await executor.idle();
    figures.push({
      step: `start that batch (${created.total_machines} machines get their desired generation): polls meanwhile`,
      value: `${(performance.now() - started).toFixed(0)} ms; ${percentiles(await polls.stop())}`,
    });
    polls = pollWhile(p, machines);
    started = performance.now();
    await executor.verb(created.rollout_id, { kind: "abort", actor: "apikey:bench", reason: "bench" });
    figures.push({
      step: `abort it (${created.total_machines} machines get their previous generation back): polls meanwhile`,
      value: `${(performance.now() - started).toFixed(0)} ms; ${percentiles(await polls.stop())}`,
    });
    polls = pollWhile(p, machines);
    started = performance.now();
    await ok(call(p, "GET", `/api/v1/rollouts/${created.rollout_id}`));
    figures.push({
      step: `GET the rollout (every machine's state; what a verb also answers): polls meanwhile`,
      value: `${(performance.now() - started).toFixed(0)} ms; ${percentiles(await polls.stop())}`,
    });
  } finally {
    await p.close();
  }
}

/** Scenario 2: from the report that decides a batch to the next batch's generations being served. */
async function decideToServed(machines: number, figures: ControlFigure[]): Promise<void> {
  const p = await plane(machines);
  try {
    const executor = p.plane.deps.rolloutExecutor;
    const created = await ok(
      call(p, "POST", "/api/v1/rollouts", {
        release_id: p.fleet.releaseId,
        strategy: "staged",
        batch_sizes: ["10", "1000", "10000", "100%"],
        target: { tags: ["fleet:bench"] },
      }),
    );
    await executor.idle();
    const batches: string[][] = created.batches.map((b: { machine_ids: string[] }) => b.machine_ids);
    for (const index of [0, 1]) {
      const batch = batches[index]!;
      await report(p, batch.slice(0, -1));
      await executor.idle();
      const started = performance.now();
      await report(p, batch.slice(-1));
      const served = await servedAfter(p, batches[index + 1]!, started);
      figures.push({
        step: `the report deciding batch ${index} (${batch.length} machines) → batch ${index + 1} (${batches[index + 1]!.length} machines) served`,
        value: `first machine ${served.first.toFixed(1)} ms, all ${served.all.toFixed(1)} ms`,
      });
      await executor.idle();
    }
  } finally {
    await p.close();
  }
}

/** Scenario 3: ticks over many concurrently active rollouts. */
async function manyRollouts(machines: number, count: number, figures: ControlFigure[]): Promise<void> {
  const p = await plane(machines);
  try {
    const executor = p.plane.deps.rolloutExecutor;
    const per = Math.floor(machines / count);
    let started = performance.now();
    for (let r = 0; r < count; r++) {
      const hosts = Array.from({ length: per }, (_, i) => machineId(1 + r * per + i));
      await ok(
        call(p, "POST", "/api/v1/rollouts", {
          release_id: p.fleet.releaseId,
          strategy: "staged",
          batch_sizes: ["1", "100%"],
          health_timeout: 3600,
          target: { hosts },
        }),
      );
    }
    await executor.idle();
    figures.push({
      step: `create ${count} rollouts of ${per} machines (each: canary started)`,
      value: `${(performance.now() - started).toFixed(0)} ms`,
    });
    const timed = async (step: string, fn: () => Promise<void>) => {
      started = performance.now();
      await fn();
      figures.push({ step, value: `${(performance.now() - started).toFixed(1)} ms` });
    };
    await timed(`tick, nothing due (${count} active rollouts)`, () => executor.tick());
    await timed(`tick, nothing due, again`, () => executor.tick());
    await timed(`freeze set: every rollout steps again (${count} steps)`, async () => {
      await ok(call(p, "PUT", "/api/v1/freeze", { reason: "bench" }));
      await executor.idle();
    });
    await timed(`freeze lifted (${count} steps)`, async () => {
      await ok(call(p, "DELETE", "/api/v1/freeze"));
      await executor.idle();
    });
    p.advance(3_600_000);
    await timed(`tick with every rollout due: ${count} canaries time out, ${count} batches fail, rollouts pause`, () =>
      executor.tick(),
    );
    await timed(`tick, nothing due (${count} paused rollouts)`, () => executor.tick());
  } finally {
    await p.close();
  }
}

/** Runs the three scenarios on fresh fleets of `machines`; returns each figure. */
export async function measureRolloutControl(machines: number, rollouts: number): Promise<ControlFigure[]> {
  const figures: ControlFigure[] = [];
  await bulk(machines, figures);
  await decideToServed(machines, figures);
  await manyRollouts(machines, rollouts, figures);
  return figures;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: { machines: { type: "string", default: "100000" }, rollouts: { type: "string", default: "1000" } },
  });
  const figures = await measureRolloutControl(Number(values.machines), Number(values.rollouts));
  console.log(
    ["| rollout control step | figure |", "|---|---|", ...figures.map((f) => `| ${f.step} | ${f.value} |`)].join("\n"),
  );
}
