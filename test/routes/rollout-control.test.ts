// SPEC §14.1, §14.2, §14.4 through the routes, in process: verbs, options, per-machine states and
// reasons, blocked_by, trace, the gate-block metric. Bodies are checked with the routes' schemas.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { createControlPlane } from "../../src/control-plane.ts";
import { auditEvents } from "../../src/db/schema.ts";
import { silentLogger } from "../../src/logger.ts";
import { RolloutTrace } from "../../src/routes/rollouts/index.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRolloutApi, names, type RolloutApi, storePath } from "../support/rollouts.ts";

let h: Harness;
let api: RolloutApi;
const NOW = Date.parse("2026-11-27T10:00:00Z");

beforeEach(async () => {
  h = await createHarness({ startTime: NOW });
  api = await createRolloutApi(h);
});
afterEach(() => h.close());

const fleet = (n: number, prefix = "web", tags = ["web"]) => api.fleet(names(prefix, n), tags, NOW - 1000);

describe("POST /api/v1/rollouts: the §14.2 options", () => {
  test("are stored and shown; absent ones have their v0.1 defaults", async () => {
    const { releaseId } = await fleet(4);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["1", "100%"],
      target: { tags: ["web"] },
      soak_seconds: 60,
      batch_soak_seconds: [30],
      min_decided: 2,
      max_in_flight: "50%",
      not_before: "2026-11-27T11:00:00+01:00",
      offline_after_seconds: 600,
      supersede: true,
    });
    expect(await api.get(created.rollout_id)).toMatchObject({
      soak_seconds: 60,
      batch_soak_seconds: [30],
      min_decided: 2,
      max_in_flight: "50%",
      not_before: "2026-11-27T10:00:00.000Z",
      offline_after_seconds: 600,
      supersede: true,
    });
    const plain = await fleet(1, "db", ["db"]);
    const v01 = await api.createOk({ release_id: plain.releaseId, strategy: "canary", target: { tags: ["db"] } });
    expect(await api.get(v01.rollout_id)).toMatchObject({
      soak_seconds: 0,
      batch_soak_seconds: null,
      min_decided: null,
      max_in_flight: null,
      not_before: null,
      offline_after_seconds: null,
      supersede: false,
      pause_reason: null,
      blocked_by: [],
    });
  });

  const malformed: [string, Record<string, unknown>, string][] = [
    ["negative soak", { soak_seconds: -1 }, "soak_seconds"],
    ["fractional soak", { soak_seconds: 1.5 }, "soak_seconds"],
    ["soak over a year", { soak_seconds: 10 ** 9 }, "soak_seconds"],
    ["batch soak of the wrong type", { batch_soak_seconds: ["60"] }, "batch_soak_seconds.0"],
    ["min_decided 0", { min_decided: 0 }, "min_decided"],
    ["max_in_flight 0", { max_in_flight: "0" }, "max_in_flight: must let at least one machine deploy"],
    ["max_in_flight 0%", { max_in_flight: "0%" }, "max_in_flight"],
    ["max_in_flight words", { max_in_flight: "a few" }, "max_in_flight"],
    ["max_in_flight a number", { max_in_flight: 3 }, "max_in_flight"],
    ["not_before not RFC 3339", { not_before: "tomorrow" }, "not_before"],
    ["not_before without zone", { not_before: "2026-11-28T10:00:00" }, "not_before"],
    ["offline_after 0", { offline_after_seconds: 0 }, "offline_after_seconds"],
    ["supersede a string", { supersede: "yes" }, "supersede"],
  ];
  test.each(malformed)("400 for a malformed %s, naming the field; nothing created", async (_, change, message) => {
    const { releaseId } = await fleet(2);
    const res = await api.create({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] }, ...change });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(
      (await h.request("/api/v1/rollouts", { key: api.keys.readonly }).then((r) => r.json())) as unknown[],
    ).toEqual([]);
  });
});

