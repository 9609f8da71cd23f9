// SPEC §5 (machines), checked black-box through the in-process app the way an acceptance
// test written from the SPEC would: status codes, exact bodies, and what later reads show.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { LIFECYCLES } from "../../src/domain/lifecycle.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
  deploy = await createTestKey(h, "deploy");
  readonly = await createTestKey(h, "readonly");
});
afterEach(() => h.close());

const GEN_A = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const GEN_B = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05";

const path = (id: string, suffix = "") => `/api/v1/machines/${encodeURIComponent(id)}${suffix}`;

/** A report exactly as the v0.1 Rust agent serializes it (serde, every field present). */
function agentReport(id: string, overrides: Record<string, unknown> = {}) {
  return {
    machine_id: id,
    current_generation: GEN_A,
    success: true,
    message: "switched to generation",
    timestamp: "2026-11-27T09:59:58.123456789Z",
    tags: [],
    health: null,
    agent_version: "0.1.0",
    uptime_seconds: 3600,
    ...overrides,
  };
}

const report = (id: string, body: unknown) => h.request(path(id, "/report"), { method: "POST", json: body });
const register = (id: string, body: unknown = {}, key = admin) =>
  h.request(path(id, "/register"), { method: "POST", key, json: body });
const patchLifecycle = (id: string, lifecycle: unknown, key = admin) =>
  h.request(path(id, "/lifecycle"), { method: "PATCH", key, json: { lifecycle } });
const notifyDeploy = (id: string, storePath: string, key = deploy) =>
  h.request(path(id, "/notify-deploy"), { method: "POST", key, json: { store_path: storePath } });
const poll = (id: string) => h.request(path(id, "/desired-generation"));

