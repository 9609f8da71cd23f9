// SPEC §8, black box: every action with its actor, filters, order, limit, CSV export.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { recordAudit } from "../../src/db/audit.ts";
import { createHarness, type Harness } from "../support/harness.ts";

const RELEASE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-24.11";
const OLD_PATH = "/nix/store/1a2b3c4d5f6g7h8i9j0k1l2m3n4p5q6r-nixos-system-web-24.05";
const CSV_HEADER = "timestamp,actor,action,target,detail";

interface AuditEvent {
  id: number;
  timestamp: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}

let h: Harness;
let root: string;
let ci: string;
let viewer: string;

function call(method: string, path: string, key: string | undefined, json?: unknown): Promise<Response> {
  return h.request(path, { method, key, ...(json === undefined ? {} : { json }) });
}

async function ok(res: Promise<Response>, status: number): Promise<Record<string, unknown>> {
  const response = await res;
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** An agent report, healthy or failing, then lets the rollout executor react. */
async function report(machineId: string, generation: string, healthy: boolean) {
  h.advance(1000);
  const now = new Date(h.controlPlane.deps.now()).toISOString();
  await ok(
    call("POST", `/api/v1/machines/${encodeURIComponent(machineId)}/report`, undefined, {
      machine_id: machineId,
      current_generation: generation,
      success: healthy,
      message: healthy ? "switched" : "activation failed",
      timestamp: now,
      health: {
        results: [{ status: "pass", check_name: "http", duration_ms: 2 }],
        all_passed: true,
        timestamp: now,
      },
    }),
    200,
  );
  await h.controlPlane.deps.rolloutExecutor.idle();
}

async function rollout(releaseId: string, host: string, onFailure: "pause" | "revert"): Promise<string> {
  const created = await ok(
    call("POST", "/api/v1/rollouts", ci, {
      release_id: releaseId,
      strategy: "all_at_once",
      on_failure: onFailure,
      target: { hosts: [host] },
    }),
    201,
  );
  await h.controlPlane.deps.rolloutExecutor.idle();
  return created.rollout_id as string;
}

async function events(query = ""): Promise<AuditEvent[]> {
  const res = await call("GET", `/api/v1/audit${query}`, viewer);
  expect(res.status).toBe(200);
  return (await res.json()) as AuditEvent[];
}

let releaseId: string;
const rollouts = {} as Record<"completed" | "paused" | "failed", string>;

beforeAll(async () => {
  h = await createHarness();
  root = (await ok(call("POST", "/api/v1/keys/bootstrap", undefined, { name: "root" }), 200)).key as string;
  ci = (await ok(call("POST", "/api/v1/keys", root, { name: "ci", role: "deploy" }), 201)).key as string;
  viewer = (await ok(call("POST", "/api/v1/keys", root, { name: "viewer", role: "readonly" }), 201)).key as string;
  const doomed = await ok(call("POST", "/api/v1/keys", root, { name: "doomed", role: "readonly" }), 201);
  await ok(call("DELETE", `/api/v1/keys/${doomed.id}`, root), 204);

  for (const id of ["web-01", "web-02", "web-03"]) {
    await ok(call("POST", `/api/v1/machines/${id}/register`, root, { tags: ["web"] }), 201);
  }
  await ok(call("PATCH", "/api/v1/machines/web-02/lifecycle", root, { lifecycle: "maintenance" }), 200);
  await ok(call("PATCH", "/api/v1/machines/web-02/lifecycle", root, { lifecycle: "active" }), 200);
  await ok(call("PUT", "/api/v1/machines/web-02/tags", root, { tags: ["web", "eu"] }), 200);
  await ok(call("POST", "/api/v1/machines/web-03/notify-deploy", ci, { store_path: OLD_PATH }), 200);
  await ok(call("DELETE", "/api/v1/machines/web-03/desired-generation", root), 204);
  for (const id of ["web-01", "web-02", "web-03"]) await report(id, OLD_PATH, true);

  const entries = ["web-01", "web-02", "web-03"].map((hostname) => ({
    hostname,
    store_path: RELEASE_PATH,
    platform: "x86_64-linux",
  }));
  releaseId = (await ok(call("POST", "/api/v1/releases", ci, { entries }), 201)).id as string;
  const spare = await ok(call("POST", "/api/v1/releases", ci, { entries: entries.slice(0, 1) }), 201);
  await ok(call("DELETE", `/api/v1/releases/${spare.id}`, root), 204);

  // completed, then deleted
  rollouts.completed = await rollout(releaseId, "web-01", "pause");
  await report("web-01", RELEASE_PATH, true);
  await ok(call("DELETE", `/api/v1/rollouts/${rollouts.completed}`, root), 204);
  // paused, resumed, cancelled
  rollouts.paused = await rollout(releaseId, "web-02", "pause");
  await report("web-02", OLD_PATH, false);
  await ok(call("POST", `/api/v1/rollouts/${rollouts.paused}/resume`, ci), 200);
  await h.controlPlane.deps.rolloutExecutor.idle();
  await ok(call("POST", `/api/v1/rollouts/${rollouts.paused}/cancel`, ci), 200);
  // failed with revert
  rollouts.failed = await rollout(releaseId, "web-03", "revert");
  await report("web-03", OLD_PATH, false);
});
afterAll(() => h.close());

describe("GET /api/v1/audit", () => {
  test("every mutation is recorded under its action name", async () => {
    const all = await events("?limit=500");
    const actions = new Set(all.map((event) => event.action));
    for (const action of [
      "bootstrap",
      "register",
      "update_lifecycle",
      "notify_deploy",
      "clear_desired",
      "create_release",
      "delete_release",
      "rollout.created",
      "rollout.resumed",
      "rollout.cancelled",
      "rollout.deleted",
      "rollout.completed",
      "rollout.paused",
      "rollout.failed",
      "batch.deploying",
      "batch.succeeded",
      "batch.failed",
      "report",
      "key.created",
      "key.revoked",
      "tags.updated",
    ]) {
      expect(actions.has(action), action).toBe(true);
    }
  });

  test("each event has exactly id, timestamp, actor, action, target, detail", async () => {
    for (const event of await events()) {
      expect(Object.keys(event).sort()).toEqual(["action", "actor", "detail", "id", "target", "timestamp"]);
      expect(Number.isInteger(event.id)).toBe(true);
      expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(typeof event.target).toBe("string");
      expect(typeof event.detail).toBe("string");
    }
  });

  test("actors are spelled apikey:<name>, machine:<id>, executor and system:bootstrap", async () => {
    const all = await events("?limit=500");
    const actorOf = (action: string) => new Set(all.filter((e) => e.action === action).map((e) => e.actor));
    expect(actorOf("bootstrap")).toEqual(new Set(["system:bootstrap"]));
    expect(actorOf("key.created")).toEqual(new Set(["apikey:root"]));
    expect(actorOf("register")).toEqual(new Set(["apikey:root"]));
    expect(actorOf("notify_deploy")).toEqual(new Set(["apikey:ci"]));
    expect(actorOf("create_release")).toEqual(new Set(["apikey:ci"]));
    expect(actorOf("rollout.created")).toEqual(new Set(["apikey:ci"]));
    expect(actorOf("rollout.deleted")).toEqual(new Set(["apikey:root"]));
    expect(actorOf("report")).toEqual(new Set(["machine:web-01", "machine:web-02", "machine:web-03"]));
    for (const action of ["rollout.completed", "rollout.paused", "rollout.failed", "batch.succeeded", "batch.failed"]) {
      expect(actorOf(action)).toEqual(new Set(["executor"]));
    }
    const known = /^(apikey:.+|machine:.+|executor|system:bootstrap)$/;
    for (const event of all) expect(event.actor).toMatch(known);
  });

  test("targets: machines by id, rollouts and releases by their id", async () => {
    const all = await events("?limit=500");
    expect(all.find((e) => e.action === "update_lifecycle")!.target).toBe("web-02");
    expect(all.find((e) => e.action === "create_release" && e.target === releaseId)).toBeDefined();
    for (const id of Object.values(rollouts)) {
      expect(all.some((e) => e.action === "rollout.created" && e.target === id)).toBe(true);
    }
  });

  test("newest first", async () => {
    const all = await events("?limit=500");
    expect(all[0]!.action).toBe("rollout.failed");
    const last = all[all.length - 1]!;
    expect(last.action).toBe("bootstrap");
    for (let i = 1; i < all.length; i++) {
      expect(all[i - 1]!.id).toBeGreaterThan(all[i]!.id);
      expect(Date.parse(all[i - 1]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(all[i]!.timestamp));
    }
  });

  test("filters by actor, action and target, combined", async () => {
    const byActor = await events("?actor=apikey%3Aci");
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actor === "apikey:ci")).toBe(true);
    const byAction = await events("?action=register");
    expect(byAction.map((e) => e.target).sort()).toEqual(["web-01", "web-02", "web-03"]);
    const byTarget = await events("?target=web-02");
    expect(byTarget.length).toBeGreaterThan(2);
    expect(byTarget.every((e) => e.target === "web-02")).toBe(true);
    const combined = await events("?actor=apikey%3Aroot&action=update_lifecycle&target=web-02");
    expect(combined).toHaveLength(2);
    expect(await events("?actor=apikey%3Aci&action=register")).toEqual([]);
    const executor = await events("?actor=executor");
    expect(executor.length).toBeGreaterThan(0);
    expect(executor.every((e) => e.actor === "executor")).toBe(true);
  });

  test("limit defaults to 100 and is clamped to 1..500", async () => {
    const other = await createHarness();
    try {
      const key = (
        (await (await other.request("/api/v1/keys/bootstrap", { method: "POST" })).json()) as { key: string }
      ).key;
      await other.store.write((tx) =>
        recordAudit(
          tx,
          Date.parse("2026-11-27T09:00:00Z"),
          ...Array.from({ length: 520 }, (_, i) => ({
            actor: "apikey:admin",
            action: "register" as const,
            target: `m-${i}`,
            detail: "{}",
          })),
        ),
      );
      const lengthFor = async (query: string) => {
        const res = await other.request(`/api/v1/audit${query}`, { key });
        expect(res.status).toBe(200);
        return ((await res.json()) as unknown[]).length;
      };
      expect(await lengthFor("")).toBe(100);
      expect(await lengthFor("?limit=7")).toBe(7);
      expect(await lengthFor("?limit=0")).toBe(1);
      expect(await lengthFor("?limit=-20")).toBe(1);
      expect(await lengthFor("?limit=500")).toBe(500);
      expect(await lengthFor("?limit=501")).toBe(500);
      expect(await lengthFor("?limit=100000")).toBe(500);
      // The export has every matching row unless a limit is given.
      const csv = await (await other.request("/api/v1/audit/export", { key })).text();
      expect(csv.trimEnd().split("\n")).toHaveLength(1 + 521);
      const limited = await (await other.request("/api/v1/audit/export?limit=3", { key })).text();
      expect(limited.trimEnd().split("\n")).toHaveLength(1 + 3);
      const clamped = await (await other.request("/api/v1/audit/export?limit=100000", { key })).text();
      expect(clamped.trimEnd().split("\n")).toHaveLength(1 + 500);
    } finally {
      await other.close();
    }
  });

  test("a report is audited only when it changes something", async () => {
    const id = "heartbeat-01";
    const beat = async (overrides: Record<string, unknown> = {}) => {
      h.advance(1000);
      await ok(
        call("POST", `/api/v1/machines/${id}/report`, undefined, {
          machine_id: id,
          current_generation: OLD_PATH,
          success: true,
          message: "ok",
          timestamp: new Date(h.controlPlane.deps.now()).toISOString(),
          ...overrides,
        }),
        200,
      );
      return (await events(`?target=${id}&action=report`)).length;
    };
    expect(await beat()).toBe(1); // registration
    expect(await beat()).toBe(1); // unchanged heartbeat
    expect(await beat({ message: "still ok", uptime_seconds: 99 })).toBe(1);
    expect(await beat({ success: false })).toBe(2); // success flag flips
    expect(await beat({ success: true })).toBe(3);
    expect(await beat({ current_generation: RELEASE_PATH })).toBe(4); // new generation
    expect(await beat({ current_generation: RELEASE_PATH, tags: ["db"] })).toBe(5); // tags
    expect(await beat({ current_generation: RELEASE_PATH, tags: ["db"] })).toBe(5);
    for (const event of await events(`?target=${id}`)) expect(event.actor).toBe(`machine:${id}`);
  });

  test("every tag route records tags.updated against the machine", async () => {
    const before = (await events("?action=tags.updated&target=web-01")).length;
    await ok(call("POST", "/api/v1/machines/web-01/tags", root, { tags: ["blue"] }), 200);
    await ok(call("DELETE", "/api/v1/machines/web-01/tags/blue", root), 200);
    await ok(call("PUT", "/api/v1/machines/web-01/tags", root, { tags: ["web", "green"] }), 200);
    const after = await events("?action=tags.updated&target=web-01");
    expect(after).toHaveLength(before + 3);
    expect(after.every((event) => event.actor === "apikey:root")).toBe(true);
  });

  test("any role reads it; no key → 401", async () => {
    expect((await call("GET", "/api/v1/audit", viewer)).status).toBe(200);
    expect((await call("GET", "/api/v1/audit", ci)).status).toBe(200);
    expect((await call("GET", "/api/v1/audit", undefined)).status).toBe(401);
    expect((await call("GET", "/api/v1/audit/export", undefined)).status).toBe(401);
  });
});

