import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, asc, count, eq, isNull, ne, sql } from "drizzle-orm";
import type { Role } from "../context.ts";
import type { DbOrTx } from "./database.ts";
import { apiKeys } from "./schema.ts";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** A fresh raw key, `nfk-` + 64 hex characters. */
export function generateRawKey(): string {
  return `nfk-${randomBytes(32).toString("hex")}`;
}

/** True when `rawKey` has the shape of a key this server issues. */
export function isWellFormedKey(rawKey: string): boolean {
  return /^nfk-[0-9a-f]{64}$/.test(rawKey);
}

/** The stored form of a raw key. */
export function hashKey(rawKey: string): string {
  return createHash("sha256").update(rawKey).digest("hex");
}

/** A fresh key id, `key-<uuid>`. */
export function newKeyId(): string {
  return `key-${randomUUID()}`;
}

/** The key whose hash matches, revoked or not. */
export async function findKeyByHash(db: DbOrTx, keyHash: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  return rows[0];
}

/** The key with this id, revoked or not. */
export async function findKeyById(db: DbOrTx, id: string): Promise<ApiKeyRow | undefined> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return rows[0];
}

/** Records that the key was used at `at`. */
export async function touchKey(db: DbOrTx, id: string, at: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}

export interface NewApiKey {
  id: string;
  name: string;
  role: Role;
  keyHash: string;
  createdAt: number;
  expiresAt: number | null;
}

/** Inserts a key row. */
export async function insertKey(tx: DbOrTx, key: NewApiKey): Promise<ApiKeyRow> {
  const rows = await tx
    .insert(apiKeys)
    .values({ ...key, revokedAt: null, lastUsedAt: null })
    .returning();
  return rows[0]!;
}

/**
 * Inserts the key only while the table is empty (revoked keys count), in one statement so
 * that of several racing bootstraps, even from separate processes, exactly one inserts.
 * Returns whether this call inserted it.
 */
export async function insertFirstKey(tx: DbOrTx, key: NewApiKey): Promise<boolean> {
  const result = await tx.run(sql`
    INSERT INTO ${apiKeys} (id, name, role, key_hash, created_at, expires_at)
    SELECT ${key.id}, ${key.name}, ${key.role}, ${key.keyHash}, ${key.createdAt}, ${key.expiresAt}
    WHERE NOT EXISTS (SELECT 1 FROM ${apiKeys})`);
  return result.rowsAffected === 1;
}

/** Every key, oldest first. */
export async function listKeys(db: DbOrTx): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/** How many admin keys never expire and are not revoked, not counting key `exceptId` when given. */
export async function countPermanentAdmins(db: DbOrTx, exceptId?: string): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.role, "admin"),
        exceptId === undefined ? undefined : ne(apiKeys.id, exceptId),
        isNull(apiKeys.revokedAt),
        isNull(apiKeys.expiresAt),
      ),
    );
  return rows[0]?.n ?? 0;
}

/** Marks the key revoked at `at`. */
export async function revokeKey(tx: DbOrTx, id: string, at: number): Promise<void> {
  await tx.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id));
}