describe("not_before", () => {
  test("scheduled until then, holding its machines; verbs are 409 naming scheduled; cancel applies", async () => {
    const { ids, releaseId } = await fleet(2);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      target: { tags: ["web"] },
      not_before: "2026-11-27T10:05:00Z",
    });
    let rollout = await api.get(created.rollout_id);
    expect(rollout).toMatchObject({ status: "scheduled", blocked_by: ["not_before"] });
    expect(rollout.batches[0]!.status).toBe("pending");
    expect((await api.desired(ids[0]!)).status).toBe(404);
    // It holds its machines: another rollout cannot take them.
    expect(
      (await api.create({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } })).status,
    ).toBe(409);
    for (const verb of ["pause", "resume", "promote", "abort", "retry"]) {
      const res = await api.verb(created.rollout_id, verb);
      expect(res.status).toBe(409);
      expect((res.body as { error: string }).error).toContain("is scheduled");
    }
    await api.advance(5 * 60_000);
    rollout = await api.get(created.rollout_id);
    expect(rollout.status).toBe("running");
    expect((await api.desired(ids[0]!)).hash).toBe(storePath(ids[0]!));

    const other = await fleet(1, "db", ["db"]);
    const later = await api.createOk({
      release_id: other.releaseId,
      strategy: "canary",
      target: { tags: ["db"] },
      not_before: "2027-01-01T00:00:00Z",
    });
    expect((await api.verb(later.rollout_id, "cancel")).body).toMatchObject({ status: "cancelled" });
  });
});

describe("pause and resume", () => {
  test("pause: 200 with the rollout; waiting machines say paused; the running batch is still judged", async () => {
    const { ids, releaseId } = await fleet(3);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      max_in_flight: "1",
      target: { tags: ["web"] },
    });
    const [first] = created.batches[0]!.machine_ids;
    const res = await api.verb(created.rollout_id, "pause", { reason: "checking dashboards" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "paused", pause_reason: "checking dashboards", blocked_by: ["paused"] });
    const states = await api.states(created.rollout_id);
    expect(Object.values(states).sort()).toEqual(["deploying", "waiting(paused)", "waiting(paused)"]);
    h.advance(1);
    await api.report(first!);
    expect((await api.states(created.rollout_id))[first!]).toBe("healthy");
    for (const id of ids.filter((id) => id !== first)) expect((await api.desired(id)).status).toBe(404);

    const again = await api.verb(created.rollout_id, "pause");
    expect(again).toEqual({ status: 409, body: { error: `rollout ${created.rollout_id} is paused, not running` } });
    const resumed = await api.verb(created.rollout_id, "resume");
    expect(resumed.body).toMatchObject({ status: "running", pause_reason: null });
    expect(Object.values(await api.states(created.rollout_id)).sort()).toEqual([
      "deploying",
      "healthy",
      "waiting(max_in_flight)",
    ]);
  });

  test("a verb without a body (curl -X POST) works; a malformed body is 400 naming the field", async () => {
    const { releaseId } = await fleet(1);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const bare = await h.request(`/api/v1/rollouts/${created.rollout_id}/pause`, {
      method: "POST",
      key: api.keys.deploy,
    });
    expect(bare.status).toBe(200);
    await api.verb(created.rollout_id, "resume");
    const bad = await api.verb(created.rollout_id, "pause", { reason: 5 });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: string }).error).toContain("reason");
    const long = await api.verb(created.rollout_id, "abort", { reason: "x".repeat(1025) });
    expect(long.status).toBe(400);
    const force = await api.verb(created.rollout_id, "promote", { force: "yes" });
    expect(force.status).toBe(400);
    expect((force.body as { error: string }).error).toContain("force");
  });

  test("every verb: 404 unknown, 400 over-long id, 401 without a key, 403 for readonly", async () => {
    const { releaseId } = await fleet(1);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    for (const verb of ["pause", "resume", "promote", "abort", "retry", "machines/web-1/skip"]) {
      expect((await api.verb("r-nope", verb)).status).toBe(404);
      expect((await api.verb("r".repeat(129), verb)).status).toBe(400);
      expect((await api.verb(created.rollout_id, verb, undefined, api.keys.readonly)).status).toBe(403);
      const anonymous = await h.request(`/api/v1/rollouts/${created.rollout_id}/${verb}`, { method: "POST" });
      expect(anonymous.status).toBe(401);
    }
    expect((await api.verb(created.rollout_id, "pause", undefined, api.keys.admin)).status).toBe(200);
  });
});

