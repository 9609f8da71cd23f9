// SPEC §14 promises the other route tests do not pin down, in process: refusals of every verb in
// finished states, DELETE of scheduled rollouts, pause keeping the current batch judged (timeouts,
// soaks), skip of a machine in a later batch, abort and supersede together, freeze during a soak.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { auditEvents } from "../../src/db/schema.ts";
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
const allAtOnce = (releaseId: string, target: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  api.createOk({ release_id: releaseId, strategy: "all_at_once", target, ...extra });

/** A canary rollout over two web machines whose canary has reported: its first batch is soaking. */
async function soakingCanary(soakSeconds: number) {
  const { releaseId } = await fleet(2);
  const created = await api.createOk({
    release_id: releaseId,
    strategy: "canary",
    soak_seconds: soakSeconds,
    target: { tags: ["web"] },
  });
  const [canary] = created.batches[0]!.machine_ids;
  const [next] = created.batches[1]!.machine_ids;
  h.advance(1);
  await api.report(canary!);
  return { created, next: next! };
}

const remove = (id: string) => h.request(`/api/v1/rollouts/${id}`, { method: "DELETE", key: api.keys.admin });
const errorOf = (body: unknown) => (body as { error: string }).error;

describe("refusals name the status", () => {
  test("every §14.1 verb on a completed, cancelled or aborted rollout is 409 naming its status", async () => {
    const { ids, releaseId } = await fleet(3);
    const completed = await allAtOnce(releaseId, { hosts: [ids[0]!] });
    h.advance(1);
    await api.report(ids[0]!);
    expect((await api.get(completed.rollout_id)).status).toBe("completed");
    const cancelled = await allAtOnce(releaseId, { hosts: [ids[1]!] });
    expect((await api.verb(cancelled.rollout_id, "cancel")).status).toBe(200);
    const aborted = await allAtOnce(releaseId, { hosts: [ids[2]!] });
    expect((await api.verb(aborted.rollout_id, "abort")).status).toBe(200);
    for (const [rollout, status, machine] of [
      [completed.rollout_id, "completed", ids[0]!],
      [cancelled.rollout_id, "cancelled", ids[1]!],
      [aborted.rollout_id, "aborted", ids[2]!],
    ] as const) {
      for (const verb of ["pause", "resume", "promote", "abort", "retry", `machines/${machine}/skip`]) {
        const res = await api.verb(rollout, verb);
        expect(res.status, `${status} × ${verb}`).toBe(409);
        expect(errorOf(res.body), `${status} × ${verb}`).toContain(status);
      }
      expect((await api.verb(rollout, "cancel")).status).toBe(409);
    }
  });

  test("running: resume and retry are 409 naming running; a skip of a machine not in the rollout is 404", async () => {
    const { ids, releaseId } = await fleet(2);
    const created = await allAtOnce(releaseId, { hosts: [ids[0]!] });
    for (const verb of ["resume", "retry"]) {
      const res = await api.verb(created.rollout_id, verb);
      expect(res.status).toBe(409);
      expect(errorOf(res.body)).toContain("running");
    }
    expect((await api.verb(created.rollout_id, `machines/${ids[1]}/skip`)).status).toBe(404);
    // An operator pause has no failed batch: retry is refused, resume carries on.
    expect((await api.verb(created.rollout_id, "pause")).status).toBe(200);
    expect((await api.verb(created.rollout_id, "retry")).status).toBe(409);
    expect((await api.verb(created.rollout_id, "resume")).body).toMatchObject({ status: "running" });
  });

  test("a scheduled rollout: skip is 409 naming scheduled; DELETE is 409 until it is cancelled", async () => {
    const { ids, releaseId } = await fleet(1);
    const created = await allAtOnce(releaseId, { tags: ["web"] }, { not_before: "2026-11-28T00:00:00Z" });
    const skip = await api.verb(created.rollout_id, `machines/${ids[0]}/skip`);
    expect(skip.status).toBe(409);
    expect(errorOf(skip.body)).toContain("scheduled");
    expect((await remove(created.rollout_id)).status).toBe(409);
    expect((await api.verb(created.rollout_id, "cancel")).body).toMatchObject({ status: "cancelled" });
    expect((await remove(created.rollout_id)).status).toBe(204);
  });
});

describe("pause keeps the current batch judged", () => {
  test("a health timeout while paused still decides the batch (failed); resume restarts it", async () => {
    const { ids, releaseId } = await fleet(2);
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "canary",
      health_timeout: 60,
      target: { tags: ["web"] },
    });
    const [canary] = created.batches[0]!.machine_ids;
    expect((await api.verb(created.rollout_id, "pause", { reason: "look" })).status).toBe(200);
    await api.advance(61_000);
    let rollout = await api.get(created.rollout_id);
    expect(rollout.status).toBe("paused");
    expect(rollout.batches[0]!.status).toBe("failed");
    expect(rollout.batches[0]!.machine_health[canary!]).toEqual({ unhealthy: "timeout" });
    expect(rollout.batches[1]!.status).toBe("pending");
    expect((await api.verb(created.rollout_id, "resume")).status).toBe(200);
    rollout = await api.get(created.rollout_id);
    expect(rollout.batches[0]!.machine_states[canary!]!.state).toBe("deploying");
    for (const id of ids.filter((id) => id !== canary)) expect((await api.desired(id)).status).toBe(404);
  });

  test("a soak that ends while paused succeeds the batch, and the next waits for resume", async () => {
    const { created, next } = await soakingCanary(60);
    expect((await api.get(created.rollout_id)).batches[0]!.status).toBe("soaking");
    expect((await api.verb(created.rollout_id, "pause")).status).toBe(200);
    await api.advance(61_000);
    let rollout = await api.get(created.rollout_id);
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "pending"]);
    expect(rollout.blocked_by).toEqual(["paused"]);
    expect((await api.desired(next)).status).toBe(404);
    expect((await api.verb(created.rollout_id, "resume")).status).toBe(200);
    rollout = await api.get(created.rollout_id);
    expect(rollout.batches[1]!.status).toBe("waiting_health");
    expect((await api.desired(next)).hash).toBe(storePath(next));
  });

  test("promote of an operator-paused soaking batch: running again, the next batch starts now", async () => {
    const { created } = await soakingCanary(600);
    expect((await api.verb(created.rollout_id, "pause")).status).toBe(200);
    const promoted = await api.verb(created.rollout_id, "promote");
    expect(promoted.body).toMatchObject({ status: "running", pause_reason: null });
    expect((await api.get(created.rollout_id)).batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
  });
});