async function machine(id: string) {
  const res = await h.request(path(id), { key: readonly });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

async function list(query = "") {
  const res = await h.request(`/api/v1/machines${query}`, { key: readonly });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>[];
}

const LIST_FIELDS = [
  "agent_version",
  "current_generation",
  "desired_generation",
  "last_report",
  "lifecycle",
  "machine_id",
  "seconds_since_last_report",
  "system_state",
  "tags",
  "uptime_seconds",
];

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("§5 lifecycle transitions (PATCH /api/v1/machines/{id}/lifecycle)", () => {
  const allowed = new Set([
    "pending>provisioning",
    "pending>active",
    "pending>decommissioned",
    "provisioning>active",
    "provisioning>pending",
    "active>maintenance",
    "active>decommissioned",
    "maintenance>active",
    "maintenance>decommissioned",
  ]);

  test("every cell of the 5×5 table: allowed → 200 with the new state, anything else → 409 and no change", async () => {
    for (const from of LIFECYCLES) {
      for (const to of LIFECYCLES) {
        const id = `m-${from}-${to}`;
        expect((await register(id, { lifecycle: from })).status).toBe(201);
        const res = await patchLifecycle(id, to);
        const ok = allowed.has(`${from}>${to}`);
        expect({ from, to, status: res.status }).toEqual({ from, to, status: ok ? 200 : 409 });
        const body = (await res.json()) as Record<string, unknown>;
        if (!ok) expect(typeof body.error).toBe("string");
        expect({ from, to, now: (await machine(id)).lifecycle }).toEqual({ from, to, now: ok ? to : from });
      }
    }
  });

  test("decommissioned is terminal", async () => {
    await register("old");
    expect((await patchLifecycle("old", "decommissioned")).status).toBe(200);
    for (const to of LIFECYCLES) expect((await patchLifecycle("old", to)).status).toBe(409);
    expect((await machine("old")).lifecycle).toBe("decommissioned");
  });

  test("unknown machine → 404; unknown state → 400 naming the field; missing body field → 400", async () => {
    const unknown = await patchLifecycle("ghost", "active");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.any(String) });

    await register("web-01");
    for (const bad of ["retired", "ACTIVE", "", 3, null]) {
      const res = await patchLifecycle("web-01", bad);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("lifecycle");
    }
    const empty = await h.request(path("web-01", "/lifecycle"), { method: "PATCH", key: admin, json: {} });
    expect(empty.status).toBe(400);
    const malformed = await h.request(path("web-01", "/lifecycle"), {
      method: "PATCH",
      key: admin,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect((await machine("web-01")).lifecycle).toBe("active");
  });

  test("admin only: deploy and readonly keys → 403, no key → 401", async () => {
    await register("web-01");
    expect((await patchLifecycle("web-01", "maintenance", deploy)).status).toBe(403);
    expect((await patchLifecycle("web-01", "maintenance", readonly)).status).toBe(403);
    const anonymous = await h.request(path("web-01", "/lifecycle"), { method: "PATCH", json: { lifecycle: "active" } });
    expect(anonymous.status).toBe(401);
  });
});

describe("§5 GET /api/v1/machines/{id}/desired-generation", () => {
  test("404 for an unknown machine and for a known machine with nothing desired", async () => {
    expect((await poll("ghost")).status).toBe(404);
    await register("web-01");
    const res = await poll("web-01");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });

  test("exactly {hash, cache_url, poll_hint}, poll_hint null outside a rollout; no API key needed", async () => {
    expect((await notifyDeploy("web-01", GEN_A)).status).toBe(200);
    const res = await poll("web-01");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ hash: GEN_A, cache_url: null, poll_hint: null });
  });

  test("ids are percent-decoded; over 128 characters → 400", async () => {
    const id = "host with spaces/and/slashes ✓";
    expect((await notifyDeploy(id, GEN_A)).status).toBe(200);
    expect(await (await poll(id)).json()).toEqual({ hash: GEN_A, cache_url: null, poll_hint: null });
    expect(await machine(id)).toMatchObject({ machine_id: id, desired_generation: GEN_A });
    expect((await h.request(path(id, "/tags"), { method: "PUT", key: admin, json: { tags: ["x"] } })).status).toBe(200);
    expect((await h.request(path(id, "/tags/x"), { method: "DELETE", key: admin })).status).toBe(200);
    expect((await h.request(path(id, "/desired-generation"), { method: "DELETE", key: admin })).status).toBe(204);
    expect((await poll("x".repeat(128))).status).toBe(404);
    expect((await poll("x".repeat(129))).status).toBe(400);
  });

  /** Two reporting web machines and an all-at-once rollout of GEN_B to them; returns the rollout id. */
  async function rollOutToWebFleet(hosts: string[]): Promise<string> {
    for (const id of hosts) expect((await report(id, agentReport(id, { tags: ["web"] }))).status).toBe(200);
    const release = await h.request("/api/v1/releases", {
      method: "POST",
      key: deploy,
      json: {
        cache_url: "https://cache.example.com",
        entries: hosts.map((hostname) => ({ hostname, store_path: GEN_B, platform: "x86_64-linux" })),
      },
    });
    expect(release.status).toBe(201);
    const { id: releaseId } = (await release.json()) as { id: string };
    const created = await h.request("/api/v1/rollouts", {
      method: "POST",
      key: deploy,
      json: { release_id: releaseId, strategy: "all_at_once", target: { tags: ["web"] } },
    });
    expect(created.status).toBe(201);
    await h.controlPlane.deps.rolloutExecutor.idle();
    return ((await created.json()) as { rollout_id: string }).rollout_id;
  }

  const desiredB = (pollHint: number | null) => ({
    hash: GEN_B,
    cache_url: "https://cache.example.com",
    poll_hint: pollHint,
  });

  test("poll_hint is 5 while the machine is in an active rollout (with the release's cache_url), null once cancelled", async () => {
    const hosts = ["web-01", "web-02"];
    const rolloutId = await rollOutToWebFleet(hosts);
    for (const id of hosts) expect(await (await poll(id)).json()).toEqual(desiredB(5));
    const cancel = await h.request(`/api/v1/rollouts/${rolloutId}/cancel`, { method: "POST", key: deploy });
    expect(cancel.status).toBe(200);
    await h.controlPlane.deps.rolloutExecutor.idle();
    for (const id of hosts) expect(await (await poll(id)).json()).toEqual(desiredB(null));
  });

  test("poll_hint goes back to null when the rollout completes", async () => {
    const hosts = ["web-01", "web-02"];
    const rolloutId = await rollOutToWebFleet(hosts);
    h.advance(1000);
    for (const id of hosts) {
      const health = {
        results: [{ status: "pass", check_name: "nginx", duration_ms: 2 }],
        all_passed: true,
        timestamp: "2026-11-27T10:00:01Z",
      };
      expect((await report(id, agentReport(id, { current_generation: GEN_B, health }))).status).toBe(200);
    }
    await h.controlPlane.deps.rolloutExecutor.idle();
    const rollout = await h.request(`/api/v1/rollouts/${rolloutId}`, { key: readonly });
    expect(((await rollout.json()) as { status: string }).status).toBe("completed");
    for (const id of hosts) expect(await (await poll(id)).json()).toEqual(desiredB(null));
  });
});

