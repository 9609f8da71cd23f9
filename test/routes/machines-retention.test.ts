import { afterEach, beforeEach, expect, test } from "bun:test";
import { asc } from "drizzle-orm";
import { reportsSince } from "../../src/db/rollouts.ts";
import { healthReports, reports } from "../../src/db/schema.ts";
import { createRetention, RETENTION_CHUNK } from "../../src/services/retention.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { report } from "../support/machines.ts";

const HOUR = 3600 * 1000;
const health = (allPassed: boolean) => ({ results: [], all_passed: allPassed, timestamp: "2026-11-27T10:00:00Z" });

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const remaining = async () => ({
  reports: (await h.store.db.select().from(reports).orderBy(asc(reports.id))).map((r) => `${r.machineId}:${r.message}`),
  health: (await h.store.db.select().from(healthReports).orderBy(asc(healthReports.id))).map(
    (r) => `${r.machineId}:${r.allPassed}`,
  ),
});

test("prunes reports and health reports older than the retention, keeping each machine's latest of each", async () => {
  await report(h, "busy", { message: "old-1", health: health(false) });
  await report(h, "quiet", { message: "only" });
  await report(h, "checked", { message: "with-health", health: health(true) });
  h.advance(HOUR);
  await report(h, "busy", { message: "old-2", health: health(true) });
  await report(h, "checked", { message: "without-health" });
  h.advance(23 * HOUR);
  await report(h, "busy", { message: "recent" });
  h.advance(30 * 60 * 1000);
  // Now: the first round is 24.5 h old, the second 23.5 h, "recent" 0.5 h.

  const retention = createRetention(h.controlPlane.deps);
  expect(await retention.runOnce()).toEqual({ reports: 2, healthReports: 1 });
  expect(await remaining()).toEqual({
    reports: ["quiet:only", "busy:old-2", "checked:without-health", "busy:recent"],
    health: ["checked:true", "busy:true"],
  });

  h.advance(48 * HOUR);
  expect(await retention.runOnce()).toEqual({ reports: 1, healthReports: 0 });
  expect(await remaining()).toEqual({
    reports: ["quiet:only", "checked:without-health", "busy:recent"],
    health: ["checked:true", "busy:true"],
  });
  expect(await retention.runOnce()).toEqual({ reports: 0, healthReports: 0 });
});

test("a latest health report kept without its report is still read back: machine detail and the rollout health gate", async () => {
  const admin = await createTestKey(h, "admin");
  const start = h.controlPlane.deps.now();
  await report(h, "checked", { message: "with-health", health: health(false) });
  h.advance(HOUR);
  await report(h, "checked", { message: "without-health" });
  h.advance(24 * HOUR);
  expect(await createRetention(h.controlPlane.deps).runOnce()).toEqual({ reports: 1, healthReports: 0 });

  const detail = (await (await h.request("/api/v1/machines/checked", { key: admin })).json()) as {
    latest_health_report: { all_passed: boolean } | null;
    recent_reports: { message: string }[];
  };
  expect(detail.latest_health_report?.all_passed).toBe(false);
  expect(detail.recent_reports.map((r) => r.message)).toEqual(["without-health"]);
  const events = await reportsSince(h.store.db, ["checked"], start);
  expect(events.reports.map((r) => r.message)).toEqual(["without-health"]);
  expect(events.health.map((e) => [e.machineId, e.receivedAt, e.allPassed])).toEqual([["checked", start, false]]);
});

test("deletes in bounded chunks and gets past a chunk made only of rows it must keep", async () => {
  const start = h.controlPlane.deps.now();
  const keepers = RETENTION_CHUNK + 200;
  const rows = [
    // Oldest: one report each for many machines; all are their machine's latest, so all stay.
    ...Array.from({ length: keepers }, (_, i) => ({ machineId: `idle-${i}`, receivedAt: start, message: "keep" })),
    ...Array.from({ length: 2 * RETENTION_CHUNK + 300 }, (_, i) => ({
      machineId: "chatty",
      receivedAt: start + 1 + i,
      message: `r${i}`,
    })),
  ];
  await h.store.write(async (tx) => {
    for (let i = 0; i < rows.length; i += 500) {
      await tx
        .insert(reports)
        .values(
          rows.slice(i, i + 500).map((r) => ({ ...r, currentGeneration: "g", success: true, agentTimestamp: "t" })),
        );
    }
  });
  h.advance(100 * HOUR);

  const deps = h.controlPlane.deps;
  let writes = 0;
  const retention = createRetention({
    ...deps,
    store: { ...deps.store, write: (fn) => (writes++, deps.store.write(fn)) },
  });
  expect(await retention.runOnce()).toEqual({ reports: 2 * RETENTION_CHUNK + 299, healthReports: 0 });
  expect(writes).toBeGreaterThanOrEqual(4);
  const left = await h.store.db.select().from(reports);
  expect(left).toHaveLength(keepers + 1);
  expect(left.find((r) => r.machineId === "chatty")?.message).toBe(`r${2 * RETENTION_CHUNK + 299}`);
});

test("start() runs a pass in the background; stop() ends it", async () => {
  await report(h, "web-01", { message: "old" });
  h.advance(25 * HOUR);
  await report(h, "web-01", { message: "new" });
  const retention = createRetention(h.controlPlane.deps, 60_000);
  retention.start();
  for (let i = 0; i < 100 && (await h.store.db.select().from(reports)).length > 1; i++) await Bun.sleep(10);
  await retention.stop();
  expect((await remaining()).reports).toEqual(["web-01:new"]);
});

test("the control plane starts and stops the retention task", async () => {
  const started = await createHarness({ start: true });
  try {
    await report(started, "web-01", { message: "old" });
    started.advance(25 * HOUR);
    await report(started, "web-01", { message: "new" });
    await started.controlPlane.stop();
    started.controlPlane.start();
    for (let i = 0; i < 100 && (await started.store.db.select().from(reports)).length > 1; i++) await Bun.sleep(10);
    expect((await started.store.db.select().from(reports)).map((r) => r.message)).toEqual(["new"]);
  } finally {
    await started.close();
  }
});
