import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import { MAX_BODY_BYTES } from "../../src/app.ts";
import { auditEvents, releaseEntries, releases, rollouts } from "../../src/db/schema.ts";
import { getReleaseEntries, getRelease, releaseExists } from "../../src/db/releases.ts";
import { CreatedRelease, Release, ReleaseDiff } from "../../src/routes/releases.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRoleKeys, createTestKey } from "../support/keys.ts";

const HASH_A = "0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9";
const HASH_B = "1b9p07z77phvv2hf6gm9f28syp39f1ag";
const storePath = (hash: string, host: string) => `/nix/store/${hash}-nixos-system-${host}-24.11`;
const entry = (hostname: string, hash = HASH_A, extra: Record<string, unknown> = {}) => ({
  hostname,
  store_path: storePath(hash, hostname),
  platform: "x86_64-linux",
  ...extra,
});

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

beforeEach(async () => {
  h = await createHarness();
  ({ admin, deploy, readonly } = await createRoleKeys(h));
});
afterEach(() => h.close());

async function createRelease(body: Record<string, unknown>, key = deploy): Promise<string> {
  const res = await h.request("/api/v1/releases", { json: body, key });
  expect(res.status).toBe(201);
  return CreatedRelease.parse(await res.json()).id;
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}

describe("POST /api/v1/releases", () => {
  test("creates the release, its entries and the audit event in the database", async () => {
    const res = await h.request("/api/v1/releases", {
      key: deploy,
      json: {
        flake_ref: "github:example/fleet",
        flake_rev: "abc123",
        cache_url: "https://cache.example.com",
        entries: [
          entry("web-01", HASH_A, { tags: ["web", "prod"] }),
          entry("db-01", HASH_B, { platform: "aarch64-linux" }),
        ],
      },
    });
    expect(res.status).toBe(201);
    const created = CreatedRelease.parse(await res.json());
    expect(created.id).toMatch(/^rel-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.host_count).toBe(2);

    const [row] = await h.store.db.select().from(releases).where(eq(releases.id, created.id));
    expect(row).toEqual({
      id: created.id,
      flakeRef: "github:example/fleet",
      flakeRev: "abc123",
      cacheUrl: "https://cache.example.com",
      hostCount: 2,
      createdAt: Date.parse("2026-11-27T10:00:00Z"),
      createdBy: "apikey:ci",
    });
    const entries = await getReleaseEntries(h.store.db, created.id);
    expect(entries.get("web-01")).toEqual({
      hostname: "web-01",
      storePath: storePath(HASH_A, "web-01"),
      platform: "x86_64-linux",
      tags: ["web", "prod"],
    });
    expect(entries.get("db-01")?.platform).toBe("aarch64-linux");
    expect(entries.get("db-01")?.tags).toEqual([]);

    const audit = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "create_release"));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "apikey:ci", target: created.id });
    expect(JSON.parse(audit[0]!.detail)).toEqual({ host_count: 2, flake_ref: "github:example/fleet" });
  });

  test("optional fields may be absent or null, as v0.1 clients send them", async () => {
    const id = await createRelease({
      flake_ref: null,
      flake_rev: null,
      cache_url: null,
      entries: [entry("web-01", HASH_A, { tags: null })],
    });
    const release = await getRelease(h.store.db, id);
    expect(release).toMatchObject({ flakeRef: null, flakeRev: null, cacheUrl: null, hostCount: 1 });
    expect(release?.entries[0]?.tags).toEqual([]);
    await createRelease({ entries: [entry("web-01")] });
  });

  test("any hostname of up to 128 characters round-trips exactly", async () => {
    const odd = ['web "01"', "ü-host 🚀", "a,b;c\\d", "  spaced  ", "del\u007f", '{"json":1}', "$.hostname"];
    const id = await createRelease({ entries: odd.map((hostname) => entry("x", HASH_A, { hostname, tags: ["a:b"] })) });
    const entries = await getReleaseEntries(h.store.db, id);
    expect([...entries.keys()].sort()).toEqual([...odd].sort());
    for (const hostname of odd) expect(entries.get(hostname)?.tags).toEqual(["a:b"]);
  });

  test("admin may create releases too", async () => {
    await createRelease({ entries: [entry("web-01")] }, admin);
  });

  test("401 without a key, 403 for readonly, and nothing is written", async () => {
    const body = { entries: [entry("web-01")] };
    expect((await h.request("/api/v1/releases", { json: body })).status).toBe(401);
    expect((await h.request("/api/v1/releases", { json: body, key: "nfk-unknown" })).status).toBe(401);
    const forbidden = await h.request("/api/v1/releases", { json: body, key: readonly });
    expect(forbidden.status).toBe(403);
    expect(await errorOf(forbidden)).toContain("deploy");
    const [{ n }] = (await h.store.db.select({ n: count() }).from(releases)) as [{ n: number }];
    expect(n).toBe(0);
  });

  test("empty entries → 400", async () => {
    const res = await h.request("/api/v1/releases", { json: { entries: [] }, key: deploy });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe("entries: must not be empty");
  });

  test("duplicate hostname → 400 naming it, and nothing is written", async () => {
    const res = await h.request("/api/v1/releases", {
      json: { entries: [entry("web-01"), entry("db-01"), entry("web-01", HASH_B)] },
      key: deploy,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('entries.2.hostname: duplicate hostname "web-01"');
    const [{ n }] = (await h.store.db.select({ n: count() }).from(releaseEntries)) as [{ n: number }];
    expect(n).toBe(0);
  });

  test.each([
    "/nix/store/abc-web",
    `/nix/store/${HASH_A}`,
    `/nix/store/${HASH_A}-.hidden`,
    `/nix/store/${HASH_A}-web/bin/switch`,
    `/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-web`,
    `/tmp/${HASH_A}-web`,
    "",
  ])("store path %p → 400 naming the host and the path", async (path) => {
    const res = await h.request("/api/v1/releases", {
      json: { entries: [entry("web-01"), { hostname: "db-01", store_path: path, platform: "x86_64-linux" }] },
      key: deploy,
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toStartWith("entries.1.store_path: ");
    expect(error).toContain('"db-01"');
    expect(error).toContain(JSON.stringify(path));
  });

  test.each([
    ["missing entries", {}, "entries is required"],
    ["entries not an array", { entries: "web-01" }, "entries: "],
    [
      "missing hostname",
      { entries: [{ store_path: storePath(HASH_A, "x"), platform: "x86_64-linux" }] },
      "entries.0.hostname is required",
    ],
    ["empty hostname", { entries: [entry("")] }, "entries.0.hostname: must not be empty"],
    [
      "hostname of 129 characters",
      { entries: [entry("h".repeat(129))] },
      "entries.0.hostname: must be at most 128 characters",
    ],
    [
      "missing store_path",
      { entries: [{ hostname: "web-01", platform: "x86_64-linux" }] },
      "entries.0.store_path is required",
    ],
    [
      "missing platform",
      { entries: [{ hostname: "web-01", store_path: storePath(HASH_A, "web-01") }] },
      "entries.0.platform is required",
    ],
    [
      "empty platform",
      { entries: [entry("web-01", HASH_A, { platform: "" })] },
      "entries.0.platform: must not be empty",
    ],
    [
      "platform of 65 characters",
      { entries: [entry("web-01", HASH_A, { platform: "p".repeat(65) })] },
      "entries.0.platform: must be at most 64 characters",
    ],
    ["empty tag", { entries: [entry("web-01", HASH_A, { tags: ["ok", ""] })] }, "entries.0.tags.1: a tag must not be"],
    [
      "tag of 129 characters",
      { entries: [entry("web-01", HASH_A, { tags: ["t".repeat(129)] })] },
      "entries.0.tags.0: a tag is at most 128",
    ],
    ["tags not an array", { entries: [entry("web-01", HASH_A, { tags: "web" })] }, "entries.0.tags: "],
    [
      "cache_url of 2049 characters",
      { cache_url: "c".repeat(2049), entries: [entry("web-01")] },
      "cache_url: must be at most 2048 characters",
    ],
    [
      "flake_ref of 1025 characters",
      { flake_ref: "f".repeat(1025), entries: [entry("web-01")] },
      "flake_ref: must be at most 1024 characters",
    ],
    [
      "flake_rev of 1025 characters",
      { flake_rev: "f".repeat(1025), entries: [entry("web-01")] },
      "flake_rev: must be at most 1024 characters",
    ],
    ["flake_ref a number", { flake_ref: 7, entries: [entry("web-01")] }, "flake_ref: "],
  ])("%s → 400 naming the field", async (_, body, message) => {
    const res = await h.request("/api/v1/releases", { json: body, key: deploy });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toStartWith(message);
  });

  test("limits that are exactly at the bound are accepted", async () => {
    const id = await createRelease({
      cache_url: "c".repeat(2048),
      flake_ref: "f".repeat(1024),
      entries: [entry("h".repeat(128), HASH_A, { platform: "p".repeat(64), tags: ["A-z0.9_:".padEnd(64, "x")] })],
    });
    expect(await releaseExists(h.store.db, id)).toBe(true);
  });

  test("malformed JSON → 400", async () => {
    const res = await h.request("/api/v1/releases", {
      method: "POST",
      body: "{not json",
      headers: { "content-type": "application/json", authorization: `Bearer ${deploy}` },
    });
    expect(res.status).toBe(400);
  });

  test("more than 100 000 entries → 400 (with a body limit that lets them through)", async () => {
    const large = await createHarness({ maxReleaseBodyMib: 8 });
    try {
      const tiny = { hostname: "h", store_path: "", platform: "p" };
      const res = await large.request("/api/v1/releases", {
        json: { entries: Array.from({ length: 100_001 }, () => tiny) },
        key: await createTestKey(large, "deploy"),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("entries");
    } finally {
      await large.close();
    }
  }, 30_000);

  test("a realistic 10 000-entry release (about 1.7 MB) needs --max-release-body-mib above the 1 MiB default", async () => {
    const hosts = Array.from({ length: 10_000 }, (_, i) => `web-${String(i).padStart(5, "0")}`);
    const body = JSON.stringify({
      flake_ref: "github:example/fleet",
      entries: hosts.map((hostname) => ({
        hostname,
        store_path: `/nix/store/${HASH_A}-nixos-system-${hostname}-25.05.20261127.abcdef0`,
        platform: "x86_64-linux",
        tags: ["web"],
      })),
    });
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    const post = (target: Harness, key: string) =>
      target.request("/api/v1/releases", {
        method: "POST",
        body,
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      });

    const refused = await post(h, deploy);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toEqual({ error: "request body exceeds 1 MiB" });

    const large = await createHarness({ maxReleaseBodyMib: 4 });
    try {
      const res = await post(large, await createTestKey(large, "deploy"));
      expect(res.status).toBe(201);
      const created = CreatedRelease.parse(await res.json());
      expect(created.host_count).toBe(10_000);
      const entries = await getReleaseEntries(large.store.db, created.id);
      expect(entries.size).toBe(10_000);
      expect([...entries.keys()].sort()).toEqual([...hosts].sort());
      const reader = await createTestKey(large, "readonly");
      const got = Release.parse(await (await large.request(`/api/v1/releases/${created.id}`, { key: reader })).json());
      expect(got.host_count).toBe(10_000);
      expect(got.entries).toHaveLength(10_000);
    } finally {
      await large.close();
    }
  });
});

describe("GET /api/v1/releases", () => {
  test("lists newest first with entries, created_at and created_by", async () => {
    const first = await createRelease({ flake_ref: "first", entries: [entry("web-01")] });
    h.advance(1000);
    const second = await createRelease(
      {
        flake_ref: "second",
        cache_url: "https://cache",
        entries: [entry("web-02", HASH_B, { tags: ["b"] }), entry("web-01", HASH_B)],
      },
      admin,
    );
    const res = await h.request("/api/v1/releases", { key: readonly });
    expect(res.status).toBe(200);
    const list = Release.array().parse(await res.json());
    expect(list.map((r) => r.id)).toEqual([second, first]);
    expect(list[0]).toEqual({
      id: second,
      flake_ref: "second",
      flake_rev: null,
      cache_url: "https://cache",
      host_count: 2,
      entries: [
        { hostname: "web-01", store_path: storePath(HASH_B, "web-01"), platform: "x86_64-linux", tags: [] },
        { hostname: "web-02", store_path: storePath(HASH_B, "web-02"), platform: "x86_64-linux", tags: ["b"] },
      ],
      created_at: "2026-11-27T10:00:01.000Z",
      created_by: "apikey:root",
    });
    expect(list[1]?.created_at).toBe("2026-11-27T10:00:00.000Z");
  });

  test("releases created in the same millisecond still list newest first", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await createRelease({ entries: [entry("web-01")] }));
    const list = Release.array().parse(await (await h.request("/api/v1/releases", { key: readonly })).json());
    expect(list.map((r) => r.id)).toEqual(ids.reverse());
  });

  test("limit defaults to 20 and is clamped to 1..500", async () => {
    for (let i = 0; i < 22; i++) await createRelease({ entries: [entry(`web-${i}`)] });
    const lengthFor = async (query: string) => {
      const res = await h.request(`/api/v1/releases${query}`, { key: readonly });
      expect(res.status).toBe(200);
      return ((await res.json()) as unknown[]).length;
    };
    expect(await lengthFor("")).toBe(20);
    expect(await lengthFor("?limit=3")).toBe(3);
    expect(await lengthFor("?limit=0")).toBe(1);
    expect(await lengthFor("?limit=-7")).toBe(1);
    expect(await lengthFor("?limit=100000")).toBe(22);
    expect(await lengthFor("?limit=99999999999999999999999")).toBe(22);
  });

  test.each(["abc", "1.5", "", "10abc"])("limit=%p → 400 naming limit", async (limit) => {
    const res = await h.request(`/api/v1/releases?limit=${limit}`, { key: readonly });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain("limit");
  });

  test("host keeps only releases with an entry for that hostname", async () => {
    const a = await createRelease({ entries: [entry("web-01"), entry("db-01")] });
    const b = await createRelease({ entries: [entry("db-01")] });
    const c = await createRelease({ entries: [entry("web-01", HASH_B)] });
    const idsFor = async (host: string) => {
      const res = await h.request(`/api/v1/releases?host=${encodeURIComponent(host)}`, { key: readonly });
      expect(res.status).toBe(200);
      return Release.array()
        .parse(await res.json())
        .map((r) => r.id);
    };
    expect(await idsFor("web-01")).toEqual([c, a]);
    expect(await idsFor("db-01")).toEqual([b, a]);
    expect(await idsFor("nobody")).toEqual([]);
    // The filter selects releases; their entries stay whole.
    const [withAll] = Release.array().parse(
      await (await h.request("/api/v1/releases?host=web-01&limit=1", { key: readonly })).json(),
    );
    expect(withAll?.id).toBe(c);
    const list = Release.array().parse(
      await (await h.request("/api/v1/releases?host=db-01", { key: readonly })).json(),
    );
    expect(list[1]?.entries.map((e) => e.hostname)).toEqual(["db-01", "web-01"]);
  });

  test("host over 128 characters → 400", async () => {
    const res = await h.request(`/api/v1/releases?host=${"h".repeat(129)}`, { key: readonly });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toContain("host");
  });

  test("an empty database lists nothing", async () => {
    const res = await h.request("/api/v1/releases", { key: readonly });
    expect(await res.json()).toEqual([]);
  });

  test("401 without a key", async () => {
    expect((await h.request("/api/v1/releases")).status).toBe(401);
  });
});

describe("GET /api/v1/releases/{id}", () => {
  test("returns one release, for every role", async () => {
    const id = await createRelease({ flake_rev: "rev", entries: [entry("web-01", HASH_A, { tags: ["x"] })] });
    for (const key of [readonly, deploy, admin]) {
      const res = await h.request(`/api/v1/releases/${id}`, { key });
      expect(res.status).toBe(200);
      const release = Release.parse(await res.json());
      expect(release).toMatchObject({ id, flake_rev: "rev", host_count: 1, created_by: "apikey:ci" });
      expect(release.entries).toEqual([
        { hostname: "web-01", store_path: storePath(HASH_A, "web-01"), platform: "x86_64-linux", tags: ["x"] },
      ]);
    }
  });

  test("404 for an unknown id, 400 for an id over 128 characters, 401 without a key", async () => {
    const missing = await h.request("/api/v1/releases/rel-nope", { key: readonly });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toBe("release rel-nope not found");
    expect(await getRelease(h.store.db, "rel-nope")).toBeUndefined();
    expect((await getReleaseEntries(h.store.db, "rel-nope")).size).toBe(0);
    expect((await h.request(`/api/v1/releases/${"r".repeat(128)}`, { key: readonly })).status).toBe(404);
    const long = await h.request(`/api/v1/releases/${"r".repeat(129)}`, { key: readonly });
    expect(long.status).toBe(400);
    expect(await errorOf(long)).toContain("id");
    expect((await h.request("/api/v1/releases/rel-nope")).status).toBe(401);
  });
});

describe("GET /api/v1/releases/{a}/diff/{b}", () => {
  test("classifies every host, each list sorted", async () => {
    const a = await createRelease({
      entries: [entry("web-02"), entry("web-01"), entry("db-01"), entry("old-01"), entry("cache-01")],
    });
    const b = await createRelease({
      entries: [
        entry("web-01", HASH_B),
        entry("new-02"),
        entry("db-01"),
        entry("new-01"),
        entry("cache-01", HASH_B),
        entry("web-02"),
      ],
    });
    const res = await h.request(`/api/v1/releases/${a}/diff/${b}`, { key: readonly });
    expect(res.status).toBe(200);
    expect(ReleaseDiff.parse(await res.json())).toEqual({
      added: ["new-01", "new-02"],
      removed: ["old-01"],
      changed: [
        {
          hostname: "cache-01",
          old_store_path: storePath(HASH_A, "cache-01"),
          new_store_path: storePath(HASH_B, "cache-01"),
        },
        {
          hostname: "web-01",
          old_store_path: storePath(HASH_A, "web-01"),
          new_store_path: storePath(HASH_B, "web-01"),
        },
      ],
      unchanged: ["db-01", "web-02"],
    });
    const reverse = ReleaseDiff.parse(
      await (await h.request(`/api/v1/releases/${b}/diff/${a}`, { key: readonly })).json(),
    );
    expect(reverse.added).toEqual(["old-01"]);
    expect(reverse.removed).toEqual(["new-01", "new-02"]);
    expect(reverse.changed[0]).toEqual({
      hostname: "cache-01",
      old_store_path: storePath(HASH_B, "cache-01"),
      new_store_path: storePath(HASH_A, "cache-01"),
    });
  });

  test("404 when either release is missing, 400 for an over-long id, 401 without a key", async () => {
    const a = await createRelease({ entries: [entry("web-01")] });
    const left = await h.request(`/api/v1/releases/rel-missing/diff/${a}`, { key: readonly });
    expect(left.status).toBe(404);
    expect(await errorOf(left)).toBe("release rel-missing not found");
    const right = await h.request(`/api/v1/releases/${a}/diff/rel-missing`, { key: readonly });
    expect(right.status).toBe(404);
    expect(await errorOf(right)).toBe("release rel-missing not found");
    expect((await h.request(`/api/v1/releases/${a}/diff/${"b".repeat(129)}`, { key: readonly })).status).toBe(400);
    expect((await h.request(`/api/v1/releases/${"a".repeat(129)}/diff/${a}`, { key: readonly })).status).toBe(400);
    expect((await h.request(`/api/v1/releases/${a}/diff/${a}`)).status).toBe(401);
  });
});

describe("DELETE /api/v1/releases/{id}", () => {
  async function insertRollout(releaseId: string, status: "running" | "completed" | "cancelled") {
    await h.store.write((tx) =>
      tx.insert(rollouts).values({
        id: `r-${status}`,
        releaseId,
        strategy: "all_at_once",
        status,
        onFailure: "pause",
        failureThreshold: "0",
        healthTimeout: 300,
        cacheUrl: null,
        target: JSON.stringify({ hosts: ["web-01"] }),
        batchSizes: JSON.stringify(["100%"]),
        createdAt: 0,
        updatedAt: 0,
        createdBy: "apikey:ci",
      }),
    );
  }

  test("admin deletes the release and its entries, audited", async () => {
    const id = await createRelease({ entries: [entry("web-01"), entry("web-02")] });
    const keep = await createRelease({ entries: [entry("web-01")] });
    const res = await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await releaseExists(h.store.db, id)).toBe(false);
    const left = await h.store.db.select().from(releaseEntries);
    expect(left.map((e) => e.releaseId)).toEqual([keep]);
    const audit = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "delete_release"));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "apikey:root", target: id });
    expect((await h.request(`/api/v1/releases/${id}`, { key: readonly })).status).toBe(404);
  });

  test.each(["running", "completed", "cancelled"] as const)(
    "409 while a %s rollout references it, and nothing is deleted",
    async (status) => {
      const id = await createRelease({ entries: [entry("web-01")] });
      await insertRollout(id, status);
      const res = await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: admin });
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toBe(`release ${id} is referenced by a rollout`);
      expect((await getReleaseEntries(h.store.db, id)).size).toBe(1);
      const audit = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "delete_release"));
      expect(audit).toHaveLength(0);
    },
  );

  test("404 unknown, 400 over-long id", async () => {
    const missing = await h.request("/api/v1/releases/rel-nope", { method: "DELETE", key: admin });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toBe("release rel-nope not found");
    expect((await h.request(`/api/v1/releases/${"r".repeat(129)}`, { method: "DELETE", key: admin })).status).toBe(400);
  });

  test("401 without a key, 403 for deploy and readonly", async () => {
    const id = await createRelease({ entries: [entry("web-01")] });
    expect((await h.request(`/api/v1/releases/${id}`, { method: "DELETE" })).status).toBe(401);
    const forbidden = await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: deploy });
    expect(forbidden.status).toBe(403);
    expect(await errorOf(forbidden)).toContain("admin");
    expect((await h.request(`/api/v1/releases/${id}`, { method: "DELETE", key: readonly })).status).toBe(403);
    expect(await releaseExists(h.store.db, id)).toBe(true);
  });
});

describe("body limit of POST /api/v1/releases", () => {
  test("the raised limit still answers 413 past it, naming it; other routes keep 1 MiB", async () => {
    const large = await createHarness({ maxReleaseBodyMib: 4 });
    try {
      const key = await createTestKey(large, "admin");
      const res = await large.request("/api/v1/releases", {
        method: "POST",
        body: "x".repeat(4 * MAX_BODY_BYTES + 1),
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: "request body exceeds 4 MiB" });
      const other = await large.request("/api/v1/machines/web-01/register", {
        method: "POST",
        body: "x".repeat(MAX_BODY_BYTES + 1),
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      });
      expect(other.status).toBe(413);
    } finally {
      await large.close();
    }
  });
});

test("entry tags are taken as the flake spells them (v0.1 never restricted them)", async () => {
  const id = await createRelease({ entries: [entry("web-01", HASH_A, { tags: ["role=web", "build host"] })] });
  const got = Release.parse(await (await h.request(`/api/v1/releases/${id}`, { key: readonly })).json());
  expect(got.entries[0]!.tags).toEqual(["role=web", "build host"]);
});
