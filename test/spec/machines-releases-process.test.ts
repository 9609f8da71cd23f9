// SPEC §5 and §6 against the real process, started the way the acceptance tests start it:
// `bun run start -- --listen 127.0.0.1:0 --db-path <tmp>/state.db`, spoken to over HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFromSource, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-spec-"));
let server: ServerProcess;
let key: string;

beforeAll(async () => {
  server = await startFromSource(join(dir, "state.db"));
  const res = await fetch(new URL("/api/v1/keys/bootstrap", server.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "admin" }),
  });
  expect(res.status).toBe(200);
  key = ((await res.json()) as { key: string }).key;
});

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const GEN_A = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const GEN_B = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05";

/** An HTTP call to the server; `auth: false` leaves the API key off (agent routes). */
async function call(method: string, path: string, body?: unknown, auth = true) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(new URL(path, server.url), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : (JSON.parse(text) as Record<string, unknown>) };
}

describe("§5 over HTTP", () => {
  test("agent loop: report (chrono timestamp) auto-registers, poll 404 → notify-deploy → poll {hash, cache_url, poll_hint}", async () => {
    const id = "web 01/ü";
    const p = `/api/v1/machines/${encodeURIComponent(id)}`;
    const report = await call(
      "POST",
      `${p}/report`,
      {
        machine_id: id,
        current_generation: GEN_A,
        success: true,
        message: "switched",
        timestamp: "2026-11-27T09:59:58.123456789Z",
        tags: ["web", "prod"],
        health: {
          results: [{ status: "pass", check_name: "nginx", duration_ms: 4 }],
          all_passed: true,
          timestamp: "2026-11-27T10:00:00+00:00",
        },
        agent_version: "0.1.0",
        uptime_seconds: 12,
      },
      false,
    );
    expect(report.status).toBe(200);
    expect((await call("GET", `${p}/desired-generation`, undefined, false)).status).toBe(404);

    expect((await call("POST", `${p}/notify-deploy`, { store_path: GEN_B })).status).toBe(200);
    expect(await call("GET", `${p}/desired-generation`, undefined, false)).toEqual({
      status: 200,
      body: { hash: GEN_B, cache_url: null, poll_hint: null },
    });

    const list = await call("GET", "/api/v1/machines?tag=web&tag=prod");
    expect(list.status).toBe(200);
    const machines = list.body as unknown as Record<string, unknown>[];
    expect(machines).toHaveLength(1);
    expect(Object.keys(machines[0]!).sort()).toEqual([
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
    ]);
    expect(machines[0]).toMatchObject({
      machine_id: id,
      current_generation: GEN_A,
      desired_generation: GEN_B,
      agent_version: "0.1.0",
      system_state: "ok",
      uptime_seconds: 12,
      lifecycle: "active",
      tags: ["prod", "web"],
    });
    expect(Number.isInteger(machines[0]!.seconds_since_last_report)).toBe(true);
    expect((await call("GET", "/api/v1/machines?tag=web&tag=db")).body).toEqual([] as never);

    expect((await call("DELETE", `${p}/desired-generation`)).status).toBe(204);
    expect((await call("GET", `${p}/desired-generation`, undefined, false)).status).toBe(404);
  });

  test("register 201, lifecycle 200/409/400/404, a report activates a pending machine", async () => {
    expect(await call("POST", "/api/v1/machines/db-01/register", { lifecycle: "pending", tags: ["db"] })).toEqual({
      status: 201,
      body: { machine_id: "db-01", lifecycle: "pending" },
    });
    expect((await call("POST", "/api/v1/machines/db-02/register", { lifecycle: "asleep" })).status).toBe(400);
    expect((await call("PATCH", "/api/v1/machines/db-01/lifecycle", { lifecycle: "maintenance" })).status).toBe(409);
    expect((await call("PATCH", "/api/v1/machines/db-01/lifecycle", { lifecycle: "asleep" })).status).toBe(400);
    expect((await call("PATCH", "/api/v1/machines/nobody/lifecycle", { lifecycle: "active" })).status).toBe(404);
    expect((await call("PATCH", "/api/v1/machines/db-01/lifecycle", { lifecycle: "provisioning" })).status).toBe(200);

    const report = {
      machine_id: "db-01",
      current_generation: GEN_A,
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
    };
    expect((await call("POST", "/api/v1/machines/db-01/report", report, false)).status).toBe(200);
    const one = await call("GET", "/api/v1/machines/db-01");
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ machine_id: "db-01", lifecycle: "active", tags: ["db"] });
    expect((await call("GET", "/api/v1/machines/nobody")).status).toBe(404);
  });
});