describe("promote, abort, retry, skip", () => {
  test("promote during soak: the batch succeeds now and the next batch starts", async () => {
    const { releaseId } = await fleet(3);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "canary",
      soak_seconds: 600,
      target: { tags: ["web"] },
    });
    const [canary] = created.batches[0]!.machine_ids;
    h.advance(1);
    await api.report(canary!);
    let rollout = await api.get(created.rollout_id);
    expect(rollout.batches[0]).toMatchObject({ status: "soaking", soak_until: "2026-11-27T10:10:00.001Z" });
    await api.advance(60_000);
    expect((await api.get(created.rollout_id)).batches[0]!.status).toBe("soaking");
    const promoted = await api.verb(created.rollout_id, "promote");
    expect(promoted.status).toBe(200);
    rollout = await api.get(created.rollout_id);
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
    expect(rollout.events.map((e) => e.event_type)).toContain("rollout.promoted");
  });

  test("soak: a failing report while soaking fails the batch; without one it ends in success", async () => {
    const { releaseId } = await fleet(2);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "canary",
      batch_soak_seconds: [120],
      target: { tags: ["web"] },
    });
    const [canary] = created.batches[0]!.machine_ids;
    h.advance(1);
    await api.report(canary!);
    h.advance(1000);
    await api.report(canary!, "failed-check");
    const rollout = await api.get(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0]!.machine_health[canary!]).toEqual({ unhealthy: "health check nginx failed during soak" });
  });

  test("promote with undecided machines: 409 without force, with force they are skipped", async () => {
    const { releaseId } = await fleet(3);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["2", "100%"],
      target: { tags: ["web"] },
    });
    const [a, b] = created.batches[0]!.machine_ids;
    h.advance(1);
    await api.report(a!);
    const refused = await api.verb(created.rollout_id, "promote");
    expect(refused.status).toBe(409);
    expect((refused.body as { error: string }).error).toContain("1 undecided machine(s); promote with force");
    const forced = await api.verb(created.rollout_id, "promote", { force: true });
    expect(forced.status).toBe(200);
    expect((await api.states(created.rollout_id))[b!]).toBe("skipped(promoted)");
    expect((await api.get(created.rollout_id)).batches[1]!.status).toBe("waiting_health");
  });

  test("abort: every machine the rollout changed gets its previous generation back; aborted can be deleted", async () => {
    const { ids, releaseId } = await fleet(4);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["2", "100%"],
      target: { tags: ["web"] },
    });
    const [first, second] = created.batches.map((b) => b.machine_ids);
    h.advance(1);
    for (const id of first!) await api.report(id);
    for (const id of second!) expect((await api.desired(id)).hash).toBe(storePath(id));
    const res = await api.verb(created.rollout_id, "abort", { reason: "bad release" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "aborted", blocked_by: [] });
    // They had no desired generation before: they get the one they last reported.
    for (const id of ids) expect((await api.desired(id)).hash).toBe(storePath(id, 0));
    const audit = await h.store.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.rolloutId, created.rollout_id), eq(auditEvents.action, "machine.reverted")));
    expect(audit.map((a) => a.target).sort()).toEqual([...ids].sort());
    expect(res.body && "events" in res.body && res.body.events.at(-1)?.event_type).toBe("rollout.aborted");
    expect((await api.verb(created.rollout_id, "abort")).status).toBe(409);
    const del = await h.request(`/api/v1/rollouts/${created.rollout_id}`, { method: "DELETE", key: api.keys.admin });
    expect(del.status).toBe(204);
  });

  test("abort leaves a machine the rollout never changed as it was: held back by a gate, it still desires nothing", async () => {
    const { ids, releaseId } = await fleet(2);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      max_in_flight: "1",
      target: { tags: ["web"] },
    });
    const states = await api.states(created.rollout_id);
    const deploying = ids.find((id) => states[id] === "deploying")!;
    const held = ids.find((id) => states[id] === "waiting(max_in_flight)")!;
    expect([deploying, held].sort()).toEqual([...ids].sort());
    expect((await api.desired(held)).status).toBe(404);
    expect((await api.verb(created.rollout_id, "abort")).status).toBe(200);
    expect((await api.desired(deploying)).hash).toBe(storePath(deploying, 0));
    expect((await api.desired(held)).status).toBe(404);
    const reverted = await h.store.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.rolloutId, created.rollout_id), eq(auditEvents.action, "machine.reverted")));
    expect(reverted.map((a) => a.target)).toEqual([deploying]);
  });

  test("retry: only the failed batch's unhealthy machines deploy again", async () => {
    const { releaseId } = await fleet(3);
    const created = await api.createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    const [a, b, c] = created.batches[0]!.machine_ids;
    h.advance(1);
    await api.report(a!);
    await api.report(b!, "failed-report");
    await api.report(c!);
    expect((await api.get(created.rollout_id)).status).toBe("paused");
    expect((await api.verb(created.rollout_id, "promote")).status).toBe(409);
    h.advance(1000);
    const retried = await api.verb(created.rollout_id, "retry");
    expect(retried.status).toBe(200);
    const states = await api.states(created.rollout_id);
    expect(states).toEqual({ [a!]: "healthy", [b!]: "deploying", [c!]: "healthy" });
    h.advance(1);
    await api.report(b!);
    expect((await api.get(created.rollout_id)).status).toBe("completed");
    expect((await api.verb(created.rollout_id, "retry")).status).toBe(409);
  });

  test("skip: the machine leaves the rollout, keeps what it runs and is free for another rollout", async () => {
    const { releaseId } = await fleet(2);
    const created = await api.createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    const [a, b] = created.batches[0]!.machine_ids;
    const res = await api.verb(created.rollout_id, `machines/${a}/skip`, { reason: "disk broken" });
    expect(res.status).toBe(200);
    expect((await api.states(created.rollout_id))[a!]).toBe("skipped(disk broken)");
    expect(await api.desired(a!)).toMatchObject({ status: 200, hash: storePath(a!), poll_hint: null });
    expect((await api.desired(b!)).poll_hint).toBe(5);
    const again = await api.verb(created.rollout_id, `machines/${a}/skip`);
    expect(again.status).toBe(409);
    expect((again.body as { error: string }).error).toContain("is skipped");
    expect((await api.verb(created.rollout_id, "machines/nobody/skip")).status).toBe(404);
    expect((await api.create({ release_id: releaseId, strategy: "canary", target: { hosts: [a!] } })).status).toBe(201);
    h.advance(1);
    await api.report(b!);
    expect((await api.get(created.rollout_id)).status).toBe("completed");
  });
});

