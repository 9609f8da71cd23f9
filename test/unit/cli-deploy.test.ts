import { expect, test } from "bun:test";
import type { Schema } from "../../src/client/index.ts";
import { eventBursts } from "../../src/cli/event-stream.ts";
import { MACHINES_NAMED, NAMED_STATES, outcomeLine, progressLines } from "../../src/cli/views/deploy.ts";
import { emptyCounts } from "../../src/domain/rollout-progress.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

test("events are counted per chunk, comments are not events, ids carry over for Last-Event-ID", async () => {
  const bursts = [];
  for await (const burst of eventBursts(
    streamOf(
      ": connected\n\n",
      "id: 1\nevent: rollout.created\ndata: {}\n\nid: 2\nevent: batch.deploying\nda",
      "ta: {}\n\n: heartbeat\n\n",
      "id: 3\r\nevent: batch.succeeded\r\ndata: {}\r\n\r\n",
    ),
  )) {
    bursts.push(burst);
  }
  expect(bursts).toEqual([
    { events: 1, lastId: "1" },
    { events: 1, lastId: "2" },
    { events: 1, lastId: "3" },
  ]);
});

type MachineState = { state: Schema<"RolloutMachineStateName">; reason: string | null };
const state = (name: MachineState["state"], reason: string | null = null): MachineState => ({ state: name, reason });

/** A batch as the brief form counts it, and its machines as the listing gives them. */
function batch(
  index: number,
  status: Schema<"BatchBrief">["status"],
  states: Record<string, MachineState>,
  soakUntil: string | null = null,
) {
  const brief = {
    batch_index: index,
    status,
    machine_count: Object.keys(states).length,
    state_counts: emptyCounts(),
    reasons: [] as Schema<"RolloutReasonCount">[],
    changed_count: 0,
    started_at: null,
    completed_at: null,
    soak_until: soakUntil,
  };
  for (const m of Object.values(states)) {
    brief.state_counts[m.state] += 1;
    if (m.reason === null) continue;
    const same = brief.reasons.find((r) => r.state === m.state && r.reason === m.reason);
    if (same) same.machines += 1;
    else brief.reasons.push({ state: m.state, reason: m.reason, machines: 1 });
  }
  const machines = Object.entries(states).map(([machine_id, m]) => ({
    machine_id,
    batch_index: index,
    state: m.state,
    reason: m.reason,
    deploy_started_at: null,
    store_path: null,
  }));
  return { brief, machines };
}

/** A brief rollout of `batches`, and the machines `deploy --wait` names under each (the first five unhealthy or left). */
function rollout(fields: Partial<Schema<"RolloutBrief">>, batches: ReturnType<typeof batch>[] = []) {
  const brief = {
    id: "r-1",
    status: "running",
    soak_seconds: 0,
    batch_soak_seconds: null,
    pause_reason: null,
    blocked_by: [],
    ...fields,
    batches: batches.map((b) => b.brief),
  } as Schema<"RolloutBrief">;
  const named = new Map(
    batches.map((b) => [
      b.brief.batch_index,
      b.machines.filter((m) => (NAMED_STATES as readonly string[]).includes(m.state)).slice(0, MACHINES_NAMED),
    ]),
  );
  return { brief, named };
}

const NOW = Date.parse("2026-11-27T10:00:00Z");

test("progress: the rollout's totals, then a bar and counts per batch, unhealthy machines named with their reason", () => {
  const paused = rollout({ status: "paused" }, [
    batch(0, "succeeded", { a: state("healthy") }),
    batch(1, "failed", {
      b: state("healthy"),
      c: state("unhealthy", "timeout"),
      d: state("pending"),
      e: state("pending"),
    }),
  ]);
  expect(progressLines(paused.brief, paused.named, { now: NOW, live: false })).toEqual([
    "rollout r-1  paused (batch 1 failed)  2/5 healthy, 1 unhealthy",
    "  batch 0  succeeded  [####################]  1/1 healthy",
    "  batch 1  failed     [#####xxxxx----------]  1/4 healthy, 1 unhealthy",
    "    c  unhealthy  timeout",
  ]);
  expect(outcomeLine(paused.brief)).toBe("rollout r-1 paused (batch 1 failed)\n");
});

test("progress: what blocks the rollout, waiting machines' gates, a soak's time left (live) or end (log)", () => {
  const blocked = rollout({ soak_seconds: 600, blocked_by: ["budget:db", "freeze"] }, [
    batch(0, "soaking", { a: state("healthy"), b: state("skipped", "offline") }, "2026-11-27T10:04:05Z"),
    batch(1, "deploying", {
      c: state("deploying"),
      d: state("waiting", "budget:db"),
      e: state("waiting", "budget:db"),
      f: state("waiting", "freeze"),
    }),
  ]);
  const [head, soaking, skipped, deploying] = progressLines(blocked.brief, blocked.named, { now: NOW, live: true });
  expect(head).toBe(
    "rollout r-1  running  1/6 healthy, 1 deploying, 3 waiting, 1 skipped · blocked by budget:db, freeze",
  );
  expect(soaking).toBe("  batch 0  soaking    [##########//////////]  1/2 healthy, 1 skipped · soak 4m 05s left");
  expect(skipped).toBe("    b  skipped  offline");
  expect(deploying).toBe(
    "  batch 1  deploying  [>>>>>---------------]  0/4 healthy, 1 deploying, 3 waiting (budget:db 2, freeze 1)",
  );
  expect(progressLines(blocked.brief, blocked.named, { now: NOW, live: false })[1]).toEndWith(
    "· soak until 2026-11-27T10:04:05Z",
  );
});

test("progress: at most five machines named under a batch, then how many more", () => {
  const failing = Object.fromEntries(
    Array.from({ length: 8 }, (_, i) => [
      `m${i}`,
      state(i < 6 ? "unhealthy" : "skipped", i < 6 ? "timeout" : "offline"),
    ]),
  );
  const { brief, named } = rollout({ status: "paused" }, [batch(0, "failed", failing)]);
  const lines = progressLines(brief, named, { now: NOW, live: false });
  expect(lines.slice(2)).toEqual([
    "    m0  unhealthy  timeout",
    "    m1  unhealthy  timeout",
    "    m2  unhealthy  timeout",
    "    m3  unhealthy  timeout",
    "    m4  unhealthy  timeout",
    "    … and 3 more",
  ]);
});

test("an operator's pause shows its reason", () => {
  expect(outcomeLine(rollout({ status: "paused", pause_reason: "error rate up" }).brief)).toBe(
    "rollout r-1 paused by an operator: error rate up\n",
  );
  expect(outcomeLine(rollout({ status: "paused", pause_reason: "" }).brief)).toBe(
    "rollout r-1 paused by an operator\n",
  );
});
