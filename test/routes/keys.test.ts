import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { apiKeys, auditEvents } from "../../src/db/schema.ts";
import { hashKey } from "../../src/db/keys.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

const KEY_SHAPE = /^nfk-[0-9a-f]{64}$/;
const HOUR = 3_600_000;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const bootstrap = (init: RequestInit & { json?: unknown } = {}) =>
  h.request("/api/v1/keys/bootstrap", { method: "POST", ...init });

async function auditRows(action: string) {
  return h.store.db.select().from(auditEvents).where(eq(auditEvents.action, action));
}

describe("POST /api/v1/keys/bootstrap", () => {
  test("without a body creates an admin key named admin, stored only as its hash", async () => {
    const res = await bootstrap();
    expect(res.status).toBe(200);
    const body = (await res.json()) as { key: string; name: string; role: string };
    expect(body.key).toMatch(KEY_SHAPE);
    expect(body).toEqual({ key: body.key, name: "admin", role: "admin" });

    const rows = await h.store.db.select().from(apiKeys);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.keyHash).toBe(hashKey(body.key));
    expect(JSON.stringify(rows)).not.toContain(body.key.slice(4));

    const audit = await auditRows("bootstrap");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "system:bootstrap", target: rows[0]!.id });
    expect(JSON.parse(audit[0]!.detail)).toEqual({ name: "admin", role: "admin" });

    expect((await h.request("/api/v1/keys", { key: body.key })).status).toBe(200);
  });

  test("takes a name", async () => {
    const res = await bootstrap({ json: { name: "ops" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "ops", role: "admin" });
  });

  test.each([{ name: "" }, { name: null }])("%p names the key admin, as v0.1 does", async (json) => {
    const res = await bootstrap({ json });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "admin", role: "admin" });
    expect((await h.store.db.select().from(apiKeys)).map((k) => k.name)).toEqual(["admin"]);
  });

  test("an empty body with a JSON content type counts as no body", async () => {
    const res = await bootstrap({ headers: { "content-type": "application/json" }, body: "" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "admin" });
  });

  test("answers 409 once a key exists", async () => {
    expect((await bootstrap()).status).toBe(200);
    const res = await bootstrap({ json: { name: "second" } });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: expect.stringContaining("already exist") });
    expect(await h.store.db.select().from(apiKeys)).toHaveLength(1);
    expect(await auditRows("bootstrap")).toHaveLength(1);
  });

  test("a revoked key still counts as existing", async () => {
    await createTestKey(h, "admin", { revokedAt: 1 });
    expect((await bootstrap()).status).toBe(409);
  });

  test("of 10 racing bootstraps exactly one wins", async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => bootstrap({ json: { name: `racer-${i}` } })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(await h.store.db.select().from(apiKeys)).toHaveLength(1);
    expect(await auditRows("bootstrap")).toHaveLength(1);
  });

  test.each([
    [{ name: "x".repeat(65) }, "name"],
    [{ name: 7 }, "name"],
    [{ name: "a\nb" }, "name"],
  ])("refuses %p with 400 naming the field", async (json, field) => {
    const res = await bootstrap({ json });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(field);
    expect(await h.store.db.select().from(apiKeys)).toHaveLength(0);
  });

  test("malformed JSON is a 400", async () => {
    const res = await bootstrap({ headers: { "content-type": "application/json" }, body: '{"name":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});

describe("POST /api/v1/keys", () => {
  test("an admin creates a key: 201 with the secret once, audited, and the key works", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    const res = await h.request("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, string | null>;
    expect(body).toEqual({
      id: expect.stringMatching(/^key-/),
      key: expect.stringMatching(KEY_SHAPE),
      name: "ci",
      role: "deploy",
      created_at: "2026-11-27T10:00:00.000Z",
      expires_at: null,
    });
    const [row] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.id, body.id!));
    expect(row!.keyHash).toBe(hashKey(body.key!));

    const [event] = await auditRows("key.created");
    expect(event).toMatchObject({ actor: "apikey:root", target: body.id! });
    expect(JSON.parse(event!.detail)).toEqual({ name: "ci", role: "deploy", expires_at: null });

    expect((await h.request("/api/v1/audit", { key: body.key! })).status).toBe(200);
    expect((await h.request("/api/v1/keys", { key: body.key! })).status).toBe(403);
  });

  test("expires_at is honoured: the key works until then and is refused after", async () => {
    const admin = await createTestKey(h, "admin");
    const res = await h.request("/api/v1/keys", {
      key: admin,
      json: { name: "temp", role: "readonly", expires_at: "2026-11-27T12:00:00+01:00" },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { key: string; expires_at: string };
    expect(body.expires_at).toBe("2026-11-27T11:00:00.000Z");
    expect((await h.request("/api/v1/audit", { key: body.key })).status).toBe(200);
    h.advance(HOUR);
    const refused = await h.request("/api/v1/audit", { key: body.key });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "API key has expired" });
  });

  test.each([
    [{ role: "admin" }, "name"],
    [{ name: "", role: "admin" }, "name"],
    [{ name: "x".repeat(65), role: "admin" }, "name"],
    [{ name: "ok" }, "role"],
    [{ name: "ok", role: "superuser" }, "role"],
    [{ name: "ok", role: "admin", expires_at: "tomorrow" }, "expires_at"],
    [{ name: "ok", role: "admin", expires_at: "2026-11-27T09:59:59Z" }, "expires_at"],
    [{ name: "ok", role: "admin", expires_at: "2026-11-27T10:00:00Z" }, "expires_at"],
  ])("refuses %p with 400 naming %s", async (json, field) => {
    const admin = await createTestKey(h, "admin");
    const res = await h.request("/api/v1/keys", { key: admin, json });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(field);
    expect(await auditRows("key.created")).toHaveLength(0);
  });

  test("a 64-character name is accepted", async () => {
    const admin = await createTestKey(h, "admin");
    const res = await h.request("/api/v1/keys", { key: admin, json: { name: "n".repeat(64), role: "readonly" } });
    expect(res.status).toBe(201);
  });

  test.each(["deploy", "readonly"] as const)("a %s key gets 403", async (role) => {
    const key = await createTestKey(h, role);
    const res = await h.request("/api/v1/keys", { key, json: { name: "x", role: "admin" } });
    expect(res.status).toBe(403);
    expect(await h.store.db.select().from(apiKeys)).toHaveLength(1);
  });

  test("no key gets 401", async () => {
    const res = await h.request("/api/v1/keys", { json: { name: "x", role: "admin" } });
    expect(res.status).toBe(401);
  });
});

describe("GET /api/v1/keys", () => {
  test("lists every key without secrets or hashes", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    h.advance(1000);
    const created = (await (
      await h.request("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } })
    ).json()) as { id: string; key: string };
    await h.store.write(async () => undefined);

    const res = await h.request("/api/v1/keys", { key: admin });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(created.key.slice(4));
    expect(text).not.toContain(hashKey(created.key));
    const list = JSON.parse(text) as Record<string, unknown>[];
    expect(list.map((k) => Object.keys(k).sort())).toEqual([
      ["created_at", "expires_at", "id", "last_used_at", "name", "revoked_at", "role"],
      ["created_at", "expires_at", "id", "last_used_at", "name", "revoked_at", "role"],
    ]);
    const ci = list.find((k) => k.name === "ci");
    expect(ci).toEqual({
      id: created.id,
      name: "ci",
      role: "deploy",
      created_at: "2026-11-27T10:00:01.000Z",
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
    });
    expect(list.find((k) => k.name === "root")?.last_used_at).toBe("2026-11-27T10:00:01.000Z");
  });

  test.each(["deploy", "readonly"] as const)("a %s key gets 403", async (role) => {
    const key = await createTestKey(h, role);
    expect((await h.request("/api/v1/keys", { key })).status).toBe(403);
  });

  test("no key gets 401", async () => {
    expect((await h.request("/api/v1/keys")).status).toBe(401);
  });
});

describe("DELETE /api/v1/keys/{id}", () => {
  async function createKey(admin: string, name: string, role: string) {
    const res = await h.request("/api/v1/keys", { key: admin, json: { name, role } });
    return (await res.json()) as { id: string; key: string };
  }
  const revoke = (key: string, id: string) =>
    h.request(`/api/v1/keys/${encodeURIComponent(id)}`, { method: "DELETE", key });

  test("revokes: 204, refused from then on, shown in the list, audited", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    const ci = await createKey(admin, "ci", "deploy");
    h.advance(5000);
    const res = await revoke(admin, ci.id);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    const refused = await h.request("/api/v1/audit", { key: ci.key });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "API key has been revoked" });

    const list = (await (await h.request("/api/v1/keys", { key: admin })).json()) as Record<string, unknown>[];
    expect(list.find((k) => k.id === ci.id)?.revoked_at).toBe("2026-11-27T10:00:05.000Z");
    const [event] = await auditRows("key.revoked");
    expect(event).toMatchObject({ actor: "apikey:root", target: ci.id });
  });

  test("revoking an already revoked key is a 204 that changes nothing", async () => {
    const admin = await createTestKey(h, "admin");
    const ci = await createKey(admin, "ci", "deploy");
    expect((await revoke(admin, ci.id)).status).toBe(204);
    h.advance(1000);
    expect((await revoke(admin, ci.id)).status).toBe(204);
    const [row] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.id, ci.id));
    expect(row!.revokedAt).toBe(Date.parse("2026-11-27T10:00:00Z"));
    expect(await auditRows("key.revoked")).toHaveLength(1);
  });

  test("unknown id → 404", async () => {
    const admin = await createTestKey(h, "admin");
    const res = await revoke(admin, "key-nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "API key key-nope not found" });
  });

  test("an id over 128 characters → 400", async () => {
    const admin = await createTestKey(h, "admin");
    expect((await revoke(admin, "k".repeat(129))).status).toBe(400);
  });

  test("revoking the last active admin key → 409, and the key keeps working", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    await createTestKey(h, "admin", { name: "old", revokedAt: 1 });
    await createTestKey(h, "admin", { name: "expired", expiresAt: 1 });
    await createKey(admin, "ci", "deploy");
    const [root] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.name, "root"));
    const res = await revoke(admin, root!.id);
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: expect.stringContaining("last active admin key") });
    expect((await h.request("/api/v1/keys", { key: admin })).status).toBe(200);
    expect(await auditRows("key.revoked")).toHaveLength(0);
  });

  test("an admin key can be revoked while another active admin key exists, even the caller's own", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    const second = await createKey(admin, "second", "admin");
    const [root] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.name, "root"));
    expect((await revoke(admin, root!.id)).status).toBe(204);
    expect((await h.request("/api/v1/keys", { key: admin })).status).toBe(401);
    expect((await revoke(second.key, second.id)).status).toBe(409);
  });

  test("an expired admin key can be revoked even when it is the only admin key left", async () => {
    const admin = await createTestKey(h, "admin");
    await createTestKey(h, "admin", { name: "expired", expiresAt: 1 });
    const [expired] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.name, "expired"));
    expect((await revoke(admin, expired!.id)).status).toBe(204);
  });

  test.each(["deploy", "readonly"] as const)("a %s key gets 403", async (role) => {
    const admin = await createTestKey(h, "admin");
    const ci = await createKey(admin, "ci", "deploy");
    const key = await createTestKey(h, role, { name: "caller" });
    expect((await revoke(key, ci.id)).status).toBe(403);
    const [row] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.id, ci.id));
    expect(row!.revokedAt).toBeNull();
  });

  test("no key gets 401", async () => {
    expect((await h.request("/api/v1/keys/key-x", { method: "DELETE" })).status).toBe(401);
  });
});
