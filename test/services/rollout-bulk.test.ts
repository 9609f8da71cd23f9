// SPEC §13 bulk work for rollouts: large creations, batch starts and reverts run in chunks that
// each are a consistent transition and leave the event loop free in between; a crash mid-way
// resumes correctly (an unfinished creation is discarded, an unfinished revert is finished).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { and, count, eq, sql } from "drizzle-orm";
import { auditEvents, desiredGenerations, rolloutMachines, rollouts } from "../../src/db/schema.ts";
import { CREATE_CHUNK, MAX_CHANGES_PER_STEP, RELEASE_CHUNK } from "../../src/services/rollout-executor.ts";
import { REVERT_CHUNK } from "../../src/db/rollouts.ts";
import { MEMBERS_PER_READ } from "../../src/services/view-follower.ts";
import { addPeer } from "../support/cluster.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { RolloutApi, storePath } from "../support/rollouts.ts";

let h: Harness;
let api: RolloutApi;
const N = 2 * CREATE_CHUNK + 500;

beforeEach(async () => {
  h = await createHarness();
  api = new RolloutApi(h, {
    admin: await createTestKey(h, "admin"),
    deploy: await createTestKey(h, "deploy"),
    readonly: await createTestKey(h, "readonly"),
  });
});
afterEach(() => h.close());

const ids = Array.from({ length: N }, (_, i) => `node-${String(i).padStart(5, "0")}`);

async function countWhere(rolloutId: string, action: string): Promise<number> {
  const [row] = await h.store.db
    .select({ n: count() })
    .from(auditEvents)
    .where(and(eq(auditEvents.rolloutId, rolloutId), eq(auditEvents.action, action)));
  return row!.n;
}

test("a rollout over more machines than a chunk: created whole, started and reverted in steps, polls answered between them", async () => {
  expect(N).toBeGreaterThan(MAX_CHANGES_PER_STEP);
  expect(N).toBeGreaterThan(REVERT_CHUNK);
  expect(N).toBeGreaterThan(RELEASE_CHUNK);
  await api.machines(ids, ["fleet"], h.controlPlane.deps.now() - 1000);
  const releaseId = await api.release(ids);
  // A timer armed now fires between two steps: the start does not hold the event loop until it is done.
  let timerFired = false;
  let startedWhenTimerFired = -1;
  const res = await api.post("/api/v1/rollouts", api.keys.deploy, {
    release_id: releaseId,
    strategy: "all_at_once",
    target: { tags: ["fleet"] },
  });
  expect(res.status).toBe(201);
  const { rollout_id: id } = (await res.json()) as { rollout_id: string };
  setTimeout(async () => {
    timerFired = true;
    const [row] = await h.store.db
      .select({ n: count() })
      .from(rolloutMachines)
      .where(and(eq(rolloutMachines.rolloutId, id), eq(rolloutMachines.state, "deploying")));
    startedWhenTimerFired = row!.n;
  }, 0);
  await api.executor.idle();
  expect(timerFired).toBe(true);
  expect(startedWhenTimerFired).toBeLessThan(N);
  expect(await countWhere(id, "machine.deploying")).toBe(N);
  expect(await countWhere(id, "rollout.created")).toBe(1);
  for (const machine of [ids[0]!, ids[N - 1]!]) expect((await api.desired(machine)).hash).toBe(storePath(machine));

  const { fleet } = h.controlPlane.deps;
  expect(ids.filter((machine) => !fleet.isInActiveRollout(machine))).toEqual([]);
  expect((await api.desired(ids[N - 1]!)).poll_hint).toBe(5);

  const aborted = await api.verb(id, "abort", { reason: "bulk" });
  expect(aborted.status).toBe(200);
  expect(await countWhere(id, "machine.reverted")).toBe(N);
  // They had no desired generation before: they get their reported one back.
  for (const machine of [ids[0]!, ids[N - 1]!]) expect((await api.desired(machine)).hash).toBe(storePath(machine, 0));
  // Released page by page, every one of them: no agent keeps the rollout's poll hint.
  expect(ids.filter((machine) => fleet.isInActiveRollout(machine))).toEqual([]);
  for (const machine of [ids[0]!, ids[N - 1]!]) expect((await api.desired(machine)).poll_hint).toBeNull();
  const [pending] = await h.store.db.select({ revertPending: rollouts.revertPending }).from(rollouts);
  expect(pending!.revertPending).toBe(false);
}, 60_000);

