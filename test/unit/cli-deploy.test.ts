import { expect, test } from "bun:test";
import type { Schema } from "../../src/client/index.ts";
import { eventBursts } from "../../src/cli/event-stream.ts";
import { outcomeLine, progressLines } from "../../src/cli/views/deploy.ts";

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

type MachineState = Schema<"RolloutMachineState">;
const state = (name: MachineState["state"], reason: string | null = null): MachineState => ({
  state: name,
  reason,
  deploy_started_at: null,
});

function batch(
  index: number,
  status: Schema<"Batch">["status"],
  states: Record<string, MachineState>,
  soakUntil: string | null = null,
) {
  return {
    batch_index: index,
    machine_ids: Object.keys(states),
    status,
    machine_health: {},
    machine_states: states,
    started_at: null,
    completed_at: null,
    soak_until: soakUntil,
  };
}

function rollout(fields: Partial<Schema<"Rollout">>): Schema<"Rollout"> {
  return {
    id: "r-1",
    status: "running",
    soak_seconds: 0,
    batch_soak_seconds: null,
    pause_reason: null,
    blocked_by: [],
    batches: [],
    ...fields,
  } as Schema<"Rollout">;
}

const NOW = Date.parse("2026-11-27T10:00:00Z");

test("progress: the rollout's totals, then a bar and counts per batch, unhealthy machines named with their reason", () => {
  const paused = rollout({
    status: "paused",
    batches: [
      batch(0, "succeeded", { a: state("healthy") }),
      batch(1, "failed", {
        b: state("healthy"),
        c: state("unhealthy", "timeout"),
        d: state("pending"),
        e: state("pending"),
      }),
    ],
  });
  expect(progressLines(paused, { now: NOW, live: false })).toEqual([
    "rollout r-1  paused (batch 1 failed)  2/5 healthy, 1 unhealthy",
    "  batch 0  succeeded  [####################]  1/1 healthy",
    "  batch 1  failed     [#####xxxxx----------]  1/4 healthy, 1 unhealthy",
    "    c  unhealthy  timeout",
  ]);
  expect(outcomeLine(paused)).toBe("rollout r-1 paused (batch 1 failed)\n");
});

test("progress: what blocks the rollout, waiting machines' gates, a soak's time left (live) or end (log)", () => {
  const blocked = rollout({
    soak_seconds: 600,
    blocked_by: ["budget:db", "freeze"],
    batches: [
      batch(0, "soaking", { a: state("healthy"), b: state("skipped", "offline") }, "2026-11-27T10:04:05Z"),
      batch(1, "deploying", {
        c: state("deploying"),
        d: state("waiting", "budget:db"),
        e: state("waiting", "budget:db"),
        f: state("waiting", "freeze"),
      }),
    ],
  });
  const [head, soaking, skipped, deploying] = progressLines(blocked, { now: NOW, live: true });
  expect(head).toBe(
    "rollout r-1  running  1/6 healthy, 1 deploying, 3 waiting, 1 skipped · blocked by budget:db, freeze",
  );
  expect(soaking).toBe("  batch 0  soaking    [##########//////////]  1/2 healthy, 1 skipped · soak 4m 05s left");
  expect(skipped).toBe("    b  skipped  offline");
  expect(deploying).toBe(
    "  batch 1  deploying  [>>>>>---------------]  0/4 healthy, 1 deploying, 3 waiting (budget:db 2, freeze 1)",
  );
  expect(progressLines(blocked, { now: NOW, live: false })[1]).toEndWith("· soak until 2026-11-27T10:04:05Z");
});

test("an operator's pause shows its reason", () => {
  expect(outcomeLine(rollout({ status: "paused", pause_reason: "error rate up" }))).toBe(
    "rollout r-1 paused by an operator: error rate up\n",
  );
  expect(outcomeLine(rollout({ status: "paused", pause_reason: "" }))).toBe("rollout r-1 paused by an operator\n");
});
