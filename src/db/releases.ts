import { and, desc, eq, exists, inArray, sql } from "drizzle-orm";
import { yieldToEventLoop } from "../event-loop.ts";
import { deleteInTurns } from "./bulk-delete.ts";
import type { DbOrTx } from "./database.ts";
import { releaseEntries, releases, rollouts } from "./schema.ts";

/** One host of a release. */
export interface ReleaseEntryRecord {
  hostname: string;
  storePath: string;
  platform: string;
  tags: string[];
}

/** A release with its entries (sorted by hostname). */
export interface ReleaseRecord {
  id: string;
  flakeRef: string | null;
  flakeRev: string | null;
  cacheUrl: string | null;
  hostCount: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  createdBy: string;
  entries: ReleaseEntryRecord[];
}

export interface NewRelease {
  id: string;
  flakeRef: string | null;
  flakeRev: string | null;
  cacheUrl: string | null;
  createdAt: number;
  createdBy: string;
  entries: ReleaseEntryRecord[];
}

type ReleaseRow = typeof releases.$inferSelect;
type ReleaseEntryRow = typeof releaseEntries.$inferSelect;

function toEntry(row: ReleaseEntryRow): ReleaseEntryRecord {
  return { hostname: row.hostname, storePath: row.storePath, platform: row.platform, tags: JSON.parse(row.tags) };
}

function toRelease(row: ReleaseRow, entries: ReleaseEntryRecord[]): ReleaseRecord {
  return { ...row, entries };
}

/**
 * Entries inserted per statement (~10 ms of SQLite work); the event loop gets a turn between
 * statements, so inserting a 100 000-entry release does not hold up agent polls.
 */
const ENTRIES_PER_STATEMENT = 1000;

/**
 * Inserts a release and its entries; call it inside `store.write` (the release appears when that
 * transaction commits, all its entries at once). The entries go in as a few statements that
 * each expand a JSON array inside SQLite: no bound-variable limit to chunk around, and 1 000
 * entries cost one statement instead of thousands of bound values built in JS.
 */
export async function insertRelease(tx: DbOrTx, release: NewRelease): Promise<void> {
  await tx.insert(releases).values({
    id: release.id,
    flakeRef: release.flakeRef,
    flakeRev: release.flakeRev,
    cacheUrl: release.cacheUrl,
    hostCount: release.entries.length,
    createdAt: release.createdAt,
    createdBy: release.createdBy,
  });
  for (let start = 0; start < release.entries.length; start += ENTRIES_PER_STATEMENT) {
    if (start > 0) await yieldToEventLoop();
    const entriesJson = JSON.stringify(release.entries.slice(start, start + ENTRIES_PER_STATEMENT));
    await tx.run(sql`
      INSERT INTO ${releaseEntries} (release_id, hostname, store_path, platform, tags)
      SELECT ${release.id}, value ->> 'hostname', value ->> 'storePath', value ->> 'platform', value -> 'tags'
      FROM json_each(${entriesJson})`);
  }
}

/** True when a release with this id exists. */
export async function releaseExists(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db.select({ id: releases.id }).from(releases).where(eq(releases.id, id)).limit(1);
  return rows.length > 0;
}

/** The release with its entries, or undefined. */
export async function getRelease(db: DbOrTx, id: string): Promise<ReleaseRecord | undefined> {
  const [row] = await db.select().from(releases).where(eq(releases.id, id)).limit(1);
  if (!row) return undefined;
  const entries = await db
    .select()
    .from(releaseEntries)
    .where(eq(releaseEntries.releaseId, id))
    .orderBy(releaseEntries.hostname);
  return toRelease(row, entries.map(toEntry));
}

/** The release's entries keyed by hostname (empty for an unknown release). */
export async function getReleaseEntries(db: DbOrTx, id: string): Promise<Map<string, ReleaseEntryRecord>> {
  const rows = await db.select().from(releaseEntries).where(eq(releaseEntries.releaseId, id));
  return new Map(rows.map((row) => [row.hostname, toEntry(row)]));
}

/**
 * Releases newest first (insertion order breaks ties within a millisecond), optionally only
 * those with an entry for `host`; the entries of all of them come from one query.
 */
export async function listReleases(db: DbOrTx, options: { limit: number; host?: string }): Promise<ReleaseRecord[]> {
  const hostFilter =
    options.host === undefined
      ? undefined
      : exists(
          db
            .select({ one: sql`1` })
            .from(releaseEntries)
            .where(and(eq(releaseEntries.releaseId, releases.id), eq(releaseEntries.hostname, options.host))),
        );
  const rows = await db
    .select()
    .from(releases)
    .where(hostFilter)
    .orderBy(desc(releases.createdAt), desc(sql`${releases}.rowid`))
    .limit(options.limit);
  if (rows.length === 0) return [];
  const entryRows = await db
    .select()
    .from(releaseEntries)
    .where(
      inArray(
        releaseEntries.releaseId,
        rows.map((row) => row.id),
      ),
    )
    .orderBy(releaseEntries.releaseId, releaseEntries.hostname);
  const entriesByRelease = new Map<string, ReleaseEntryRecord[]>();
  for (const row of entryRows) {
    const list = entriesByRelease.get(row.releaseId);
    if (list) list.push(toEntry(row));
    else entriesByRelease.set(row.releaseId, [toEntry(row)]);
  }
  return rows.map((row) => toRelease(row, entriesByRelease.get(row.id) ?? []));
}

/** True while any rollout, whatever its status, references the release. */
export async function releaseHasRollouts(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db.select({ id: rollouts.id }).from(rollouts).where(eq(rollouts.releaseId, id)).limit(1);
  return rows.length > 0;
}

/** Deletes a release and its entries; call it inside `store.write`. */
export async function deleteRelease(tx: DbOrTx, id: string): Promise<void> {
  await deleteInTurns(tx, releaseEntries, eq(releaseEntries.releaseId, id));
  await tx.delete(releases).where(eq(releases.id, id));
}