describe("§5 POST /api/v1/machines/{id}/report — what a v0.1 agent sends", () => {
  test("the full serde body → 200", async () => {
    const res = await report(
      "web-01",
      agentReport("web-01", {
        tags: ["web", "prod"],
        health: {
          results: [
            { status: "pass", check_name: "nginx", duration_ms: 12 },
            { status: "fail", check_name: "disk", duration_ms: 3, message: "92% used" },
          ],
          all_passed: false,
          timestamp: "2026-11-27T09:59:59.5Z",
        },
      }),
    );
    expect(res.status).toBe(200);
  });

  test("only the required fields (tags, health, agent_version, uptime_seconds omitted) → 200 with v0.1 defaults", async () => {
    const res = await report("web-01", {
      machine_id: "web-01",
      current_generation: GEN_A,
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
    });
    expect(res.status).toBe(200);
    const m = await machine("web-01");
    expect(m).toMatchObject({
      agent_version: "",
      uptime_seconds: 0,
      tags: [],
      lifecycle: "active",
      current_generation: GEN_A,
    });
  });

  test("RFC 3339 timestamps with or without fractional seconds, with Z or a numeric offset", async () => {
    const stamps = [
      "2026-11-27T10:00:00Z",
      "2026-11-27T10:00:00.5Z",
      "2026-11-27T10:00:00.123Z",
      "2026-11-27T10:00:00.123456789Z",
      "2026-11-27T12:00:00+02:00",
      "2026-11-27T04:30:00.25-05:30",
      "2026-11-27T10:00:00+00:00",
    ];
    for (const timestamp of stamps) {
      const res = await report("web-01", agentReport("web-01", { timestamp }));
      expect({ timestamp, status: res.status }).toEqual({ timestamp, status: 200 });
      const health = { results: [], all_passed: true, timestamp };
      const withHealth = await report("web-01", agentReport("web-01", { timestamp, health }));
      expect({ timestamp, status: withHealth.status }).toEqual({ timestamp, status: 200 });
    }
  });

  test("extra fields a newer agent might add are ignored", async () => {
    expect((await report("web-01", agentReport("web-01", { kernel: "6.6.1", extra: { a: 1 } }))).status).toBe(200);
  });

  test("current_generation ≤ 512 and message ≤ 4096 characters pass; one more → 400 naming the field", async () => {
    expect((await report("web-01", agentReport("web-01", { current_generation: "g".repeat(512) }))).status).toBe(200);
    expect((await report("web-01", agentReport("web-01", { message: "m".repeat(4096) }))).status).toBe(200);

    const longGen = await report("web-02", agentReport("web-02", { current_generation: "g".repeat(513) }));
    expect(longGen.status).toBe(400);
    expect(((await longGen.json()) as { error: string }).error).toContain("current_generation");
    const longMsg = await report("web-02", agentReport("web-02", { message: "m".repeat(4097) }));
    expect(longMsg.status).toBe(400);
    expect(((await longMsg.json()) as { error: string }).error).toContain("message");
    // Refused reports change nothing: the machine was never registered.
    expect((await h.request(path("web-02"), { key: readonly })).status).toBe(404);
  });

  test("a body machine_id different from the path → 400, nothing stored", async () => {
    const res = await report("web-01", agentReport("web-02"));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.any(String) });
    expect(await list()).toEqual([]);
  });

  test("malformed bodies → 400 with a JSON error naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ ...agentReport("web-01"), success: "yes" }, "success"],
      [{ ...agentReport("web-01"), current_generation: undefined }, "current_generation"],
      [{ ...agentReport("web-01"), timestamp: undefined }, "timestamp"],
      [{ ...agentReport("web-01"), uptime_seconds: -1 }, "uptime_seconds"],
      [{ ...agentReport("web-01"), tags: "web" }, "tags"],
      [
        {
          ...agentReport("web-01"),
          health: {
            results: [{ status: "skipped", check_name: "x", duration_ms: 1 }],
            all_passed: true,
            timestamp: "2026-11-27T10:00:00Z",
          },
        },
        "health",
      ],
      [
        {
          ...agentReport("web-01"),
          health: {
            results: [{ status: "fail", check_name: "x", duration_ms: 1 }],
            all_passed: false,
            timestamp: "2026-11-27T10:00:00Z",
          },
        },
        "health",
      ],
    ];
    for (const [body, field] of cases) {
      const res = await report("web-01", body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
    const broken = await h.request(path("web-01", "/report"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"machine_id": "web-01",',
    });
    expect(broken.status).toBe(400);
    expect(await list()).toEqual([]);
  });
});