describe("offline, supersede, max_in_flight, min_decided", () => {
  test("offline_after_seconds: an agent silent for longer is skipped with reason offline", async () => {
    await api.machines(["web-1"], ["web"], NOW - 1000);
    await api.machines(["stale"], ["web"], NOW - 3_600_000);
    await api.machines(["never"], ["web"], null);
    const releaseId = await api.release(["web-1", "stale", "never"]);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      offline_after_seconds: 600,
      target: { tags: ["web"] },
    });
    expect(await api.states(created.rollout_id)).toEqual({
      "web-1": "deploying",
      stale: "skipped(offline)",
      never: "skipped(offline)",
    });
    h.advance(1);
    await api.report("web-1");
    expect((await api.get(created.rollout_id)).status).toBe("completed");
  });

  test("supersede: 409 without it; with it the machines leave the other rollout (superseded) and join", async () => {
    const { releaseId } = await fleet(2);
    const old = await api.createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
    const v2 = await api.release(["web-1", "web-2"], 2);
    const refused = await api.create({ release_id: v2, strategy: "all_at_once", target: { hosts: ["web-1"] } });
    expect(refused.status).toBe(409);
    const created = await api.createOk({
      release_id: v2,
      strategy: "all_at_once",
      supersede: true,
      target: { hosts: ["web-1"] },
    });
    expect((await api.states(old.rollout_id))["web-1"]).toBe(`superseded(superseded by rollout ${created.rollout_id})`);
    expect((await api.desired("web-1")).hash).toBe(storePath("web-1", 2));
    h.advance(1);
    await api.report("web-2");
    expect((await api.get(old.rollout_id)).status).toBe("completed");
    await api.report("web-1", "healthy", 2);
    expect((await api.get(created.rollout_id)).status).toBe("completed");
  });

  test("max_in_flight: the rest wait (blocked_by, reason) and start as others are decided", async () => {
    const { releaseId } = await fleet(4);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      max_in_flight: "2",
      target: { tags: ["web"] },
    });
    let rollout = await api.get(created.rollout_id);
    expect(rollout.blocked_by).toEqual(["max_in_flight"]);
    const deploying = () =>
      api.states(created.rollout_id).then((s) => Object.keys(s).filter((id) => s[id] === "deploying"));
    const first = await deploying();
    expect(first).toHaveLength(2);
    h.advance(1);
    await api.report(first[0]!);
    expect(await deploying()).toHaveLength(2);
    const metrics = await (await h.request("/metrics")).text();
    expect(metrics).toContain('nixfleet_gate_blocks_total{gate="max_in_flight"} 2');
    rollout = await api.get(created.rollout_id);
    expect(rollout.batches[0]!.machine_health[first[0]!]).toBe("healthy");
  });

  test("min_decided: the batch fails as soon as enough are decided and failures exceed the threshold", async () => {
    const { releaseId } = await fleet(5);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "all_at_once",
      min_decided: 2,
      failure_threshold: "1",
      target: { tags: ["web"] },
    });
    const [a, b] = created.batches[0]!.machine_ids;
    h.advance(1);
    await api.report(a!, "failed-report");
    expect((await api.get(created.rollout_id)).status).toBe("running");
    await api.report(b!, "failed-check");
    const rollout = await api.get(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0]!.status).toBe("failed");
  });
});

