import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { AppEnv, Role } from "../../src/context.ts";
import { errorResponse } from "../../src/errors.ts";
import { generateRawKey } from "../../src/db/keys.ts";
import { apiKeys } from "../../src/db/schema.ts";
import { apiKeyAuth } from "../../src/middleware/auth.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

const T0 = Date.parse("2026-11-27T10:00:00Z");
const ROLES: Role[] = ["readonly", "deploy", "admin"];

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

/** Waits for queued writes (the off-request last_used_at update) to commit. */
const settle = () => h.store.write(async () => undefined);

async function lastUsedAt(name: string): Promise<number | null> {
  await settle();
  const [row] = await h.store.db.select().from(apiKeys).where(eq(apiKeys.name, name));
  return row!.lastUsedAt;
}

describe("API key check", () => {
  const refused: [string, Record<string, string>, string][] = [
    ["no header", {}, "missing API key: send Authorization: Bearer <key>"],
    [
      "another scheme",
      { authorization: "Basic YWRtaW46YWRtaW4=" },
      "missing API key: send Authorization: Bearer <key>",
    ],
    ["an empty bearer", { authorization: "Bearer " }, "missing API key: send Authorization: Bearer <key>"],
    ["a malformed key", { authorization: "Bearer hunter2" }, "malformed API key: expected nfk-<64 hex>"],
    [
      "two tokens",
      { authorization: `Bearer ${"nfk-" + "a".repeat(64)} extra` },
      "missing API key: send Authorization: Bearer <key>",
    ],
    ["an unknown key", { authorization: `Bearer ${generateRawKey()}` }, "unknown API key"],
  ];
  test.each(refused)("%s → 401 with a JSON error", async (_, headers, message) => {
    await createTestKey(h, "admin");
    const res = await h.request("/api/v1/audit", { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: message });
  });

  test("a revoked key → 401", async () => {
    const key = await createTestKey(h, "admin", { revokedAt: T0 - 1 });
    const res = await h.request("/api/v1/audit", { key });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "API key has been revoked" });
  });

  test("a key works until its expiry and gets 401 from that instant on", async () => {
    const key = await createTestKey(h, "readonly", { expiresAt: T0 + 1000 });
    expect((await h.request("/api/v1/audit", { key })).status).toBe(200);
    h.advance(999);
    expect((await h.request("/api/v1/audit", { key })).status).toBe(200);
    h.advance(1);
    const res = await h.request("/api/v1/audit", { key });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "API key has expired" });
  });

  test("the scheme is case-insensitive", async () => {
    const key = await createTestKey(h, "readonly");
    const res = await h.request("/api/v1/audit", { headers: { authorization: `bearer ${key}` } });
    expect(res.status).toBe(200);
  });
});

describe("roles: readonly < deploy < admin", () => {
  // A probe app per required role, so every cell of the matrix is checked on the real middleware and database.
  function probe(required: Role) {
    const app = new OpenAPIHono<AppEnv>();
    app.onError((error, c) => errorResponse(error, c, h.controlPlane.deps.logger));
    app.get("/probe", apiKeyAuth(h.controlPlane.deps)(required), (c) =>
      c.json({ actor: c.get("actor"), role: c.get("role") }),
    );
    return app;
  }

  for (const required of ROLES) {
    for (const held of ROLES) {
      const allowed = ROLES.indexOf(held) >= ROLES.indexOf(required);
      test(`a ${held} key on a ${required} route → ${allowed ? 200 : 403}`, async () => {
        const key = await createTestKey(h, held, { name: `k-${held}` });
        const res = await probe(required).request("/probe", { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(allowed ? 200 : 403);
        expect(await res.json()).toEqual(
          allowed
            ? { actor: `apikey:k-${held}`, role: held }
            : { error: `API key k-${held} has role ${held}; this call needs ${required}` },
        );
      });
    }
  }

  test("the real routes: keys need admin, audit needs readonly", async () => {
    for (const role of ROLES) {
      const key = await createTestKey(h, role, { name: `real-${role}` });
      expect((await h.request("/api/v1/keys", { key })).status).toBe(role === "admin" ? 200 : 403);
      expect((await h.request("/api/v1/audit", { key })).status).toBe(200);
    }
  });
});

describe("last_used_at", () => {
  test("is written on first use, then at most once a minute per key", async () => {
    const key = await createTestKey(h, "readonly", { name: "reader" });
    const other = await createTestKey(h, "readonly", { name: "other" });
    expect(await lastUsedAt("reader")).toBeNull();

    await h.request("/api/v1/audit", { key });
    expect(await lastUsedAt("reader")).toBe(T0);

    h.advance(30_000);
    await h.request("/api/v1/audit", { key });
    await h.request("/api/v1/audit", { key: other });
    expect(await lastUsedAt("reader")).toBe(T0);
    expect(await lastUsedAt("other")).toBe(T0 + 30_000);

    h.advance(29_999);
    await h.request("/api/v1/audit", { key });
    expect(await lastUsedAt("reader")).toBe(T0);

    h.advance(1);
    await h.request("/api/v1/audit", { key });
    expect(await lastUsedAt("reader")).toBe(T0 + 60_000);
  });

  test("a refused key is not marked as used", async () => {
    const key = await createTestKey(h, "readonly", { name: "reader" });
    expect((await h.request("/api/v1/keys", { key })).status).toBe(403);
    expect(await lastUsedAt("reader")).toBeNull();
  });
});
