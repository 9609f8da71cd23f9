import { Webhook } from "standardwebhooks";
import { VERSION } from "../config.ts";
import { latestAuditId, type AuditRow } from "../db/audit.ts";
import type { Store } from "../db/database.ts";
import {
  dueDeliveries,
  listWebhooks,
  newDeliveryId,
  pruneDeliveries,
  queueDeliveries,
  readCursor,
  recordAttempt,
  saveCursor,
  type DeliveryRow,
  type NewDelivery,
  type WebhookRow,
} from "../db/webhooks.ts";
import { actionMatches } from "../domain/event-filter.ts";
import { webhookPayload } from "../domain/stream-event.ts";
import { LeaseLostError } from "../domain/lease.ts";
import { isConventionSecret, nextAttemptAt } from "../domain/webhooks.ts";
import type { Logger } from "../logger.ts";
import type { ChangeFeed, FeedFollower } from "./change-feed.ts";

/** The dispatcher's name in `feed_cursors`. */
export const DISPATCHER_CURSOR = "webhook-dispatcher";
/** Deliveries in flight at once, over every webhook. */
export const MAX_CONCURRENT_DELIVERIES = 8;
/** Deliveries in flight at once to one webhook, so one slow receiver cannot hold every slot. */
export const MAX_CONCURRENT_PER_WEBHOOK = 2;
/** An attempt that has not got its whole answer by then has failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of a receiver's answer the delivery log keeps. */
export const RESPONSE_EXCERPT_CHARS = 256;
/** Finished deliveries (and their attempts) are kept this long after their last attempt. */
export const DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const DUE_CHECK_INTERVAL_MS = 1000;
/** When no delivery is queued the cursor is saved at most this often (a restart replays at most that much, harmlessly). */
const CURSOR_SAVE_INTERVAL_MS = 10_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Events the dispatcher may fall behind the feed before it reads them from the database instead. */
const MAX_QUEUED_EVENTS = 5000;
const RESTART_DELAY_MS = 1000;

export interface WebhookDispatcherDeps {
  /** Writes fenced by the executor lease (SPEC §18): a process that lost it records nothing. */
  store: Store;
  logger: Logger;
  now: () => number;
  feed: ChangeFeed;
  /** Whether this process leads now: asked before every attempt, whose HTTP call no transaction can fence. */
  isLeader: () => boolean;
}

export interface WebhookDispatcherOptions {
  /** The HTTP client (tests may wrap it). */
  fetch?: typeof fetch;
  random?: () => number;
  timeoutMs?: number;
}

interface LoadedWebhook {
  row: WebhookRow;
  patterns: string[];
  signer: Webhook;
}

/**
 * Webhook delivery (SPEC §15). It follows the change feed from a durable cursor and turns each
 * new event into a queued delivery per matching webhook, in one transaction with the cursor, so
 * the request that caused an event never waits for it and a restart neither loses nor doubles
 * one. Due deliveries are POSTed, signed as Standard Webhooks (by its reference library), with
 * bounded concurrency, a timeout and no redirects; each attempt is logged, and a failure is
 * retried with backoff for 24 h. Only the leader runs it (SPEC §18), and asks before each attempt
 * whether it still leads; an attempt in flight when the lease moves may still reach its receiver,
 * and its record is then refused, so the new leader sends it again: delivery is at least once
 * (receivers de-duplicate by `webhook-id`, the same on every attempt).
 */
export class WebhookDispatcher {
  private webhooks: LoadedWebhook[] = [];
  private cursor = 0;
  private lastCursorSave = 0;
  private lastPrune = 0;
  private running = false;
  private follower: FeedFollower | null = null;
  private following: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Between `start` and `stop`: a start that failed is tried again (see `retryTimer`). */
  private wanted = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightPerWebhook = new Map<string, number>();
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  private readonly timeoutMs: number;

