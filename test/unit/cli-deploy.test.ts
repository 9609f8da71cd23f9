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

test("progress: the rollout's totals, then a bar and counts per batch", () => {
  const batch = (index: number, status: Schema<"Batch">["status"], health: Schema<"Batch">["machine_health"]) => ({
    batch_index: index,
    machine_ids: Object.keys(health),
    status,
    machine_health: health,
    started_at: null,
    completed_at: null,
  });
  const rollout = {
    id: "r-1",
    status: "paused",
    batches: [
      batch(0, "succeeded", { a: "healthy" }),
      batch(1, "failed", { b: "healthy", c: { unhealthy: "timeout" }, d: "pending", e: "pending" }),
    ],
  } as unknown as Schema<"Rollout">;
  expect(progressLines(rollout)).toEqual([
    "rollout r-1  paused  2/5 healthy, 1 unhealthy",
    "  batch 0  succeeded  [####################]  1/1 healthy",
    "  batch 1  failed     [#####xxxxx----------]  1/4 healthy, 1 unhealthy",
  ]);
  expect(outcomeLine(rollout)).toBe("rollout r-1 paused (batch 1 failed)\n");
});
