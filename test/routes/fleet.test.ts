import { afterAll, beforeAll, expect, test } from "bun:test";
import { FleetSummary } from "../../src/routes/fleet.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath, report } from "../support/machines.ts";

let h: Harness;
let admin: string;
let readonly: string;

const OTHER_PATH = "/nix/store/11111111111111111111111111111111-nixos-system-b";

beforeAll(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
  readonly = await createTestKey(h, "readonly");
  // ok-1, ok-2: healthy; err-1: failed switch; err-2: failed health check; quiet: reported long ago;
  // new-1: registered, never reported (unknown); gone: decommissioned after failing.
  for (const id of ["ok-1", "ok-2"]) expect((await report(h, id)).status).toBe(200);
  expect((await report(h, "err-1", { success: false })).status).toBe(200);
  const failedHealth = {
    results: [{ status: "fail", check_name: "nginx", duration_ms: 3, message: "down" }],
    all_passed: false,
    timestamp: "2026-11-27T10:00:00Z",
  };
  expect((await report(h, "err-2", { health: failedHealth })).status).toBe(200);
  expect((await report(h, "gone", { success: false })).status).toBe(200);
  h.advance(-3600_000);
  expect((await report(h, "quiet")).status).toBe(200);
  h.advance(3600_000);
  const register = (id: string, lifecycle: string) =>
    h.request(machinePath(id, "/register"), { key: admin, json: { lifecycle } });
  expect((await register("new-1", "pending")).status).toBe(201);
  expect((await register("gone", "decommissioned")).status).toBe(201);
  // ok-2 is told to run another generation than it reports: behind. So is gone, but it is decommissioned.
  for (const id of ["ok-2", "gone"]) {
    const notified = await h.request(machinePath(id, "/notify-deploy"), {
      key: admin,
      json: { store_path: OTHER_PATH },
    });
    expect(notified.status).toBe(200);
  }
});
afterAll(() => h.close());

async function summary(query = "") {
  const res = await h.request(`/api/v1/fleet/summary${query}`, { key: readonly });
  expect(res.status).toBe(200);
  return FleetSummary.parse(await res.json());
}

test("the summary counts machines by lifecycle and system state, stale agents and machines behind", async () => {
  const body = await summary();
  expect(body.machines).toBe(7);
  expect(body.by_lifecycle).toEqual({ pending: 1, provisioning: 0, active: 5, maintenance: 0, decommissioned: 1 });
  expect(body.by_system_state).toEqual({ ok: 3, error: 3, unknown: 1 });
  expect(body.by_lifecycle_and_state.active).toEqual({ ok: 3, error: 2, unknown: 0 });
  expect(body.by_lifecycle_and_state.decommissioned).toEqual({ ok: 0, error: 1, unknown: 0 });
  expect(body.stale).toBe(1);
  expect(body.stale_after_seconds).toBe(600);
  expect(body.behind_desired).toBe(1);
  expect(body.rollouts.active).toBe(0);
  expect(body.generated_at).toBe("2026-11-27T10:00:00.000Z");
});

test("stale_after moves the line between quiet and stale agents; a malformed one is a 400", async () => {
  expect((await summary("?stale_after=7200")).stale).toBe(0);
  expect((await summary("?stale_after=0")).stale_after_seconds).toBe(1);
  const bad = await h.request("/api/v1/fleet/summary?stale_after=soon", { key: readonly });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toContain("stale_after");
});

test("the summary's system states agree with the machine list's, machine by machine", async () => {
  const res = await h.request("/api/v1/machines", { key: readonly });
  const machines = (await res.json()) as { system_state: "ok" | "error" | "unknown" }[];
  const counted = { ok: 0, error: 0, unknown: 0 };
  for (const m of machines) counted[m.system_state] += 1;
  expect((await summary()).by_system_state).toEqual(counted);
});

test("the machine list filters by lifecycle and system state, each repeatable, with tags and paging", async () => {
  const ids = async (query: string) => {
    const res = await h.request(`/api/v1/machines${query}`, { key: readonly });
    expect(res.status).toBe(200);
    return ((await res.json()) as { machine_id: string }[]).map((m) => m.machine_id);
  };
  expect(await ids("?state=error")).toEqual(["err-1", "err-2", "gone"]);
  expect(await ids("?state=error&lifecycle=active")).toEqual(["err-1", "err-2"]);
  expect(await ids("?lifecycle=pending&lifecycle=decommissioned")).toEqual(["gone", "new-1"]);
  expect(await ids("?state=unknown&state=ok")).toEqual(["new-1", "ok-1", "ok-2", "quiet"]);
  const first = await h.request("/api/v1/machines?state=ok&limit=2", { key: readonly });
  expect(((await first.json()) as { machine_id: string }[]).map((m) => m.machine_id)).toEqual(["ok-1", "ok-2"]);
  const cursor = first.headers.get("x-next-cursor");
  expect(await ids(`?state=ok&limit=2&cursor=${cursor}`)).toEqual(["quiet"]);
  const bad = await h.request("/api/v1/machines?state=fine", { key: readonly });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toContain("state");
});

test("the summary needs an API key", async () => {
  expect((await h.request("/api/v1/fleet/summary")).status).toBe(401);
});
