import { recordAudit } from "../db/audit.ts";
import type { Store } from "../db/database.ts";
import { generateRawKey, hashKey, insertKey, newKeyId } from "../db/keys.ts";
import { toTimestamp } from "../domain/time.ts";

/** The audit actor of keys made by `keys recover` on the host. */
export const RECOVER_ACTOR = "system:recover";

/** A key made by recovery, in the API's `CreatedApiKey` shape (the raw key is shown once). */
export interface RecoveredKey {
  id: string;
  key: string;
  name: string;
  role: "admin";
  created_at: string;
  expires_at: null;
}

/**
 * Break-glass (SPEC §13): a new admin key that never expires, written straight to the database
 * through the store's write path (one transaction with its audit row, actor `system:recover`),
 * so it works while a control plane serves the same file: every request looks its key up there.
 */
export async function recoverAdminKey(store: Store, name: string, now: number): Promise<RecoveredKey> {
  const rawKey = generateRawKey();
  const id = newKeyId();
  await store.write(async (tx) => {
    await insertKey(tx, { id, name, role: "admin", keyHash: hashKey(rawKey), createdAt: now, expiresAt: null });
    await recordAudit(tx, now, {
      actor: RECOVER_ACTOR,
      action: "key.created",
      target: id,
      detail: { name, role: "admin", expires_at: null, recovered: true },
    });
  });
  return { id, key: rawKey, name, role: "admin", created_at: toTimestamp(now), expires_at: null };
}