describe("§6 over HTTP", () => {
  test("create, list newest first, get, diff, delete", async () => {
    const first = await call("POST", "/api/v1/releases", {
      flake_ref: "github:example/fleet",
      entries: [
        { hostname: "web-01", store_path: GEN_A, platform: "x86_64-linux", tags: ["web"] },
        { hostname: "db-01", store_path: GEN_A, platform: "x86_64-linux" },
      ],
    });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.stringMatching(/^rel-[0-9a-f-]{36}$/), host_count: 2 });
    const second = await call("POST", "/api/v1/releases", {
      entries: [
        { hostname: "web-01", store_path: GEN_B, platform: "x86_64-linux" },
        { hostname: "web-02", store_path: GEN_B, platform: "x86_64-linux" },
      ],
    });
    expect(second.status).toBe(201);
    const a = first.body!.id as string;
    const b = second.body!.id as string;

    const list = (await call("GET", "/api/v1/releases?limit=0")).body as unknown as { id: string }[];
    expect(list.map((r) => r.id)).toEqual([b]);
    const all = (await call("GET", "/api/v1/releases")).body as unknown as { id: string }[];
    expect(all.map((r) => r.id)).toEqual([b, a]);
    const byHost = (await call("GET", "/api/v1/releases?host=db-01")).body as unknown as { id: string }[];
    expect(byHost.map((r) => r.id)).toEqual([a]);

    const got = await call("GET", `/api/v1/releases/${a}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: a,
      flake_ref: "github:example/fleet",
      created_by: "apikey:admin",
      host_count: 2,
    });

    expect(await call("GET", `/api/v1/releases/${a}/diff/${b}`)).toEqual({
      status: 200,
      body: {
        added: ["web-02"],
        removed: ["db-01"],
        changed: [{ hostname: "web-01", old_store_path: GEN_A, new_store_path: GEN_B }],
        unchanged: [],
      },
    });
    expect((await call("POST", "/api/v1/releases", { entries: [] })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/releases/${a}`)).status).toBe(204);
    expect((await call("GET", `/api/v1/releases/${a}`)).status).toBe(404);
    expect((await call("GET", `/api/v1/releases/${a}/diff/${b}`)).status).toBe(404);
  });
});

describe("§13 over HTTP", () => {
  test("a release whose hostname holds a lone surrogate is listed, got, diffed and rolled out; the process lives on", async () => {
    const created = await call("POST", "/api/v1/keys", { name: "ci", role: "deploy" });
    expect(created.status).toBe(201);
    const deployKey = created.body!.key as string;
    // The JSON text carries the escape \ud800, as a client's JSON encoder writes a lone surrogate.
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(new URL(path, server.url), {
        method,
        headers: { authorization: `Bearer ${deployKey}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const release = await send("POST", "/api/v1/releases", {
      entries: [{ hostname: "h\ud800", store_path: GEN_A, platform: "x86_64-linux" }],
    });
    expect(release.status).toBe(201);
    const other = await send("POST", "/api/v1/releases", {
      entries: [{ hostname: "h\udfff", store_path: GEN_B, platform: "x86_64-linux" }],
    });
    expect(other.status).toBe(201);
    const id = release.body.id as string;

    const listed = await send("GET", "/api/v1/releases");
    expect(listed.status).toBe(200);
    expect(
      (listed.body as unknown as { id: string; entries: { hostname: string }[] }[]).find((r) => r.id === id),
    ).toMatchObject({ entries: [{ hostname: "h\ufffd" }] });
    expect(await send("GET", `/api/v1/releases/${id}`)).toMatchObject({
      status: 200,
      body: { entries: [{ hostname: "h\ufffd" }] },
    });
    expect(await send("GET", `/api/v1/releases/${id}/diff/${other.body.id}`)).toMatchObject({
      status: 200,
      body: { changed: [{ hostname: "h\ufffd", old_store_path: GEN_A, new_store_path: GEN_B }] },
    });
    expect((await call("POST", `/api/v1/machines/${encodeURIComponent("h\ufffd")}/register`, {})).status).toBe(201);
    const rollout = await send("POST", "/api/v1/rollouts", {
      release_id: id,
      strategy: "all_at_once",
      target: { hosts: ["h\ud800"] },
    });
    expect(rollout).toMatchObject({ status: 201, body: { batches: [{ machine_ids: ["h\ufffd"] }] } });
    expect((await send("GET", `/api/v1/rollouts/${rollout.body.rollout_id}`)).status).toBe(200);

    expect(server.proc.exitCode).toBeNull();
    const health = await fetch(new URL("/health", server.url));
    expect(await health.text()).toBe("ok");
  });
});
