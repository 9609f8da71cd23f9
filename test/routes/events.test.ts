import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { recordAudit, type AuditEntry } from "../../src/db/audit.ts";
import { StreamEvent } from "../../src/routes/events.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath } from "../support/machines.ts";
import { webFleet } from "../support/rollout-fleet.ts";
import { SseReader } from "../support/sse.ts";

let h: Harness;
let admin: string;
let readonly: string;
const readers: SseReader[] = [];

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin", { name: "root" });
  readonly = await createTestKey(h, "readonly", { name: "viewer" });
});
afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close();
  await h.close();
});

/** Opens a stream and returns its reader (closed after the test). */
async function open(path: string, headers: Record<string, string> = {}, key = readonly): Promise<SseReader> {
  const res = await h.request(path, { key, headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = new SseReader(res);
  readers.push(reader);
  return reader;
}

/** Writes audit events in one transaction, as a route would. */
async function audit(...entries: Partial<AuditEntry>[]): Promise<void> {
  await h.store.write((tx) =>
    recordAudit(
      tx,
      h.controlPlane.deps.now(),
      ...entries.map((e) => ({
        actor: "apikey:root",
        action: "register" as const,
        target: "web-01",
        detail: {},
        ...e,
      })),
    ),
  );
}

const register = (id: string) =>
  h.request(machinePath(id, "/register"), { method: "POST", key: admin, json: { tags: ["web"] } });

describe("GET /api/v1/events/stream", () => {
  test("streams each audit event as it commits: id, event = action, data = the event as JSON", async () => {
    const stream = await open("/api/v1/events/stream");
    expect((await register("web-01")).status).toBe(201);
    const [message] = await stream.take(1);
    const event = StreamEvent.parse(JSON.parse(message!.data));
    expect(message!.event).toBe("register");
    expect(message!.id).toBe(String(event.id));
    expect(event).toMatchObject({
      actor: "apikey:root",
      action: "register",
      target: "web-01",
      rollout_id: null,
      detail: { lifecycle: "active", tags: ["web"], new: true },
    });
    expect(stream.comments).toContain("connected");
  });

  test("starts with the next event: what happened before is not replayed", async () => {
    await register("web-01");
    const stream = await open("/api/v1/events/stream");
    await register("web-02");
    const [message] = await stream.take(1);
    expect(JSON.parse(message!.data).target).toBe("web-02");
  });

  test("?machine= keeps the events whose target is that machine", async () => {
    const stream = await open("/api/v1/events/stream?machine=web-02");
    await register("web-01");
    await register("web-02");
    await h.request(machinePath("web-02", "/lifecycle"), {
      method: "PATCH",
      key: admin,
      json: { lifecycle: "maintenance" },
    });
    const messages = await stream.take(2);
    expect(messages.map((m) => [m.event, JSON.parse(m.data).target])).toEqual([
      ["register", "web-02"],
      ["update_lifecycle", "web-02"],
    ]);
  });

  test("?action= is repeatable and takes a prefix wildcard", async () => {
    const stream = await open("/api/v1/events/stream?action=tags.updated&action=rollout.*");
    await audit(
      { action: "register" },
      { action: "rollout.created", target: "r-1", rolloutId: "r-1" },
      { action: "batch.deploying", target: "r-1", rolloutId: "r-1" },
      { action: "tags.updated" },
      { action: "rollout.completed", target: "r-1", rolloutId: "r-1" },
    );
    const messages = await stream.take(3);
    expect(messages.map((m) => m.event)).toEqual(["rollout.created", "tags.updated", "rollout.completed"]);
  });

  test("?rollout= keeps the rollout's own events and its machines'", async () => {
    const stream = await open("/api/v1/events/stream?rollout=r-1");
    await audit(
      { action: "rollout.created", target: "r-2", rolloutId: "r-2" },
      { action: "rollout.created", target: "r-1", rolloutId: "r-1" },
      { action: "report", target: "web-01" },
      { action: "batch.deploying", target: "r-1", rolloutId: "r-1" },
    );
    await audit({ action: "rollout.paused", target: "r-1", rolloutId: "r-1" });
    const messages = await stream.take(3);
    expect(messages.map((m) => `${m.event} ${JSON.parse(m.data).rollout_id}`)).toEqual([
      "rollout.created r-1",
      "batch.deploying r-1",
      "rollout.paused r-1",
    ]);
  });

  test("filters combine: rollout and action must both match", async () => {
    const stream = await open("/api/v1/events/stream?rollout=r-1&action=batch.*");
    await audit(
      { action: "rollout.created", target: "r-1", rolloutId: "r-1" },
      { action: "batch.deploying", target: "r-2", rolloutId: "r-2" },
      { action: "batch.deploying", target: "r-1", rolloutId: "r-1" },
    );
    const [message] = await stream.take(1);
    expect(JSON.parse(message!.data)).toMatchObject({ action: "batch.deploying", rollout_id: "r-1" });
    expect(await stream.quietFor(100)).toBe(true);
  });

  test("Last-Event-ID resumes after that event from the database, then carries on live, nothing twice", async () => {
    await audit(...Array.from({ length: 1203 }, (_, i) => ({ target: `m-${i}` })));
    const first = await open("/api/v1/events/stream?action=register");
    await audit({ target: "live-1" });
    const [live] = await first.take(1);
    const liveId = Number(live!.id);
    // Resume from the 3rd of the 1203 earlier events: 1200 from the database (three pages), then live ones.
    const resumed = await open("/api/v1/events/stream", { "Last-Event-ID": String(liveId - 1201) });
    const replayed = await resumed.take(1201);
    await audit({ target: "live-2" });
    const [next] = await resumed.take(1);
    const ids = [...replayed, next!].map((m) => Number(m.id));
    expect(ids).toEqual(Array.from({ length: 1202 }, (_, i) => liveId - 1200 + i));
    expect(JSON.parse(replayed.at(-1)!.data).target).toBe("live-1");
    expect(JSON.parse(next!.data).target).toBe("live-2");
  });

  test("?last_event_id= does the same for clients that cannot set the header; the header wins", async () => {
    await audit({ target: "a" }, { target: "b" }, { target: "c" });
    const [a] = await (await open("/api/v1/events/stream?last_event_id=0")).take(1);
    const byQuery = await open(`/api/v1/events/stream?last_event_id=${a!.id}`);
    expect(JSON.parse((await byQuery.take(1))[0]!.data).target).toBe("b");
    const byHeader = await open(`/api/v1/events/stream?last_event_id=${a!.id}`, {
      "Last-Event-ID": String(Number(a!.id) + 1),
    });
    expect(JSON.parse((await byHeader.take(1))[0]!.data).target).toBe("c");
  });

  test("a reader that stops reading is dropped once 1000 events wait for it, and resumes without a gap", async () => {
    const res = await h.request("/api/v1/events/stream", { key: readonly });
    const slow = new SseReader(res);
    readers.push(slow);
    await audit({ target: "first" });
    const [first] = await slow.take(1);
    expect(h.controlPlane.deps.eventStreams.size).toBe(1);
    await audit(...Array.from({ length: 4000 }, (_, i) => ({ target: `m-${i}` })));
    for (let i = 0; i < 200 && h.controlPlane.deps.eventStreams.size > 0; i++) await Bun.sleep(10);
    expect(h.controlPlane.deps.eventStreams.size).toBe(0);
    // What reached the connection before the drop is still read; then the stream ends.
    const received = [first!];
    for (let m = await slow.next(); m !== null; m = await slow.next()) received.push(m);
    expect(received.length).toBeLessThan(4001);
    const resumed = await open("/api/v1/events/stream", { "Last-Event-ID": received.at(-1)!.id! });
    const rest = await resumed.take(4001 - received.length);
    const ids = [...received, ...rest].map((m) => Number(m.id));
    expect(ids).toEqual(Array.from({ length: 4001 }, (_, i) => ids[0]! + i));
  });

  test("400 naming the parameter for a malformed filter or event id", async () => {
    for (const [path, headers, field] of [
      ["/api/v1/events/stream?action=rollout.*.x", {}, "action"],
      ["/api/v1/events/stream?action=roll%20out", {}, "action"],
      ["/api/v1/events/stream?action=", {}, "action"],
      ["/api/v1/events/stream?machine=", {}, "machine"],
      ["/api/v1/events/stream?rollout=" + "r".repeat(129), {}, "rollout"],
      ["/api/v1/events/stream?last_event_id=-1", {}, "last_event_id"],
      ["/api/v1/events/stream", { "Last-Event-ID": "abc" }, "last-event-id"],
    ] as const) {
      const res = await h.request(path, { key: readonly, headers });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toStartWith(`${field}:`);
    }
  });

  test("401 without a key; any role may watch", async () => {
    expect((await h.request("/api/v1/events/stream")).status).toBe(401);
    await open("/api/v1/events/stream", {}, admin);
  });

  test("HEAD answers the stream's headers and opens no stream (Hono runs the GET handler for it)", async () => {
    const { releaseId } = await webFleet(h, 1);
    const created = await h.request("/api/v1/rollouts", {
      key: admin,
      json: { release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } },
    });
    const { rollout_id } = await created.json();
    for (const path of ["/api/v1/events/stream", `/api/v1/rollouts/${rollout_id}/stream`]) {
      const res = await h.request(path, { key: readonly, method: "HEAD" });
      expect([res.status, res.headers.get("content-type"), res.body]).toEqual([200, "text/event-stream", null]);
    }
    // A stream nobody reads would wait for its reader until 1000 events had passed it by.
    expect(h.controlPlane.deps.eventStreams.size).toBe(0);
  });

  test("a stopping server ends its streams", async () => {
    const stream = await open("/api/v1/events/stream");
    h.controlPlane.endLongLivedRequests();
    expect(await stream.next()).toBeNull();
    expect(h.controlPlane.deps.eventStreams.size).toBe(0);
  });
});

describe("GET /api/v1/rollouts/{id}/stream", () => {
  test("replays the rollout's history from its first event, then follows it", async () => {
    const { releaseId } = await webFleet(h, 3);
    const created = await h.request("/api/v1/rollouts", {
      key: admin,
      json: { release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } },
    });
    const { rollout_id } = await created.json();
    await h.controlPlane.deps.rolloutExecutor.idle();
    await audit({ action: "register", target: "unrelated" });
    const stream = await open(`/api/v1/rollouts/${rollout_id}/stream`);
    const history = await stream.take(2);
    expect(history.map((m) => m.event)).toEqual(["rollout.created", "batch.deploying"]);
    expect(history.every((m) => JSON.parse(m.data).rollout_id === rollout_id)).toBe(true);
    const cancelled = await h.request(`/api/v1/rollouts/${rollout_id}/cancel`, { method: "POST", key: admin });
    expect(cancelled.status).toBe(200);
    // Its three machines' transitions (machine.deploying) come first; the cancellation follows them.
    const rest = await stream.take(4);
    expect(rest.map((m) => m.event)).toEqual([...Array(3).fill("machine.deploying"), "rollout.cancelled"]);
    expect(rest.every((m) => JSON.parse(m.data).rollout_id === rollout_id)).toBe(true);
  });

  test("?action= and ?machine= narrow it; Last-Event-ID resumes it", async () => {
    await audit(
      { action: "rollout.created", target: "r-1", rolloutId: "r-1" },
      { action: "batch.deploying", target: "r-1", rolloutId: "r-1" },
      { action: "batch.succeeded", target: "r-1", rolloutId: "r-1" },
    );
    await h.store.write(async (tx) => {
      const { insertRolloutHeader, insertRolloutMachines } = await import("../../src/db/rollouts.ts");
      await insertRolloutHeader(
        tx,
        {
          id: "r-1",
          releaseId: "rel-x",
          strategy: "all_at_once",
          status: "running",
          onFailure: "pause",
          failureThreshold: "0",
          healthTimeout: 300,
          cacheUrl: null,
          target: "{}",
          batchSizes: "[]",
          createdAt: 0,
          updatedAt: 0,
          createdBy: "test",
        },
        1,
      );
      await insertRolloutMachines(tx, "r-1", [["web-01", 0, 0]]);
    });
    const batches = await (await open("/api/v1/rollouts/r-1/stream?action=batch.*")).take(2);
    expect(batches.map((m) => m.event)).toEqual(["batch.deploying", "batch.succeeded"]);
    const resumed = await open("/api/v1/rollouts/r-1/stream", { "Last-Event-ID": batches[0]!.id! });
    expect((await resumed.take(1))[0]!.event).toBe("batch.succeeded");
    // ?machine= too: the same filters as the fleet stream's, with the rollout fixed.
    await audit(
      { action: "machine.deploying", target: "web-01", rolloutId: "r-1" },
      { action: "machine.deploying", target: "web-02", rolloutId: "r-1" },
      { action: "register", target: "web-02" },
      { action: "machine.healthy", target: "web-02", rolloutId: "r-1" },
    );
    const machine = await (await open("/api/v1/rollouts/r-1/stream?machine=web-02")).take(2);
    expect(machine.map((m) => `${m.event} ${JSON.parse(m.data).target}`)).toEqual([
      "machine.deploying web-02",
      "machine.healthy web-02",
    ]);
    const bad = await h.request("/api/v1/rollouts/r-1/stream?machine=", { key: readonly });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toStartWith("machine:");
  });

  test("404 for an unknown rollout, 401 without a key", async () => {
    const res = await h.request("/api/v1/rollouts/r-nope/stream", { key: readonly });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "rollout r-nope not found" });
    expect((await h.request("/api/v1/rollouts/r-nope/stream")).status).toBe(401);
  });
});
