import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { desiredGenerations, machines, machineTags } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { auditOf, machinePath, report } from "../support/machines.ts";

let h: Harness;
let admin: string;
let deploy: string;
let readonly: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin", { name: "ops" });
  deploy = await createTestKey(h, "deploy");
  readonly = await createTestKey(h, "readonly");
});
afterEach(() => h.close());

const register = (id: string, body?: unknown, key = admin) =>
  h.request(machinePath(id, "/register"), { method: "POST", key, ...(body === undefined ? {} : { json: body }) });

const STORE_PATH = "/nix/store/11111111111111111111111111111111-nixos-system-web-01";

describe("POST /api/v1/machines/{id}/register", () => {
  test("registers a machine as active by default, with an audit event", async () => {
    const res = await register("web-01", {});
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "active" });
    const [row] = await h.store.db.select().from(machines).where(eq(machines.machineId, "web-01"));
    expect(row?.lifecycle).toBe("active");
    expect(row?.registeredAt).toBe(h.controlPlane.deps.now());
    const [event] = await auditOf(h, "register");
    expect(event).toMatchObject({ actor: "apikey:ops", target: "web-01" });
    expect(JSON.parse(event!.detail)).toEqual({ lifecycle: "active", new: true });
  });

  test("takes no body at all", async () => {
    expect((await register("web-01")).status).toBe(201);
  });

  test("takes a lifecycle and tags", async () => {
    const res = await register("web-01", { lifecycle: "pending", tags: ["web", "eu-west"] });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "pending" });
    const tags = await h.store.db.select().from(machineTags).where(eq(machineTags.machineId, "web-01"));
    expect(tags.map((t) => t.tag).sort()).toEqual(["eu-west", "web"]);
  });

  test("re-registering sets the lifecycle and replaces tags (when given), keeping registered_at", async () => {
    await register("web-01", { lifecycle: "pending", tags: ["a"] });
    h.advance(5000);
    const res = await register("web-01", { lifecycle: "maintenance", tags: ["b"] });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "maintenance" });
    const detail = (await (await h.request(machinePath("web-01"), { key: readonly })).json()) as Record<
      string,
      unknown
    >;
    expect(detail.tags).toEqual(["b"]);
    expect(detail.registered_at).toBe("2026-11-27T10:00:00.000Z");
    expect((await register("web-01", {})).status).toBe(201);
    const after = (await (await h.request(machinePath("web-01"), { key: readonly })).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ lifecycle: "active", tags: ["b"] });
    expect((await auditOf(h, "register")).map((e) => JSON.parse(e.detail).new)).toEqual([true, false, false]);
  });

  test("bad lifecycle, bad tag, malformed JSON → 400", async () => {
    const bad = await register("web-01", { lifecycle: "retired" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("lifecycle");
    expect((await register("web-01", { tags: ["no spaces"] })).status).toBe(400);
    expect((await register("web-01", { tags: "web" })).status).toBe(400);
    const malformed = await h.request(machinePath("web-01", "/register"), {
      method: "POST",
      key: admin,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await h.store.db.select().from(machines)).toEqual([]);
  });

  test("needs an admin key", async () => {
    expect((await h.request(machinePath("web-01", "/register"), { json: {} })).status).toBe(401);
    expect((await register("web-01", {}, "nfk-unknown")).status).toBe(401);
    expect((await register("web-01", {}, readonly)).status).toBe(403);
    expect((await register("web-01", {}, deploy)).status).toBe(403);
    expect(await h.store.db.select().from(machines)).toEqual([]);
  });

  test("ids over 128 characters → 400", async () => {
    expect((await register("x".repeat(129), {})).status).toBe(400);
    expect((await register("x".repeat(128), {})).status).toBe(201);
  });
});

describe("GET /api/v1/machines", () => {
  test("lists machines with the compat fields; never-reported ones are unknown", async () => {
    await register("web-02", { lifecycle: "pending", tags: ["web"] });
    const res = await h.request("/api/v1/machines", { key: readonly });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      {
        machine_id: "web-02",
        current_generation: "",
        desired_generation: null,
        agent_version: "",
        system_state: "unknown",
        uptime_seconds: 0,
        last_report: null,
        lifecycle: "pending",
        tags: ["web"],
        seconds_since_last_report: null,
      },
    ]);
  });

  test("shows the last report, its state, desired generation and age", async () => {
    await report(h, "web-01", { uptime_seconds: 42, agent_version: "0.1.2", tags: ["web"] });
    await h.request(machinePath("web-01", "/notify-deploy"), { key: deploy, json: { store_path: STORE_PATH } });
    h.advance(61_500);
    const [machine] = (await (await h.request("/api/v1/machines", { key: readonly })).json()) as unknown[];
    expect(machine).toEqual({
      machine_id: "web-01",
      current_generation: "/nix/store/00000000000000000000000000000000-nixos-system-a",
      desired_generation: STORE_PATH,
      agent_version: "0.1.2",
      system_state: "ok",
      uptime_seconds: 42,
      last_report: "2026-11-27T10:00:00.000Z",
      lifecycle: "active",
      tags: ["web"],
      seconds_since_last_report: 61,
    });
  });

  test("system_state is error after a failed report or failed health checks", async () => {
    await report(h, "a", { success: false });
    await report(h, "b", {
      health: {
        results: [{ status: "fail", check_name: "nginx", duration_ms: 3, message: "down" }],
        all_passed: false,
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    await report(h, "c", {
      health: {
        results: [{ status: "pass", check_name: "nginx", duration_ms: 3 }],
        all_passed: true,
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    const list = (await (await h.request("/api/v1/machines", { key: readonly })).json()) as { system_state: string }[];
    expect(list.map((m) => m.system_state)).toEqual(["error", "error", "ok"]);
  });

  test("repeated tag means every tag", async () => {
    await register("a", { tags: ["web", "prod"] });
    await register("b", { tags: ["web"] });
    await register("c", { tags: ["prod", "db"] });
    const ids = async (query: string) =>
      ((await (await h.request(`/api/v1/machines${query}`, { key: readonly })).json()) as { machine_id: string }[]).map(
        (m) => m.machine_id,
      );
    expect(await ids("")).toEqual(["a", "b", "c"]);
    expect(await ids("?tag=web")).toEqual(["a", "b"]);
    expect(await ids("?tag=web&tag=prod")).toEqual(["a"]);
    expect(await ids("?tag=prod&tag=prod")).toEqual(["a", "c"]);
    expect(await ids("?tag=web&tag=db")).toEqual([]);
    expect(await ids("?tag=nothing")).toEqual([]);
    const [a] = (await (await h.request("/api/v1/machines?tag=web&tag=prod", { key: readonly })).json()) as {
      tags: string[];
    }[];
    expect(a!.tags).toEqual(["prod", "web"]);
  });

  test("limit and cursor page through the list; X-Next-Cursor until the last page", async () => {
    const ids = ["a", "b", "c d", "é/", "z", "zz", "𝔷"];
    for (const id of ids) await register(id, { tags: ["z", "zz", "𝔷"].includes(id) ? ["odd"] : ["even"] });
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const res: Response = await h.request(`/api/v1/machines${query}`, { key: readonly });
      expect(res.status).toBe(200);
      pages.push(((await res.json()) as { machine_id: string }[]).map((m) => m.machine_id));
      cursor = res.headers.get("x-next-cursor");
    } while (cursor !== null && pages.length < 10);
    expect(pages).toEqual([["a", "b", "c d"], ["z", "zz", "é/"], ["𝔷"]]);
    const res = await h.request("/api/v1/machines?limit=2&tag=odd", { key: readonly });
    expect(((await res.json()) as { machine_id: string }[]).map((m) => m.machine_id)).toEqual(["z", "zz"]);
    const next = res.headers.get("x-next-cursor")!;
    const rest = await h.request(`/api/v1/machines?limit=2&tag=odd&cursor=${next}`, { key: readonly });
    expect((await rest.json()) as { machine_id: string; tags: string[] }[]).toMatchObject([
      { machine_id: "𝔷", tags: ["odd"] },
    ]);
    expect(rest.headers.get("x-next-cursor")).toBeNull();
    const tail = await h.request(`/api/v1/machines?cursor=${next}`, { key: readonly });
    expect(
      ((await tail.json()) as { machine_id: string; tags: string[] }[]).map((m) => [m.machine_id, m.tags]),
    ).toEqual([
      ["é/", ["even"]],
      ["𝔷", ["odd"]],
    ]);
  });

  test("limit is clamped; a malformed limit or cursor is a 400", async () => {
    await register("a", {});
    await register("b", {});
    const zero = await h.request("/api/v1/machines?limit=0", { key: readonly });
    expect(((await zero.json()) as unknown[]).length).toBe(1);
    expect(zero.headers.get("x-next-cursor")).not.toBeNull();
    const huge = await h.request("/api/v1/machines?limit=99999999", { key: readonly });
    expect(((await huge.json()) as unknown[]).length).toBe(2);
    expect(huge.headers.get("x-next-cursor")).toBeNull();
    expect((await h.request("/api/v1/machines?limit=ten", { key: readonly })).status).toBe(400);
    expect((await h.request("/api/v1/machines?limit=2&cursor=a%20b", { key: readonly })).status).toBe(400);
  });

  test("needs a key; every role may read", async () => {
    expect((await h.request("/api/v1/machines")).status).toBe(401);
    for (const key of [readonly, deploy, admin])
      expect((await h.request("/api/v1/machines", { key })).status).toBe(200);
  });
});

describe("GET /api/v1/machines/{id}", () => {
  test("adds registered_at, the latest health report and the last 10 reports, newest first", async () => {
    for (let i = 0; i < 12; i++) {
      await report(h, "web-01", {
        message: `report ${i}`,
        timestamp: `2026-11-27T09:00:${String(i).padStart(2, "0")}Z`,
      });
      h.advance(1000);
    }
    await report(h, "web-01", {
      message: "report 12",
      health: {
        results: [
          { status: "pass", check_name: "disk", duration_ms: 1 },
          { status: "fail", check_name: "http", duration_ms: 5000, message: "timeout" },
        ],
        all_passed: false,
        timestamp: "2026-11-27T10:00:12Z",
      },
    });
    const res = await h.request(machinePath("web-01"), { key: readonly });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.machine_id).toBe("web-01");
    expect(body.registered_at).toBe("2026-11-27T10:00:00.000Z");
    expect(body.system_state).toBe("error");
    expect(body.latest_health_report).toEqual({
      all_passed: false,
      results: [
        { status: "pass", check_name: "disk", duration_ms: 1 },
        { status: "fail", check_name: "http", duration_ms: 5000, message: "timeout" },
      ],
      timestamp: "2026-11-27T10:00:12Z",
      received_at: "2026-11-27T10:00:12.000Z",
    });
    expect(body.recent_reports).toHaveLength(10);
    expect(body.recent_reports.map((r: { message: string }) => r.message)).toEqual(
      [12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `report ${i}`),
    );
    expect(body.recent_reports[1]).toEqual({
      current_generation: "/nix/store/00000000000000000000000000000000-nixos-system-a",
      success: true,
      message: "report 11",
      timestamp: "2026-11-27T09:00:11Z",
      received_at: "2026-11-27T10:00:11.000Z",
      agent_version: "0.1.0",
      uptime_seconds: 100,
    });
  });

  test("a machine without reports has null health and no reports", async () => {
    await register("web-01", {});
    const body = (await (await h.request(machinePath("web-01"), { key: readonly })).json()) as Record<string, unknown>;
    expect(body.latest_health_report).toBeNull();
    expect(body.recent_reports).toEqual([]);
  });

  test("unknown → 404, long id → 400, no key → 401", async () => {
    const res = await h.request(machinePath("nope"), { key: readonly });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "machine nope not found" });
    expect((await h.request(machinePath("x".repeat(129)), { key: readonly })).status).toBe(400);
    expect((await h.request(machinePath("nope"))).status).toBe(401);
  });
});

describe("PATCH /api/v1/machines/{id}/lifecycle", () => {
  const patch = (id: string, body: unknown, key = admin) =>
    h.request(machinePath(id, "/lifecycle"), { method: "PATCH", key, json: body });

  test("an allowed transition → 200, stored and audited", async () => {
    await register("web-01", {});
    const res = await patch("web-01", { lifecycle: "maintenance" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "maintenance" });
    const [row] = await h.store.db.select().from(machines);
    expect(row?.lifecycle).toBe("maintenance");
    const [event] = await auditOf(h, "update_lifecycle");
    expect(event).toMatchObject({ actor: "apikey:ops", target: "web-01" });
    expect(JSON.parse(event!.detail)).toEqual({ from: "active", to: "maintenance" });
  });

  test("a disallowed transition → 409 and nothing changes", async () => {
    await register("web-01", { lifecycle: "decommissioned" });
    const res = await patch("web-01", { lifecycle: "active" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(
      "machine web-01 cannot go from decommissioned to active",
    );
    expect((await patch("web-01", { lifecycle: "decommissioned" })).status).toBe(409);
    const [row] = await h.store.db.select().from(machines);
    expect(row?.lifecycle).toBe("decommissioned");
    expect(await auditOf(h, "update_lifecycle")).toEqual([]);
  });

  test("every one of the 25 pairs answers as the transition table says", async () => {
    const states = ["pending", "provisioning", "active", "maintenance", "decommissioned"] as const;
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
    for (const from of states) {
      for (const to of states) {
        const id = `${from}-${to}`;
        await register(id, { lifecycle: from });
        const res = await patch(id, { lifecycle: to });
        expect(`${id}:${res.status}`).toBe(`${id}:${allowed.has(`${from}>${to}`) ? 200 : 409}`);
      }
    }
  });

  test("unknown state → 400, missing field → 400, unknown machine → 404", async () => {
    await register("web-01", {});
    const bad = await patch("web-01", { lifecycle: "retired" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("lifecycle");
    const missing = await patch("web-01", {});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toContain("lifecycle");
    expect((await patch("nope", { lifecycle: "maintenance" })).status).toBe(404);
  });

  test("needs an admin key", async () => {
    await register("web-01", {});
    expect(
      (await h.request(machinePath("web-01", "/lifecycle"), { method: "PATCH", json: { lifecycle: "maintenance" } }))
        .status,
    ).toBe(401);
    expect((await patch("web-01", { lifecycle: "maintenance" }, readonly)).status).toBe(403);
    expect((await patch("web-01", { lifecycle: "maintenance" }, deploy)).status).toBe(403);
  });
});

describe("tags", () => {
  const tagsOf = async (id: string) =>
    (await h.store.db.select().from(machineTags).where(eq(machineTags.machineId, id))).map((t) => t.tag).sort();

  test("PUT replaces, POST adds, DELETE removes one; each answers the machine's tags and is audited", async () => {
    await register("web-01", { tags: ["old"] });
    let res = await h.request(machinePath("web-01", "/tags"), {
      method: "PUT",
      key: admin,
      json: { tags: ["web", "eu-west", "web"] },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", tags: ["eu-west", "web"] });
    expect(await tagsOf("web-01")).toEqual(["eu-west", "web"]);

    res = await h.request(machinePath("web-01", "/tags"), {
      method: "POST",
      key: admin,
      json: { tags: ["prod", "web"] },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", tags: ["eu-west", "prod", "web"] });

    res = await h.request(machinePath("web-01", "/tags/eu-west"), { method: "DELETE", key: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", tags: ["prod", "web"] });
    expect(await tagsOf("web-01")).toEqual(["prod", "web"]);

    res = await h.request(machinePath("web-01", "/tags/absent"), { method: "DELETE", key: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", tags: ["prod", "web"] });

    const events = await auditOf(h, "tags.updated");
    expect(events).toHaveLength(4);
    expect(JSON.parse(events[0]!.detail)).toEqual({ before: ["old"], after: ["eu-west", "web"] });
    expect(events.every((e) => e.actor === "apikey:ops" && e.target === "web-01")).toBe(true);
  });

  test("PUT with an empty list clears the tags", async () => {
    await register("web-01", { tags: ["a"] });
    const res = await h.request(machinePath("web-01", "/tags"), { method: "PUT", key: admin, json: { tags: [] } });
    expect(await res.json()).toEqual({ machine_id: "web-01", tags: [] });
    expect(await tagsOf("web-01")).toEqual([]);
  });

  test("malformed tags → 400, nothing stored", async () => {
    await register("web-01", {});
    for (const tags of [[""], ["x".repeat(65)], ["a b"], ["ü"], [1], "web"]) {
      const res = await h.request(machinePath("web-01", "/tags"), { method: "PUT", key: admin, json: { tags } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain("tags");
    }
    expect((await h.request(machinePath("web-01", "/tags"), { method: "POST", key: admin, json: {} })).status).toBe(
      400,
    );
    expect((await h.request(machinePath("web-01", "/tags/a%20b"), { method: "DELETE", key: admin })).status).toBe(400);
    expect(
      (await h.request(machinePath("web-01", `/tags/${"x".repeat(65)}`), { method: "DELETE", key: admin })).status,
    ).toBe(400);
    expect(await tagsOf("web-01")).toEqual([]);
    expect(await auditOf(h, "tags.updated")).toEqual([]);
  });

  test("unknown machine → 404; roles", async () => {
    expect(
      (await h.request(machinePath("nope", "/tags"), { method: "PUT", key: admin, json: { tags: ["a"] } })).status,
    ).toBe(404);
    expect(
      (await h.request(machinePath("nope", "/tags"), { method: "POST", key: admin, json: { tags: ["a"] } })).status,
    ).toBe(404);
    expect((await h.request(machinePath("nope", "/tags/a"), { method: "DELETE", key: admin })).status).toBe(404);
    await register("web-01", {});
    for (const [key, status] of [
      [undefined, 401],
      [readonly, 403],
      [deploy, 403],
    ] as const) {
      expect(
        (await h.request(machinePath("web-01", "/tags"), { method: "PUT", key, json: { tags: ["a"] } })).status,
      ).toBe(status);
      expect(
        (await h.request(machinePath("web-01", "/tags"), { method: "POST", key, json: { tags: ["a"] } })).status,
      ).toBe(status);
      expect((await h.request(machinePath("web-01", "/tags/a"), { method: "DELETE", key })).status).toBe(status);
    }
  });
});

describe("desired generation: notify-deploy and clear", () => {
  test("notify-deploy sets the desired generation the agent then polls", async () => {
    await register("web-01", {});
    const res = await h.request(machinePath("web-01", "/notify-deploy"), {
      key: deploy,
      json: { store_path: STORE_PATH },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", store_path: STORE_PATH });
    const [row] = await h.store.db.select().from(desiredGenerations);
    expect(row).toMatchObject({
      machineId: "web-01",
      storePath: STORE_PATH,
      cacheUrl: null,
      setBy: "apikey:test-deploy",
    });
    const poll = await h.request(machinePath("web-01", "/desired-generation"));
    expect(poll.status).toBe(200);
    expect(await poll.json()).toEqual({ hash: STORE_PATH, cache_url: null, poll_hint: null });
    const [event] = await auditOf(h, "notify_deploy");
    expect(event).toMatchObject({ actor: "apikey:test-deploy", target: "web-01" });
    expect(JSON.parse(event!.detail)).toEqual({ store_path: STORE_PATH });
  });

  test("notify-deploy: admin may too; readonly 403, no key 401, bad body 400", async () => {
    await register("web-01", {});
    const notify = (id: string, body: unknown, key?: string) =>
      h.request(machinePath(id, "/notify-deploy"), { key, json: body });
    expect((await notify("web-01", { store_path: STORE_PATH }, admin)).status).toBe(200);
    expect((await notify("web-01", { store_path: STORE_PATH }, readonly)).status).toBe(403);
    expect((await notify("web-01", { store_path: STORE_PATH })).status).toBe(401);
    expect((await notify("web-01", {}, deploy)).status).toBe(400);
    expect((await notify("web-01", { store_path: "" }, deploy)).status).toBe(400);
    expect((await notify("web-01", { store_path: 7 }, deploy)).status).toBe(400);
    expect((await notify("web-01", { store_path: "x".repeat(513) }, deploy)).status).toBe(400);
    expect(
      await h.store.db.select().from(desiredGenerations).where(eq(desiredGenerations.machineId, "web-01")),
    ).toEqual([expect.objectContaining({ storePath: STORE_PATH })]);
  });

  test("notify-deploy to a machine that never reported registers it as active (v0.1 behaviour)", async () => {
    const res = await h.request(machinePath("new-01", "/notify-deploy"), {
      key: deploy,
      json: { store_path: STORE_PATH },
    });
    expect(res.status).toBe(200);
    const machine = await h.request(machinePath("new-01", ""), { key: readonly });
    expect(machine.status).toBe(200);
    expect(await machine.json()).toMatchObject({
      machine_id: "new-01",
      lifecycle: "active",
      desired_generation: STORE_PATH,
    });
    const poll = await h.request(machinePath("new-01", "/desired-generation"));
    expect(await poll.json()).toEqual({ hash: STORE_PATH, cache_url: null, poll_hint: null });
  });

  test("DELETE clears it: 204, the agent gets 404, audited", async () => {
    await register("web-01", {});
    await h.request(machinePath("web-01", "/notify-deploy"), { key: deploy, json: { store_path: STORE_PATH } });
    const res = await h.request(machinePath("web-01", "/desired-generation"), { method: "DELETE", key: admin });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await h.store.db.select().from(desiredGenerations)).toEqual([]);
    const poll = await h.request(machinePath("web-01", "/desired-generation"));
    expect(poll.status).toBe(404);
    expect(((await poll.json()) as { error: string }).error).toBe("no desired generation for machine web-01");
    const [event] = await auditOf(h, "clear_desired");
    expect(event).toMatchObject({ actor: "apikey:ops", target: "web-01" });
    expect(JSON.parse(event!.detail)).toEqual({ previous: STORE_PATH });
  });

  test("DELETE: 204 when nothing was desired, 404 unknown machine, roles", async () => {
    await register("web-01", {});
    const del = (id: string, key?: string) =>
      h.request(machinePath(id, "/desired-generation"), { method: "DELETE", key });
    expect((await del("web-01", admin)).status).toBe(204);
    expect((await del("nope", admin)).status).toBe(404);
    expect((await del("web-01")).status).toBe(401);
    expect((await del("web-01", readonly)).status).toBe(403);
    expect((await del("web-01", deploy)).status).toBe(403);
  });
});
