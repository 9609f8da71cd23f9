import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { healthReports, machines, machineTags, reports } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { auditOf, machinePath, report, reportBody } from "../support/machines.ts";

let h: Harness;
let admin: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
});
afterEach(() => h.close());

const STORE_PATH = "/nix/store/22222222222222222222222222222222-nixos-system-web-01";
const register = (id: string, body: unknown = {}) =>
  h.request(machinePath(id, "/register"), { method: "POST", key: admin, json: body });
const machineRow = async (id: string) =>
  (await h.store.db.select().from(machines).where(eq(machines.machineId, id)))[0];
const tagsOf = async (id: string) =>
  (await h.store.db.select().from(machineTags).where(eq(machineTags.machineId, id))).map((t) => t.tag).sort();

describe("GET /api/v1/machines/{id}/desired-generation", () => {
  test("404 with a JSON error while nothing is desired", async () => {
    const res = await h.request(machinePath("web-01", "/desired-generation"));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no desired generation for machine web-01" });
  });

  test("answers from memory: polls work with the database closed", async () => {
    await register("web-01");
    await h.request(machinePath("web-01", "/notify-deploy"), { key: admin, json: { store_path: STORE_PATH } });
    h.store.client.close();
    const res = await h.request(machinePath("web-01", "/desired-generation"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hash: STORE_PATH, cache_url: null, poll_hint: null });
  });

  test("poll_hint is 5 while the machine is in an active rollout", async () => {
    await register("web-01");
    await h.request(machinePath("web-01", "/notify-deploy"), { key: admin, json: { store_path: STORE_PATH } });
    h.controlPlane.deps.fleet.setInActiveRollout(["web-01"], "r-test");
    expect(await (await h.request(machinePath("web-01", "/desired-generation"))).json()).toEqual({
      hash: STORE_PATH,
      cache_url: null,
      poll_hint: 5,
    });
  });

  test("ids over 128 characters → 400", async () => {
    expect((await h.request(machinePath("x".repeat(129), "/desired-generation"))).status).toBe(400);
  });
});

describe("agent routes under mTLS", () => {
  test("the certificate CN must be the path's machine", async () => {
    const m = await createHarness({ mtls: true });
    try {
      const path = machinePath("web-01", "/report");
      const body = reportBody("web-01");
      expect((await m.request(path, { json: body, peer: { commonName: "web-02" } })).status).toBe(403);
      expect((await m.request(path, { json: body, peer: { commonName: null } })).status).toBe(403);
      expect((await m.request(path, { json: body, peer: { commonName: "web-01" } })).status).toBe(200);
      const poll = machinePath("web-01", "/desired-generation");
      expect((await m.request(poll, { peer: { commonName: "web-02" } })).status).toBe(403);
      expect((await m.request(poll, { peer: { commonName: "web-01" } })).status).toBe(404);
      expect(await m.store.db.select().from(reports)).toHaveLength(1);
    } finally {
      await m.close();
    }
  });
});

