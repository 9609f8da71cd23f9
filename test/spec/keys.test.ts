// SPEC §4, black box: bootstrap, create, list, revoke; racing bootstraps against the real process too.
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarness, type Harness } from "../support/harness.ts";
import { startFromSource, type ServerProcess } from "../support/process.ts";

const KEY = /^nfk-[0-9a-f]{64}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

function bootstrap(body?: unknown) {
  return body === undefined
    ? h.request("/api/v1/keys/bootstrap", { method: "POST" })
    : h.request("/api/v1/keys/bootstrap", { json: body });
}

async function bootstrapKey(): Promise<string> {
  const res = await bootstrap({ name: "admin" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { key: string }).key;
}

describe("POST /api/v1/keys/bootstrap", () => {
  test('{"name":"admin"} → 200 with exactly {"key":"nfk-<64 hex>","name":"admin","role":"admin"}', async () => {
    const res = await bootstrap({ name: "admin" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["key", "name", "role"]);
    expect(body.key).toMatch(KEY);
    expect(body).toEqual({ key: body.key, name: "admin", role: "admin" });
    expect(text).toBe(`{"key":"${body.key}","name":"admin","role":"admin"}`);
  });

  test.each([
    ["no body", undefined],
    ["an empty object", {}],
  ])("%s → name defaults to admin", async (_, body) => {
    const res = await bootstrap(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ key: expect.stringMatching(KEY), name: "admin", role: "admin" });
  });

  test("another name is kept, the role is admin", async () => {
    const res = await bootstrap({ name: "ops" });
    expect(await res.json()).toEqual({ key: expect.stringMatching(KEY), name: "ops", role: "admin" });
  });

  test("afterwards → 409, whatever the body, and the first key keeps working", async () => {
    const key = await bootstrapKey();
    for (const body of [{ name: "admin" }, { name: "other" }, {}, undefined]) {
      const res = await bootstrap(body);
      expect(res.status).toBe(409);
      expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
    }
    expect((await h.request("/api/v1/keys", { key })).status).toBe(200);
  });

  test("a key created through the API also closes bootstrap", async () => {
    const key = await bootstrapKey();
    const other = await createHarness();
    try {
      expect((await other.request("/api/v1/keys/bootstrap", { json: {} })).status).toBe(200);
    } finally {
      await other.close();
    }
    expect((await h.request("/api/v1/keys", { key, json: { name: "ci", role: "deploy" } })).status).toBe(201);
    expect((await bootstrap({})).status).toBe(409);
  });

  test("racing bootstraps: exactly one wins", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => bootstrap({ name: `admin-${i}` })));
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const admin = await (results.find((res) => res.status === 200)!.json() as Promise<{ key: string }>);
    const listed = (await (await h.request("/api/v1/keys", { key: admin.key })).json()) as unknown[];
    expect(listed).toHaveLength(1);
  });

  test("a name of the wrong type → 400", async () => {
    const res = await bootstrap({ name: 42 });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("name");
  });

  test("the raw key is stored only as a hash", async () => {
    const key = await bootstrapKey();
    const created = await h.request("/api/v1/keys", { key, json: { name: "ci", role: "deploy" } });
    const second = ((await created.json()) as { key: string }).key;
    const client = createClient({ url: `file:${h.dbPath}` });
    try {
      const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
      for (const row of tables.rows) {
        const rows = await client.execute(`SELECT * FROM "${String(row[0])}"`);
        const dump = JSON.stringify(rows.rows);
        expect(dump).not.toContain(key.slice(4));
        expect(dump).not.toContain(second.slice(4));
      }
    } finally {
      client.close();
    }
  });
});

