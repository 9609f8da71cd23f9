import { randomBytes, randomUUID } from "node:crypto";
import { and, asc, desc, eq, inArray, lte, notInArray, sql } from "drizzle-orm";
import { SECRET_PREFIX } from "../domain/webhooks.ts";
import type { DbOrTx } from "./database.ts";
import { feedCursors, webhookAttempts, webhookDeliveries, webhooks } from "./schema.ts";

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

/** A fresh webhook id, `wh-<uuid>`. */
export function newWebhookId(): string {
  return `wh-${randomUUID()}`;
}

/** A fresh delivery id, `msg_<32 hex>` (the Standard Webhooks message-id style; sent as `webhook-id`). */
export function newDeliveryId(): string {
  return `msg_${randomUUID().replaceAll("-", "")}`;
}

/** A new signing secret: 32 random bytes in the convention's `whsec_` base64 form. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

export async function insertWebhook(tx: DbOrTx, webhook: WebhookRow): Promise<void> {
  await tx.insert(webhooks).values(webhook);
}

export async function listWebhooks(db: DbOrTx): Promise<WebhookRow[]> {
  return db.select().from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

export async function findWebhook(db: DbOrTx, id: string): Promise<WebhookRow | undefined> {
  return (await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1))[0];
}

/** Deletes a webhook with its deliveries and their attempts; false when it did not exist. */
export async function deleteWebhook(tx: DbOrTx, id: string): Promise<boolean> {
  const deleted = await tx.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
  if (deleted.length === 0) return false;
  await tx.run(sql`DELETE FROM ${webhookAttempts} WHERE delivery_id IN
    (SELECT id FROM ${webhookDeliveries} WHERE webhook_id = ${id})`);
  await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
  return true;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  eventId: number;
  action: string;
  payload: string;
}

/** Queues deliveries due at `at`; one already queued for the same webhook and event is left alone. */
export async function queueDeliveries(tx: DbOrTx, at: number, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await tx
    .insert(webhookDeliveries)
    .values(deliveries.map((d) => ({ ...d, status: "pending" as const, createdAt: at, nextAttemptAt: at })))
    .onConflictDoNothing();
}

/** Pending deliveries due at `at`, the longest-waiting first. */
export async function dueDeliveries(
  db: DbOrTx,
  at: number,
  limit: number,
  options: { perWebhook: number; busyWebhooks: readonly string[] },
): Promise<DeliveryRow[]> {
  // At most `perWebhook` per webhook, none of a webhook already at its limit: one receiver's
  // backlog cannot fill the page and hide every other webhook's due deliveries.
  const due = db
    .select({
      id: webhookDeliveries.id,
      rank: sql<number>`row_number() over (partition by ${webhookDeliveries.webhookId} order by ${webhookDeliveries.nextAttemptAt})`.as(
        "rank",
      ),
    })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lte(webhookDeliveries.nextAttemptAt, at),
        options.busyWebhooks.length > 0
          ? notInArray(webhookDeliveries.webhookId, [...options.busyWebhooks])
          : undefined,
      ),
    )
    .as("due");
  const rows = await db
    .select({ delivery: webhookDeliveries })
    .from(webhookDeliveries)
    .innerJoin(due, eq(due.id, webhookDeliveries.id))
    .where(lte(due.rank, options.perWebhook))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit);
  return rows.map((row) => row.delivery);
}

export interface AttemptOutcome {
  deliveryId: string;
  attemptedAt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  windowStartedAt: number;
  /** When to try again; null when the delivery is over (succeeded, or failed for good). */
  nextAttemptAt: number | null;
}

/** Logs an attempt and moves its delivery on; nothing when the delivery is gone (its webhook was deleted). */
export async function recordAttempt(tx: DbOrTx, outcome: AttemptOutcome): Promise<void> {
  const status = outcome.error === null ? "succeeded" : outcome.nextAttemptAt === null ? "failed" : "pending";
  const updated = await tx
    .update(webhookDeliveries)
    .set({
      status,
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      windowStartedAt: outcome.windowStartedAt,
      nextAttemptAt: outcome.nextAttemptAt,
      lastAttemptAt: outcome.attemptedAt,
    })
    .where(eq(webhookDeliveries.id, outcome.deliveryId))
    .returning({ id: webhookDeliveries.id });
  if (updated.length === 0) return;
  await tx.insert(webhookAttempts).values({
    deliveryId: outcome.deliveryId,
    attemptedAt: outcome.attemptedAt,
    statusCode: outcome.statusCode,
    error: outcome.error,
    durationMs: outcome.durationMs,
    responseExcerpt: outcome.responseExcerpt,
  });
}

/** A webhook's deliveries, newest event first. */
export async function listDeliveries(db: DbOrTx, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.webhookId, webhookId))
    .orderBy(desc(webhookDeliveries.eventId))
    .limit(limit);
}

export async function findDelivery(db: DbOrTx, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.webhookId, webhookId)))
    .limit(1);
  return rows[0];
}

/** The attempts of these deliveries, oldest first. */
export async function attemptsOf(db: DbOrTx, deliveryIds: string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.deliveryId, deliveryIds))
    .orderBy(asc(webhookAttempts.id));
}

/** Queues a delivery again, due at `at`, with a fresh retry window. */
export async function requeueDelivery(tx: DbOrTx, id: string, at: number): Promise<DeliveryRow> {
  const [row] = await tx
    .update(webhookDeliveries)
    .set({ status: "pending", nextAttemptAt: at, windowStartedAt: null })
    .where(eq(webhookDeliveries.id, id))
    .returning();
  return row!;
}

/** Deletes finished deliveries (and their attempts) whose last attempt is older than `before`. */
export async function pruneDeliveries(tx: DbOrTx, before: number): Promise<void> {
  const finished = sql`SELECT id FROM ${webhookDeliveries} WHERE status != 'pending' AND last_attempt_at < ${before}`;
  await tx.run(sql`DELETE FROM ${webhookAttempts} WHERE delivery_id IN (${finished})`);
  await tx.run(sql`DELETE FROM ${webhookDeliveries} WHERE id IN (${finished})`);
}

/** A feed consumer's durable position, or null before it first saved one. */
export async function readCursor(db: DbOrTx, consumer: string): Promise<number | null> {
  const rows = await db.select().from(feedCursors).where(eq(feedCursors.consumer, consumer)).limit(1);
  return rows[0]?.eventId ?? null;
}

export async function saveCursor(tx: DbOrTx, consumer: string, eventId: number, at: number): Promise<void> {
  await tx
    .insert(feedCursors)
    .values({ consumer, eventId, updatedAt: at })
    .onConflictDoUpdate({ target: feedCursors.consumer, set: { eventId, updatedAt: at } });
}