describe("POST /api/v1/machines/{id}/report", () => {
  test("auto-registers an unknown machine as active and stores the report and health report", async () => {
    const health = {
      results: [
        { status: "pass", check_name: "disk", duration_ms: 4 },
        { status: "fail", check_name: "http", duration_ms: 5000, message: "timeout" },
      ],
      all_passed: false,
      timestamp: "2026-11-27T09:59:59.123456789Z",
    };
    const res = await report(h, "web-01", { tags: ["web", "prod"], health, uptime_seconds: 7, agent_version: "0.1.3" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "active" });
    const now = h.controlPlane.deps.now();
    expect(await machineRow("web-01")).toEqual({
      machineId: "web-01",
      lifecycle: "active",
      registeredAt: now,
      currentGeneration: "/nix/store/00000000000000000000000000000000-nixos-system-a",
      agentVersion: "0.1.3",
      uptimeSeconds: 7,
      lastSuccess: true,
      lastHealthPassed: false,
      lastReportAt: now,
      lastReportTimestamp: "2026-11-27T10:00:00.000Z",
      latestHealthId: expect.any(Number),
    });
    expect(await tagsOf("web-01")).toEqual(["prod", "web"]);
    const [stored] = await h.store.db.select().from(reports);
    expect(stored).toMatchObject({
      machineId: "web-01",
      receivedAt: now,
      success: true,
      message: "switched",
      agentTimestamp: "2026-11-27T10:00:00Z",
    });
    const [storedHealth] = await h.store.db.select().from(healthReports);
    expect(storedHealth).toMatchObject({
      id: stored!.id,
      machineId: "web-01",
      receivedAt: now,
      allPassed: false,
      agentTimestamp: "2026-11-27T09:59:59.123456789Z",
    });
    expect(JSON.parse(storedHealth!.results)).toEqual(health.results);
    expect((await machineRow("web-01"))!.latestHealthId).toBe(stored!.id);
    const [event] = await auditOf(h, "report");
    expect(event).toMatchObject({ actor: "machine:web-01", target: "web-01", timestamp: now });
    expect(JSON.parse(event!.detail).changes).toEqual(["registered", "generation", "tags"]);
  });

  test("takes the minimal body (optional fields absent, health null)", async () => {
    const minimal = {
      machine_id: "web-01",
      current_generation: STORE_PATH,
      success: false,
      message: "",
      timestamp: "2026-11-27T10:00:00Z",
    };
    expect((await h.request(machinePath("web-01", "/report"), { json: minimal })).status).toBe(200);
    expect(await machineRow("web-01")).toMatchObject({ agentVersion: "", uptimeSeconds: 0, lastHealthPassed: null });
    expect(await h.store.db.select().from(healthReports)).toEqual([]);
  });

  test("pending and provisioning become active; maintenance and decommissioned stay", async () => {
    for (const lifecycle of ["pending", "provisioning", "maintenance", "decommissioned"]) {
      await register(lifecycle, { lifecycle });
      const res = await report(h, lifecycle);
      expect(res.status).toBe(200);
      const expected = lifecycle === "maintenance" || lifecycle === "decommissioned" ? lifecycle : "active";
      expect(await res.json()).toEqual({ machine_id: lifecycle, lifecycle: expected });
      expect((await machineRow(lifecycle))?.lifecycle).toBe(expected);
    }
    expect(await h.store.db.select().from(reports).where(eq(reports.machineId, "decommissioned"))).toHaveLength(1);
  });

  test("non-empty tags replace differing tags; empty or equal tags leave them", async () => {
    await register("web-01", { tags: ["admin-set"] });
    await report(h, "web-01", { tags: [] });
    expect(await tagsOf("web-01")).toEqual(["admin-set"]);
    await report(h, "web-01", { tags: ["web", "eu"] });
    expect(await tagsOf("web-01")).toEqual(["eu", "web"]);
    await report(h, "web-01", { tags: ["eu", "web"] });
    expect(await tagsOf("web-01")).toEqual(["eu", "web"]);
    const changes = (await auditOf(h, "report")).map((e) => JSON.parse(e.detail).changes);
    expect(changes).toEqual([["generation"], ["tags"]]);
  });

  test("a report event only when the report changes something", async () => {
    await report(h, "web-01");
    await report(h, "web-01");
    await report(h, "web-01", { uptime_seconds: 999, message: "still fine" });
    await report(h, "web-01", { success: false });
    await report(h, "web-01", { success: false });
    await report(h, "web-01", { success: false, current_generation: STORE_PATH });
    const changes = (await auditOf(h, "report")).map((e) => JSON.parse(e.detail).changes);
    expect(changes).toEqual([["registered", "generation"], ["success"], ["generation"]]);
    expect(await h.store.db.select().from(reports)).toHaveLength(6);
  });

  test("limits: current_generation ≤ 512, message ≤ 4096 characters", async () => {
    expect((await report(h, "a", { current_generation: "x".repeat(512), message: "m".repeat(4096) })).status).toBe(200);
    const longGen = await report(h, "b", { current_generation: "x".repeat(513) });
    expect(longGen.status).toBe(400);
    expect(((await longGen.json()) as { error: string }).error).toContain("current_generation");
    const longMessage = await report(h, "c", { message: "m".repeat(4097) });
    expect(longMessage.status).toBe(400);
    expect(((await longMessage.json()) as { error: string }).error).toContain("message");
    expect((await h.store.db.select().from(machines)).map((m) => m.machineId)).toEqual(["a"]);
  });

  test("body machine_id must match the path", async () => {
    const res = await h.request(machinePath("web-01", "/report"), { json: reportBody("web-02") });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("machine_id");
    expect(await h.store.db.select().from(machines)).toEqual([]);
  });

  test("path id over 128 characters → 400", async () => {
    const id = "x".repeat(129);
    expect((await h.request(machinePath(id, "/report"), { json: reportBody(id) })).status).toBe(400);
  });

  test("malformed bodies → 400 naming the field, never a 500", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ success: "yes" }, "success"],
      [{ current_generation: null }, "current_generation"],
      [{ timestamp: undefined }, "timestamp"],
      [{ uptime_seconds: -1 }, "uptime_seconds"],
      [{ uptime_seconds: 1.5 }, "uptime_seconds"],
      [{ tags: [""] }, "tags"],
      [{ tags: "web" }, "tags"],
      [{ health: { results: [], all_passed: "no", timestamp: "2026-11-27T10:00:00Z" } }, "health"],
      [
        {
          health: {
            results: [{ status: "fail", check_name: "x", duration_ms: 1 }],
            all_passed: false,
            timestamp: "2026-11-27T10:00:00Z",
          },
        },
        "health",
      ],
      [
        {
          health: {
            results: [{ status: "skipped", check_name: "x", duration_ms: 1 }],
            all_passed: true,
            timestamp: "2026-11-27T10:00:00Z",
          },
        },
        "health",
      ],
    ];
    for (const [override, field] of cases) {
      const res = await report(h, "web-01", override);
      expect(`${field}:${res.status}`).toBe(`${field}:400`);
      expect(((await res.json()) as { error: string }).error).toContain(field);
    }
    const broken = await h.request(machinePath("web-01", "/report"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"machine_id":',
    });
    expect(broken.status).toBe(400);
    expect(await h.store.db.select().from(reports)).toEqual([]);
  });

  test("content types: the body is read as JSON whatever its content type says, or without one", async () => {
    const post = (headers: Record<string, string>, body?: BodyInit) =>
      h.request(machinePath("web-01", "/report"), { method: "POST", headers, body });
    const body = JSON.stringify(reportBody("web-01"));
    expect((await post({ "content-type": "application/json; charset=utf-8" }, body)).status).toBe(200);
    expect((await post({ "content-type": "application/vnd.nixfleet+json" }, body)).status).toBe(200);
    // Bytes, not a string: fetch would label a string body text/plain.
    for (const res of [
      await post({ "content-type": "text/plain" }, body),
      await post({}, new TextEncoder().encode(body)),
    ]) {
      expect(res.status).toBe(200);
    }
    const empty = await post({});
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: "machine_id is required" });
    const broken = await post({ "content-type": "application/json" }, "{");
    expect(await broken.json()).toEqual({ error: "Malformed JSON in request body" });
    expect(await h.store.db.$count(reports)).toBe(4);
  });

  test("lone surrogates in report strings are stored as U+FFFD and read back", async () => {
    const body =
      '{"machine_id":"w","current_generation":"g\\ud800","success":true,"message":"m\\udc00x","timestamp":"2026-11-27T10:00:00Z",' +
      '"health":{"results":[{"status":"fail","check_name":"c\\ud800","duration_ms":1,"message":"x"}],"all_passed":false,"timestamp":"2026-11-27T10:00:00Z"},' +
      '"tags":["web"],"agent_version":"\\ud800"}';
    const res = await h.request(machinePath("w", "/report"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(200);
    const detail = await h.request(machinePath("w"), { key: admin });
    expect(detail.status).toBe(200);
    const machine = (await detail.json()) as Record<string, any>;
    expect(machine.current_generation).toBe("g\ufffd");
    expect(machine.agent_version).toBe("\ufffd");
    expect(machine.recent_reports[0]).toMatchObject({ message: "m\ufffdx" });
    expect(machine.latest_health_report.all_passed).toBe(false);
    expect((await h.request("/health")).status).toBe(200);
  });

  test("the rollout executor hears about each report after it committed", async () => {
    const seen: { id: string; stored: number }[] = [];
    const deps = h.controlPlane.deps;
    deps.rolloutEvents = {
      machineReported(id) {
        void h.store.db
          .select()
          .from(reports)
          .where(eq(reports.machineId, id))
          .then((rows) => seen.push({ id, stored: rows.length }));
      },
    };
    await report(h, "web-01");
    await Bun.sleep(20);
    expect(seen).toEqual([{ id: "web-01", stored: 1 }]);
  });

  test("the machines row tracks the last report", async () => {
    await report(h, "web-01", { health: { results: [], all_passed: true, timestamp: "2026-11-27T10:00:00Z" } });
    h.advance(30_000);
    await report(h, "web-01", { success: false, uptime_seconds: 130, agent_version: "0.1.4" });
    expect(await machineRow("web-01")).toMatchObject({
      lastSuccess: false,
      lastHealthPassed: null,
      uptimeSeconds: 130,
      agentVersion: "0.1.4",
      lastReportAt: h.controlPlane.deps.now(),
    });
  });
});

