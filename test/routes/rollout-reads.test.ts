// Reading large rollouts (SPEC §7, §13 bulk work, §14.4): v0.1's full body built a page of machines
// at a time and streamed, byte for byte what one JSON.stringify of the whole rollout gives; the
// brief form (`machines=none`) with each batch counted; the paged machine listing; turns of the
// event loop while any of them is built.
import type { z } from "@hono/zod-openapi";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { asc, eq, sql } from "drizzle-orm";
import { releaseEntries, rolloutBatches, rolloutEvents, rolloutMachines, rollouts } from "../../src/db/schema.ts";
import { MACHINE_STATES } from "../../src/domain/rollout-machine.ts";
import {
  REASONS_PER_STATE,
  Rollout,
  RolloutBrief,
  RolloutBriefSummary,
  RolloutMachinePage,
  RolloutSummary,
} from "../../src/routes/rollouts/index.ts";
import { MACHINES_PER_PAGE, MACHINES_PER_SCAN } from "../../src/routes/rollouts/bodies.ts";
import { createControlPlane } from "../../src/control-plane.ts";
import { openStore } from "../../src/db/database.ts";
import { silentLogger } from "../../src/logger.ts";
import { turnsDuring } from "../support/event-loop.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRolloutApi, type RolloutApi, storePath } from "../support/rollouts.ts";
import { sqldBinary, startSqld } from "../support/sqld.ts";

let h: Harness;
let api: RolloutApi;

beforeEach(async () => {
  h = await createHarness();
  api = await createRolloutApi(h);
});
afterEach(() => h.close());

