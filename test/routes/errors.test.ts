import { afterEach, beforeEach, expect, test } from "bun:test";
import { createRoute, z } from "@hono/zod-openapi";
import { MAX_BODY_BYTES } from "../../src/app.ts";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { conflict, notFound } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { createHarness, type Harness } from "../support/harness.ts";

// The error mapping is app-wide, so it is exercised on probe routes registered on the
// harness's own app instance (before its first request, while the router is still open).
const EchoBody = z.object({ name: z.string(), count: z.number().int().optional() });
const echoRoute = createRoute({
  method: "post",
  path: "/probe/echo",
  request: { body: { content: { "application/json": { schema: EchoBody } }, required: true } },
  responses: { 200: { description: "the body back", content: { "application/json": { schema: EchoBody } } } },
});

let h: Harness;
let logLines: string[];

beforeEach(async () => {
  logLines = [];
  h = await createHarness({ logger: createLogger({ level: "debug", write: (line) => logLines.push(line) }) });
  const app = h.controlPlane.app;
  app.openapi(echoRoute, (c) => c.json(c.req.valid("json"), 200));
  app.get("/probe/throw", () => {
    throw new Error("disk on fire at /var/lib/secret");
  });
  app.get("/probe/db", async (c) => {
    // No try/catch: a failing query must surface as the generic 500.
    await h.store.client.execute("SELECT 1");
    return c.text("unreachable");
  });
  app.get("/probe/locked-read", () => {
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY", rawCode: 5 });
    throw new DrizzleQueryError("select * from machines", [], busy);
  });
  app.get("/probe/corrupt", () => {
    const corrupt = Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" });
    throw new DrizzleQueryError("select * from machines where machine_id = ?", ["secret-param"], corrupt);
  });
  app.get("/probe/not-found", () => {
    throw notFound("machine web-1 not found");
  });
  app.get("/probe/conflict", () => {
    throw conflict("a rollout is already running");
  });
});
afterEach(() => h.close());

/** The log lines parsed as JSON; fails if any line is not exactly one JSON object. */
function parsedLogs(): Record<string, unknown>[] {
  return logLines.map((line) => {
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    const parsed = JSON.parse(line);
    expect(typeof parsed).toBe("object");
    return parsed as Record<string, unknown>;
  });
}

test("a valid body passes through the probe route", async () => {
  const res = await h.request("/probe/echo", { json: { name: "web-1", count: 2 } });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ name: "web-1", count: 2 });
});

test("malformed JSON is a 400 with a JSON error body", async () => {
  const res = await h.request("/probe/echo", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"name": "web-1",',
  });
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { error: string };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).toMatch(/malformed json/i);
});

test("an empty JSON body is a 400, not a 500", async () => {
  const res = await h.request("/probe/echo", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "",
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toHaveProperty("error");
});

test("a missing field is a 400 naming the field", async () => {
  const res = await h.request("/probe/echo", { json: { count: 1 } });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error: "name is required" });
});

test("a field of the wrong type is a 400 naming the field", async () => {
  const res = await h.request("/probe/echo", { json: { name: "web-1", count: "two" } });
  expect(res.status).toBe(400);
  const { error } = (await res.json()) as { error: string };
  expect(error.startsWith("count: ")).toBe(true);
});

test("a body over 1 MiB is a 413 with a JSON error", async () => {
  const res = await h.request("/probe/echo", { json: { name: "x".repeat(MAX_BODY_BYTES) } });
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual({ error: "request body exceeds 1 MiB" });
});

test("a streamed body without Content-Length is cut off at 1 MiB too", async () => {
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"'));
      if (sent > MAX_BODY_BYTES + chunk.length) {
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
        return;
      }
      controller.enqueue(chunk);
      sent += chunk.length;
    },
  });
  const res = await h.controlPlane.app.request("/probe/echo", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual({ error: "request body exceeds 1 MiB" });
});

test("a body of exactly 1 MiB is accepted", async () => {
  const prefix = '{"name":"';
  const suffix = '"}';
  const name = "x".repeat(MAX_BODY_BYTES - prefix.length - suffix.length);
  const res = await h.request("/probe/echo", { json: { name } });
  expect(res.status).toBe(200);
});