describe("concurrent reports", () => {
  test("50 machines × 4 concurrent reports all land", async () => {
    const sends = [];
    for (let round = 0; round < 4; round++) {
      for (let m = 0; m < 50; m++) {
        sends.push(report(h, `host-${m}`, { message: `round ${round}`, tags: [`rack-${m % 5}`] }));
      }
    }
    const statuses = await Promise.all(sends.map(async (p) => (await p).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await h.store.db.select().from(reports)).toHaveLength(200);
    expect(await h.store.db.select().from(machines)).toHaveLength(50);
    expect(await h.store.db.select().from(machineTags)).toHaveLength(50);
    expect(await auditOf(h, "report")).toHaveLength(50);
    expect(h.controlPlane.deps.fleet.fleetSize).toBe(50);
    const list = (await (await h.request("/api/v1/machines", { key: admin })).json()) as unknown[];
    expect(list).toHaveLength(50);
  });
});

describe("v0.1 agent compatibility of the report body", () => {
  test("tags outside the admin spelling are accepted from agents and stored as sent", async () => {
    const res = await report(h, "web-01", { tags: ["role=web", "build host"] });
    expect(res.status).toBe(200);
    const listed = (await (
      await h.request("/api/v1/machines", { key: await createTestKey(h, "readonly") })
    ).json()) as {
      tags: string[];
    }[];
    expect(listed[0]!.tags).toEqual(["build host", "role=web"]);
  });

  test.each([
    [{ timestamp: "yesterday" }, "timestamp"],
    [{ timestamp: "2026-11-27T10:00:00" }, "timestamp"],
    [{ health: { results: [], all_passed: true, timestamp: "soon" } }, "health.timestamp"],
    [{ tags: [""] }, "tags.0"],
    [{ tags: ["x".repeat(129)] }, "tags.0"],
  ])("%p → 400 naming %s", async (fields, field) => {
    const res = await report(h, "web-01", fields);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toStartWith(`${field}:`);
  });

  test("last_report is the agent's own report time in UTC, as v0.1 shows it; the age is by the server's clock", async () => {
    await report(h, "web-01", { timestamp: "2026-11-27T11:59:30.250+02:00" });
    h.advance(5_000);
    const [machine] = (await (
      await h.request("/api/v1/machines", { key: await createTestKey(h, "readonly") })
    ).json()) as {
      last_report: string;
      seconds_since_last_report: number;
    }[];
    expect(machine!.last_report).toBe("2026-11-27T09:59:30.250Z");
    expect(machine!.seconds_since_last_report).toBe(5);
  });
});