describe("skip, abort, supersede together", () => {
  test("skip a machine of a later batch: it is never given the release, its batch starts without it", async () => {
    const { releaseId } = await fleet(3);
    const created = await api.createOk({ release_id: releaseId, strategy: "canary", target: { tags: ["web"] } });
    const [canary] = created.batches[0]!.machine_ids;
    const [later, other] = created.batches[1]!.machine_ids;
    const res = await api.verb(created.rollout_id, `machines/${later}/skip`, { reason: "in repair" });
    expect(res.status).toBe(200);
    h.advance(1);
    await api.report(canary!);
    expect((await api.states(created.rollout_id))[later!]).toBe("skipped(in repair)");
    expect((await api.desired(later!)).status).toBe(404);
    expect((await api.desired(other!)).hash).toBe(storePath(other!));
    await api.report(other!);
    expect((await api.get(created.rollout_id)).status).toBe("completed");
  });

  test("abort does not touch a machine another rollout superseded; the others get their previous generation", async () => {
    const { releaseId } = await fleet(2);
    const old = await allAtOnce(releaseId, { tags: ["web"] });
    const v2 = await api.release(["web-1"], 2);
    const created = await allAtOnce(v2, { hosts: ["web-1"] }, { supersede: true });
    expect((await api.verb(old.rollout_id, "abort")).body).toMatchObject({ status: "aborted" });
    expect((await api.desired("web-1")).hash).toBe(storePath("web-1", 2));
    expect((await api.desired("web-2")).hash).toBe(storePath("web-2", 0));
    const reverted = await h.store.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.rolloutId, old.rollout_id), eq(auditEvents.action, "machine.reverted")));
    expect(reverted.map((r) => r.target)).toEqual(["web-2"]);
    expect((await api.get(created.rollout_id)).status).toBe("running");
  });

  test("supersede takes the machines of a scheduled rollout, which then has nothing left to do", async () => {
    const { releaseId } = await fleet(1);
    const old = await allAtOnce(releaseId, { tags: ["web"] }, { not_before: "2026-11-27T11:00:00Z" });
    const v2 = await api.release(["web-1"], 2);
    const created = await allAtOnce(v2, { tags: ["web"] }, { supersede: true });
    expect((await api.states(old.rollout_id))["web-1"]).toBe(`superseded(superseded by rollout ${created.rollout_id})`);
    expect((await api.desired("web-1")).hash).toBe(storePath("web-1", 2));
    await api.advance(3_600_000);
    expect((await api.desired("web-1")).hash).toBe(storePath("web-1", 2));
  });
});

