import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { recordAudit } from "../../src/db/audit.ts";
import type { Store } from "../../src/db/database.ts";
import { webhookAttempts, webhookDeliveries } from "../../src/db/schema.ts";
import { RETRY_WINDOW_MS } from "../../src/domain/webhooks.ts";
import { WebhookDispatcher, type WebhookDispatcherOptions } from "../../src/services/webhook-dispatcher.ts";
import { DatabaseUnavailableError } from "../../src/db/unavailable.ts";
import { silentLogger } from "../../src/logger.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { verifyStandardWebhook, WebhookReceiver } from "../support/webhook-receiver.ts";

let h: Harness;
let admin: string;
let receiver: WebhookReceiver;
let dispatcher: WebhookDispatcher;

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
  receiver = new WebhookReceiver();
  dispatcher = h.controlPlane.deps.webhookDispatcher;
});
afterEach(async () => {
  await dispatcher.stop();
  receiver.stop();
  await h.close();
});

async function addWebhook(events = ["register"], url = receiver.url): Promise<string> {
  const res = await h.request("/api/v1/webhooks", { key: admin, json: { url, events, secret: SECRET } });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

/** Commits audit events as a route would (the feed hears of the commit). */
async function emit(count = 1, action: "register" | "report" = "register"): Promise<void> {
  await h.store.write((tx) =>
    recordAudit(
      tx,
      h.controlPlane.deps.now(),
      ...Array.from({ length: count }, (_, i) => ({ actor: "test", action, target: `m-${i}`, detail: {} })),
    ),
  );
}

async function deliveryRows() {
  return h.store.db.select().from(webhookDeliveries).orderBy(webhookDeliveries.eventId);
}

async function attemptRows() {
  return h.store.db.select().from(webhookAttempts).orderBy(webhookAttempts.id);
}

/** A leading dispatcher of its own on `store` (beside the control plane's), for options or faults of a test's. */
function ownDispatcher(store: Store, options?: WebhookDispatcherOptions): WebhookDispatcher {
  return new WebhookDispatcher(
    { store, logger: silentLogger, now: h.controlPlane.deps.now, feed: h.controlPlane.deps.feed, isLeader: () => true },
    options,
  );
}

/** Waits (bounded) until the delivery log holds `count` attempts. */
async function attemptsReach(count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await attemptRows()).length >= count) return;
    await Bun.sleep(10);
  }
  throw new Error(`only ${(await attemptRows()).length} of ${count} attempts logged`);
}

describe("the signature", () => {
  test("the library the server signs with reproduces the convention's published test vector", () => {
    const signer = new Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    const signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", new Date(1614265330 * 1000), '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  test("a secret of other text signs with its UTF-8 bytes, as an HMAC computed by hand expects", async () => {
    const password = "hunter2 — not base64";
    const res = await h.request("/api/v1/webhooks", {
      key: admin,
      json: { url: receiver.url, events: ["register"], secret: password },
    });
    expect(res.status).toBe(201);
    expect((await res.json()).secret).toBe(password);
    await dispatcher.start();
    await emit();
    const [delivery] = await receiver.waitFor(1);
    const { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature } = delivery!.headers;
    const byHand = createHmac("sha256", Buffer.from(password, "utf8"))
      .update(`${id}.${timestamp}.${delivery!.body}`)
      .digest("base64");
    expect(signature).toBe(`v1,${byHand}`);
    expect(verifyStandardWebhook(password, delivery!.headers, delivery!.body)).toBe(true);
  });

  test("the test's independent verifier accepts the published vector and refuses a changed one", () => {
    const headers = {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    };
    expect(verifyStandardWebhook(SECRET, headers, '{"test": 2432232314}')).toBe(true);
    expect(verifyStandardWebhook(SECRET, headers, '{"test": 2432232315}')).toBe(false);
    expect(
      verifyStandardWebhook(SECRET, { ...headers, "webhook-timestamp": "1614265331" }, '{"test": 2432232314}'),
    ).toBe(false);
  });
});