  constructor(
    private readonly deps: WebhookDispatcherDeps,
    options: WebhookDispatcherOptions = {},
  ) {
    this.fetch = options.fetch ?? fetch;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  /**
   * Starts following the feed from the saved cursor (the newest event, the first time) and
   * delivering. A start the database refuses (busy, unreachable) is tried again shortly until
   * `stop`: delivery must not stay off while this process leads.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.wanted = true;
    try {
      const { db } = this.deps.store;
      const saved = await readCursor(db, DISPATCHER_CURSOR);
      this.cursor = saved ?? (await latestAuditId(db));
      if (saved === null)
        await this.deps.store.write((tx) => saveCursor(tx, DISPATCHER_CURSOR, this.cursor, this.deps.now()));
      await this.loadWebhooks();
    } catch (error) {
      this.running = false;
      // The lease moved: this dispatcher is being stopped.
      if (error instanceof LeaseLostError || !this.wanted) return;
      this.deps.logger.warn("webhook dispatcher did not start; trying again", { error: String(error) });
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.wanted) void this.start();
      }, RESTART_DELAY_MS);
      return;
    }
    // Stopped while starting: stop() found nothing to wait for, so nothing may start now.
    if (!this.running) return;
    this.following = this.follow();
    this.timer = setInterval(() => void this.runDue(), DUE_CHECK_INTERVAL_MS);
    void this.runDue();
  }

  /** Stops following and delivering; waits for attempts in flight and saves the cursor. */
  async stop(): Promise<void> {
    this.wanted = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.follower?.close();
    await this.following;
    await Promise.allSettled(this.inFlight.values());
    // After a lost lease the save would be refused: the saved cursor is at most a few seconds old,
    // and queueing an event again is a no-op.
    if (!this.deps.isLeader()) return;
    await this.deps.store
      .write((tx) => saveCursor(tx, DISPATCHER_CURSOR, this.cursor, this.deps.now()))
      .catch((error: unknown) => this.deps.logger.warn("webhook cursor not saved", { error: String(error) }));
  }

  /** Starts the due deliveries that have a free slot; resolves when those attempts are done. */
  async runDue(): Promise<void> {
    if (!this.running || this.inFlight.size >= MAX_CONCURRENT_DELIVERIES) return;
    let due: DeliveryRow[];
    try {
      await this.pruneNowAndThen();
      const busyWebhooks = [...this.inFlightPerWebhook]
        .filter(([, n]) => n >= MAX_CONCURRENT_PER_WEBHOOK)
        .map(([id]) => id);
      due = await dueDeliveries(this.deps.store.db, this.deps.now(), MAX_CONCURRENT_DELIVERIES * 4, {
        perWebhook: MAX_CONCURRENT_PER_WEBHOOK,
        busyWebhooks,
      });
    } catch (error) {
      if (!(error instanceof LeaseLostError)) this.deps.logger.warn("webhook queue not read", { error: String(error) });
      return;
    }
    const started: Promise<void>[] = [];
    for (const delivery of due) {
      if (!this.running || !this.deps.isLeader() || this.inFlight.size >= MAX_CONCURRENT_DELIVERIES) break;
      const perWebhook = this.inFlightPerWebhook.get(delivery.webhookId) ?? 0;
      if (this.inFlight.has(delivery.id) || perWebhook >= MAX_CONCURRENT_PER_WEBHOOK) continue;
      this.inFlightPerWebhook.set(delivery.webhookId, perWebhook + 1);
      const attempt = this.attempt(delivery)
        .catch((error: unknown) => {
          // Not recorded: the delivery stays due and is tried again (by the new leader, when the lease moved).
          if (error instanceof LeaseLostError) return;
          this.deps.logger.error("webhook attempt not recorded", { delivery_id: delivery.id, error: String(error) });
        })
        .finally(() => {
          this.inFlight.delete(delivery.id);
          const left = (this.inFlightPerWebhook.get(delivery.webhookId) ?? 1) - 1;
          if (left > 0) this.inFlightPerWebhook.set(delivery.webhookId, left);
          else this.inFlightPerWebhook.delete(delivery.webhookId);
          // A slot is free: the next due delivery need not wait for the timer.
          void this.runDue();
        });
      this.inFlight.set(delivery.id, attempt);
      started.push(attempt);
    }
    await Promise.all(started);
  }

  /** Follows the feed, restarting from the cursor after a failure (e.g. the database was busy). */
  private async follow(): Promise<void> {
    while (this.running) {
      const follower = this.deps.feed.follow({
        after: this.cursor,
        maxQueued: MAX_QUEUED_EVENTS,
        onOverflow: "rewind",
      });
      this.follower = follower;
      try {
        for (let item = await follower.next(); item !== null; item = await follower.next()) {
          if (item !== "heartbeat") await this.queueFor(item);
        }
        return;
      } catch (error) {
        // The lease moved: this dispatcher is being stopped.
        if (error instanceof LeaseLostError) return;
        this.deps.logger.warn("webhook dispatcher fell behind; resuming from its cursor", {
          cursor: this.cursor,
          error: String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      } finally {
        follower.close();
      }
    }
  }

  /** Turns events into queued deliveries, saving the cursor in the same transaction. */
  private async queueFor(events: readonly AuditRow[]): Promise<void> {
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      // Webhooks are created and deleted through the feed too (maybe by another process).
      if (event.action.startsWith("webhook.")) await this.loadWebhooks();
      for (const webhook of this.webhooks) {
        if (event.id <= webhook.row.afterEventId) continue;
        if (!webhook.patterns.some((pattern) => actionMatches(pattern, event.action))) continue;
        deliveries.push({
          id: newDeliveryId(),
          webhookId: webhook.row.id,
          eventId: event.id,
          action: event.action,
          payload: webhookPayload(event),
        });
      }
    }
    const last = events[events.length - 1]!.id;
    const now = this.deps.now();
    if (deliveries.length > 0 || now - this.lastCursorSave >= CURSOR_SAVE_INTERVAL_MS) {
      await this.deps.store.write(async (tx) => {
        await queueDeliveries(tx, now, deliveries);
        await saveCursor(tx, DISPATCHER_CURSOR, last, now);
      });
      this.lastCursorSave = now;
    }
    this.cursor = last;
    if (deliveries.length > 0) void this.runDue();
  }

  private async loadWebhooks(): Promise<void> {
    const rows = await listWebhooks(this.deps.store.db);
    this.webhooks = rows.map((row) => ({
      row,
      patterns: JSON.parse(row.events) as string[],
      signer: signerFor(row.secret),
    }));
  }

  /** One delivery attempt: POST, then log it and schedule the next one (or not). */
  private async attempt(delivery: DeliveryRow): Promise<void> {
    let webhook = this.webhooks.find((w) => w.row.id === delivery.webhookId);
    if (!webhook) {
      await this.loadWebhooks();
      webhook = this.webhooks.find((w) => w.row.id === delivery.webhookId);
      // Deleted meanwhile: its deliveries went with it.
      if (!webhook) return;
    }
    const attemptedAt = this.deps.now();
    const windowStartedAt = delivery.windowStartedAt ?? attemptedAt;
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let responseExcerpt: string | null = null;
    try {
      const response = await this.fetch(webhook.row.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": `nixfleet-control-plane/${VERSION}`,
          "webhook-id": delivery.id,
          "webhook-timestamp": String(Math.floor(attemptedAt / 1000)),
          "webhook-signature": webhook.signer.sign(delivery.id, new Date(attemptedAt), delivery.payload),
        },
        body: delivery.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      statusCode = response.status;
      responseExcerpt = await readExcerpt(response);
      if (statusCode < 200 || statusCode >= 300) error = `receiver answered ${statusCode}`;
    } catch (cause) {
      error = describeFailure(cause, this.timeoutMs);
    }
    // The wait counts from the failure: an attempt that timed out after 10 s would otherwise be
    // due again at once.
    const next = error === null ? null : nextAttemptAt(windowStartedAt, this.deps.now(), this.random);
    await this.deps.store.write((tx) =>
      recordAttempt(tx, {
        deliveryId: delivery.id,
        attemptedAt,
        statusCode,
        error,
        durationMs: Math.round(performance.now() - started),
        responseExcerpt,
        windowStartedAt,
        nextAttemptAt: next,
      }),
    );
    const fields = { webhook_id: webhook.row.id, delivery_id: delivery.id, event_id: delivery.eventId };
    if (error === null) this.deps.logger.info("webhook delivered", { ...fields, status: statusCode });
    else if (next === null) this.deps.logger.warn("webhook delivery given up after 24 h", { ...fields, error });
    else
      this.deps.logger.warn("webhook delivery failed; will retry", {
        ...fields,
        error,
        retry_at: new Date(next).toISOString(),
      });
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = this.deps.now();
    if (now - this.lastPrune < PRUNE_INTERVAL_MS) return;
    this.lastPrune = now;
    await this.deps.store.write((tx) => pruneDeliveries(tx, now - DELIVERY_RETENTION_MS));
  }
}

/** The start of a response body as text; the rest is never read. */
async function readExcerpt(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  return text === "" ? null : text.slice(0, RESPONSE_EXCERPT_CHARS);
}

function describeFailure(cause: unknown, timeoutMs: number): string {
  if (cause instanceof Error && cause.name === "TimeoutError") return `no complete answer within ${timeoutMs / 1000} s`;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split("\n")[0]!.slice(0, 200);
}

/**
 * The convention's `whsec_` secret is base64; other text is used as its UTF-8 bytes (passed as
 * bytes: the library's "raw" format would take a string's UTF-16 code units cut to 8 bits).
 */
function signerFor(secret: string): Webhook {
  return isConventionSecret(secret)
    ? new Webhook(secret)
    : new Webhook(new TextEncoder().encode(secret), { format: "raw" });
}
