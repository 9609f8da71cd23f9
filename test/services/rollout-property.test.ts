// SPEC §14.5 against the real service and database: random sequences of rollouts, verbs, reports,
// freezes, clock jumps and restarts (a new control plane built from the same database), with the
// invariants checked in the database after every step. Seeded and bounded.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { RolloutApi } from "../support/rollouts.ts";

const MACHINES = Array.from({ length: 6 }, (_, i) => `m${i}`);
const BUDGET = 1;

type Command =
  | {
      kind: "create";
      members: number[];
      staged: boolean;
      maxInFlight: boolean;
      soak: boolean;
      revert: boolean;
      supersede: boolean;
    }
  | { kind: "report"; machine: number; outcome: "healthy" | "failed-report" | "failed-check" }
  | { kind: "advance"; ms: number }
  | {
      kind: "verb";
      rollout: number;
      verb: "pause" | "resume" | "promote" | "abort" | "retry" | "cancel";
      force: boolean;
    }
  | { kind: "skip"; rollout: number; machine: number }
  | { kind: "freeze"; on: boolean }
  | { kind: "restart" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      members: fc.uniqueArray(fc.integer({ min: 0, max: MACHINES.length - 1 }), { minLength: 1, maxLength: 4 }),
      staged: fc.boolean(),
      maxInFlight: fc.boolean(),
      soak: fc.boolean(),
      revert: fc.boolean(),
      supersede: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("report" as const),
      machine: fc.integer({ min: 0, max: MACHINES.length - 1 }),
      outcome: fc.constantFrom("healthy", "healthy", "failed-report", "failed-check"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(1, 20_000, 70_000) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("verb" as const),
      rollout: fc.nat(),
      verb: fc.constantFrom("pause", "resume", "promote", "abort", "retry", "cancel"),
      force: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("skip" as const),
      rollout: fc.nat(),
      machine: fc.integer({ min: 0, max: MACHINES.length - 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("freeze" as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

/** What a restart must reproduce: every rollout's status, batches and machine states. */
async function snapshot(h: Harness): Promise<unknown> {
  return h.store.db.all(sql`
    select r.id, r.status, r.revert_pending,
      (select json_group_array(json_array(b.batch_index, b.status, b.soak_until)) from rollout_batches b where b.rollout_id = r.id),
      (select json_group_array(json_array(m.machine_id, m.health, m.health_reason, m.deploy_started_at))
        from rollout_machines m where m.rollout_id = r.id)
    from rollouts r order by r.created_at, r.id`);
}

async function checkInvariants(h: Harness, aborted: Set<string>): Promise<void> {
  const db = h.store.db;
  // No machine is in two active rollouts.
  const doubled = await db.all(sql`
    select m.machine_id from rollout_machines m join rollouts r on r.id = m.rollout_id
    where r.status in ('created', 'scheduled', 'running', 'paused') and m.health not in ('skipped', 'superseded')
    group by m.machine_id having count(*) > 1`);
  expect(doubled).toEqual([]);
  // No budget is ever exceeded.
  const [inFlight] = await db.all<{ n: number }>(sql`
    select count(*) as n from rollout_machines m join rollouts r on r.id = m.rollout_id
    join machine_tags t on t.machine_id = m.machine_id and t.tag = 'a'
    where r.status in ('scheduled', 'running', 'paused') and m.health = 'deploying'`);
  expect(inFlight!.n).toBeLessThanOrEqual(BUDGET);
  // After abort every machine the rollout changed desires its previous generation (until another rollout takes it).
  for (const id of aborted) {
    const wrong = await db.all(sql`
      select m.machine_id from rollout_machines m left join desired_generations d on d.machine_id = m.machine_id
      where m.rollout_id = ${id} and m.deploy_started_at is not null and m.health not in ('skipped', 'superseded')
        and not exists (select 1 from rollout_machines o join rollouts r on r.id = o.rollout_id
          where o.machine_id = m.machine_id and o.rollout_id != ${id} and r.created_at >= (select created_at from rollouts where id = ${id}))
        and d.store_path is not m.previous_generation`);
    expect(wrong).toEqual([]);
  }
  // Every transition has its audit row: a rollout's events are its own audit rows (batch.waiting_health is an
  // event only), and each machine's state is the one its last machine.* audit row recorded.
  const mismatched = await db.all(sql`
    select r.id from rollouts r where
      (select group_concat(event_type) from (select event_type from rollout_events
        where rollout_id = r.id and event_type != 'batch.waiting_health' order by id))
      is not (select group_concat(action) from (select action from audit_events
        where rollout_id = r.id and target = r.id order by id))`);
  expect(mismatched).toEqual([]);
  const stale = await db.all(sql`
    select m.rollout_id, m.machine_id, m.health from rollout_machines m
    where 'machine.' || m.health is not coalesce((select a.action from audit_events a
      where a.rollout_id = m.rollout_id and a.target = m.machine_id and a.action != 'machine.reverted'
      order by a.id desc limit 1), 'machine.pending')`);
  expect(stale).toEqual([]);
}

async function run(commands: Command[]): Promise<void> {
  const h = await createHarness();
  const keys = {
    admin: await createTestKey(h, "admin"),
    deploy: await createTestKey(h, "deploy"),
    readonly: await createTestKey(h, "readonly"),
  };
  const api = new RolloutApi(h, keys);
  const rollouts: string[] = [];
  const aborted = new Set<string>();
  try {
    await api.machines(
      MACHINES.filter((_, i) => i % 2 === 0),
      ["a"],
      h.controlPlane.deps.now() - 1000,
    );
    await api.machines(
      MACHINES.filter((_, i) => i % 2 === 1),
      ["b"],
      h.controlPlane.deps.now() - 1000,
    );
    const releaseId = await api.release(MACHINES);
    const admin = { method: "PUT", key: keys.admin };
    expect(
      (await h.request("/api/v1/budgets/a", { ...admin, json: { tags: ["a"], max_unavailable: String(BUDGET) } }))
        .status,
    ).toBe(200);
    for (const c of commands) {
      switch (c.kind) {
        case "create": {
          const res = await api.create({
            release_id: releaseId,
            strategy: c.staged ? "staged" : "all_at_once",
            batch_sizes: c.staged ? ["1", "100%"] : null,
            health_timeout: 60,
            max_in_flight: c.maxInFlight ? "1" : null,
            soak_seconds: c.soak ? 30 : 0,
            on_failure: c.revert ? "revert" : "pause",
            supersede: c.supersede,
            target: { hosts: c.members.map((i) => MACHINES[i]!) },
          });
          expect([201, 409]).toContain(res.status);
          if (res.status === 201) rollouts.push(((await res.json()) as { rollout_id: string }).rollout_id);
          break;
        }
        case "report":
          h.advance(1);
          await api.report(MACHINES[c.machine]!, c.outcome);
          break;
        case "advance":
          await api.advance(c.ms);
          break;
        case "verb": {
          if (rollouts.length === 0) break;
          const id = rollouts[c.rollout % rollouts.length]!;
          const res = await api.verb(id, c.verb, c.verb === "promote" ? { force: c.force } : undefined);
          expect([200, 409]).toContain(res.status);
          if (c.verb === "abort" && res.status === 200) aborted.add(id);
          break;
        }
        case "skip": {
          if (rollouts.length === 0) break;
          const id = rollouts[c.rollout % rollouts.length]!;
          const res = await api.verb(id, `machines/${MACHINES[c.machine]}/skip`);
          expect([200, 404, 409]).toContain(res.status);
          break;
        }
        case "freeze": {
          const res = c.on
            ? await h.request("/api/v1/freeze", { ...admin, json: { reason: "property" } })
            : await h.request("/api/v1/freeze", { method: "DELETE", key: keys.admin });
          expect([200, 204]).toContain(res.status);
          await api.executor.idle();
          break;
        }
        case "restart": {
          const before = await snapshot(h);
          await h.restart();
          expect(await snapshot(h)).toEqual(before);
          break;
        }
      }
      await checkInvariants(h, aborted);
    }
  } finally {
    await h.close();
  }
}

test("§14.5 invariants hold in the database over random verbs, reports, restarts and clock jumps", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 25 }), (commands) => run(commands)),
    { seed: 1405, numRuns: 30 },
  );
}, 60_000);