describe("GET /api/v1/rollouts/{id}/trace", () => {
  test("every transition of the rollout and its machines, in order, paged", async () => {
    const { releaseId } = await fleet(2);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    const [rest] = created.batches[1]!.machine_ids;
    h.advance(1);
    await api.report(canary!);
    await api.report(rest!);
    const res = await h.request(`/api/v1/rollouts/${created.rollout_id}/trace`, { key: api.keys.readonly });
    expect(res.status).toBe(200);
    const trace = RolloutTrace.parse(await res.json());
    expect(trace.events.map((e) => `${e.action} ${e.machine_id ?? ""}`.trim())).toEqual([
      "rollout.created",
      "batch.deploying",
      `machine.deploying ${canary}`,
      `machine.healthy ${canary}`,
      "batch.succeeded",
      "batch.deploying",
      `machine.deploying ${rest}`,
      `machine.healthy ${rest}`,
      "batch.succeeded",
      "rollout.completed",
    ]);
    expect(trace.events[2]).toMatchObject({ batch_index: 0, target: canary, reason: null });
    expect(trace.next_after).toBeNull();

    const page = (after: number) =>
      h
        .request(`/api/v1/rollouts/${created.rollout_id}/trace?limit=4&after=${after}`, { key: api.keys.readonly })
        .then(async (r) => RolloutTrace.parse(await r.json()));
    const first = await page(0);
    expect(first.events).toHaveLength(4);
    const second = await page(first.next_after!);
    expect(second.events[0]!.id).toBeGreaterThan(first.events[3]!.id);
    expect(second.events.map((e) => e.action)).toEqual(trace.events.slice(4, 8).map((e) => e.action));
  });

  test("404 unknown, 400 bad after, 401 without a key", async () => {
    expect((await h.request("/api/v1/rollouts/r-nope/trace", { key: api.keys.readonly })).status).toBe(404);
    const { releaseId } = await fleet(1);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const bad = await h.request(`/api/v1/rollouts/${created.rollout_id}/trace?after=x`, { key: api.keys.readonly });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("after");
    expect((await h.request(`/api/v1/rollouts/${created.rollout_id}/trace`)).status).toBe(401);
  });
});

test("a restart resumes with the same states: waiting reasons, in-flight machines, soak", async () => {
  const { releaseId } = await fleet(3);
  const created = await api.createOk({
    release_id: releaseId,
    strategy: "all_at_once",
    max_in_flight: "1",
    soak_seconds: 30,
    target: { tags: ["web"] },
  });
  const before = await api.states(created.rollout_id);
  await h.controlPlane.stop();
  const second = await createControlPlane({
    store: h.store,
    logger: silentLogger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    mtls: false,
    now: h.controlPlane.deps.now,
  });
  second.start();
  try {
    await second.deps.rolloutExecutor.idle();
    expect(await api.states(created.rollout_id)).toEqual(before);
    const [deploying] = Object.keys(before).filter((id) => before[id] === "deploying");
    expect(second.deps.fleet.desiredGeneration(deploying!)).toMatchObject({
      hash: storePath(deploying!),
      poll_hint: 5,
    });
  } finally {
    await second.stop();
  }
});
