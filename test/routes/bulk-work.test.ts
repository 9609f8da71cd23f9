// SPEC §13 "Bulk work does not stall agents": work over a whole fleet runs in chunks that give
// the event loop turns (where agent polls are answered), and a large release still appears whole.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { releaseEntries, releases } from "../../src/db/schema.ts";
import { createRetention, type RetentionResult } from "../../src/services/retention.ts";
import { turnsDuring } from "../support/event-loop.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

const HOUR = 3600 * 1000;
const STORE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";

let h: Harness;
let admin: string;
beforeEach(async () => {
  h = await createHarness({ maxReleaseBodyMib: 4 });
  admin = await createTestKey(h, "admin");
});
afterEach(() => h.close());

const host = (i: number) => `host-${String(i).padStart(5, "0")}`;

/** `count` machines with a report each, straight into the database. */
async function seedMachines(count: number): Promise<void> {
  const rows = JSON.stringify(Array.from({ length: count }, (_, i) => host(i)));
  const now = h.controlPlane.deps.now();
  await h.store.write(async (tx) => {
    await tx.run(sql`insert into machines (machine_id, lifecycle, registered_at, last_report_at)
      select value, 'active', ${now}, ${now} from json_each(${rows})`);
    await tx.run(sql`insert into reports (machine_id, received_at, current_generation, success, message, agent_timestamp)
      select value, ${now}, ${STORE_PATH}, 1, 'old', '2026-11-27T10:00:00Z' from json_each(${rows})`);
    await tx.run(sql`insert into audit_events (timestamp, actor, action, target, detail)
      select ${now}, 'machine:' || value, 'report', value, '{}' from json_each(${rows})`);
  });
  await h.controlPlane.deps.fleet.load(h.store.db);
}

test("listing the whole fleet, exporting the audit log and /metrics give the event loop turns", async () => {
  await seedMachines(3500);
  const listed = await turnsDuring(async () => {
    const response = await h.request("/api/v1/machines", { key: admin });
    expect(((await response.json()) as unknown[]).length).toBe(3500);
  });
  expect(listed).toBeGreaterThanOrEqual(3);
  const paged = await turnsDuring(async () => {
    const response = await h.request("/api/v1/machines?limit=3000", { key: admin });
    expect(((await response.json()) as unknown[]).length).toBe(3000);
  });
  expect(paged).toBeGreaterThanOrEqual(2);
  const exported = await turnsDuring(async () => {
    const response = await h.request("/api/v1/audit/export", { key: admin });
    expect((await response.text()).trim().split("\n").length).toBe(3501);
  });
  expect(exported).toBeGreaterThanOrEqual(3);

  for (let i = 3500; i < 35_000; i++) h.controlPlane.deps.fleet.recordMachine(host(i), "active", 1);
  const scraped = await turnsDuring(async () => {
    const text = await (await h.request("/metrics")).text();
    expect(text.match(/^nixfleet_machine_last_seen_timestamp_seconds\{/gm)?.length).toBe(35_000);
  });
  expect(scraped).toBeGreaterThanOrEqual(3);
});

test("a retention pass gives the event loop a turn between chunks", async () => {
  await seedMachines(3500);
  h.advance(25 * HOUR);
  await seedMachines(0);
  const now = h.controlPlane.deps.now();
  // A newer report per machine, so the old ones are not their latest and go.
  await h.store.write((tx) =>
    tx.run(sql`insert into reports (machine_id, received_at, current_generation, success, message, agent_timestamp)
      select machine_id, ${now}, ${STORE_PATH}, 1, 'new', '2026-11-28T11:00:00Z' from machines`),
  );
  let result: RetentionResult | undefined;
  const turns = await turnsDuring(async () => {
    result = await createRetention(h.controlPlane.deps).runOnce();
  });
  expect(result).toEqual({ reports: 3500, healthReports: 0 });
  expect(turns).toBeGreaterThanOrEqual(3);
});

const manifest = (count: number) => ({
  flake_ref: "github:example/fleet",
  entries: Array.from({ length: count }, (_, i) => ({
    hostname: host(i),
    store_path: STORE_PATH,
    platform: "x86_64-linux",
  })),
});

test("a large release is validated and inserted in chunks, and appears whole: never half-visible while it is written", async () => {
  const created = h.request("/api/v1/releases", { json: manifest(6000), key: admin });
  let done = false;
  void created.then(() => (done = true));
  const seen: number[] = [];
  while (!done) {
    const rows = await h.store.db.select().from(releases);
    const entries = await h.store.db.$count(releaseEntries);
    if (!done) seen.push(rows.length, entries);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const response = await created;
  expect(response.status).toBe(201);
  expect(seen.length).toBeGreaterThan(6); // it was looked at between its chunks
  expect(new Set(seen)).toEqual(new Set([0]));
  expect(await h.store.db.$count(releaseEntries)).toBe(6000);
});

test("a release whose insert fails half-way leaves nothing behind", async () => {
  await h.store.client.execute(`CREATE TRIGGER fail_half_way BEFORE INSERT ON release_entries
    WHEN NEW.hostname = '${host(3500)}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  const response = await h.request("/api/v1/releases", { json: manifest(6000), key: admin });
  expect(response.status).toBe(500);
  expect(await h.store.db.$count(releases)).toBe(0);
  expect(await h.store.db.$count(releaseEntries)).toBe(0);
  // The database takes the next release.
  await h.store.client.execute("DROP TRIGGER fail_half_way");
  expect((await h.request("/api/v1/releases", { json: manifest(10), key: admin })).status).toBe(201);
});