describe("§5 report effects", () => {
  test("an unknown machine is auto-registered as active", async () => {
    expect((await report("new-01", agentReport("new-01"))).status).toBe(200);
    const m = await machine("new-01");
    expect(m.lifecycle).toBe("active");
    expect(m.current_generation).toBe(GEN_A);
    expect(m.registered_at).toMatch(RFC3339_UTC);
  });

  test("pending and provisioning become active; maintenance and decommissioned stay", async () => {
    for (const lifecycle of ["pending", "provisioning", "maintenance", "decommissioned"] as const) {
      const id = `m-${lifecycle}`;
      await register(id, { lifecycle });
      expect((await report(id, agentReport(id))).status).toBe(200);
      const expected = lifecycle === "pending" || lifecycle === "provisioning" ? "active" : lifecycle;
      expect({ lifecycle, now: (await machine(id)).lifecycle }).toEqual({ lifecycle, now: expected });
    }
  });

  test("non-empty tags replace the stored tags when they differ; empty or absent tags leave them", async () => {
    await register("web-01", { tags: ["old", "web"] });
    await report("web-01", agentReport("web-01", { tags: [] }));
    expect((await machine("web-01")).tags).toEqual(["old", "web"]);
    const { tags: _omit, ...withoutTags } = agentReport("web-01");
    await report("web-01", withoutTags);
    expect((await machine("web-01")).tags).toEqual(["old", "web"]);
    await report("web-01", agentReport("web-01", { tags: ["web", "prod"] }));
    expect((await machine("web-01")).tags).toEqual(["prod", "web"]);
    await report("web-01", agentReport("web-01", { tags: ["prod", "web"] }));
    expect((await machine("web-01")).tags).toEqual(["prod", "web"]);
  });

  test("the report and its health report are stored and shown by GET /api/v1/machines/{id}", async () => {
    const health = {
      results: [
        { status: "pass", check_name: "nginx", duration_ms: 12 },
        { status: "fail", check_name: "disk", duration_ms: 3, message: "92% used" },
      ],
      all_passed: false,
      timestamp: "2026-11-27T09:59:59Z",
    };
    await report("web-01", agentReport("web-01", { message: "first", health: null }));
    h.advance(1000);
    await report(
      "web-01",
      agentReport("web-01", {
        message: "second",
        current_generation: GEN_B,
        agent_version: "0.1.1",
        uptime_seconds: 7,
        health,
      }),
    );
    const m = await machine("web-01");
    expect(m).toMatchObject({
      current_generation: GEN_B,
      agent_version: "0.1.1",
      uptime_seconds: 7,
      system_state: "error",
    });
    const latest = m.latest_health_report as Record<string, unknown>;
    expect(latest).toMatchObject({ all_passed: false, results: health.results });
    const recent = m.recent_reports as Record<string, unknown>[];
    expect(recent.map((r) => r.message)).toEqual(["second", "first"]);
    expect(recent[0]).toMatchObject({ current_generation: GEN_B, success: true });
  });
});