describe("retries", () => {
  test("a receiver failing 3 times gets the delivery on the 4th attempt, after growing waits; each attempt logged", async () => {
    receiver.answer = (_, index) =>
      index < 3 ? new Response(`busy ${index}`, { status: 503 }) : new Response("thanks", { status: 202 });
    await dispatcher.start();
    await addWebhook();
    await emit();
    await attemptsReach(1);
    const waits: number[] = [];
    for (let attempt = 1; attempt < 4; attempt++) {
      const [delivery] = await deliveryRows();
      expect(delivery!.status).toBe("pending");
      waits.push(delivery!.nextAttemptAt! - delivery!.lastAttemptAt!);
      // Not due yet: nothing is sent.
      await dispatcher.runDue();
      expect(receiver.received).toHaveLength(attempt);
      h.advance(delivery!.nextAttemptAt! - h.controlPlane.deps.now());
      await dispatcher.runDue();
      expect(receiver.received).toHaveLength(attempt + 1);
    }
    // 5 s, then three times the time spent so far, each ± 25 %.
    expect(waits[0]).toBeGreaterThanOrEqual(3750);
    expect(waits[0]).toBeLessThanOrEqual(6250);
    expect(waits[1]! / (waits[0]! * 3)).toBeWithin(0.75, 1.26);
    expect(waits[2]! / ((waits[0]! + waits[1]!) * 3)).toBeWithin(0.75, 1.26);

    const [delivery] = await deliveryRows();
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 4, nextAttemptAt: null });
    const attempts = await attemptRows();
    expect(attempts.map((a) => [a.statusCode, a.error, a.responseExcerpt])).toEqual([
      [503, "receiver answered 503", "busy 0"],
      [503, "receiver answered 503", "busy 1"],
      [503, "receiver answered 503", "busy 2"],
      [202, null, "thanks"],
    ]);
    // Every attempt is the same message (same id and body), signed anew for its own timestamp.
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.every((r) => verifyStandardWebhook(SECRET, r.headers, r.body))).toBe(true);
    expect(receiver.received.map((r) => Number(r.headers["webhook-timestamp"]) * 1000)).toEqual(
      attempts.map((a) => Math.floor(a.attemptedAt / 1000) * 1000),
    );
  });

  test("retries go on for 24 h, then the delivery is failed for good", async () => {
    receiver.answer = () => new Response("down", { status: 500 });
    await dispatcher.start();
    await addWebhook();
    await emit();
    await attemptsReach(1);
    const first = h.controlPlane.deps.now();
    for (let i = 0; i < 30; i++) {
      const [delivery] = await deliveryRows();
      if (delivery!.status !== "pending") break;
      h.advance(delivery!.nextAttemptAt! - h.controlPlane.deps.now());
      await dispatcher.runDue();
    }
    const [delivery] = await deliveryRows();
    const attempts = await attemptRows();
    expect(delivery).toMatchObject({ status: "failed", nextAttemptAt: null });
    expect(attempts.length).toBeGreaterThanOrEqual(8);
    expect(attempts.at(-1)!.attemptedAt - first).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
    expect(attempts.at(-2)!.attemptedAt - first).toBeLessThan(RETRY_WINDOW_MS);
  });

  test("no redirect is followed, no answer is waited for past the timeout, only an excerpt is kept", async () => {
    const elsewhere = new WebhookReceiver();
    const hanging = new WebhookReceiver(() => new Promise<Response>(() => {}));
    const own = ownDispatcher(h.store, { timeoutMs: 200 });
    try {
      receiver.answer = (_, i) =>
        i === 0
          ? new Response(null, { status: 307, headers: { location: elsewhere.url } })
          : new Response("x".repeat(100_000));
      await own.start();
      await addWebhook(["register"]);
      await addWebhook(["register"], hanging.url);
      await emit();
      await attemptsReach(2);
      const redirected = (await attemptRows()).find((a) => a.statusCode === 307);
      expect(redirected).toMatchObject({ error: "receiver answered 307" });
      const timedOut = (await attemptRows()).find((a) => a.statusCode === null);
      expect(timedOut!.error).toBe("no complete answer within 0.2 s");
      expect(elsewhere.received).toHaveLength(0);
      const [delivery] = (await deliveryRows()).filter((d) => d.id === redirected!.deliveryId);
      h.advance(delivery!.nextAttemptAt! - h.controlPlane.deps.now());
      await own.runDue();
      const ok = (await attemptRows()).find((a) => a.statusCode === 200);
      expect(ok!.responseExcerpt).toBe("x".repeat(256));
    } finally {
      await own.stop();
      elsewhere.stop();
      hanging.stop();
    }
  });
  test("the wait before a retry counts from the failure, not from when the attempt began", async () => {
    // The receiver takes the clock 10 s on, then never answers: the attempt fails at its timeout.
    const slow = new WebhookReceiver(() => {
      h.advance(10_000);
      return new Promise<Response>(() => {});
    });
    const own = ownDispatcher(h.store, { timeoutMs: 200 });
    try {
      await own.start();
      await addWebhook(["register"], slow.url);
      await emit();
      await attemptsReach(1);
      const [attempt] = await attemptRows();
      const [delivery] = await deliveryRows();
      const failedAt = attempt!.attemptedAt + 10_000;
      // At least the shortest wait (5 s, less 25 % jitter) after the failure.
      expect(delivery!.nextAttemptAt!).toBeGreaterThanOrEqual(failedAt + 3_750);
    } finally {
      await own.stop();
      slow.stop();
    }
  });
});

