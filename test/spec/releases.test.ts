// SPEC §6 (releases), checked black-box through the in-process app the way an acceptance
// test written from the SPEC would: status codes, exact bodies, ordering and clamping.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRoleKeys } from "../support/keys.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

beforeEach(async () => {
  h = await createHarness();
  ({ admin, deploy, readonly } = await createRoleKeys(h));
});
afterEach(() => h.close());

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

/** A valid store path, distinct per (host, version). */
function storePath(host: string, version = 1): string {
  const digest = createHash("sha256").update(`${host}#${version}`).digest();
  const hash = [...digest.subarray(0, 32)].map((byte) => ALPHABET[byte % 32]).join("");
  return `/nix/store/${hash}-nixos-system-${host}-25.05`;
}

const entry = (hostname: string, version = 1, extra: Record<string, unknown> = {}) => ({
  hostname,
  store_path: storePath(hostname, version),
  platform: "x86_64-linux",
  ...extra,
});

const createRelease = (body: unknown, key = deploy) =>
  h.request("/api/v1/releases", { method: "POST", key, json: body });

async function createOk(body: unknown): Promise<string> {
  const res = await createRelease(body);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const get = (path: string, key = readonly) => h.request(path, { key });

async function listIds(query = ""): Promise<string[]> {
  const res = await get(`/api/v1/releases${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }[]).map((r) => r.id);
}

const RELEASE_ID = /^rel-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RELEASE_FIELDS = [
  "cache_url",
  "created_at",
  "created_by",
  "entries",
  "flake_ref",
  "flake_rev",
  "host_count",
  "id",
];
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("§6 POST /api/v1/releases", () => {
  test("201 with exactly {id: rel-<uuid>, host_count}", async () => {
    const res = await createRelease({
      flake_ref: "github:example/fleet",
      flake_rev: "3f2a9c1d",
      cache_url: "https://cache.example.com",
      entries: [entry("web-01", 1, { tags: ["web"] }), entry("db-01")],
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["host_count", "id"]);
    expect(body.id).toMatch(RELEASE_ID);
    expect(body.host_count).toBe(2);
  });

  test("a v0.1 CLI body with only entries (no flake_ref/flake_rev/cache_url, no tags) is accepted", async () => {
    const id = await createOk({ entries: [entry("web-01")] });
    const res = await get(`/api/v1/releases/${id}`);
    expect(await res.json()).toMatchObject({
      id,
      flake_ref: null,
      flake_rev: null,
      cache_url: null,
      host_count: 1,
      entries: [{ ...entry("web-01"), tags: [] }],
    });
    // Explicit nulls, as serde writes Option::None.
    await createOk({ flake_ref: null, flake_rev: null, cache_url: null, entries: [entry("web-01")] });
  });

  test("admin may create too; readonly → 403; no key → 401", async () => {
    expect((await createRelease({ entries: [entry("web-01")] }, admin)).status).toBe(201);
    expect((await createRelease({ entries: [entry("web-01")] }, readonly)).status).toBe(403);
    const anonymous = await h.request("/api/v1/releases", { method: "POST", json: { entries: [entry("web-01")] } });
    expect(anonymous.status).toBe(401);
  });

  test("empty or missing entries → 400", async () => {
    for (const body of [{ entries: [] }, {}, { entries: "web-01" }, { entries: null }]) {
      const res = await createRelease(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("entries");
    }
    expect(await listIds()).toEqual([]);
  });

  test("duplicate hostname → 400", async () => {
    const res = await createRelease({ entries: [entry("web-01", 1), entry("db-01"), entry("web-01", 2)] });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toContain("web-01");
    expect(await listIds()).toEqual([]);
  });

  test("store paths must be /nix/store/<32 nix-base32 chars>-<name>", async () => {
    const hash = "0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9";
    const good = [
      `/nix/store/${hash}-nixos-system-web-01-25.05`,
      `/nix/store/${hash}-a`,
      `/nix/store/${hash}-nixos-system-web-01-25.05pre-git_x+y?=z`,
    ];
    for (const path of good) {
      const res = await createRelease({
        entries: [{ hostname: "web-01", store_path: path, platform: "x86_64-linux" }],
      });
      expect({ path, status: res.status }).toEqual({ path, status: 201 });
    }
    const bad = [
      "",
      "/nix/store/abc123-nixos-system-web-01",
      `/nix/store/${hash.slice(1)}-nixos`,
      `/nix/store/${hash}x-nixos`,
      `/nix/store/${hash}`,
      `/nix/store/${hash}-`,
      `/nix/store/${hash.toUpperCase()}-nixos`,
      `/nix/store/e${hash.slice(1)}-nixos`,
      `/nix/store/o${hash.slice(1)}-nixos`,
      `/nix/store/u${hash.slice(1)}-nixos`,
      `/nix/store/t${hash.slice(1)}-nixos`,
      `/nix/stor/${hash}-nixos`,
      `nix/store/${hash}-nixos`,
      `/gnu/store/${hash}-nixos`,
      `/nix/store/${hash}-has space`,
      `/nix/store/${hash}-nixos/bin/switch`,
    ];
    for (const path of bad) {
      const res = await createRelease({
        entries: [{ hostname: "web-01", store_path: path, platform: "x86_64-linux" }],
      });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain("store_path");
    }
    expect((await listIds()).length).toBe(good.length);
  });

  test("malformed entries → 400 naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ store_path: storePath("x"), platform: "x86_64-linux" }, "hostname"],
      [{ hostname: "web-01", platform: "x86_64-linux" }, "store_path"],
      [{ hostname: "web-01", store_path: storePath("web-01") }, "platform"],
      [{ ...entry("web-01"), tags: "web" }, "tags"],
      [{ ...entry("web-01"), hostname: 7 }, "hostname"],
    ];
    for (const [bad, field] of cases) {
      const res = await createRelease({ entries: [bad] });
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
    const broken = await h.request("/api/v1/releases", {
      method: "POST",
      key: deploy,
      headers: { "content-type": "application/json" },
      body: '{"entries": [',
    });
    expect(broken.status).toBe(400);
  });
});

describe("§6 GET /api/v1/releases", () => {
  test("newest first, each with exactly the listed fields", async () => {
    const first = await createOk({ flake_ref: "github:example/fleet", entries: [entry("web-02"), entry("web-01")] });
    h.advance(1000);
    const second = await createOk({
      cache_url: "https://cache.example.com",
      entries: [entry("db-01", 2, { tags: ["db", "prod"] })],
    });
    const res = await get("/api/v1/releases");
    expect(res.status).toBe(200);
    const list = (await res.json()) as Record<string, unknown>[];
    expect(list.map((r) => r.id)).toEqual([second, first]);
    for (const r of list) expect(Object.keys(r).sort()).toEqual(RELEASE_FIELDS);
    expect(list[1]).toEqual({
      id: first,
      flake_ref: "github:example/fleet",
      flake_rev: null,
      cache_url: null,
      host_count: 2,
      entries: [
        { ...entry("web-01"), tags: [] },
        { ...entry("web-02"), tags: [] },
      ],
      created_at: "2026-11-27T10:00:00.000Z",
      created_by: "apikey:ci",
    });
    expect(list[0]).toMatchObject({
      cache_url: "https://cache.example.com",
      host_count: 1,
      entries: [{ ...entry("db-01", 2), tags: ["db", "prod"] }],
      created_at: "2026-11-27T10:00:01.000Z",
    });
    for (const r of list) expect(r.created_at).toMatch(RFC3339_UTC);
  });

  test("newest first even when releases are created within the same millisecond", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createOk({ entries: [entry(`web-0${i}`)] }));
    expect(await listIds()).toEqual([...ids].reverse());
  });

  test("limit: default 20, values outside 1..500 are clamped", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 501; i++) {
      ids.push(await createOk({ entries: [entry("web-01", i)] }));
      h.advance(1);
    }
    const newest = [...ids].reverse();
    expect(await listIds()).toEqual(newest.slice(0, 20));
    expect(await listIds("?limit=3")).toEqual(newest.slice(0, 3));
    expect(await listIds("?limit=0")).toEqual(newest.slice(0, 1));
    expect(await listIds("?limit=-7")).toEqual(newest.slice(0, 1));
    expect(await listIds("?limit=500")).toEqual(newest.slice(0, 500));
    expect(await listIds("?limit=501")).toEqual(newest.slice(0, 500));
    expect(await listIds("?limit=100000")).toEqual(newest.slice(0, 500));
  });

  test("?host= keeps releases that have an entry for that hostname", async () => {
    const a = await createOk({ entries: [entry("web-01"), entry("db-01")] });
    h.advance(1);
    const b = await createOk({ entries: [entry("web-02")] });
    h.advance(1);
    const c = await createOk({ entries: [entry("web-01", 2)] });
    expect(await listIds("?host=web-01")).toEqual([c, a]);
    expect(await listIds("?host=web-02")).toEqual([b]);
    expect(await listIds("?host=nobody")).toEqual([]);
    expect(await listIds("?host=web-01&limit=1")).toEqual([c]);
  });

  test("readonly, deploy and admin may read; no key → 401", async () => {
    for (const key of [readonly, deploy, admin]) expect((await get("/api/v1/releases", key)).status).toBe(200);
    expect((await h.request("/api/v1/releases")).status).toBe(401);
  });
});

describe("§6 GET /api/v1/releases/{id}", () => {
  test("one release, the same object the list shows; unknown → 404; id over 128 chars → 400", async () => {
    const id = await createOk({ flake_rev: "abc", entries: [entry("web-01", 1, { tags: ["web"] })] });
    const res = await get(`/api/v1/releases/${id}`);
    expect(res.status).toBe(200);
    const one = await res.json();
    expect(Object.keys(one as object).sort()).toEqual(RELEASE_FIELDS);
    const [listed] = (await (await get("/api/v1/releases")).json()) as unknown[];
    expect(one).toEqual(listed);

    const missing = await get("/api/v1/releases/rel-00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.any(String) });
    expect((await get(`/api/v1/releases/${"r".repeat(129)}`)).status).toBe(400);
  });
});

describe("§6 GET /api/v1/releases/{a}/diff/{b}", () => {
  test("added (b only), removed (a only), changed and unchanged, each sorted", async () => {
    const a = await createOk({
      entries: [
        entry("web-03", 1),
        entry("gone-2"),
        entry("web-01", 1),
        entry("db-01", 1),
        entry("gone-1"),
        entry("web-02", 1),
      ],
    });
    const b = await createOk({
      entries: [
        entry("web-02", 2),
        entry("new-2"),
        entry("db-01", 1),
        entry("web-01", 2),
        entry("new-1"),
        entry("web-03", 1),
      ],
    });
    const res = await get(`/api/v1/releases/${a}/diff/${b}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      added: ["new-1", "new-2"],
      removed: ["gone-1", "gone-2"],
      changed: [
        { hostname: "web-01", old_store_path: storePath("web-01", 1), new_store_path: storePath("web-01", 2) },
        { hostname: "web-02", old_store_path: storePath("web-02", 1), new_store_path: storePath("web-02", 2) },
      ],
      unchanged: ["db-01", "web-03"],
    });

    const reverse = (await (await get(`/api/v1/releases/${b}/diff/${a}`)).json()) as Record<string, unknown>;
    expect(reverse.added).toEqual(["gone-1", "gone-2"]);
    expect(reverse.removed).toEqual(["new-1", "new-2"]);

    expect(await (await get(`/api/v1/releases/${a}/diff/${a}`)).json()).toEqual({
      added: [],
      removed: [],
      changed: [],
      unchanged: ["db-01", "gone-1", "gone-2", "web-01", "web-02", "web-03"],
    });
  });

  test("404 if either release is missing", async () => {
    const a = await createOk({ entries: [entry("web-01")] });
    const missing = "rel-00000000-0000-4000-8000-000000000000";
    expect((await get(`/api/v1/releases/${a}/diff/${missing}`)).status).toBe(404);
    expect((await get(`/api/v1/releases/${missing}/diff/${a}`)).status).toBe(404);
    expect((await get(`/api/v1/releases/${missing}/diff/${missing}`)).status).toBe(404);
  });
});