describe("POST /api/v1/keys", () => {
  test.each(["admin", "deploy", "readonly"])(
    "role %s → 201 with id, key, name, role, created_at, expires_at",
    async (role) => {
      const admin = await bootstrapKey();
      const res = await h.request("/api/v1/keys", { key: admin, json: { name: `k-${role}`, role } });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(["created_at", "expires_at", "id", "key", "name", "role"]);
      expect(body).toMatchObject({ name: `k-${role}`, role, expires_at: null });
      expect(body.key).toMatch(KEY);
      expect(body.created_at).toMatch(RFC3339_UTC);
      expect(typeof body.id).toBe("string");
      // The new key authenticates with its role.
      const read = await h.request("/api/v1/audit", { key: body.key as string });
      expect(read.status).toBe(200);
    },
  );

  test("expires_at is echoed as RFC 3339 UTC", async () => {
    const admin = await bootstrapKey();
    const res = await h.request("/api/v1/keys", {
      key: admin,
      json: { name: "temp", role: "readonly", expires_at: "2027-01-01T01:00:00+01:00" },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { expires_at: string };
    expect(Date.parse(body.expires_at)).toBe(Date.parse("2027-01-01T00:00:00Z"));
    expect(body.expires_at).toMatch(RFC3339_UTC);
  });

  test("missing name or role, or an unknown role → 400; no key → 401; deploy or readonly → 403", async () => {
    const admin = await bootstrapKey();
    expect((await h.request("/api/v1/keys", { key: admin, json: { role: "admin" } })).status).toBe(400);
    expect((await h.request("/api/v1/keys", { key: admin, json: { name: "x" } })).status).toBe(400);
    expect((await h.request("/api/v1/keys", { key: admin, json: { name: "x", role: "owner" } })).status).toBe(400);
    expect((await h.request("/api/v1/keys", { json: { name: "x", role: "admin" } })).status).toBe(401);
    for (const role of ["deploy", "readonly"]) {
      const res = await h.request("/api/v1/keys", { key: admin, json: { name: role, role } });
      const { key } = (await res.json()) as { key: string };
      expect((await h.request("/api/v1/keys", { key, json: { name: "y", role: "readonly" } })).status).toBe(403);
      expect((await h.request("/api/v1/keys", { key })).status).toBe(403);
    }
  });
});

describe("GET /api/v1/keys", () => {
  test("lists every key without secrets, with last_used_at", async () => {
    const admin = await bootstrapKey();
    const created = await h.request("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } });
    const ci = (await created.json()) as { id: string; key: string };
    expect((await h.request("/api/v1/releases", { key: ci.key })).status).toBe(200);
    // The key's use is written off the request path; writes commit in turn, so this one follows it.
    await h.store.write(async () => undefined);
    h.advance(1000);

    const res = await h.request("/api/v1/keys", { key: admin });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(admin);
    expect(text).not.toContain(ci.key);
    const list = JSON.parse(text) as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    for (const entry of list) {
      expect(entry).not.toHaveProperty("key");
      expect(entry).toHaveProperty("last_used_at");
      // (Not toMatchObject with expect.any: Bun 1.4.4 writes the matchers into the received object.)
      for (const field of ["id", "name", "role"]) expect(typeof entry[field]).toBe("string");
      expect(entry.created_at).toMatch(RFC3339_UTC);
      for (const value of Object.values(entry)) expect(String(value)).not.toMatch(/^[0-9a-f]{64}$/);
    }
    const ciEntry = list.find((entry) => entry.id === ci.id)!;
    expect(ciEntry).toMatchObject({ name: "ci", role: "deploy" });
    expect(ciEntry.last_used_at).toMatch(RFC3339_UTC);
  });
});

describe("DELETE /api/v1/keys/{id}", () => {
  test("→ 204 with no body; the key is refused from then on", async () => {
    const admin = await bootstrapKey();
    const created = await h.request("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } });
    const ci = (await created.json()) as { id: string; key: string };
    expect((await h.request("/api/v1/releases", { key: ci.key })).status).toBe(200);
    const res = await h.request(`/api/v1/keys/${ci.id}`, { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await h.request("/api/v1/releases", { key: ci.key })).status).toBe(401);
  });

  test("unknown id → 404; revoking the last admin key → 409 and it still works", async () => {
    const admin = await bootstrapKey();
    expect((await h.request("/api/v1/keys/key-nope", { method: "DELETE", key: admin })).status).toBe(404);
    const list = (await (await h.request("/api/v1/keys", { key: admin })).json()) as { id: string }[];
    const res = await h.request(`/api/v1/keys/${list[0]!.id}`, { method: "DELETE", key: admin });
    expect(res.status).toBe(409);
    expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
    expect((await h.request("/api/v1/keys", { key: admin })).status).toBe(200);

    // With a second admin key the first can go, even by its own hand.
    const second = await h.request("/api/v1/keys", { key: admin, json: { name: "admin-2", role: "admin" } });
    const other = (await second.json()) as { key: string };
    expect((await h.request(`/api/v1/keys/${list[0]!.id}`, { method: "DELETE", key: admin })).status).toBe(204);
    expect((await h.request("/api/v1/keys", { key: admin })).status).toBe(401);
    expect((await h.request("/api/v1/keys", { key: other.key })).status).toBe(200);
  });
});

describe("against the real process", () => {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-spec-keys-"));
  let server: ServerProcess | undefined;
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test("of many racing bootstrap requests exactly one gets the key", async () => {
    server = await startFromSource(join(dir, "state.db"));
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${server!.url}/api/v1/keys/bootstrap`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "admin" }),
        }),
      ),
    );
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(11);
    const winner = (await results[statuses.indexOf(200)]!.json()) as Record<string, unknown>;
    expect(Object.keys(winner).sort()).toEqual(["key", "name", "role"]);
    server.proc.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
