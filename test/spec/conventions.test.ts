// SPEC §2, black box through the in-process app: ids, limits, integers, errors, timestamps, auth, roles.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Role } from "../../src/context.ts";
import { createHarness, type Harness } from "../support/harness.ts";

const STORE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let h: Harness;
const keys = {} as Record<Role, string>;
let releaseId: string;

/** Sends JSON with the key of `role` (or none). */
function call(method: string, path: string, role: Role | null, json?: unknown): Promise<Response> {
  return h.request(path, { method, key: role ? keys[role] : undefined, ...(json === undefined ? {} : { json }) });
}

async function expectError(res: Response, status: number): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error).toBe("string");
  expect((body.error as string).length).toBeGreaterThan(0);
  return body.error as string;
}

beforeAll(async () => {
  h = await createHarness();
  const boot = await h.request("/api/v1/keys/bootstrap", { json: { name: "root" } });
  keys.admin = ((await boot.json()) as { key: string }).key;
  for (const role of ["deploy", "readonly"] as const) {
    const res = await call("POST", "/api/v1/keys", "admin", { name: `${role}-key`, role });
    keys[role] = ((await res.json()) as { key: string }).key;
  }
  expect((await call("POST", "/api/v1/machines/web-01/register", "admin", { tags: ["web"] })).status).toBe(201);
  const release = await call("POST", "/api/v1/releases", "deploy", {
    entries: [{ hostname: "web-01", store_path: STORE_PATH, platform: "x86_64-linux" }],
  });
  expect(release.status).toBe(201);
  releaseId = ((await release.json()) as { id: string }).id;
});
afterAll(() => h.close());

describe("ids in paths", () => {
  const long = "a".repeat(129);
  const exact = "b".repeat(128);
  const routes: [string, (id: string) => string, Role | null][] = [
    ["GET", (id) => `/api/v1/machines/${id}`, "readonly"],
    ["GET", (id) => `/api/v1/machines/${id}/desired-generation`, null],
    ["DELETE", (id) => `/api/v1/machines/${id}/desired-generation`, "admin"],
    ["PATCH", (id) => `/api/v1/machines/${id}/lifecycle`, "admin"],
    ["DELETE", (id) => `/api/v1/machines/${id}/tags/web`, "admin"],
    ["GET", (id) => `/api/v1/releases/${id}`, "readonly"],
    ["DELETE", (id) => `/api/v1/releases/${id}`, "admin"],
    ["GET", (id) => `/api/v1/releases/${id}/diff/${id}`, "readonly"],
    ["GET", (id) => `/api/v1/rollouts/${id}`, "readonly"],
    ["DELETE", (id) => `/api/v1/rollouts/${id}`, "admin"],
    ["POST", (id) => `/api/v1/rollouts/${id}/resume`, "deploy"],
    ["POST", (id) => `/api/v1/rollouts/${id}/cancel`, "deploy"],
  ];

  test.each(routes.map(([method, path, role]) => [`${method} ${path("{id}")}`, method, path, role] as const))(
    "%s: over 128 characters → 400; exactly 128 → not 400",
    async (_, method, path, role) => {
      const json = method === "PATCH" ? { lifecycle: "maintenance" } : undefined;
      await expectError(await call(method, path(long), role, json), 400);
      expect((await call(method, path(exact), role, json)).status).toBe(404);
    },
  );

  test("POST routes with a body: over 128 characters → 400", async () => {
    const report = {
      machine_id: long,
      current_generation: STORE_PATH,
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
    };
    await expectError(await call("POST", `/api/v1/machines/${long}/report`, null, report), 400);
    await expectError(await call("POST", `/api/v1/machines/${long}/register`, "admin", {}), 400);
    await expectError(
      await call("POST", `/api/v1/machines/${long}/notify-deploy`, "deploy", { store_path: STORE_PATH }),
      400,
    );
    await expectError(await call("PUT", `/api/v1/machines/${long}/tags`, "admin", { tags: ["x"] }), 400);
    await expectError(await call("POST", `/api/v1/machines/${long}/tags`, "admin", { tags: ["x"] }), 400);
  });

  test("128 characters counts decoded characters, not percent-encoded bytes", async () => {
    const id = "ü".repeat(128);
    const path = `/api/v1/machines/${encodeURIComponent(id)}/register`;
    const res = await call("POST", path, "admin", {});
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: id, lifecycle: "active" });
    await expectError(await call("GET", `/api/v1/machines/${encodeURIComponent(id + "ü")}`, "readonly"), 400);
  });

  test("a percent-encoded id with slash, space, quote and comma round-trips", async () => {
    const id = 'rack 7/"web",01';
    const encoded = encodeURIComponent(id);
    const report = await h.request(`/api/v1/machines/${encoded}/report`, {
      json: {
        machine_id: id,
        current_generation: STORE_PATH,
        success: true,
        message: "switched",
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    expect(report.status).toBe(200);
    const detail = await call("GET", `/api/v1/machines/${encoded}`, "readonly");
    expect(detail.status).toBe(200);
    expect(((await detail.json()) as { machine_id: string }).machine_id).toBe(id);
    const listed = (await (await call("GET", "/api/v1/machines", "readonly")).json()) as { machine_id: string }[];
    expect(listed.map((m) => m.machine_id)).toContain(id);
    const poll = await h.request(`/api/v1/machines/${encoded}/desired-generation`);
    expect(poll.status).toBe(404);
    await expectError(poll, 404);
  });
});

test("an id with a NUL character is refused rather than stored truncated", async () => {
  const error = await expectError(await call("POST", "/api/v1/machines/a%00b/register", "admin", {}), 400);
  expect(error).toContain("NUL");
  await expectError(await call("GET", "/api/v1/machines/a%00b/desired-generation", null), 400);
  const listed = (await (await call("GET", "/api/v1/machines", "readonly")).json()) as { machine_id: string }[];
  expect(listed.map((m) => m.machine_id)).not.toContain("a");
});

test("whatever the id holds, JSON, CSV and metrics stay well-formed", async () => {
  const ids = ["del\u007f", "%FF", "\u2028sep", 'q"uo\\te', "nel\u0085", "\u202eltr", " "];
  for (const id of ids) {
    const res = await call("POST", `/api/v1/machines/${encodeURIComponent(id)}/register`, "admin", { tags: ["odd"] });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { machine_id: string }).machine_id).toBe(id);
    const report = await h.request(`/api/v1/machines/${encodeURIComponent(id)}/report`, {
      json: {
        machine_id: id,
        current_generation: STORE_PATH,
        success: true,
        message: "",
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    expect(report.status).toBe(200);
  }
  const listed = (await (await call("GET", "/api/v1/machines?tag=odd", "readonly")).json()) as { machine_id: string }[];
  expect(listed.map((m) => m.machine_id).sort()).toEqual([...ids].sort());
  const metrics = await (await h.request("/metrics")).text();
  for (const line of metrics.split("\n")) expect(line === "" || /^(# (HELP|TYPE) )?nixfleet_/.test(line)).toBe(true);
  const csv = await (await call("GET", "/api/v1/audit/export?action=register", "readonly")).text();
  // Every record has five fields once quoted fields are taken as a whole.
  const records = csv.match(/(?:"(?:[^"]|"")*"|[^,\n"]*)(?:,(?:"(?:[^"]|"")*"|[^,\n"]*)){4}\n/g) ?? [];
  expect(records.join("")).toBe(csv);
});