describe("§5 GET /api/v1/machines", () => {
  test("each machine has exactly the v0.1 fields; a never-reported machine shows the v0.1 defaults", async () => {
    await register("pre-01", { lifecycle: "pending" });
    const [m] = await list();
    expect(Object.keys(m!).sort()).toEqual(LIST_FIELDS);
    expect(m).toEqual({
      machine_id: "pre-01",
      current_generation: "",
      desired_generation: null,
      agent_version: "",
      system_state: "unknown",
      uptime_seconds: 0,
      last_report: null,
      lifecycle: "pending",
      tags: [],
      seconds_since_last_report: null,
    });
  });

  test("after reports: values, types and system_state ok/error; seconds_since_last_report is an integer", async () => {
    await report("ok-01", agentReport("ok-01", { tags: ["web"], uptime_seconds: 86400 }));
    await report("bad-01", agentReport("bad-01", { success: false, message: "activation failed" }));
    await notifyDeploy("ok-01", GEN_B);
    h.advance(90_500);
    const machines = await list();
    expect(machines.map((m) => m.machine_id)).toEqual(["bad-01", "ok-01"]);
    for (const m of machines) expect(Object.keys(m).sort()).toEqual(LIST_FIELDS);
    const [bad, ok] = machines;
    expect(ok).toMatchObject({
      current_generation: GEN_A,
      desired_generation: GEN_B,
      agent_version: "0.1.0",
      system_state: "ok",
      uptime_seconds: 86400,
      lifecycle: "active",
      tags: ["web"],
      seconds_since_last_report: 90,
    });
    expect(ok!.last_report).toMatch(RFC3339_UTC);
    expect(Number.isInteger(ok!.seconds_since_last_report)).toBe(true);
    expect(bad!.system_state).toBe("error");
  });

  test("?tag=a&tag=b keeps machines that have every tag", async () => {
    await register("a-only", { tags: ["a"] });
    await register("b-only", { tags: ["b"] });
    await register("both", { tags: ["a", "b"] });
    await register("all", { tags: ["a", "b", "c"] });
    await register("none");
    const ids = async (q: string) => (await list(q)).map((m) => m.machine_id);
    expect(await ids("")).toEqual(["a-only", "all", "b-only", "both", "none"]);
    expect(await ids("?tag=a")).toEqual(["a-only", "all", "both"]);
    expect(await ids("?tag=a&tag=b")).toEqual(["all", "both"]);
    expect(await ids("?tag=b&tag=a&tag=c")).toEqual(["all"]);
    expect(await ids("?tag=a&tag=a")).toEqual(["a-only", "all", "both"]);
    expect(await ids("?tag=zzz")).toEqual([]);
  });

  test("readonly, deploy and admin keys may list; no key → 401", async () => {
    for (const key of [readonly, deploy, admin]) {
      expect((await h.request("/api/v1/machines", { key })).status).toBe(200);
    }
    expect((await h.request("/api/v1/machines")).status).toBe(401);
    expect((await h.request("/api/v1/machines", { key: "nfk-" + "0".repeat(64) })).status).toBe(401);
  });
});

describe("§5 GET /api/v1/machines/{id}", () => {
  test("the list object plus registered_at, latest health report and recent reports; 404 unknown", async () => {
    await register("web-01", { tags: ["web"] });
    const m = await machine("web-01");
    for (const field of LIST_FIELDS) expect(m).toHaveProperty(field);
    expect(m.registered_at).toMatch(RFC3339_UTC);
    expect(m.latest_health_report).toBeNull();
    expect(m.recent_reports).toEqual([]);
    const [fromList] = await list();
    for (const field of LIST_FIELDS) expect(m[field]).toEqual(fromList![field]);

    const missing = await h.request(path("ghost"), { key: readonly });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.any(String) });
  });
});

describe("§5 POST /api/v1/machines/{id}/register", () => {
  test("201 {machine_id, lifecycle}; lifecycle defaults to active", async () => {
    const res = await register("web-01", {});
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "active" });
    const pending = await register("web-02", { lifecycle: "pending", tags: ["web", "prod"] });
    expect(pending.status).toBe(201);
    expect(await pending.json()).toEqual({ machine_id: "web-02", lifecycle: "pending" });
    expect(await machine("web-02")).toMatchObject({ lifecycle: "pending", tags: ["prod", "web"] });
  });

  test("every lifecycle state is accepted; a bad lifecycle → 400 and nothing registered", async () => {
    for (const lifecycle of LIFECYCLES) {
      const res = await register(`m-${lifecycle}`, { lifecycle });
      expect(await res.json()).toEqual({ machine_id: `m-${lifecycle}`, lifecycle });
    }
    for (const bad of ["retired", "Active", 1]) {
      const res = await register("bad", { lifecycle: bad });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("lifecycle");
    }
    expect((await h.request(path("bad"), { key: readonly })).status).toBe(404);
  });

  test("re-registering an existing machine → 201 and sets its lifecycle and (non-empty) tags", async () => {
    await register("web-01", { tags: ["web"] });
    const again = await register("web-01", { lifecycle: "maintenance" });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual({ machine_id: "web-01", lifecycle: "maintenance" });
    expect(await machine("web-01")).toMatchObject({ lifecycle: "maintenance", tags: ["web"] });
    await register("web-01", { lifecycle: "active", tags: ["db"] });
    expect(await machine("web-01")).toMatchObject({ lifecycle: "active", tags: ["db"] });
  });

  test("admin only", async () => {
    expect((await register("web-01", {}, deploy)).status).toBe(403);
    expect((await register("web-01", {}, readonly)).status).toBe(403);
    expect((await h.request(path("web-01", "/register"), { method: "POST", json: {} })).status).toBe(401);
  });
});

