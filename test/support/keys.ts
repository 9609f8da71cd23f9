import { randomUUID } from "node:crypto";
import { apiKeys } from "../../src/db/schema.ts";
import { generateRawKey, hashKey } from "../../src/db/keys.ts";
import type { Role } from "../../src/context.ts";
import type { Harness } from "./harness.ts";

/** Inserts an API key straight into the database and returns the raw key (test set-up only). */
export async function createTestKey(
  h: Harness,
  role: Role,
  options: { name?: string; expiresAt?: number | null; revokedAt?: number | null } = {},
): Promise<string> {
  const raw = generateRawKey();
  await h.store.write((tx) =>
    tx.insert(apiKeys).values({
      id: `key-${randomUUID()}`,
      name: options.name ?? `test-${role}`,
      role,
      keyHash: hashKey(raw),
      createdAt: Date.now(),
      expiresAt: options.expiresAt ?? null,
      revokedAt: options.revokedAt ?? null,
    }),
  );
  return raw;
}

/** One key per role, named the way the route tests name them: root (admin), ci (deploy), viewer (readonly). */
export async function createRoleKeys(h: Harness): Promise<{ admin: string; deploy: string; readonly: string }> {
  return {
    admin: await createTestKey(h, "admin", { name: "root" }),
    deploy: await createTestKey(h, "deploy", { name: "ci" }),
    readonly: await createTestKey(h, "readonly", { name: "viewer" }),
  };
}