const hosts = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(4, "0")}`);

const get = (path: string, key = api.keys.readonly) => h.request(path, { key });

/**
 * A full body checked against its schema, as JSON.parse reads it: zod rebuilds records by
 * assignment, which drops a member named `__proto__`.
 */
async function fullBody(res: Response): Promise<z.infer<typeof Rollout>> {
  expect(res.status).toBe(200);
  const body = JSON.parse(await res.text());
  Rollout.parse(body);
  return body;
}

/**
 * Ids a JavaScript object orders apart (array indexes first, in numeric order) or would swallow
 * (`__proto__`), and ids JSON escapes.
 */
const ODD_IDS = [
  "10",
  "2",
  "0",
  "007",
  "4294967294",
  "4294967295",
  "-1",
  "__proto__",
  "constructor",
  'quo"te',
  "back\\slash",
  "ünïcode",
  "😀",
  "a b",
];

/**
 * A rollout over the odd ids and `n` hosts in two batches: batch 0 (6 machines) deploying two at
 * a time: one unhealthy, one healthy, two deploying, two waiting for max_in_flight; batch 1 (the
 * rest) pending, one of its machines skipped.
 */
async function mixedRollout(n = 1500) {
  const ids = [...ODD_IDS, ...hosts("web", n)];
  await api.machines(ids, ["web"], h.controlPlane.deps.now());
  const created = await api.createOk({
    release_id: await api.release(ids),
    strategy: "staged",
    batch_sizes: ["6", "100%"],
    max_in_flight: "2",
    target: { tags: ["web"] },
  });
  const [first, rest] = created.batches.map((b) => b.machine_ids) as [string[], string[]];
  const { machine_states: states } = (await fullBody(await get(`/api/v1/rollouts/${created.rollout_id}`))).batches[0]!;
  const deploying = first.filter((m) => states[m]!.state === "deploying");
  // Reports count when they arrive after their batch started.
  h.advance(1000);
  await api.report(deploying[0]!, "failed-report");
  await api.report(deploying[1]!, "healthy");
  expect(
    (await api.verb(created.rollout_id, `machines/${encodeURIComponent(rest[7]!)}/skip`, { reason: "disk broken" }))
      .status,
  ).toBe(200);
  return { id: created.rollout_id, first, rest, ids };
}

/** A small second rollout, created after the first (so listed before it). */
async function smallRollout() {
  const ids = hosts("db", 3);
  await api.machines(ids, ["db"], h.controlPlane.deps.now());
  h.advance(1000);
  const created = await api.createOk({
    release_id: await api.release(ids),
    strategy: "canary",
    target: { tags: ["db"] },
  });
  return created.rollout_id;
}

const ts = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * What one JSON.stringify of the whole rollout gives, built from the database as the answer was
 * before it streamed: every row read at once, the per-machine maps as objects (without a
 * prototype, so a machine named `__proto__` is a member like any other).
 */
async function wholeRollout(id: string, withEvents: boolean): Promise<string> {
  const db = h.store.db;
  const [row] = await db.select().from(rollouts).where(eq(rollouts.id, id));
  const batches = await db
    .select()
    .from(rolloutBatches)
    .where(eq(rolloutBatches.rolloutId, id))
    .orderBy(asc(rolloutBatches.batchIndex));
  const members = await db
    .select()
    .from(rolloutMachines)
    .where(eq(rolloutMachines.rolloutId, id))
    .orderBy(asc(rolloutMachines.batchIndex), asc(rolloutMachines.position));
  const events = await db.select().from(rolloutEvents).where(eq(rolloutEvents.rolloutId, id)).orderBy(rolloutEvents.id);
  const body = batches.map((b) => ({
    batch_index: b.batchIndex,
    machine_ids: [] as string[],
    status: b.status,
    machine_health: Object.create(null) as Record<string, unknown>,
    machine_states: Object.create(null) as Record<string, unknown>,
    started_at: ts(b.startedAt),
    completed_at: ts(b.completedAt),
    soak_until: ts(b.soakUntil),
  }));
  const gates = new Set<string>();
  if (row!.status === "scheduled") gates.add("not_before");
  if (row!.status === "paused") gates.add("paused");
  for (const m of members) {
    const batch = body[m.batchIndex]!;
    batch.machine_ids.push(m.machineId);
    batch.machine_health[m.machineId] =
      m.state === "unhealthy" ? { unhealthy: m.reason ?? "unhealthy" } : m.state === "healthy" ? "healthy" : "pending";
    batch.machine_states[m.machineId] = { state: m.state, reason: m.reason, deploy_started_at: ts(m.deployStartedAt) };
    if (["scheduled", "running", "paused"].includes(row!.status) && m.state === "waiting" && m.reason !== null) {
      gates.add(m.reason);
    }
  }
  const r = row!;
  return JSON.stringify({
    id: r.id,
    status: r.status,
    strategy: r.strategy,
    release_id: r.releaseId,
    on_failure: r.onFailure,
    failure_threshold: r.failureThreshold,
    health_timeout: r.healthTimeout,
    batches: body,
    created_at: ts(r.createdAt),
    updated_at: ts(r.updatedAt),
    created_by: r.createdBy,
    cache_url: r.cacheUrl,
    soak_seconds: r.soakSeconds,
    batch_soak_seconds: r.batchSoakSeconds === null ? null : JSON.parse(r.batchSoakSeconds),
    min_decided: r.minDecided,
    max_in_flight: r.maxInFlight,
    not_before: ts(r.notBefore),
    offline_after_seconds: r.offlineAfterSeconds,
    supersede: r.supersede,
    pause_reason: r.pauseReason,
    blocked_by: [...gates].sort(),
    ...(withEvents
      ? {
          events: events.map((e) => ({
            id: e.id,
            rollout_id: e.rolloutId,
            event_type: e.eventType,
            detail: e.detail,
            actor: e.actor,
            created_at: ts(e.createdAt),
          })),
        }
      : {}),
  });
}

describe("the full body (machines=all, the default)", () => {
  test("is byte for byte one JSON.stringify of the whole rollout: one, the list, a verb's answer", async () => {
    const { id } = await mixedRollout();
    const small = await smallRollout();
    const one = await get(`/api/v1/rollouts/${id}`);
    expect(one.status).toBe(200);
    expect(one.headers.get("content-type")).toBe("application/json");
    const text = await one.text();
    expect(text).toBe(await wholeRollout(id, true));
    expect(await (await get(`/api/v1/rollouts/${id}?machines=all`)).text()).toBe(text);
    const parsed = JSON.parse(text) as z.infer<typeof Rollout>;
    Rollout.parse(parsed);
    expect(parsed.batches[1]!.machine_ids.length).toBeGreaterThan(1000);
    // Every odd id is in its batch's maps, array indexes first in numeric order as objects list them.
    for (const batch of parsed.batches) {
      expect(Object.keys(batch.machine_states).sort()).toEqual([...batch.machine_ids].sort());
      expect(Object.keys(batch.machine_health)).toEqual(Object.keys(batch.machine_states));
    }
    expect(parsed.blocked_by).toEqual(["max_in_flight"]);

    const list = await get("/api/v1/rollouts");
    expect(list.status).toBe(200);
    expect(await list.text()).toBe(`[${await wholeRollout(small, false)},${await wholeRollout(id, false)}]`);
    const running = await get("/api/v1/rollouts?status=running");
    RolloutSummary.array().parse(await running.json());

    const paused = await h.request(`/api/v1/rollouts/${id}/pause`, { key: api.keys.deploy, json: { reason: "look" } });
    expect(paused.status).toBe(200);
    expect(await paused.text()).toBe(await wholeRollout(id, true));
    expect(await (await get("/api/v1/rollouts?status=completed")).text()).toBe("[]");
  });

  test("gives the event loop a turn between pages of machines", async () => {
    const { id, ids } = await mixedRollout(5200);
    const turns = await turnsDuring(async () => {
      const res = await get(`/api/v1/rollouts/${id}`);
      expect((await fullBody(res)).batches[1]!.machine_ids.length).toBeGreaterThan(5000);
    });
    // A turn before each page of MACHINES_PER_PAGE machines: six in batch 1, one in batch 0.
    expect(MACHINES_PER_PAGE).toBe(1000);
    expect(turns).toBeGreaterThanOrEqual(7);
    const listed = await turnsDuring(async () =>
      expect((await (await get("/api/v1/rollouts")).text()).length).toBeGreaterThan(0),
    );
    expect(listed).toBeGreaterThanOrEqual(7);
    const brief = await turnsDuring(async () =>
      RolloutBrief.parse(await (await get(`/api/v1/rollouts/${id}?machines=none`)).json()),
    );
    // A turn before each slice of MACHINES_PER_SCAN machines counted.
    expect(brief).toBeGreaterThanOrEqual(Math.ceil(ids.length / MACHINES_PER_SCAN));
    const rare = await turnsDuring(async () => {
      const page = RolloutMachinePage.parse(await (await get(`/api/v1/rollouts/${id}/machines?state=skipped`)).json());
      expect(page.machines).toHaveLength(1);
    });
    expect(rare).toBeGreaterThanOrEqual(Math.ceil(ids.length / MACHINES_PER_SCAN) - 1);
  });
});

describe("the brief form (machines=none)", () => {
  test("counts each batch's machines by state and reason, with what abort reverts; the rest as the full body", async () => {
    const { id, ids } = await mixedRollout(40);
    await smallRollout();
    const full = await fullBody(await get(`/api/v1/rollouts/${id}`));
    const res = await get(`/api/v1/rollouts/${id}?machines=none`);
    expect(res.status).toBe(200);
    const brief = RolloutBrief.parse(await res.json());
    const { batches: fullBatches, ...fullRest } = full;
    const { batches: briefBatches, ...briefRest } = brief;
    expect(briefRest).toEqual(fullRest);
    expect(briefBatches.reduce((n, b) => n + b.machine_count, 0)).toBe(ids.length);
    for (const [i, b] of briefBatches.entries()) {
      const whole = fullBatches[i]!;
      expect(b).toMatchObject({
        batch_index: whole.batch_index,
        status: whole.status,
        machine_count: whole.machine_ids.length,
        started_at: whole.started_at,
        completed_at: whole.completed_at,
        soak_until: whole.soak_until,
      });
      const states = Object.values(whole.machine_states);
      for (const state of MACHINE_STATES) {
        expect(b.state_counts[state], `${i} ${state}`).toBe(states.filter((m) => m.state === state).length);
      }
      expect(b.changed_count).toBe(
        states.filter((m) => m.deploy_started_at !== null && m.state !== "skipped" && m.state !== "superseded").length,
      );
    }
    expect(briefBatches[0]!.state_counts).toMatchObject({ deploying: 2, healthy: 1, unhealthy: 1, waiting: 2 });
    expect(briefBatches[0]!.reasons).toEqual([
      { state: "unhealthy", reason: "report failed: activation failed", machines: 1 },
      { state: "waiting", reason: "max_in_flight", machines: 2 },
    ]);
    expect(briefBatches[0]!.changed_count).toBe(4);
    expect(briefBatches[1]!.reasons).toEqual([{ state: "skipped", reason: "disk broken", machines: 1 }]);

    const list = await get("/api/v1/rollouts?machines=none");
    const summaries = RolloutBriefSummary.array().parse(await list.json());
    expect(summaries.map((s) => s.id)).toHaveLength(2);
    const { events: _, ...withoutEvents } = brief;
    expect(summaries[1]).toEqual(withoutEvents);
    expect(summaries[0]!.batches.map((b) => b.machine_count)).toEqual([1, 2]);
  });

  test("reasons: the 20 most given per state, most first then by reason; a reverted machine is no longer changed", async () => {
    const ids = hosts("api", 30);
    await api.machines(ids, ["api"], h.controlPlane.deps.now());
    const created = await api.createOk({
      release_id: await api.release(ids),
      strategy: "all_at_once",
      target: { tags: ["api"] },
    });
    const id = created.rollout_id;
    // 26 unhealthy: 5 for one reason, 21 for one each; one of the deploying ones reverted.
    await h.store.write(async (tx) => {
      await tx.run(sql`update rollout_machines set health = 'unhealthy',
          health_reason = case when position < 5 then 'check nginx' else 'report failed: ' || (100 + position) end
        where rollout_id = ${id} and position < 26`);
      await tx.run(sql`update rollout_machines set reverted_at = 1 where rollout_id = ${id} and position = 29`);
    });
    const brief = RolloutBrief.parse(await (await get(`/api/v1/rollouts/${id}?machines=none`)).json());
    const [batch] = brief.batches;
    expect(batch!.state_counts).toMatchObject({ unhealthy: 26, deploying: 4 });
    expect(batch!.reasons).toHaveLength(REASONS_PER_STATE);
    expect(batch!.reasons[0]).toEqual({ state: "unhealthy", reason: "check nginx", machines: 5 });
    expect(batch!.reasons.slice(1).map((r) => r.reason)).toEqual(
      Array.from({ length: REASONS_PER_STATE - 1 }, (_, i) => `report failed: ${105 + i}`),
    );
    expect(batch!.changed_count).toBe(29);
  });

  test("the verbs answer in it too; an unknown form is a 400 naming the parameter", async () => {
    const { id } = await mixedRollout(10);
    const paused = await h.request(`/api/v1/rollouts/${id}/pause?machines=none`, { key: api.keys.deploy, json: {} });
    expect(paused.status).toBe(200);
    expect(RolloutBrief.parse(await paused.json())).toMatchObject({
      status: "paused",
      blocked_by: ["paused"],
    });
    const resumed = await h.request(`/api/v1/rollouts/${id}/resume?machines=none`, {
      key: api.keys.deploy,
      method: "POST",
    });
    expect(RolloutBrief.parse(await resumed.json()).status).toBe("running");
    for (const path of [
      `/api/v1/rollouts/${id}?machines=some`,
      "/api/v1/rollouts?machines=",
      `/api/v1/rollouts/${id}?machines=NONE`,
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("machines");
    }
    const refused = await h.request(`/api/v1/rollouts/${id}/cancel?machines=bogus`, {
      key: api.keys.deploy,
      method: "POST",
    });
    expect(refused.status).toBe(400);
    expect((await api.get(id)).status).toBe("running");
  });

  test("security: a key is needed; readonly keys read it, verbs stay the deploy role's", async () => {
    const { id } = await mixedRollout(4);
    expect((await h.request(`/api/v1/rollouts/${id}?machines=none`)).status).toBe(401);
    expect((await h.request("/api/v1/rollouts?machines=none", { key: "nfk-unknown" })).status).toBe(401);
    expect((await get(`/api/v1/rollouts/nope?machines=none`)).status).toBe(404);
    const refused = await h.request(`/api/v1/rollouts/${id}/pause?machines=none`, { key: api.keys.readonly, json: {} });
    expect(refused.status).toBe(403);
    expect((await api.get(id)).status).toBe("running");
  });
});

describe("GET /api/v1/rollouts/{id}/machines", () => {
  test("pages through every machine batch by batch, each with its state, reason, deploy start and store path", async () => {
    const { id, ids } = await mixedRollout(30);
    const full = await fullBody(await get(`/api/v1/rollouts/${id}`));
    const entries = new Map(
      (await h.store.db.select().from(releaseEntries).where(eq(releaseEntries.releaseId, full.release_id))).map((e) => [
        e.hostname,
        e.storePath,
      ]),
    );
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: "7", ...(after === null ? {} : { after }) });
      const res = await get(`/api/v1/rollouts/${encodeURIComponent(id)}/machines?${query}`);
      expect(res.status).toBe(200);
      const page = RolloutMachinePage.parse(await res.json());
      expect(page.rollout_id).toBe(id);
      expect(page.machines.length).toBeLessThanOrEqual(7);
      for (const m of page.machines) {
        seen.push(m.machine_id);
        const whole = full.batches[m.batch_index]!.machine_states[m.machine_id]!;
        expect({ state: m.state, reason: m.reason, deploy_started_at: m.deploy_started_at }).toEqual(whole);
        expect(m.store_path).toBe(entries.get(m.machine_id)!);
      }
      after = page.next_after;
      pages++;
    } while (after !== null);
    expect(seen).toEqual(full.batches.flatMap((b) => b.machine_ids));
    expect(pages).toBe(Math.ceil(ids.length / 7));
  });

  test("filters by batch and by states (repeated), continues after any machine, clamps the limit", async () => {
    const { id, first, rest } = await mixedRollout(30);
    const page = async (query: string) => {
      const res = await get(`/api/v1/rollouts/${id}/machines?${query}`);
      expect(res.status, query).toBe(200);
      return RolloutMachinePage.parse(await res.json());
    };
    const full = await fullBody(await get(`/api/v1/rollouts/${id}`));
    expect((await page("batch=0")).machines.map((m) => m.machine_id)).toEqual(full.batches[0]!.machine_ids);
    expect((await page("batch=1")).machines.map((m) => m.machine_id)).toEqual(full.batches[1]!.machine_ids);
    expect(new Set(first)).toEqual(new Set(full.batches[0]!.machine_ids));
    const odd = await page("state=unhealthy&state=skipped");
    expect(odd.machines.map((m) => [m.state, m.reason])).toEqual(
      expect.arrayContaining([
        ["unhealthy", "report failed: activation failed"],
        ["skipped", "disk broken"],
      ]),
    );
    expect(odd.machines).toHaveLength(2);
    expect(odd.next_after).toBeNull();
    // After a machine of batch 0, with batch 1 asked: batch 1 from its start; after one of batch 1, the rest of it.
    expect((await page(`batch=1&after=${encodeURIComponent(first[0]!)}`)).machines).toHaveLength(rest.length);
    const tail = await page(`batch=1&after=${encodeURIComponent(full.batches[1]!.machine_ids[9]!)}`);
    expect(tail.machines.map((m) => m.machine_id)).toEqual(full.batches[1]!.machine_ids.slice(10));
    expect((await page(`batch=0&after=${encodeURIComponent(full.batches[1]!.machine_ids[0]!)}`)).machines).toEqual([]);
    const order = full.batches.flatMap((b) => b.machine_ids);
    expect((await page("after=__proto__&limit=3")).machines.map((m) => m.machine_id)).toEqual(
      order.slice(order.indexOf("__proto__") + 1, order.indexOf("__proto__") + 4),
    );
    expect((await page("limit=0")).machines).toHaveLength(1);
    expect((await page("limit=-5")).next_after).not.toBeNull();
    expect((await page("limit=999999")).machines).toHaveLength(
      full.batches.reduce((n, b) => n + b.machine_ids.length, 0),
    );
    expect((await page("state=superseded")).machines).toEqual([]);
  });

  test("errors: unknown rollout or batch 404, malformed parameters 400 naming them", async () => {
    const { id } = await mixedRollout(4);
    const cases: [string, number, string][] = [
      ["/api/v1/rollouts/r-nope/machines", 404, "rollout r-nope not found"],
      [`/api/v1/rollouts/${id}/machines?batch=2`, 404, "has no batch 2"],
      [`/api/v1/rollouts/${id}/machines?batch=one`, 400, "batch"],
      [`/api/v1/rollouts/${id}/machines?batch=-1`, 400, "batch"],
      [`/api/v1/rollouts/${id}/machines?state=broken`, 400, "state"],
      [`/api/v1/rollouts/${id}/machines?state=healthy&state=nope`, 400, "state"],
      [`/api/v1/rollouts/${id}/machines?after=nobody`, 400, "after: machine nobody is not in rollout"],
      [`/api/v1/rollouts/${id}/machines?after=a%00b`, 400, "after"],
      [`/api/v1/rollouts/${id}/machines?after=${"x".repeat(129)}`, 400, "after"],
      [`/api/v1/rollouts/${id}/machines?limit=ten`, 400, "limit"],
      [`/api/v1/rollouts/${"r".repeat(129)}/machines`, 400, "id"],
    ];
    for (const [path, status, error] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      expect(((await res.json()) as { error: string }).error, path).toContain(error);
    }
  });

  test("security: 401 without a key or with an unknown one; every role reads", async () => {
    const { id } = await mixedRollout(4);
    expect((await h.request(`/api/v1/rollouts/${id}/machines`)).status).toBe(401);
    expect((await h.request(`/api/v1/rollouts/${id}/machines`, { key: "nfk-unknown" })).status).toBe(401);
    for (const key of [api.keys.readonly, api.keys.deploy, api.keys.admin]) {
      expect((await get(`/api/v1/rollouts/${id}/machines`, key)).status).toBe(200);
    }
  });
});

// sqld parses SQL itself, and refuses some of what SQLite takes (an ORDER BY inside an aggregate).
describe.skipIf(!sqldBinary())("on a libSQL server (sqld)", () => {
  test("the full body, the brief form and the listing read the same machines", async () => {
    const sqld = await startSqld();
    const store = await openStore(sqld.url);
    const controlPlane = await createControlPlane({
      store,
      logger: silentLogger,
      config: { perMachineMetrics: false, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
    });
    try {
      const request = (path: string, init: { key?: string; json?: unknown } = {}) =>
        controlPlane.app.request(path, {
          method: init.json === undefined ? "GET" : "POST",
          headers: {
            "content-type": "application/json",
            ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
          },
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
        });
      const { key } = (await (await request("/api/v1/keys/bootstrap", { json: {} })).json()) as { key: string };
      const ids = hosts("ha", 5);
      for (const id of ids)
        expect((await request(`/api/v1/machines/${id}/register`, { key, json: { tags: ["ha"] } })).status).toBe(201);
      const entries = ids.map((hostname) => ({ hostname, store_path: storePath(hostname), platform: "x86_64-linux" }));
      const { id: release } = (await (await request("/api/v1/releases", { key, json: { entries } })).json()) as {
        id: string;
      };
      const created = await request("/api/v1/rollouts", {
        key,
        json: { release_id: release, strategy: "staged", batch_sizes: ["2", "100%"], target: { tags: ["ha"] } },
      });
      expect(created.status).toBe(201);
      const { rollout_id: id } = (await created.json()) as { rollout_id: string };
      await controlPlane.deps.rolloutExecutor.idle();

      const full = await fullBody(await request(`/api/v1/rollouts/${id}`, { key }));
      const order = full.batches.flatMap((b) => b.machine_ids);
      expect(new Set(order)).toEqual(new Set(ids));
      const brief = RolloutBrief.parse(await (await request(`/api/v1/rollouts/${id}?machines=none`, { key })).json());
      expect(brief.batches.map((b) => [b.machine_count, b.state_counts.deploying, b.state_counts.pending])).toEqual([
        [2, 2, 0],
        [3, 0, 3],
      ]);
      RolloutBriefSummary.array().parse(await (await request("/api/v1/rollouts?machines=none", { key })).json());
      const listed: string[] = [];
      let after: string | null = null;
      do {
        const query = new URLSearchParams({ limit: "2", ...(after === null ? {} : { after }) });
        const page = RolloutMachinePage.parse(
          await (await request(`/api/v1/rollouts/${id}/machines?${query}`, { key })).json(),
        );
        listed.push(...page.machines.map((m) => m.machine_id));
        after = page.next_after;
      } while (after !== null);
      expect(listed).toEqual(order);
      const pending = RolloutMachinePage.parse(
        await (await request(`/api/v1/rollouts/${id}/machines?state=pending&state=waiting`, { key })).json(),
      );
      expect(pending.machines.map((m) => m.machine_id)).toEqual(full.batches[1]!.machine_ids);
    } finally {
      await controlPlane.stop();
      await store.close();
      await sqld.stop();
    }
  });
});