describe("limit", () => {
  test.each([
    ["0", 1],
    ["-5", 1],
    ["1", 1],
    ["100000", "max"],
  ] as const)("audit limit=%s is clamped", async (limit, expected) => {
    const all = (await (await call("GET", "/api/v1/audit?limit=500", "readonly")).json()) as unknown[];
    const res = await call("GET", `/api/v1/audit?limit=${limit}`, "readonly");
    expect(res.status).toBe(200);
    const body = (await res.json()) as unknown[];
    expect(body).toHaveLength(expected === "max" ? all.length : expected);
  });

  test("releases limit=0 gives one, limit=1000 does not fail", async () => {
    const zero = await call("GET", "/api/v1/releases?limit=0", "readonly");
    expect(zero.status).toBe(200);
    expect(await zero.json()).toHaveLength(1);
    const huge = await call("GET", "/api/v1/releases?limit=1000", "readonly");
    expect(huge.status).toBe(200);
    expect(await huge.json()).toHaveLength(1);
  });
});

test("counts and durations are integers, timestamps RFC 3339 UTC", async () => {
  const report = await h.request("/api/v1/machines/int-01/report", {
    json: {
      machine_id: "int-01",
      current_generation: STORE_PATH,
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
      uptime_seconds: 12345,
    },
  });
  expect(report.status).toBe(200);
  h.advance(2750);
  const machines = (await (await call("GET", "/api/v1/machines", "readonly")).json()) as Record<string, unknown>[];
  const machine = machines.find((m) => m.machine_id === "int-01")!;
  expect(machine.seconds_since_last_report).toBe(2);
  expect(machine.uptime_seconds).toBe(12345);
  expect(machine.last_report).toMatch(RFC3339_UTC);
  expect(Number.isInteger(machine.seconds_since_last_report)).toBe(true);

  const release = (await (await call("GET", `/api/v1/releases/${releaseId}`, "readonly")).json()) as Record<
    string,
    unknown
  >;
  expect(release.host_count).toBe(1);
  expect(release.created_at).toMatch(RFC3339_UTC);

  const listedKeys = (await (await call("GET", "/api/v1/keys", "admin")).json()) as Record<string, unknown>[];
  for (const key of listedKeys) expect(key.created_at).toMatch(RFC3339_UTC);
  const audit = (await (await call("GET", "/api/v1/audit", "readonly")).json()) as Record<string, unknown>[];
  for (const event of audit) expect(event.timestamp).toMatch(RFC3339_UTC);
});