test("a replica reads the machines of a rollout that begins or ends page by page: those no event names are held, then released", async () => {
  expect(N).toBeGreaterThan(MEMBERS_PER_READ);
  await api.machines(ids, ["fleet"], h.controlPlane.deps.now() - 1000);
  const releaseId = await api.release(ids);
  const replica = await addPeer(h, { nodeId: "replica", leaseSeconds: 5, executor: false });
  try {
    const held = () => ids.filter((machine) => replica.controlPlane.deps.fleet.isInActiveRollout(machine));
    // Only the canary starts: the other machines are named by no event of their own, only by `rollout.created`.
    const created = await api.createOk({
      release_id: releaseId,
      strategy: "staged",
      batch_sizes: ["1", "100%"],
      health_timeout: 3600,
      target: { tags: ["fleet"] },
    });
    await replica.controlPlane.deps.views.sync();
    expect(held()).toEqual(ids);
    expect((await api.verb(created.rollout_id, "cancel")).status).toBe(200);
    await replica.controlPlane.deps.views.sync();
    expect(held()).toEqual([]);
  } finally {
    await replica.close();
  }
}, 60_000);

test("a creation a crash interrupted is discarded at start; its machines are free again", async () => {
  await api.machines(["a", "b"], ["web"], h.controlPlane.deps.now() - 1000);
  const releaseId = await api.release(["a", "b"]);
  // What a crash between the creation's chunks leaves: the rollout `created`, part of its machines written.
  await h.store.write(async (tx) => {
    await tx.run(sql`insert into rollouts (id, release_id, strategy, status, on_failure, failure_threshold,
      health_timeout, target, batch_sizes, created_at, updated_at, created_by)
      values ('r-half', ${releaseId}, 'all_at_once', 'created', 'pause', '0', 300, '{"tags":["web"]}', '["100%"]', 1, 1, 'apikey:ci')`);
    await tx.run(sql`insert into rollout_batches (rollout_id, batch_index, status) values ('r-half', 0, 'pending')`);
    await tx.run(sql`insert into rollout_machines (rollout_id, machine_id, batch_index, position, health)
      values ('r-half', 'a', 0, 0, 'pending')`);
  });
  await h.restart();
  expect((await h.request("/api/v1/rollouts/r-half", { key: api.keys.readonly })).status).toBe(404);
  const [discarded] = await h.store.db.select().from(auditEvents).where(eq(auditEvents.target, "r-half"));
  expect(discarded).toMatchObject({ action: "rollout.discarded", actor: "executor", rolloutId: "r-half" });
  expect((await api.create({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } })).status).toBe(
    201,
  );
});

test("a revert a crash interrupted is finished at start", async () => {
  await api.machines(["a", "b"], ["web"], h.controlPlane.deps.now() - 1000);
  const releaseId = await api.release(["a", "b"]);
  const created = await api.createOk({ release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } });
  expect((await api.desired("a")).hash).toBe(storePath("a"));
  // What a crash after the abort's own transaction leaves: aborted, revert pending, machines not yet reverted.
  await h.store.write((tx) =>
    tx.update(rollouts).set({ status: "aborted", revertPending: true }).where(eq(rollouts.id, created.rollout_id)),
  );
  await h.restart();
  for (const id of ["a", "b"]) expect((await api.desired(id)).hash).toBe(storePath(id, 0));
  const rows = await h.store.db.select().from(desiredGenerations);
  expect(rows.map((r) => r.storePath).sort()).toEqual([storePath("a", 0), storePath("b", 0)].sort());
  expect(await countWhere(created.rollout_id, "machine.reverted")).toBe(2);
});
