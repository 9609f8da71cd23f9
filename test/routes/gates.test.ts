// SPEC §14.3 through the routes, in process: budgets, maintenance windows and the freeze — their
// own routes (happy, error, security cases, bodies checked with the routes' schemas) and what they
// do to rollouts.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { auditEvents } from "../../src/db/schema.ts";
import { Budget, Freeze, MaintenanceWindow } from "../../src/routes/gates.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRolloutApi, type RolloutApi } from "../support/rollouts.ts";

let h: Harness;
let api: RolloutApi;
const NOW = Date.parse("2026-11-27T10:00:00Z");

beforeEach(async () => {
  h = await createHarness({ startTime: NOW });
  api = await createRolloutApi(h);
});
afterEach(() => h.close());

const put = (path: string, json: unknown, key = api.keys.admin) => h.request(path, { method: "PUT", key, json });
const del = (path: string, key = api.keys.admin) => h.request(path, { method: "DELETE", key });
const get = (path: string, key = api.keys.readonly) => h.request(path, { key });
const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

async function audit(target: string): Promise<string[]> {
  const rows = await h.store.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.target, target))
    .orderBy(auditEvents.id);
  return rows.map((r) => `${r.actor} ${r.action} ${r.detail}`);
}

async function fleet(ids: string[], tags: string[]) {
  return (await api.fleet(ids, tags, NOW - 1000)).releaseId;
}

describe("budgets", () => {
  test("PUT creates and replaces, GET lists, DELETE removes; each change audited", async () => {
    await api.machines(["a", "b", "c", "d"], ["db"], NOW);
    let res = await put("/api/v1/budgets/db", { tags: ["db", "db"], max_unavailable: "50%" });
    expect(res.status).toBe(200);
    expect(Budget.parse(await res.json())).toMatchObject({
      name: "db",
      tags: ["db"],
      max_unavailable: "50%",
      limit: 2,
      in_flight: 0,
      updated_by: "apikey:root",
    });
    res = await put("/api/v1/budgets/db", { tags: ["db"], max_unavailable: "1" });
    expect(Budget.parse(await res.json())).toMatchObject({ max_unavailable: "1", limit: 1 });
    await put("/api/v1/budgets/all", { tags: [], max_unavailable: "10" });
    const list = await get("/api/v1/budgets");
    expect(list.status).toBe(200);
    expect(
      Budget.array()
        .parse(await list.json())
        .map((b) => b.name),
    ).toEqual(["all", "db"]);
    expect((await del("/api/v1/budgets/db")).status).toBe(204);
    expect((await del("/api/v1/budgets/db")).status).toBe(404);
    expect(await audit("db")).toEqual([
      'apikey:root budget.updated {"tags":["db"],"max_unavailable":"50%"}',
      'apikey:root budget.updated {"tags":["db"],"max_unavailable":"1"}',
      "apikey:root budget.deleted {}",
    ]);
  });

  const malformed: [string, string, unknown, string][] = [
    ["a bad name", "/api/v1/budgets/no%20spaces", { tags: [], max_unavailable: "1" }, "name"],
    ["a bad budget", "/api/v1/budgets/db", { tags: [], max_unavailable: "many" }, "max_unavailable"],
    ["over 100%", "/api/v1/budgets/db", { tags: [], max_unavailable: "120%" }, "max_unavailable"],
    ["a bad tag", "/api/v1/budgets/db", { tags: ["a b"], max_unavailable: "1" }, "tags.0"],
    ["missing tags", "/api/v1/budgets/db", { max_unavailable: "1" }, "tags is required"],
    ["a numeric budget", "/api/v1/budgets/db", { tags: [], max_unavailable: 1 }, "max_unavailable"],
  ];
  test.each(malformed)("400 for %s, naming the field", async (_, path, body, message) => {
    const res = await put(path, body);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain(message);
  });

  test("admin to change, readonly to read", async () => {
    const body = { tags: [], max_unavailable: "1" };
    expect((await put("/api/v1/budgets/db", body, api.keys.deploy)).status).toBe(403);
    expect((await put("/api/v1/budgets/db", body, api.keys.readonly)).status).toBe(403);
    expect((await h.request("/api/v1/budgets/db", { method: "PUT", json: body })).status).toBe(401);
    expect((await del("/api/v1/budgets/db", api.keys.deploy)).status).toBe(403);
    expect((await get("/api/v1/budgets", api.keys.readonly)).status).toBe(200);
    expect((await h.request("/api/v1/budgets")).status).toBe(401);
  });

  test("summed over two rollouts: never exceeded; held machines name the budget and start when it frees", async () => {
    await put("/api/v1/budgets/db", { tags: ["db"], max_unavailable: "2" });
    const one = await fleet(["a1", "a2"], ["db", "one"]);
    const two = await fleet(["b1", "b2"], ["db", "two"]);
    const r1 = await api.createOk({ release_id: one, strategy: "all_at_once", target: { tags: ["one"] } });
    const r2 = await api.createOk({ release_id: two, strategy: "all_at_once", target: { tags: ["two"] } });
    expect(await api.states(r2.rollout_id)).toEqual({ b1: "waiting(budget:db)", b2: "waiting(budget:db)" });
    expect((await api.get(r2.rollout_id)).blocked_by).toEqual(["budget:db"]);
    expect(Budget.array().parse(await (await get("/api/v1/budgets")).json())[0]!.in_flight).toBe(2);
    h.advance(1);
    await api.report("a1");
    const states = await api.states(r2.rollout_id);
    expect(Object.values(states).sort()).toEqual(["deploying", "waiting(budget:db)"]);
    expect(
      (await (await h.request("/metrics")).text()).match(/nixfleet_gate_blocks_total\{gate="budget:db"\} (\d+)/)?.[1],
    ).toBe("2");
    expect((await api.get(r1.rollout_id)).blocked_by).toEqual([]);
  });
});