describe("§5 machine tags", () => {
  const tagsCall = (method: string, id: string, tags: unknown) =>
    h.request(path(id, "/tags"), { method, key: admin, json: { tags } });

  test("PUT replaces, POST adds, DELETE removes one; each → 200 with the machine's tags", async () => {
    await register("web-01", { tags: ["old"] });
    const put = await tagsCall("PUT", "web-01", ["web", "eu-west"]);
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ machine_id: "web-01", tags: ["eu-west", "web"] });

    const post = await tagsCall("POST", "web-01", ["prod", "web"]);
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ machine_id: "web-01", tags: ["eu-west", "prod", "web"] });

    const del = await h.request(path("web-01", "/tags/eu-west"), { method: "DELETE", key: admin });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ machine_id: "web-01", tags: ["prod", "web"] });
    expect((await machine("web-01")).tags).toEqual(["prod", "web"]);

    const absent = await h.request(path("web-01", "/tags/not-there"), { method: "DELETE", key: admin });
    expect(absent.status).toBe(200);
    expect(await absent.json()).toEqual({ machine_id: "web-01", tags: ["prod", "web"] });

    const cleared = await tagsCall("PUT", "web-01", []);
    expect(await cleared.json()).toEqual({ machine_id: "web-01", tags: [] });
  });

  test("tag spelling: 1–64 of [A-Za-z0-9._:-]", async () => {
    await register("web-01");
    const ok = ["a", "A.b_c:d-e", "x".repeat(64), "0"];
    expect((await tagsCall("PUT", "web-01", ok)).status).toBe(200);
    for (const bad of ["", "x".repeat(65), "has space", "slash/", "ümlaut", "a,b", 5]) {
      const res = await tagsCall("POST", "web-01", [bad]);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(((await res.json()) as { error: string }).error).toContain("tags");
    }
    expect((await machine("web-01")).tags).toEqual([...ok].sort());
    expect((await h.request(path("web-01", "/tags/bad%20tag"), { method: "DELETE", key: admin })).status).toBe(400);
  });

  test("unknown machine → 404; non-admin → 403", async () => {
    expect((await tagsCall("PUT", "ghost", ["web"])).status).toBe(404);
    expect((await tagsCall("POST", "ghost", ["web"])).status).toBe(404);
    expect((await h.request(path("ghost", "/tags/web"), { method: "DELETE", key: admin })).status).toBe(404);
    await register("web-01");
    const asDeploy = await h.request(path("web-01", "/tags"), { method: "PUT", key: deploy, json: { tags: ["x"] } });
    expect(asDeploy.status).toBe(403);
  });
});

describe("§5 DELETE /api/v1/machines/{id}/desired-generation", () => {
  test("204 with no body, after which the agent gets 404; unknown machine → 404", async () => {
    await notifyDeploy("web-01", GEN_A);
    const res = await h.request(path("web-01", "/desired-generation"), { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect((await poll("web-01")).status).toBe(404);
    expect((await machine("web-01")).desired_generation).toBeNull();

    const unknown = await h.request(path("ghost", "/desired-generation"), { method: "DELETE", key: admin });
    expect(unknown.status).toBe(404);
    expect((await h.request(path("web-01", "/desired-generation"), { method: "DELETE", key: deploy })).status).toBe(
      403,
    );
  });
});

describe("§5 POST /api/v1/machines/{id}/notify-deploy", () => {
  test("200 and sets the desired generation (deploy or admin)", async () => {
    await register("web-01");
    expect((await notifyDeploy("web-01", GEN_A)).status).toBe(200);
    expect(await (await poll("web-01")).json()).toEqual({ hash: GEN_A, cache_url: null, poll_hint: null });
    expect((await notifyDeploy("web-01", GEN_B, admin)).status).toBe(200);
    expect((await machine("web-01")).desired_generation).toBe(GEN_B);
  });

  test("an unknown machine is registered as active (v0.1 behaviour)", async () => {
    expect((await notifyDeploy("fresh-01", GEN_A)).status).toBe(200);
    expect(await machine("fresh-01")).toMatchObject({ lifecycle: "active", desired_generation: GEN_A });
  });

  test("readonly → 403; missing store_path → 400", async () => {
    expect((await notifyDeploy("web-01", GEN_A, readonly)).status).toBe(403);
    const missing = await h.request(path("web-01", "/notify-deploy"), { method: "POST", key: deploy, json: {} });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toContain("store_path");
  });
});