describe("queue and cursor", () => {
  test("at most 2 deliveries at once to one receiver; all arrive", async () => {
    receiver.answer = async () => {
      await Bun.sleep(30);
      return new Response("ok");
    };
    await dispatcher.start();
    await addWebhook();
    await emit(12);
    await receiver.waitFor(12);
    expect(receiver.maxConcurrent).toBeLessThanOrEqual(2);
    expect(receiver.maxConcurrent).toBeGreaterThanOrEqual(1);
  });

  test("a receiver that never answers, with a backlog, does not hold up another webhook's deliveries", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = async () => {
      await held;
      return new Response("ok");
    };
    const other = new WebhookReceiver();
    try {
      await dispatcher.start();
      await addWebhook(["register"]);
      await emit(60);
      await receiver.waitFor(2);
      await addWebhook(["report"], other.url);
      await emit(1, "report");
      await other.waitFor(1, 4000);
      // Delivered while the stalled receiver still held its first two attempts, none timed out.
      expect(receiver.received).toHaveLength(2);
      expect(await attemptRows()).toHaveLength(1);
    } finally {
      release();
      other.stop();
    }
  });

  test("events committed while the dispatcher is stopped are delivered when it starts again, none twice", async () => {
    await dispatcher.start();
    await addWebhook();
    await emit(2);
    await receiver.waitFor(2);
    await dispatcher.stop();
    await emit(3);
    await Bun.sleep(50);
    expect(receiver.received).toHaveLength(2);
    await dispatcher.start();
    await receiver.waitFor(5);
    await Bun.sleep(100);
    expect(receiver.received).toHaveLength(5);
    const events = receiver.received.map((r) => JSON.parse(r.body).data.id as number);
    expect(new Set(events).size).toBe(5);
    expect(events).toEqual([...events].sort((a, b) => a - b));
  });

  test("a start that fails (the database busy) is tried again: delivery does not stay off while this process leads", async () => {
    // A cursor saved by an earlier run: the start's first read is of it.
    await dispatcher.start();
    await dispatcher.stop();
    let failures = 1;
    const db = new Proxy(h.store.db, {
      get(target, property, receiver) {
        if (property === "select" && failures-- > 0) {
          return () => {
            throw new DatabaseUnavailableError("database locked", "SQLITE_BUSY");
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const own = ownDispatcher({ ...h.store, db });
    try {
      await own.start();
      expect(failures).toBe(0);
      await addWebhook();
      await emit(1);
      await receiver.waitFor(1, 4000);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await own.stop();
    }
  });

  test("a dispatcher that falls far behind reads the rest from the database", async () => {
    receiver.answer = () => new Response("ok");
    await dispatcher.start();
    await addWebhook(["report"]);
    await emit(6000, "report");
    for (let i = 0; i < 500 && (await deliveryRows()).length < 6000; i++) await Bun.sleep(20);
    expect((await deliveryRows()).length).toBe(6000);
  });
});