describe("maintenance windows", () => {
  const nightly = { tags: ["db"], cron: ["0 2 * * *"], duration_minutes: 60, timezone: "Europe/Berlin" };

  test("PUT, GET (with whether it is open now), DELETE; audited", async () => {
    const res = await put("/api/v1/windows/nights", nightly);
    expect(res.status).toBe(200);
    expect(MaintenanceWindow.parse(await res.json())).toMatchObject({
      name: "nights",
      tags: ["db"],
      cron: ["0 2 * * *"],
      duration_minutes: 60,
      timezone: "Europe/Berlin",
      open: false,
      // 02:00 in Berlin (UTC+1 in November) is 01:00Z, tomorrow.
      changes_at: "2026-11-28T01:00:00.000Z",
    });
    const now = await put("/api/v1/windows/now", { tags: [], cron: ["0 10 * * *"], duration_minutes: 30 });
    expect(MaintenanceWindow.parse(await now.json())).toMatchObject({ open: true, timezone: "UTC" });
    const list = MaintenanceWindow.array().parse(await (await get("/api/v1/windows")).json());
    expect(list.map((w) => w.name)).toEqual(["nights", "now"]);
    expect((await del("/api/v1/windows/now")).status).toBe(204);
    expect((await del("/api/v1/windows/now")).status).toBe(404);
    expect((await audit("now")).map((r) => r.split(" ").slice(0, 2).join(" "))).toEqual([
      "apikey:root window.updated",
      "apikey:root window.deleted",
    ]);
  });

  const malformed: [string, unknown, string][] = [
    ["a 6-field expression", { ...nightly, cron: ["0 0 2 * * *"] }, "cron[0]"],
    ["a nickname", { ...nightly, cron: ["0 2 * * *", "@daily"] }, "cron[1]"],
    ["an invalid minute", { ...nightly, cron: ["61 2 * * *"] }, "cron[0]"],
    ["no expression", { ...nightly, cron: [] }, "cron"],
    ["an unknown time zone", { ...nightly, timezone: "Mars/Olympus" }, "timezone"],
    ["a zero duration", { ...nightly, duration_minutes: 0 }, "duration_minutes"],
    ["a fractional duration", { ...nightly, duration_minutes: 1.5 }, "duration_minutes"],
  ];
  test.each(malformed)("400 for %s, naming the field", async (_, body, message) => {
    const res = await put("/api/v1/windows/nights", body);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain(message);
  });

  test("admin to change, readonly to read", async () => {
    expect((await put("/api/v1/windows/nights", nightly, api.keys.deploy)).status).toBe(403);
    expect((await del("/api/v1/windows/nights", api.keys.readonly)).status).toBe(403);
    expect((await h.request("/api/v1/windows")).status).toBe(401);
  });

  test("machines having the window's tags start only while it is open; deploying ones carry on when it closes", async () => {
    await put("/api/v1/windows/morning", { tags: ["db"], cron: ["15 10 * * *"], duration_minutes: 30 });
    const releaseId = await fleet(["d1", "d2"], ["db"]);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      max_in_flight: "1",
      health_timeout: 3600,
      target: { tags: ["db"] },
    });
    expect(await api.states(created.rollout_id)).toEqual({
      d1: "waiting(window:morning)",
      d2: "waiting(window:morning)",
    });
    await api.advance(15 * 60_000);
    const states = await api.states(created.rollout_id);
    expect(Object.values(states).sort()).toEqual(["deploying", "waiting(max_in_flight)"]);
    await api.advance(35 * 60_000);
    const later = await api.states(created.rollout_id);
    expect(Object.values(later).sort()).toEqual(["deploying", "waiting(window:morning)"]);
    expect((await api.get(created.rollout_id)).blocked_by).toEqual(["window:morning"]);
  });
});

