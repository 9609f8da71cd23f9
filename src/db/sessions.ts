import { and, eq, gt, lte } from "drizzle-orm";
import type { DbOrTx } from "./database.ts";
import { apiKeys, uiSessions } from "./schema.ts";

export type UiSessionRow = typeof uiSessions.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Stores a new dashboard session. */
export async function insertSession(tx: DbOrTx, session: UiSessionRow): Promise<void> {
  await tx.insert(uiSessions).values(session);
}

/** The unexpired session with this id and its key (revoked or not: the caller decides), or undefined. */
export async function findSession(
  db: DbOrTx,
  id: string,
  now: number,
): Promise<{ session: UiSessionRow; key: ApiKeyRow } | undefined> {
  const rows = await db
    .select({ session: uiSessions, key: apiKeys })
    .from(uiSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, uiSessions.keyId))
    .where(and(eq(uiSessions.id, id), gt(uiSessions.expiresAt, now)))
    .limit(1);
  return rows[0];
}

/** Deletes a session; returns whether it existed. */
export async function deleteSession(tx: DbOrTx, id: string): Promise<boolean> {
  const deleted = await tx.delete(uiSessions).where(eq(uiSessions.id, id)).returning({ id: uiSessions.id });
  return deleted.length > 0;
}

/** Deletes every session past its expiry (run at each login: sessions are few). */
export async function deleteExpiredSessions(tx: DbOrTx, now: number): Promise<void> {
  await tx.delete(uiSessions).where(lte(uiSessions.expiresAt, now));
}