/** RFC 4180 parsing: quoted fields with "" doubling may hold commas, quotes and newlines. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || (ch === "\r" && text[i + 1] === "\n")) {
      if (ch === "\r") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

describe("GET /api/v1/audit/export", () => {
  test("text/csv attachment audit.csv, exact header, one row per event, same order and fields as the JSON", async () => {
    const res = await call("GET", "/api/v1/audit/export", viewer);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/csv");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="audit.csv"');
    const text = await res.text();
    expect(text.split("\n")[0]).toBe(CSV_HEADER);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(["timestamp", "actor", "action", "target", "detail"]);
    const json = await events("?limit=500");
    expect(rows).toEqual(json.map((e) => [e.timestamp, e.actor, e.action, e.target, e.detail]));
  });

  test("takes the same filters", async () => {
    const res = await call("GET", "/api/v1/audit/export?actor=apikey%3Aroot&action=update_lifecycle", viewer);
    const [, ...rows] = parseCsv(await res.text());
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row[1] === "apikey:root" && row[2] === "update_lifecycle" && row[3] === "web-02")).toBe(
      true,
    );
    const none = await call("GET", "/api/v1/audit/export?target=nothing-at-all", viewer);
    expect(await none.text()).toBe(`${CSV_HEADER}\n`);
  });

  test('fields with , " or newlines are quoted with "" doubling; formula triggers get a leading \'', async () => {
    const ids = ['comma,quote"d', "=SUM(A1:A9)", "+cmd", "-2+3", "@import", "safe=1"];
    for (const id of ids) {
      await ok(call("POST", `/api/v1/machines/${encodeURIComponent(id)}/register`, root, {}), 201);
    }
    // Ids with control characters are refused since SPEC §13, but a database written by an
    // earlier version may still hold events about them.
    const now = h.controlPlane.deps.now();
    await h.store.write((tx) =>
      recordAudit(
        tx,
        now,
        ...["new\nline", "\tTAB", "\rCR"].map((target) => ({
          actor: "apikey:admin",
          action: "register" as const,
          target,
          detail: {},
        })),
      ),
    );
    const text = await (await call("GET", "/api/v1/audit/export?action=register", viewer)).text();
    // Raw form of the quoting rule.
    expect(text).toContain(',"comma,quote""d",');
    expect(text).toContain(',"new\nline",');
    expect(text).toContain(",'=SUM(A1:A9),");
    expect(text).toContain(",'+cmd,");
    expect(text).toContain(",'-2+3,");
    expect(text).toContain(",'@import,");
    expect(text).toContain(",safe=1,");
    expect(text).toContain(`,"'\rCR",`);
    const targets = parseCsv(text)
      .slice(1)
      .map((row) => {
        expect(row).toHaveLength(5);
        return row[3];
      });
    expect(targets).toEqual(
      expect.arrayContaining([
        'comma,quote"d',
        "new\nline",
        "'=SUM(A1:A9)",
        "'+cmd",
        "'-2+3",
        "'@import",
        "'\tTAB",
        "'\rCR",
        "safe=1",
      ]),
    );
    // No field of any row starts with a formula trigger.
    for (const row of parseCsv(text)) for (const field of row) expect(field).not.toMatch(/^[=+\-@\t\r]/);
  });
});
