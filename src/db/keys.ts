import { createHash, randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "./database.ts";
import { apiKeys } from "./schema.ts";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** A fresh raw key, `nfk-` + 64 hex characters. */
export function generateRawKey(): string {
  return `nfk-${randomBytes(32).toString("hex")}`;
}

/** The stored form of a raw key. */
export function hashKey(rawKey: string): string {
  return createHash("sha256").update(rawKey).digest("hex");
}

/** The key whose hash matches, revoked or not. */
export async function findKeyByHash(db: DbOrTx, keyHash: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  return rows[0];
}

export async function touchKey(db: DbOrTx, id: string, at: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}
