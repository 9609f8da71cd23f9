import { afterEach, beforeEach, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

test("GET /health answers ok while the database answers", async () => {
  const res = await h.request("/health");
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("ok");
});

test("GET /health answers 503 when the database does not", async () => {
  h.store.client.close();
  const res = await h.request("/health");
  expect(res.status).toBe(503);
});

test("unknown routes get a JSON 404", async () => {
  const res = await h.request("/api/v1/nothing-here");
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: "no route for GET /api/v1/nothing-here" });
});

test("GET /openapi.json serves an OpenAPI 3.1 document", async () => {
  const res = await h.request("/openapi.json");
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe("3.1.0");
  expect(Object.keys(doc.paths)).toContain("/health");
});

test("GET /docs serves an interactive reference pointing at the document", async () => {
  const res = await h.request("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(await res.text()).toContain("/openapi.json");
});

test("GET /metrics labels requests by route template", async () => {
  await h.request("/health");
  const text = await (await h.request("/metrics")).text();
  expect(text).toContain('nixfleet_http_requests_total{method="GET",path="/health",status="200"} 1');
  expect(text).toContain("nixfleet_http_request_duration_seconds_bucket");
});