describe("freeze", () => {
  test("GET says whether frozen; PUT freezes with a reason, DELETE lifts it; both audited", async () => {
    expect(Freeze.parse(await (await get("/api/v1/freeze")).json())).toEqual({
      frozen: false,
      reason: null,
      set_at: null,
      set_by: null,
    });
    const res = await put("/api/v1/freeze", { reason: "incident 42" });
    expect(res.status).toBe(200);
    expect(Freeze.parse(await res.json())).toEqual({
      frozen: true,
      reason: "incident 42",
      set_at: "2026-11-27T10:00:00.000Z",
      set_by: "apikey:root",
    });
    expect((await del("/api/v1/freeze")).status).toBe(204);
    expect((await del("/api/v1/freeze")).status).toBe(204);
    expect(Freeze.parse(await (await get("/api/v1/freeze")).json()).frozen).toBe(false);
    expect(await audit("freeze")).toEqual([
      'apikey:root freeze.set {"reason":"incident 42"}',
      "apikey:root freeze.cleared {}",
    ]);
  });

  test("400 without a reason; admin only to change", async () => {
    const empty = await put("/api/v1/freeze", { reason: "" });
    expect(empty.status).toBe(400);
    expect(await errorOf(empty)).toContain("reason");
    expect((await put("/api/v1/freeze", {})).status).toBe(400);
    expect((await put("/api/v1/freeze", { reason: "x" }, api.keys.deploy)).status).toBe(403);
    expect((await del("/api/v1/freeze", api.keys.deploy)).status).toBe(403);
    expect((await h.request("/api/v1/freeze")).status).toBe(401);
  });

  test("while frozen no machine starts; running batches are still judged; lifting it lets them start", async () => {
    const releaseId = await fleet(["w1", "w2", "w3"], ["web"]);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    await put("/api/v1/freeze", { reason: "incident 42" });
    await api.executor.idle();
    h.advance(1);
    await api.report(canary!);
    const rollout = await api.get(created.rollout_id);
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
    expect(rollout.blocked_by).toEqual(["freeze"]);
    for (const id of created.batches[1]!.machine_ids) expect((await api.desired(id)).status).toBe(404);
    await del("/api/v1/freeze");
    await api.executor.idle();
    expect(Object.values(await api.states(created.rollout_id)).sort()).toEqual(["deploying", "deploying", "healthy"]);
  });
});