test("unknown routes are a JSON 404", async () => {
  const res = await h.request("/api/v1/does-not-exist", { method: "DELETE" });
  expect(res.status).toBe(404);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(await res.json()).toEqual({ error: "no route for DELETE /api/v1/does-not-exist" });
});

test("ApiError codes map to their status with the message as the error", async () => {
  const missing = await h.request("/probe/not-found");
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: "machine web-1 not found" });
  const clash = await h.request("/probe/conflict");
  expect(clash.status).toBe(409);
  expect(await clash.json()).toEqual({ error: "a rollout is already running" });
});

test("an unexpected exception is a 500 without internals, logged once as JSON with its cause", async () => {
  const res = await h.request("/probe/throw");
  expect(res.status).toBe(500);
  const text = await res.text();
  expect(JSON.parse(text)).toEqual({ error: "internal server error" });
  expect(text).not.toContain("disk on fire");
  expect(text).not.toContain("at ");

  const logs = parsedLogs();
  const causes = logs.filter((entry) => String(entry.error ?? "").includes("disk on fire at /var/lib/secret"));
  expect(causes).toHaveLength(1);
  expect(causes[0]).toMatchObject({ level: "error", method: "GET", path: "/probe/throw" });
});

test("a database failure under a route that does not catch is a 500 without the SQL error", async () => {
  h.store.client.close();
  const res = await h.request("/probe/db");
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: "internal server error" });
  const causes = parsedLogs().filter((entry) => entry.msg === "request failed");
  expect(causes).toHaveLength(1);
  expect(String(causes[0]!.error)).toMatch(/closed/i);
});

test("a read that met another process's lock is a 503 naming it, with Retry-After and the SQLite code logged", async () => {
  const res = await h.request("/probe/locked-read");
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  expect(await res.json()).toEqual({ error: "database locked" });
  expect(parsedLogs().filter((entry) => entry.msg === "request refused: database unavailable")).toEqual([
    expect.objectContaining({ level: "warn", path: "/probe/locked-read", sqlite_code: "SQLITE_BUSY" }),
  ]);
});

test("any other SQLite failure is a 500 whose log line carries the SQLite code and message, not the statement", async () => {
  const res = await h.request("/probe/corrupt");
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: "internal server error" });
  const [cause] = parsedLogs().filter((entry) => entry.msg === "request failed");
  expect(cause).toMatchObject({ sqlite_code: "SQLITE_CORRUPT", error: "database disk image is malformed" });
  expect(JSON.stringify(cause)).not.toContain("secret-param");
});

test("every request is logged as one JSON object per line with method, path, route, status and duration", async () => {
  await h.request("/health");
  await h.request("/probe/echo", { json: { name: "a\nb" } });
  await h.request("/nothing/here?x=1");
  const requests = parsedLogs().filter((entry) => entry.msg === "request");
  expect(requests).toHaveLength(3);
  expect(requests[0]).toMatchObject({ level: "info", method: "GET", path: "/health", route: "/health", status: 200 });
  expect(requests[1]).toMatchObject({ method: "POST", path: "/probe/echo", status: 200 });
  expect(requests[2]).toMatchObject({ method: "GET", path: "/nothing/here", status: 404 });
  for (const entry of requests) {
    expect(typeof entry.ms).toBe("number");
    expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
  }
});

test("a path with control characters still logs as one well-formed line", async () => {
  await h.request("/machines/%0A%22evil%22%0D");
  const requests = parsedLogs().filter((entry) => entry.msg === "request");
  expect(requests).toHaveLength(1);
  expect(logLines).toHaveLength(1);
});

test("a body is read as JSON whatever its content type: valid is processed, malformed is a 400", async () => {
  const send = (body: string) =>
    h.request("/probe/echo", { method: "POST", body, headers: { "content-type": "text/plain" } });
  const valid = await send('{"name": "web-1"}');
  expect(valid.status).toBe(200);
  expect(await valid.json()).toEqual({ name: "web-1" });
  const malformed = await send('{"name": "web-1",');
  expect(malformed.status).toBe(400);
  expect(await malformed.json()).toEqual({ error: "Malformed JSON in request body" });
});
