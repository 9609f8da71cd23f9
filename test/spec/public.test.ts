// SPEC §3, black box: /health, /metrics, /openapi.json and /docs need no key.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  // A key exists, so an auth check would bite if these routes had one.
  expect((await h.request("/api/v1/keys/bootstrap", { method: "POST" })).status).toBe(200);
});
afterAll(() => h.close());

test("GET /health → 200, text body exactly ok", async () => {
  const res = await h.request("/health");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain");
  expect(await res.text()).toBe("ok");
});

test("GET /metrics → Prometheus text without a key", async () => {
  const res = await h.request("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/plain");
  const text = await res.text();
  expect(text).toContain("# TYPE nixfleet_fleet_size gauge");
  for (const line of text.split("\n")) {
    expect(
      line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ") || /^[a-z_]+(\{.*\})? \S+$/.test(line),
    ).toBe(true);
  }
});

test("GET /openapi.json → an OpenAPI 3.1 document with every SPEC route", async () => {
  const res = await h.request("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  const doc = (await res.json()) as { openapi: string; info: unknown; paths: Record<string, Record<string, unknown>> };
  expect(doc.openapi).toMatch(/^3\.1\./);
  expect(doc.info).toBeDefined();
  const routes = [
    "get /health",
    "get /api/v1/machines/{id}/desired-generation",
    "post /api/v1/machines/{id}/report",
    "get /api/v1/machines",
    "get /api/v1/machines/{id}",
    "post /api/v1/machines/{id}/register",
    "patch /api/v1/machines/{id}/lifecycle",
    "put /api/v1/machines/{id}/tags",
    "post /api/v1/machines/{id}/tags",
    "delete /api/v1/machines/{id}/tags/{tag}",
    "delete /api/v1/machines/{id}/desired-generation",
    "post /api/v1/machines/{id}/notify-deploy",
    "post /api/v1/keys/bootstrap",
    "post /api/v1/keys",
    "get /api/v1/keys",
    "delete /api/v1/keys/{id}",
    "post /api/v1/releases",
    "get /api/v1/releases",
    "get /api/v1/releases/{id}",
    "get /api/v1/releases/{a}/diff/{b}",
    "delete /api/v1/releases/{id}",
    "post /api/v1/rollouts",
    "get /api/v1/rollouts",
    "get /api/v1/rollouts/{id}",
    "post /api/v1/rollouts/{id}/resume",
    "post /api/v1/rollouts/{id}/cancel",
    "delete /api/v1/rollouts/{id}",
    // SPEC §14
    "post /api/v1/rollouts/{id}/pause",
    "post /api/v1/rollouts/{id}/promote",
    "post /api/v1/rollouts/{id}/abort",
    "post /api/v1/rollouts/{id}/retry",
    "post /api/v1/rollouts/{id}/machines/{machine}/skip",
    "get /api/v1/rollouts/{id}/trace",
    // A large rollout's machines a page at a time (beside `?machines=none`)
    "get /api/v1/rollouts/{id}/machines",
    "get /api/v1/budgets",
    "put /api/v1/budgets/{name}",
    "delete /api/v1/budgets/{name}",
    "get /api/v1/windows",
    "put /api/v1/windows/{name}",
    "delete /api/v1/windows/{name}",
    "get /api/v1/freeze",
    "put /api/v1/freeze",
    "delete /api/v1/freeze",
    "get /api/v1/audit",
    "get /api/v1/audit/export",
    "get /api/v1/fleet/summary",
    "get /api/v1/cluster",
    "get /api/v1/events/stream",
    "get /api/v1/rollouts/{id}/stream",
    "post /api/v1/webhooks",
    "get /api/v1/webhooks",
    "get /api/v1/webhooks/{id}",
    "delete /api/v1/webhooks/{id}",
    "get /api/v1/webhooks/{id}/deliveries",
    "post /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
  ];
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((method) => ["get", "post", "put", "patch", "delete"].includes(method))
      .map((method) => `${method} ${path}`),
  );
  expect(documented.sort()).toEqual([...routes].sort());
});

test("GET /docs → an HTML page for that document", async () => {
  const res = await h.request("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(await res.text()).toContain("/openapi.json");
});

test("GET /health → 503 once the database stops answering", async () => {
  const other = await createHarness();
  other.store.client.close();
  const res = await other.request("/health");
  expect(res.status).toBe(503);
  expect(await res.text()).not.toBe("ok");
  await other.close();
});
