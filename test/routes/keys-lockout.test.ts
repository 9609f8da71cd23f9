// SPEC §13, no lock-out (issue 14, item 5): at least one admin key that does not expire must
// remain. Every key change that would leave only expiring admin keys is a 409, and two
// revocations racing for the last two such keys cannot both pass.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { apiKeys } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

const inSeconds = (seconds: number) => new Date(h.controlPlane.deps.now() + seconds * 1000).toISOString();

async function bootstrap(): Promise<{ key: string; id: string }> {
  const res = await h.request("/api/v1/keys/bootstrap", { method: "POST" });
  expect(res.status).toBe(200);
  const { key } = (await res.json()) as { key: string };
  const [row] = await h.store.db.select().from(apiKeys);
  return { key, id: row!.id };
}

async function createKey(by: string, body: Record<string, unknown>): Promise<Response> {
  return h.request("/api/v1/keys", { key: by, json: body });
}

async function created(by: string, body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const res = await createKey(by, body);
  expect(res.status).toBe(201);
  return (await res.json()) as { key: string; id: string };
}

const revoke = (by: string, id: string) => h.request(`/api/v1/keys/${id}`, { method: "DELETE", key: by });

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}

/** Admin keys that never expire and are not revoked. */
async function permanentAdmins(): Promise<string[]> {
  const rows = await h.store.db.select().from(apiKeys);
  return rows.filter((k) => k.role === "admin" && k.expiresAt === null && k.revokedAt === null).map((k) => k.id);
}

test("an admin key expiring in 3 s cannot revoke the permanent one, so admins are never locked out (item 5)", async () => {
  const root = await bootstrap();
  const shortLived = await created(root.key, { name: "temp", role: "admin", expires_at: inSeconds(3) });
  const res = await revoke(shortLived.key, root.id);
  expect(res.status).toBe(409);
  expect(await errorOf(res)).toContain("at least one must remain");
  h.advance(4000);
  expect((await h.request("/api/v1/keys", { key: shortLived.key })).status).toBe(401);
  expect((await h.request("/api/v1/keys", { key: root.key })).status).toBe(200);
});

describe("revoking", () => {
  test("the last permanent admin key → 409 naming the rule, whatever expiring admin keys remain", async () => {
    const root = await bootstrap();
    const yearly = await created(root.key, { name: "yearly", role: "admin", expires_at: inSeconds(365 * 86400) });
    for (const by of [root.key, yearly.key]) {
      const res = await revoke(by, root.id);
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toBe(
        "cannot revoke the last active admin key that does not expire: at least one must remain, or every admin is locked out once the others expire; create another admin key without expires_at first",
      );
    }
    expect(await permanentAdmins()).toEqual([root.id]);
  });

  test("a permanent admin key goes while another remains; expiring admin keys and other roles go freely", async () => {
    const root = await bootstrap();
    const second = await created(root.key, { name: "second", role: "admin" });
    const yearly = await created(root.key, { name: "yearly", role: "admin", expires_at: inSeconds(86400) });
    const ci = await created(root.key, { name: "ci", role: "deploy" });
    expect((await revoke(root.key, yearly.id)).status).toBe(204);
    expect((await revoke(root.key, ci.id)).status).toBe(204);
    expect((await revoke(root.key, root.id)).status).toBe(204);
    expect((await revoke(second.key, second.id)).status).toBe(409);
    expect(await permanentAdmins()).toEqual([second.id]);
  });

  test("two racing revocations of the last two permanent admin keys: exactly one passes", async () => {
    const root = await bootstrap();
    const second = await created(root.key, { name: "second", role: "admin" });
    const statuses = await Promise.all([revoke(root.key, second.id), revoke(second.key, root.id)]);
    expect(statuses.map((res) => res.status).sort()).toEqual([204, 409]);
    expect(await permanentAdmins()).toHaveLength(1);
  });

  test("of many racing revocations, one permanent admin key always remains", async () => {
    const root = await bootstrap();
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => created(root.key, { name: `admin-${i}`, role: "admin" })),
    );
    const all = [root, ...others];
    const results = await Promise.all(all.map((key, i) => revoke(all[(i + 1) % all.length]!.key, key.id)));
    expect(results.filter((res) => res.status === 409).length).toBeGreaterThanOrEqual(1);
    expect(await permanentAdmins()).toHaveLength(1);
  });
});

describe("a database where every admin key expires (written before this rule)", () => {
  let admin: string;
  beforeEach(async () => {
    admin = await createTestKey(h, "admin", { name: "expiring", expiresAt: h.controlPlane.deps.now() + 86_400_000 });
    await createTestKey(h, "admin", { name: "expiring-2", expiresAt: h.controlPlane.deps.now() + 86_400_000 });
  });

  test("revoking an admin key → 409; creating an expiring admin key → 409", async () => {
    const [other] = (await h.store.db.select().from(apiKeys)).filter((k) => k.name === "expiring-2");
    const revoked = await revoke(admin, other!.id);
    expect(revoked.status).toBe(409);
    expect(await errorOf(revoked)).toContain("no admin key that does not expire exists");
    const expiring = await createKey(admin, { name: "more", role: "admin", expires_at: inSeconds(60) });
    expect(expiring.status).toBe(409);
    expect(await errorOf(expiring)).toBe(
      "cannot create an expiring admin key while no admin key that does not expire exists: at least one must remain; create this one without expires_at",
    );
    expect(await h.store.db.$count(apiKeys)).toBe(2);
  });

  test("keys of other roles come and go; a permanent admin key can be created, and then the rest is free", async () => {
    const ci = await created(admin, { name: "ci", role: "deploy", expires_at: inSeconds(60) });
    expect((await revoke(admin, ci.id)).status).toBe(204);
    const permanent = await created(admin, { name: "root", role: "admin" });
    const [other] = (await h.store.db.select().from(apiKeys)).filter((k) => k.name === "expiring-2");
    expect((await revoke(permanent.key, other!.id)).status).toBe(204);
    expect((await createKey(admin, { name: "more", role: "admin", expires_at: inSeconds(60) })).status).toBe(201);
    expect(await permanentAdmins()).toEqual([permanent.id]);
  });
});