describe("§6 DELETE /api/v1/releases/{id}", () => {
  test("204, then it is gone (GET and DELETE → 404)", async () => {
    const keep = await createOk({ entries: [entry("db-01")] });
    const id = await createOk({ entries: [entry("web-01")] });
    const res = await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await get(`/api/v1/releases/${id}`)).status).toBe(404);
    expect((await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: admin })).status).toBe(404);
    expect(await listIds()).toEqual([keep]);
  });

  test("admin only", async () => {
    const id = await createOk({ entries: [entry("web-01")] });
    expect((await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: deploy })).status).toBe(403);
    expect((await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: readonly })).status).toBe(403);
    expect((await get(`/api/v1/releases/${id}`)).status).toBe(200);
  });

  test("409 while any rollout references it, whatever the rollout's state; 204 once the rollout is deleted", async () => {
    const report = (id: string) =>
      h.request(`/api/v1/machines/${id}/report`, {
        method: "POST",
        json: {
          machine_id: id,
          current_generation: storePath(id, 0),
          success: true,
          message: "ok",
          timestamp: "2026-11-27T10:00:00Z",
          tags: ["web"],
        },
      });
    expect((await report("web-01")).status).toBe(200);
    const id = await createOk({ entries: [entry("web-01")] });
    const created = await h.request("/api/v1/rollouts", {
      method: "POST",
      key: deploy,
      json: { release_id: id, strategy: "all_at_once", target: { hosts: ["web-01"] } },
    });
    expect(created.status).toBe(201);
    const { rollout_id } = (await created.json()) as { rollout_id: string };
    await h.controlPlane.deps.rolloutExecutor.idle();

    const del = () => h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: admin });
    const conflict = await del();
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: expect.any(String) });

    expect((await h.request(`/api/v1/rollouts/${rollout_id}/cancel`, { method: "POST", key: deploy })).status).toBe(
      200,
    );
    await h.controlPlane.deps.rolloutExecutor.idle();
    expect((await del()).status).toBe(409);
    expect((await get(`/api/v1/releases/${id}`)).status).toBe(200);

    expect((await h.request(`/api/v1/rollouts/${rollout_id}`, { method: "DELETE", key: admin })).status).toBe(204);
    expect((await del()).status).toBe(204);
  });
});