describe("gates around a soak", () => {
  test("a freeze set during a soak: the soak ends in success, the next batch waits with reason freeze", async () => {
    const { created, next } = await soakingCanary(60);
    const res = await h.request("/api/v1/freeze", { method: "PUT", key: api.keys.admin, json: { reason: "incident" } });
    expect(res.status).toBe(200);
    await api.advance(61_000);
    const rollout = await api.get(created.rollout_id);
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "waiting_health"]);
    expect(rollout.blocked_by).toEqual(["freeze"]);
    expect(rollout.batches[1]!.machine_states[next]).toMatchObject({ state: "waiting", reason: "freeze" });
    const metrics = await (await h.request("/metrics")).text();
    expect(metrics).toContain('nixfleet_gate_blocks_total{gate="freeze"} 1');
  });

  test("a budget as a percentage: ceil(p%) of the active machines having its tags deploy at once", async () => {
    const { releaseId } = await fleet(5, "db", ["db"]);
    const res = await h.request("/api/v1/budgets/db", {
      method: "PUT",
      key: api.keys.admin,
      json: { tags: ["db"], max_unavailable: "30%" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ limit: 2 });
    const created = await allAtOnce(releaseId, { tags: ["db"] });
    const states = Object.values(await api.states(created.rollout_id)).sort();
    expect(states).toEqual([
      "deploying",
      "deploying",
      "waiting(budget:db)",
      "waiting(budget:db)",
      "waiting(budget:db)",
    ]);
    expect((await api.get(created.rollout_id)).blocked_by).toEqual(["budget:db"]);
  });
});

describe("edges", () => {
  test("a percentage budget set before its machines existed is a percentage of them once a rollout starts", async () => {
    const put = await h.request("/api/v1/budgets/db", {
      method: "PUT",
      key: api.keys.admin,
      json: { tags: ["db"], max_unavailable: "50%" },
    });
    expect(await put.json()).toMatchObject({ limit: 0 });
    const { releaseId } = await fleet(4, "db", ["db"]);
    const created = await allAtOnce(releaseId, { tags: ["db"] });
    const states = Object.values(await api.states(created.rollout_id)).sort();
    expect(states).toEqual(["deploying", "deploying", "waiting(budget:db)", "waiting(budget:db)"]);
    const budgets = (await (await h.request("/api/v1/budgets", { key: api.keys.readonly })).json()) as unknown[];
    expect(budgets).toMatchObject([{ name: "db", limit: 2, in_flight: 2 }]);
  });

  test("skip by a percent-encoded machine id", async () => {
    const ids = ["a/b", "c d%", "é"];
    await api.machines(ids, ["web"], NOW - 1000);
    const releaseId = await api.release(ids);
    const created = await allAtOnce(releaseId, { tags: ["web"] });
    for (const id of ids) {
      const res = await api.verb(created.rollout_id, `machines/${encodeURIComponent(id)}/skip`, { reason: "r" });
      expect(res.status, id).toBe(200);
    }
    expect((await api.get(created.rollout_id)).status).toBe("completed");
  });

  test("two aborts at once: one wins, the other is 409", async () => {
    const { releaseId } = await fleet(3);
    const created = await allAtOnce(releaseId, { tags: ["web"] });
    const results = await Promise.all([
      api.verb(created.rollout_id, "abort"),
      api.verb(created.rollout_id, "abort"),
      api.verb(created.rollout_id, "pause"),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  test("skipped after deploying, then abort: the skipped machine keeps the release", async () => {
    const { releaseId } = await fleet(2);
    const created = await allAtOnce(releaseId, { tags: ["web"] });
    const [a, b] = created.batches[0]!.machine_ids;
    expect((await api.verb(created.rollout_id, `machines/${a}/skip`)).status).toBe(200);
    expect((await api.verb(created.rollout_id, "abort")).status).toBe(200);
    expect((await api.desired(a!)).hash).toBe(storePath(a!));
    expect((await api.desired(b!)).hash).toBe(storePath(b!, 0));
  });

  test("a budget counts only active rollouts: cancel, abort and skip free its room at once", async () => {
    await h.request("/api/v1/budgets/web", {
      method: "PUT",
      key: api.keys.admin,
      json: { tags: ["web"], max_unavailable: "10" },
    });
    const inFlight = async () =>
      ((await (await h.request("/api/v1/budgets", { key: api.keys.readonly })).json()) as { in_flight: number }[])[0]!
        .in_flight;
    const { ids, releaseId } = await fleet(3);
    const first = await allAtOnce(releaseId, { hosts: [ids[0]!] });
    const second = await allAtOnce(releaseId, { hosts: [ids[1]!] });
    const third = await allAtOnce(releaseId, { hosts: [ids[2]!] });
    expect(await inFlight()).toBe(3);
    await api.verb(first.rollout_id, "cancel");
    expect(await inFlight()).toBe(2);
    await api.verb(second.rollout_id, "abort");
    expect(await inFlight()).toBe(1);
    await api.verb(third.rollout_id, `machines/${ids[2]}/skip`);
    expect(await inFlight()).toBe(0);
  });
});
