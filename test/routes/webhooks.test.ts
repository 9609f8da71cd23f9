import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { webhookDeliveries, webhooks } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { auditOf, machinePath } from "../support/machines.ts";
import { verifyStandardWebhook, WebhookReceiver } from "../support/webhook-receiver.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;
let receiver: WebhookReceiver;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin", { name: "root" });
  deploy = await createTestKey(h, "deploy", { name: "ci" });
  readonly = await createTestKey(h, "readonly", { name: "viewer" });
  receiver = new WebhookReceiver();
});
afterEach(async () => {
  receiver.stop();
  await h.close();
});

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const createWebhook = (body: unknown, key = admin) => h.request("/api/v1/webhooks", { key, json: body });
const register = (id: string) => h.request(machinePath(id, "/register"), { method: "POST", key: admin, json: {} });
const deliveries = async (id: string) => {
  const res = await h.request(`/api/v1/webhooks/${id}/deliveries`, { key: admin });
  expect(res.status).toBe(200);
  return res.json();
};

describe("POST /api/v1/webhooks", () => {
  test("201 with the secret shown once (generated in the whsec_ form); audited without it", async () => {
    const res = await createWebhook({ url: receiver.url, events: ["rollout.*", "register"] });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ url: receiver.url, events: ["rollout.*", "register"], created_by: "apikey:root" });
    expect(created.id).toMatch(/^wh-[0-9a-f-]{36}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await (await h.request("/api/v1/webhooks", { key: admin })).json();
    expect(listed).toEqual([
      {
        id: created.id,
        url: receiver.url,
        events: ["rollout.*", "register"],
        created_at: created.created_at,
        created_by: "apikey:root",
      },
    ]);
    const [event] = await auditOf(h, "webhook.created");
    expect(event).toMatchObject({ actor: "apikey:root", target: created.id });
    expect(JSON.parse(event!.detail)).toEqual({ url: receiver.url, events: ["rollout.*", "register"] });
    expect(event!.detail).not.toContain("whsec_");
  });

  test("a given secret is kept", async () => {
    const created = await (await createWebhook({ url: receiver.url, events: ["*"], secret: SECRET })).json();
    expect(created.secret).toBe(SECRET);
  });

  test("400 naming the field: bad URL scheme, empty or malformed events, malformed secret", async () => {
    for (const [body, field] of [
      [{ url: "ftp://example.com/x", events: ["*"] }, "url"],
      [{ url: "file:///etc/passwd", events: ["*"] }, "url"],
      [{ url: "not a url", events: ["*"] }, "url"],
      [{ url: receiver.url, events: [] }, "events"],
      [{ url: receiver.url, events: ["rollout.*.x"] }, "events.0"],
      [{ url: receiver.url }, "events"],
      [{ url: receiver.url, events: ["*"], secret: "" }, "secret"],
      [{ url: receiver.url, events: ["*"], secret: "line\nbreak" }, "secret"],
      [{ url: receiver.url, events: ["*"], secret: "whsec_c2hvcnQ=" }, "secret"],
      [{ events: ["*"] }, "url"],
    ] as const) {
      const res = await createWebhook(body);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toStartWith(`${field}`);
    }
    expect(await h.store.db.select().from(webhooks)).toEqual([]);
  });

  test("admin only: 401 without a key, 403 for deploy and readonly, on every webhook route", async () => {
    const { id } = await (await createWebhook({ url: receiver.url, events: ["*"] })).json();
    const calls: [string, string][] = [
      ["POST", "/api/v1/webhooks"],
      ["GET", "/api/v1/webhooks"],
      ["GET", `/api/v1/webhooks/${id}`],
      ["DELETE", `/api/v1/webhooks/${id}`],
      ["GET", `/api/v1/webhooks/${id}/deliveries`],
      ["POST", `/api/v1/webhooks/${id}/deliveries/msg_x/redeliver`],
    ];
    for (const [method, path] of calls) {
      const body = method === "POST" ? { json: { url: receiver.url, events: ["*"] } } : {};
      expect((await h.request(path, { method, ...body })).status).toBe(401);
      for (const key of [deploy, readonly]) expect((await h.request(path, { method, key, ...body })).status).toBe(403);
    }
  });
});

describe("GET /api/v1/webhooks/{id}", () => {
  test("200 with the webhook as listed (no secret); 404 naming it when unknown", async () => {
    const created = await (await createWebhook({ url: receiver.url, events: ["batch.*"], secret: SECRET })).json();
    const res = await h.request(`/api/v1/webhooks/${created.id}`, { key: admin });
    expect(res.status).toBe(200);
    const { secret, ...shown } = created;
    expect(secret).toBe(SECRET);
    expect(await res.json()).toEqual(shown);
    const unknown = await h.request("/api/v1/webhooks/wh-nope", { key: admin });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "webhook wh-nope not found" });
    const tooLong = await h.request(`/api/v1/webhooks/${"w".repeat(129)}`, { key: admin });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).error).toStartWith("id:");
  });
});

describe("DELETE /api/v1/webhooks/{id}", () => {
  test("204, audited; its queued deliveries go with it; 404 for an unknown id", async () => {
    const { id } = await (await createWebhook({ url: receiver.url, events: ["*"] })).json();
    expect((await h.request(`/api/v1/webhooks/${id}`, { method: "DELETE", key: admin })).status).toBe(204);
    expect(await h.store.db.select().from(webhooks)).toEqual([]);
    expect((await auditOf(h, "webhook.deleted"))[0]).toMatchObject({ target: id, actor: "apikey:root" });
    const again = await h.request(`/api/v1/webhooks/${id}`, { method: "DELETE", key: admin });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: `webhook ${id} not found` });
  });
});

