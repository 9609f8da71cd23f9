import { asc, eq, gt, lte, sql } from "drizzle-orm";
import type { LeaseState } from "../domain/lease.ts";
import type { DbOrTx } from "./database.ts";
import { clusterNodes, leases } from "./schema.ts";

/**
 * The database's clock in milliseconds since the epoch. Every lease and heartbeat time is read
 * from here inside the transaction that uses it: a libSQL server evaluates it on its own host, so
 * control planes on several hosts compare times on one clock.
 */
export async function databaseNow(db: DbOrTx): Promise<number> {
  const row = await db.get<{ now: number }>(
    sql`select cast(round((julianday('now') - 2440587.5) * 86400000) as integer) as now`,
  );
  return Number(row.now);
}

/** The lease named `name`, or null when nobody ever took it. */
export async function findLease(db: DbOrTx, name: string): Promise<LeaseState | null> {
  const [row] = await db
    .select({
      holder: leases.holder,
      token: leases.token,
      acquiredAt: leases.acquiredAt,
      expiresAt: leases.expiresAt,
    })
    .from(leases)
    .where(eq(leases.name, name));
  return row ?? null;
}

/** Stores the lease as decided (insert on first use). */
export async function saveLease(tx: DbOrTx, name: string, lease: LeaseState): Promise<void> {
  await tx
    .insert(leases)
    .values({ name, ...lease })
    .onConflictDoUpdate({ target: leases.name, set: lease });
}

export type ClusterNodeRow = typeof clusterNodes.$inferSelect;

/** Inserts or refreshes this process's row. */
export async function upsertNode(tx: DbOrTx, row: ClusterNodeRow): Promise<void> {
  const { nodeId, ...rest } = row;
  await tx.insert(clusterNodes).values(row).onConflictDoUpdate({ target: clusterNodes.nodeId, set: rest });
}

/** Deletes rows that stopped being listed (their process died without saying goodbye). */
export async function deleteExpiredNodes(tx: DbOrTx, now: number): Promise<void> {
  await tx.delete(clusterNodes).where(lte(clusterNodes.expiresAt, now));
}

/** Deletes one process's row (its clean shutdown). */
export async function deleteNode(tx: DbOrTx, nodeId: string): Promise<void> {
  await tx.delete(clusterNodes).where(eq(clusterNodes.nodeId, nodeId));
}

/** The processes still listed at database time `now`, by node id. */
export async function liveNodes(db: DbOrTx, now: number): Promise<ClusterNodeRow[]> {
  return db.select().from(clusterNodes).where(gt(clusterNodes.expiresAt, now)).orderBy(asc(clusterNodes.nodeId));
}
