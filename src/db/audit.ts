import { auditEvents } from "./schema.ts";
import type { DbOrTx } from "./database.ts";

/** Audit actions; the compat names are what v0.1 clients filter on. */
export type AuditAction =
  | "bootstrap"
  | "register"
  | "update_lifecycle"
  | "notify_deploy"
  | "clear_desired"
  | "create_release"
  | "delete_release"
  | "rollout.created"
  | "rollout.resumed"
  | "rollout.cancelled"
  | "rollout.deleted"
  | "rollout.completed"
  | "rollout.paused"
  | "rollout.failed"
  | "batch.deploying"
  | "batch.succeeded"
  | "batch.failed"
  | "report"
  | "key.created"
  | "key.revoked"
  | "tags.updated";

export interface AuditEntry {
  actor: string;
  action: AuditAction;
  target: string;
  detail: string | Record<string, unknown>;
}

/** Writes audit events; call it inside the transaction that makes the change it records. */
export async function recordAudit(tx: DbOrTx, at: number, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditEvents).values(
    entries.map((e) => ({
      timestamp: at,
      actor: e.actor,
      action: e.action,
      target: e.target,
      detail: typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail),
    })),
  );
}
