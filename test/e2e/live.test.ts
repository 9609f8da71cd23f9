// Event stream, long-poll and webhooks against the real server process, across restarts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFromSource, type ServerProcess } from "../support/process.ts";
import { SseReader } from "../support/sse.ts";
import { verifyStandardWebhook, WebhookReceiver } from "../support/webhook-receiver.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-live-"));
const dbPath = join(dir, "state.db");
const servers: ServerProcess[] = [];
let key = "";

afterAll(() => {
  for (const server of servers) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const server = await startFromSource(dbPath);
  servers.push(server);
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
}

const authorized = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });

async function register(url: string, id: string): Promise<void> {
  const res = await fetch(new URL(`/api/v1/machines/${id}/register`, url), {
    method: "POST",
    headers: authorized({ "content-type": "application/json" }),
    body: "{}",
  });
  expect(res.status).toBe(201);
}

async function openStream(url: string, lastEventId?: string): Promise<SseReader> {
  const res = await fetch(new URL("/api/v1/events/stream?action=register", url), {
    headers: authorized(lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId }),
  });
  expect(res.status).toBe(200);
  return new SseReader(res);
}

beforeAll(async () => {
  const server = await start();
  const res = await fetch(new URL("/api/v1/keys/bootstrap", server.url), { method: "POST" });
  key = (await res.json()).key;
  await stop(server);
});

test("an event stream resumes after a server restart with no gap and no duplicate", async () => {
  const first = await start();
  const stream = await openStream(first.url);
  for (const id of ["a-1", "a-2", "a-3"]) await register(first.url, id);
  const seen = await stream.take(2);
  // a-3 was committed but this client has not read it; a-4 comes while it is not connected.
  await stop(first);
  await stream.close();
  const second = await start();
  await register(second.url, "a-4");
  const resumed = await openStream(second.url, seen.at(-1)!.id);
  await register(second.url, "a-5");
  const rest = await resumed.take(3);
  await resumed.close();
  const targets = [...seen, ...rest].map((m) => JSON.parse(m.data).target);
  expect(targets).toEqual(["a-1", "a-2", "a-3", "a-4", "a-5"]);
  const ids = [...seen, ...rest].map((m) => Number(m.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(5);
  await stop(second);
}, 60_000);

test("held polls and idle streams outlive the runtime's 10 s idle timeout; an idle stream gets a heartbeat at 15 s; SIGTERM ends them at once", async () => {
  const server = await start();
  const stream = await openStream(server.url);
  const poll = fetch(new URL("/api/v1/machines/held-1/desired-generation?wait=17", server.url), {
    headers: { "If-None-Match": '"none"' },
  });
  await Bun.sleep(16_000);
  await register(server.url, "after-the-quiet");
  const [message] = await stream.take(1);
  expect(JSON.parse(message!.data).target).toBe("after-the-quiet");
  // One heartbeat comment came in the quiet 16 s (every 15 s), before the event.
  expect(stream.comments).toEqual(["connected", "heartbeat"]);
  const answer = await poll;
  expect(answer.status).toBe(304);
  expect(answer.headers.get("etag")).toBe('"none"');

  const held = fetch(new URL("/api/v1/machines/held-2/desired-generation?wait=300", server.url), {
    headers: { "If-None-Match": '"none"' },
  });
  await Bun.sleep(200);
  const stopping = Date.now();
  await stop(server);
  expect((await held).status).toBe(304);
  expect(await stream.next()).toBeNull();
  // Not a timing assertion on the server's speed: the held poll's 300 s wait was not waited out.
  expect(Date.now() - stopping).toBeLessThan(60_000);
}, 60_000);

test("a webhook delivery that failed before a restart is retried after it, signed", async () => {
  const receiver = new WebhookReceiver((_, index) =>
    index === 0 ? new Response("not yet", { status: 503 }) : new Response("ok"),
  );
  try {
    const first = await start();
    const created = await fetch(new URL("/api/v1/webhooks", first.url), {
      method: "POST",
      headers: authorized({ "content-type": "application/json" }),
      body: JSON.stringify({ url: receiver.url, events: ["register"] }),
    });
    expect(created.status).toBe(201);
    const { id, secret } = await created.json();
    await register(first.url, "hooked-1");
    await receiver.waitFor(1);
    await stop(first);

    const second = await start();
    // The retry is due 5 s (± 25 %) after the first attempt.
    const [failed, retried] = await receiver.waitFor(2, 20_000);
    expect(retried!.headers["webhook-id"]).toBe(failed!.headers["webhook-id"]);
    expect(verifyStandardWebhook(secret, retried!.headers, retried!.body)).toBe(true);
    expect(JSON.parse(retried!.body).data.target).toBe("hooked-1");
    let log: { status: string; attempts: { status_code: number }[] }[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await fetch(new URL(`/api/v1/webhooks/${id}/deliveries`, second.url), { headers: authorized() });
      log = await res.json();
      if (log[0]?.status === "succeeded") break;
      await Bun.sleep(20);
    }
    expect(log).toHaveLength(1);
    expect(log[0]!.status).toBe("succeeded");
    expect(log[0]!.attempts.map((a) => a.status_code)).toEqual([503, 200]);
    await stop(second);
  } finally {
    receiver.stop();
  }
}, 60_000);