describe("deliveries", () => {
  test("a matching event is delivered, signed so that an independent verifier accepts it", async () => {
    await h.controlPlane.deps.webhookDispatcher.start();
    const { id } = await (await createWebhook({ url: receiver.url, events: ["register"], secret: SECRET })).json();
    expect((await register("web-01")).status).toBe(201);
    const [request] = await receiver.waitFor(1);
    expect(verifyStandardWebhook(SECRET, request!.headers, request!.body)).toBe(true);
    expect(verifyStandardWebhook(SECRET, request!.headers, request!.body.replace("web-01", "web-02"))).toBe(false);
    expect(
      verifyStandardWebhook("whsec_" + Buffer.alloc(32, 1).toString("base64"), request!.headers, request!.body),
    ).toBe(false);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["webhook-timestamp"]).toBe(String(Math.floor(h.controlPlane.deps.now() / 1000)));
    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({
      type: "register",
      data: { action: "register", target: "web-01", actor: "apikey:root" },
    });
    for (let i = 0; i < 100 && (await deliveries(id))[0]?.status !== "succeeded"; i++) await Bun.sleep(10);
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({
      id: request!.headers["webhook-id"],
      event_id: body.data.id,
      action: "register",
      status: "succeeded",
      next_attempt_at: null,
      attempts: [{ status_code: 200, error: null, response_excerpt: "ok" }],
    });
    expect(receiver.received).toHaveLength(1);
  });

  test("only events after the webhook's creation, only matching ones", async () => {
    await register("before");
    await h.controlPlane.deps.webhookDispatcher.start();
    const { id } = await (await createWebhook({ url: receiver.url, events: ["tags.*", "register"] })).json();
    await h.request(machinePath("before", "/lifecycle"), {
      method: "PATCH",
      key: admin,
      json: { lifecycle: "maintenance" },
    });
    await h.request(machinePath("before", "/tags"), { method: "PUT", key: admin, json: { tags: ["web"] } });
    await register("after");
    await receiver.waitFor(2);
    await Bun.sleep(50);
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(["tags.updated", "register"]);
    expect((await deliveries(id)).map((d: { action: string }) => d.action)).toEqual(["register", "tags.updated"]);
  });

  test("redeliver sends the same delivery again now (same id, same body); audited; 404s", async () => {
    await h.controlPlane.deps.webhookDispatcher.start();
    const { id } = await (await createWebhook({ url: receiver.url, events: ["register"], secret: SECRET })).json();
    await register("web-01");
    await receiver.waitFor(1);
    for (let i = 0; i < 100 && (await deliveries(id))[0]?.status !== "succeeded"; i++) await Bun.sleep(10);
    const [delivery] = await deliveries(id);
    const res = await h.request(`/api/v1/webhooks/${id}/deliveries/${delivery.id}/redeliver`, {
      method: "POST",
      key: admin,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: delivery.id, status: "pending" });
    const [first, second] = await receiver.waitFor(2);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(verifyStandardWebhook(SECRET, second!.headers, second!.body)).toBe(true);
    expect((await auditOf(h, "webhook.redelivered"))[0]).toMatchObject({ target: id });
    expect(JSON.parse((await auditOf(h, "webhook.redelivered"))[0]!.detail)).toEqual({
      delivery_id: delivery.id,
      event_id: delivery.event_id,
    });

    const unknownDelivery = await h.request(`/api/v1/webhooks/${id}/deliveries/msg_nope/redeliver`, {
      method: "POST",
      key: admin,
    });
    expect(unknownDelivery.status).toBe(404);
    expect(await unknownDelivery.json()).toEqual({ error: `delivery msg_nope of webhook ${id} not found` });
    const unknownWebhook = await h.request(`/api/v1/webhooks/wh-nope/deliveries/${delivery.id}/redeliver`, {
      method: "POST",
      key: admin,
    });
    expect(unknownWebhook.status).toBe(404);
    expect((await h.request("/api/v1/webhooks/wh-nope/deliveries", { key: admin })).status).toBe(404);
  });

  test("a receiver that hangs does not slow the request that caused the event", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    receiver.answer = async () => {
      await released;
      return new Response("late");
    };
    await h.controlPlane.deps.webhookDispatcher.start();
    await createWebhook({ url: receiver.url, events: ["register"] });
    await register("web-01");
    await receiver.waitFor(1);
    // The receiver still holds the first delivery; another mutation is answered all the same.
    expect((await register("web-02")).status).toBe(201);
    expect(receiver.received.length).toBeGreaterThanOrEqual(1);
    release();
  });

  test("deleting a webhook drops its deliveries", async () => {
    receiver.answer = () => new Response("no", { status: 500 });
    await h.controlPlane.deps.webhookDispatcher.start();
    const { id } = await (await createWebhook({ url: receiver.url, events: ["register"] })).json();
    await register("web-01");
    await receiver.waitFor(1);
    await h.request(`/api/v1/webhooks/${id}`, { method: "DELETE", key: admin });
    expect(await h.store.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id))).toEqual([]);
  });
});