describe("seed: releases are immutable and can be referenced by rollouts multiple times", () => {
  const report = (id: string, tags: string[], generation: string, healthy = false) =>
    h.request(`/api/v1/machines/${id}/report`, {
      method: "POST",
      json: {
        machine_id: id,
        current_generation: generation,
        success: true,
        message: "ok",
        timestamp: "2026-11-27T10:00:00Z",
        tags,
        health: healthy ? { results: [], all_passed: true, timestamp: "2026-11-27T10:00:00Z" } : null,
      },
    });
  const rollout = (releaseId: string, tags: string[]) =>
    h.request("/api/v1/rollouts", {
      method: "POST",
      key: deploy,
      json: { release_id: releaseId, strategy: "all_at_once", target: { tags } },
    });

  test("no route modifies a release", async () => {
    const id = await createOk({ entries: [entry("web-01")] });
    for (const method of ["PUT", "PATCH"]) {
      const res = await h.request(`/api/v1/releases/${id}`, {
        method,
        key: admin,
        json: { entries: [entry("web-02")] },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    const after = (await (await get(`/api/v1/releases/${id}`)).json()) as { entries: { hostname: string }[] };
    expect(after.entries.map((e) => e.hostname)).toEqual(["web-01"]);
  });

  test("staging then prod from one release, then a rollback to the previous release", async () => {
    expect((await report("stg-01", ["staging"], storePath("stg-01", 0))).status).toBe(200);
    expect((await report("prd-01", ["prod"], storePath("prd-01", 0))).status).toBe(200);
    const previous = await createOk({ entries: [entry("stg-01", 0), entry("prd-01", 0)] });
    const release = await createOk({ entries: [entry("stg-01", 1), entry("prd-01", 1)] });

    const staging = await rollout(release, ["staging"]);
    expect(staging.status).toBe(201);
    const prod = await rollout(release, ["prod"]);
    expect(prod.status).toBe(201);
    await h.controlPlane.deps.rolloutExecutor.idle();

    h.advance(1000);
    expect((await report("prd-01", ["prod"], storePath("prd-01", 1), true)).status).toBe(200);
    await h.controlPlane.deps.rolloutExecutor.idle();
    const rollback = await rollout(previous, ["prod"]);
    expect(rollback.status).toBe(201);
    await h.controlPlane.deps.rolloutExecutor.idle();
    const desired = await h.request("/api/v1/machines/prd-01/desired-generation");
    expect(((await desired.json()) as { hash: string }).hash).toBe(storePath("prd-01", 0));
  });
});
