import { afterEach, expect, test } from "bun:test";
import type { IncomingReport } from "../../src/db/machines.ts";
import { reports } from "../../src/db/schema.ts";
import { DatabaseUnavailableError } from "../../src/db/unavailable.ts";
import { ReportIngest } from "../../src/services/report-ingest.ts";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
afterEach(() => h.close());

const report = (machineId: string): IncomingReport => ({
  machineId,
  currentGeneration: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05",
  success: true,
  message: "switched",
  agentTimestamp: "2026-11-27T10:00:00Z",
  reportedAt: "2026-11-27T10:00:00.000Z",
  tags: [],
  health: null,
  agentVersion: "0.1.0",
  uptimeSeconds: 1,
});

/** Counts the write transactions the store runs for reports. */
function countWrites(harness: Harness): () => number {
  const { store } = harness;
  const writeStatements = store.writeStatements.bind(store);
  let writes = 0;
  store.writeStatements = (fn) => {
    writes++;
    return writeStatements(fn);
  };
  return () => writes;
}

test("reports submitted in the same turn of the event loop share one transaction, each answered after it", async () => {
  h = await createHarness();
  const writes = countWrites(h);
  const ingest = new ReportIngest(h.controlPlane.deps);
  const ids = Array.from({ length: 20 }, (_, i) => `web-${i}`);
  const stored = await Promise.all(ids.map((id) => ingest.submit(report(id))));
  expect(stored.map((s) => s.machineId)).toEqual(ids);
  expect(stored.every((s) => s.lifecycle === "active")).toBe(true);
  expect(writes()).toBe(1);
  expect(await h.store.db.$count(reports)).toBe(20);
});

test("reports arriving while a commit runs go into the next transaction together", async () => {
  h = await createHarness();
  const writes = countWrites(h);
  const ingest = new ReportIngest(h.controlPlane.deps);
  const first = ingest.submit(report("web-0"));
  // Wait until the first transaction has started, then send a burst behind it.
  while (writes() === 0) await new Promise((resolve) => setImmediate(resolve));
  const burst = Array.from({ length: 10 }, (_, i) => ingest.submit(report(`web-${i + 1}`)));
  await Promise.all([first, ...burst]);
  expect(writes()).toBe(2);
  expect(await h.store.db.$count(reports)).toBe(11);
});

test("a report the database refuses fails alone: the rest of its batch commits, in halves, not one by one", async () => {
  h = await createHarness();
  const writes = countWrites(h);
  const ingest = new ReportIngest(h.controlPlane.deps);
  // Two tags that differ only in their lone surrogates collide on the tag table's primary key
  // once SQLite stores both as U+FFFD (the route makes them well-formed first; this bypasses it).
  const poison = { ...report("poison"), tags: ["\ud800", "\udc00"] };
  const submitted = Array.from({ length: 20 }, (_, i) => ingest.submit(i === 13 ? poison : report(`web-${i}`)));
  const outcomes = await Promise.allSettled(submitted);
  expect(outcomes.map((o) => o.status)).toEqual(
    Array.from({ length: 20 }, (_, i) => (i === 13 ? "rejected" : "fulfilled")),
  );
  expect(String((outcomes[13] as PromiseRejectedResult).reason)).toContain("UNIQUE constraint failed");
  expect(await h.store.db.$count(reports)).toBe(19);
  // One batch, then halves down to the poison report: 1 + 2 × ceil(log2 20) at most.
  expect(writes()).toBeGreaterThan(1);
  expect(writes()).toBeLessThanOrEqual(11);
});

test("a database that cannot take writes fails the whole batch once, without trying its reports apart", async () => {
  h = await createHarness();
  const ingest = new ReportIngest(h.controlPlane.deps);
  let writes = 0;
  const unavailable = new DatabaseUnavailableError("disk full", "SQLITE_FULL");
  h.store.writeStatements = async () => {
    writes++;
    throw unavailable;
  };
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => ingest.submit(report(`web-${i}`))));
  expect(outcomes.every((o) => o.status === "rejected" && o.reason === unavailable)).toBe(true);
  expect(writes).toBe(1);
});

test("when the database becomes unavailable while halves are tried, the halves not yet tried fail with it", async () => {
  h = await createHarness();
  const ingest = new ReportIngest(h.controlPlane.deps);
  const writeStatements = h.store.writeStatements.bind(h.store);
  const unavailable = new DatabaseUnavailableError("database locked", "SQLITE_BUSY");
  let writes = 0;
  h.store.writeStatements = async (fn) => {
    writes++;
    if (writes === 1) throw new Error("a report of this batch is refused");
    if (writes === 2) throw unavailable;
    return writeStatements(fn);
  };
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ingest.submit(report(`web-${i}`))));
  expect(outcomes.every((o) => o.status === "rejected" && o.reason === unavailable)).toBe(true);
  expect(writes).toBe(2);
  expect(await h.store.db.$count(reports)).toBe(0);
});

test("a batch's bounded wait for the database counts from its oldest report's submission", async () => {
  h = await createHarness();
  const { store } = h;
  const writeStatements = store.writeStatements.bind(store);
  const queuedAt: number[] = [];
  const calledAt: number[] = [];
  store.writeStatements = (fn, options) => {
    queuedAt.push(options?.queuedAt ?? Number.NaN);
    calledAt.push(performance.now());
    return writeStatements(fn, options);
  };
  const ingest = new ReportIngest(h.controlPlane.deps);
  const submitted = performance.now();
  const first = ingest.submit(report("web-0"));
  const second = ingest.submit(report("web-1"));
  await Promise.all([first, second]);
  expect(queuedAt).toHaveLength(1);
  expect(queuedAt[0]!).toBeGreaterThanOrEqual(submitted);
  expect(queuedAt[0]!).toBeLessThan(calledAt[0]!);
});