describe("errors", () => {
  test("malformed JSON → 400 with an error body", async () => {
    const res = await h.request("/api/v1/machines/web-01/register", {
      method: "POST",
      key: keys.admin,
      headers: { "content-type": "application/json" },
      body: '{"lifecycle": ',
    });
    await expectError(res, 400);
  });

  test("a wrong type → 400 naming the field", async () => {
    const error = await expectError(await call("POST", "/api/v1/machines/x/register", "admin", { tags: "web" }), 400);
    expect(error).toContain("tags");
  });

  test("an unknown enum value → 400 naming the field", async () => {
    const lifecycle = await expectError(
      await call("POST", "/api/v1/machines/x/register", "admin", { lifecycle: "retired" }),
      400,
    );
    expect(lifecycle).toContain("lifecycle");
    const role = await expectError(await call("POST", "/api/v1/keys", "admin", { name: "n", role: "root" }), 400);
    expect(role).toContain("role");
    const strategy = await expectError(
      await call("POST", "/api/v1/rollouts", "deploy", {
        release_id: releaseId,
        strategy: "yolo",
        target: { hosts: ["web-01"] },
      }),
      400,
    );
    expect(strategy).toContain("strategy");
  });

  test("404 and 409 carry the error body", async () => {
    await expectError(await call("GET", "/api/v1/machines/nobody-here", "readonly"), 404);
    await expectError(await call("POST", "/api/v1/keys/bootstrap", null, {}), 409);
  });
});

describe("auth", () => {
  test("missing, unknown and revoked keys → 401; a known key lacking the role → 403", async () => {
    await expectError(await call("GET", "/api/v1/machines", null), 401);
    await expectError(
      await h.request("/api/v1/machines", { headers: { authorization: `Bearer nfk-${"0".repeat(64)}` } }),
      401,
    );
    await expectError(await h.request("/api/v1/machines", { headers: { authorization: "Bearer whatever" } }), 401);

    const created = await call("POST", "/api/v1/keys", "admin", { name: "short-lived", role: "admin" });
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect((await h.request("/api/v1/machines", { key })).status).toBe(200);
    expect((await call("DELETE", `/api/v1/keys/${id}`, "admin")).status).toBe(204);
    await expectError(await h.request("/api/v1/machines", { key }), 401);

    await expectError(await call("POST", "/api/v1/machines/x/register", "readonly", {}), 403);
    await expectError(await call("POST", "/api/v1/machines/x/register", "deploy", {}), 403);
  });

  // Each route with the least role allowed to call it; bodies are minimal (the status past auth does not matter).
  const matrix: [string, string, Role, unknown?][] = [
    ["GET", "/api/v1/machines", "readonly"],
    ["GET", "/api/v1/machines/web-01", "readonly"],
    ["GET", "/api/v1/releases", "readonly"],
    ["GET", "/api/v1/releases/rel-x", "readonly"],
    ["GET", "/api/v1/releases/rel-x/diff/rel-y", "readonly"],
    ["GET", "/api/v1/rollouts", "readonly"],
    ["GET", "/api/v1/rollouts/r-x", "readonly"],
    ["GET", "/api/v1/audit", "readonly"],
    ["GET", "/api/v1/audit/export", "readonly"],
    ["POST", "/api/v1/releases", "deploy", { entries: [] }],
    ["POST", "/api/v1/rollouts", "deploy", {}],
    ["POST", "/api/v1/rollouts/r-x/resume", "deploy"],
    ["POST", "/api/v1/rollouts/r-x/cancel", "deploy"],
    ["POST", "/api/v1/machines/web-01/notify-deploy", "deploy", {}],
    ["POST", "/api/v1/machines/web-01/register", "admin", {}],
    ["PATCH", "/api/v1/machines/web-01/lifecycle", "admin", {}],
    ["PUT", "/api/v1/machines/web-01/tags", "admin", {}],
    ["POST", "/api/v1/machines/web-01/tags", "admin", {}],
    ["DELETE", "/api/v1/machines/web-01/tags/nope", "admin"],
    ["DELETE", "/api/v1/machines/web-01/desired-generation", "admin"],
    ["DELETE", "/api/v1/releases/rel-x", "admin"],
    ["DELETE", "/api/v1/rollouts/r-x", "admin"],
    ["POST", "/api/v1/keys", "admin", {}],
    ["GET", "/api/v1/keys", "admin"],
    ["DELETE", "/api/v1/keys/key-x", "admin"],
  ];
  const RANK: Record<Role, number> = { readonly: 0, deploy: 1, admin: 2 };

  test.each(matrix.map(([method, path, least, body]) => [`${method} ${path}`, method, path, least, body] as const))(
    "%s: roles below the least one → 403, from it up → allowed, no key → 401",
    async (_, method, path, least, body) => {
      await expectError(await call(method, path, null, body), 401);
      for (const role of ["readonly", "deploy", "admin"] as const) {
        const res = await call(method, path, role, body);
        if (RANK[role] < RANK[least]) await expectError(res, 403);
        else expect([401, 403]).not.toContain(res.status);
      }
    },
  );
});
