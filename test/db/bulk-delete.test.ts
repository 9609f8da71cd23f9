// deleteInTurns (src/db/bulk-delete.ts): large deletions in chunks, turns of the event loop
// between them, all in the caller's transaction.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { DELETE_CHUNK, deleteInTurns } from "../../src/db/bulk-delete.ts";
import { releaseEntries } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ROWS = 2 * DELETE_CHUNK + 500;

async function seed(releaseId: string, rows: number): Promise<void> {
  await h.store.write((tx) =>
    tx.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
      INSERT INTO release_entries (release_id, hostname, store_path, platform)
      SELECT ${releaseId}, 'host-' || i, '/nix/store/x-' || i, 'x86_64-linux' FROM n`),
  );
}

async function entriesOf(releaseId: string): Promise<number> {
  const rows = await h.store.db.select().from(releaseEntries).where(eq(releaseEntries.releaseId, releaseId));
  return rows.length;
}

test("deletes every matching row and only those, giving the event loop turns between chunks", async () => {
  await seed("rel-big", ROWS);
  await seed("rel-other", 10);
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  await h.store.write((tx) => deleteInTurns(tx, releaseEntries, eq(releaseEntries.releaseId, "rel-big")));
  counting = false;
  expect(await entriesOf("rel-big")).toBe(0);
  expect(await entriesOf("rel-other")).toBe(10);
  // Three chunks (two full, one partial): at least two turns ran between them.
  expect(turns).toBeGreaterThanOrEqual(2);
});

test("a transaction that fails after the deletion keeps every row", async () => {
  await seed("rel-kept", ROWS);
  const failed = h.store.write(async (tx) => {
    await deleteInTurns(tx, releaseEntries, eq(releaseEntries.releaseId, "rel-kept"));
    throw new Error("changed my mind");
  });
  await expect(failed).rejects.toThrow("changed my mind");
  expect(await entriesOf("rel-kept")).toBe(ROWS);
});
