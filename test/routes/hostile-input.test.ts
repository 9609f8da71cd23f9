// SPEC §13, text at the boundary and reports (issue 14, items 1, 2, 9 and 10): every string of a
// request is well-formed Unicode before anything compares, de-duplicates or stores it; an
// identifier holding a control character is a 400 naming the field; agent free text is never
// refused for what it holds, and a report never for the size of its health results.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { healthReports, machines, releases, reports, rollouts } from "../../src/db/schema.ts";
import { DatabaseUnavailableError } from "../../src/db/unavailable.ts";
import { truncationMarker } from "../../src/domain/text.ts";
import { createLogger } from "../../src/logger.ts";
import { HEALTH_TEXT_CAP } from "../../src/routes/machines.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath, report } from "../support/machines.ts";

const HASH_A = "0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9";
const HASH_B = "1b9p07z77phvv2hf6gm9f28syp39f1ag";
const storePath = (hash: string) => `/nix/store/${hash}-nixos-system-host-24.11`;
const entry = (hostname: string, hash = HASH_A) => ({
  hostname,
  store_path: storePath(hash),
  platform: "x86_64-linux",
});

let h: Harness;
let admin: string;
let deploy: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin", { name: "root" });
  deploy = await createTestKey(h, "deploy", { name: "ci" });
});
afterEach(() => h.close());

async function json<T = Record<string, any>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  return JSON.parse(text) as T;
}

describe("lone surrogates become U+FFFD before anything reads them", () => {
  test("a release whose hostname holds one is listed, got, diffed and rolled out (item 1)", async () => {
    const created = await json(
      await h.request("/api/v1/releases", { key: deploy, json: { entries: [entry("h\ud800"), entry("web-01")] } }),
      201,
    );
    const next = await json(
      await h.request("/api/v1/releases", { key: deploy, json: { entries: [entry("h\udfff", HASH_B)] } }),
      201,
    );
    const listed = await json<{ entries: { hostname: string }[] }[]>(
      await h.request("/api/v1/releases", { key: deploy }),
      200,
    );
    expect(listed.flatMap((r) => r.entries.map((e) => e.hostname)).sort()).toEqual(["h\ufffd", "h\ufffd", "web-01"]);
    const one = await json(await h.request(`/api/v1/releases/${created.id}`, { key: deploy }), 200);
    expect(one.entries.map((e: { hostname: string }) => e.hostname)).toEqual(["h\ufffd", "web-01"]);
    const byHost = await json<unknown[]>(
      await h.request(`/api/v1/releases?host=${encodeURIComponent("h\ufffd")}`, { key: deploy }),
      200,
    );
    expect(byHost).toHaveLength(2);
    const diff = await json(await h.request(`/api/v1/releases/${created.id}/diff/${next.id}`, { key: deploy }), 200);
    expect(diff).toEqual({
      added: [],
      removed: ["web-01"],
      changed: [{ hostname: "h\ufffd", old_store_path: storePath(HASH_A), new_store_path: storePath(HASH_B) }],
      unchanged: [],
    });

    await json(await h.request(machinePath("h\ufffd", "/register"), { key: admin, json: {} }), 201);
    const rollout = await json(
      await h.request("/api/v1/rollouts", {
        key: deploy,
        json: { release_id: created.id, strategy: "all_at_once", target: { hosts: ["h\udbff"] } },
      }),
      201,
    );
    expect(rollout.batches[0].machine_ids).toEqual(["h\ufffd"]);
    const detail = await json(await h.request(`/api/v1/rollouts/${rollout.rollout_id}`, { key: deploy }), 200);
    expect(detail.batches[0].machine_ids).toEqual(["h\ufffd"]);
    await h.controlPlane.deps.rolloutExecutor.tick();
    const poll = await json(await h.request(machinePath("h\ufffd", "/desired-generation")), 200);
    expect(poll.hash).toBe(storePath(HASH_A));
    expect(await (await h.request("/health")).text()).toBe("ok");
  });

  test("hostnames that differ only in their lone surrogates are duplicates", async () => {
    const res = await h.request("/api/v1/releases", {
      key: deploy,
      json: { entries: [entry("h\ud800"), entry("h\udc01")] },
    });
    expect(await json(res, 400)).toEqual({ error: 'entries.1.hostname: duplicate hostname "h\ufffd"' });
    expect(await h.store.db.$count(releases)).toBe(0);
  });

  test("a report with tags [\\ud800, \\udc00] is stored, and so is every report sent with it (item 2)", async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        report(h, `m-${i}`, i === 7 ? { tags: ["\ud800", "\udc00"] } : { tags: ["web"] }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(40).fill(200));
    expect(await h.store.db.$count(reports)).toBe(40);
    const odd = await json(await h.request(machinePath("m-7"), { key: admin }), 200);
    expect(odd.tags).toEqual(["\ufffd"]);
  });

  test("object keys and nested strings are made well-formed too", async () => {
    const res = await h.request(machinePath("w", "/report"), {
      json: {
        machine_id: "w",
        current_generation: "g\udfff",
        success: false,
        message: "",
        timestamp: "2026-11-27T10:00:00Z",
        "\ud800unknown": "\udc00",
        health: {
          results: [{ status: "fail", check_name: "c\udbff", duration_ms: 1, message: "m\ud800" }],
          all_passed: false,
          timestamp: "2026-11-27T10:00:00Z",
        },
      },
    });
    expect(res.status).toBe(200);
    const machine = await json(await h.request(machinePath("w"), { key: admin }), 200);
    expect(machine.current_generation).toBe("g\ufffd");
    expect(machine.latest_health_report.results).toEqual([
      { status: "fail", check_name: "c\ufffd", duration_ms: 1, message: "m\ufffd" },
    ]);
  });

  test("path and query values are decoded without lone surrogates", async () => {
    // %ED%A0%80 is a surrogate in (invalid) UTF-8: decodeURIComponent refuses it, so the id stays as sent.
    await json(await h.request("/api/v1/machines/%ED%A0%80x/register", { key: admin, json: {} }), 201);
    const listed = await json<{ machine_id: string }[]>(await h.request("/api/v1/machines", { key: admin }), 200);
    expect(listed.map((m) => m.machine_id)).toEqual(["%ED%A0%80x"]);
    await json(await h.request("/api/v1/releases?host=%ED%A0%80", { key: admin }), 200);
  });
});

describe("an identifier with NUL or another C0 control character is a 400 naming the field", () => {
  const enc = encodeURIComponent;
  const reportOf = (machineId: string, extra: Record<string, unknown> = {}) => ({
    machine_id: machineId,
    current_generation: storePath(HASH_A),
    success: true,
    message: "",
    timestamp: "2026-11-27T10:00:00Z",
    ...extra,
  });
  const rolloutOf = (extra: Record<string, unknown>) => ({
    release_id: "rel-x",
    strategy: "all_at_once",
    target: { hosts: ["web-01"] },
    ...extra,
  });
  type Case = [string, string, string, "admin" | "deploy" | null, ((bad: string) => unknown) | undefined];
  const cases = (bad: string): Case[] => [
    ["id", "POST", `/api/v1/machines/${enc(bad)}/register`, "admin", () => ({})],
    ["id", "GET", `/api/v1/machines/${enc(bad)}/desired-generation`, null, undefined],
    ["id", "POST", `/api/v1/machines/${enc(bad)}/report`, null, () => reportOf(bad)],
    ["id", "GET", `/api/v1/machines/${enc(bad)}`, "admin", undefined],
    ["id", "PATCH", `/api/v1/machines/${enc(bad)}/lifecycle`, "admin", () => ({ lifecycle: "active" })],
    ["id", "POST", `/api/v1/machines/${enc(bad)}/notify-deploy`, "admin", () => ({ store_path: storePath(HASH_A) })],
    ["machine_id", "POST", "/api/v1/machines/web-01/report", null, () => reportOf(bad)],
    ["tags.1", "POST", "/api/v1/machines/web-01/report", null, () => reportOf("web-01", { tags: ["web", bad] })],
    ["tags.0", "POST", "/api/v1/machines/web-01/register", "admin", () => ({ tags: [bad] })],
    ["tags.0", "PUT", "/api/v1/machines/web-01/tags", "admin", () => ({ tags: [bad] })],
    ["tag", "DELETE", `/api/v1/machines/web-01/tags/${enc(bad)}`, "admin", undefined],
    ["tag", "GET", `/api/v1/machines?tag=web&tag=${enc(bad)}`, "admin", undefined],
    ["store_path", "POST", "/api/v1/machines/web-01/notify-deploy", "admin", () => ({ store_path: bad })],
    ["entries.0.hostname", "POST", "/api/v1/releases", "deploy", () => ({ entries: [entry(bad)] })],
    [
      "entries.0.platform",
      "POST",
      "/api/v1/releases",
      "deploy",
      () => ({ entries: [{ ...entry("web-01"), platform: bad }] }),
    ],
    [
      "entries.0.tags.0",
      "POST",
      "/api/v1/releases",
      "deploy",
      () => ({ entries: [{ ...entry("web-01"), tags: [bad] }] }),
    ],
    ["flake_ref", "POST", "/api/v1/releases", "deploy", () => ({ flake_ref: bad, entries: [entry("web-01")] })],
    ["flake_rev", "POST", "/api/v1/releases", "deploy", () => ({ flake_rev: bad, entries: [entry("web-01")] })],
    ["cache_url", "POST", "/api/v1/releases", "deploy", () => ({ cache_url: bad, entries: [entry("web-01")] })],
    ["host", "GET", `/api/v1/releases?host=${enc(bad)}`, "deploy", undefined],
    ["id", "GET", `/api/v1/releases/${enc(bad)}`, "deploy", undefined],
    ["b", "GET", `/api/v1/releases/rel-x/diff/${enc(bad)}`, "deploy", undefined],
    ["id", "DELETE", `/api/v1/releases/${enc(bad)}`, "admin", undefined],
    ["release_id", "POST", "/api/v1/rollouts", "deploy", () => rolloutOf({ release_id: bad })],
    ["target.hosts.1", "POST", "/api/v1/rollouts", "deploy", () => rolloutOf({ target: { hosts: ["a", bad] } })],
    ["target.tags.0", "POST", "/api/v1/rollouts", "deploy", () => rolloutOf({ target: { tags: [bad] } })],
    ["cache_url", "POST", "/api/v1/rollouts", "deploy", () => rolloutOf({ cache_url: bad })],
    ["id", "GET", `/api/v1/rollouts/${enc(bad)}`, "deploy", undefined],
    ["id", "POST", `/api/v1/rollouts/${enc(bad)}/cancel`, "deploy", undefined],
    ["id", "DELETE", `/api/v1/keys/${enc(bad)}`, "admin", undefined],
    ["name", "POST", "/api/v1/keys", "admin", () => ({ name: bad, role: "deploy" })],
    ["name", "POST", "/api/v1/keys/bootstrap", null, () => ({ name: bad })],
  ];

  test.each(["a\0b", "a\nb", "\tab", "ab\u001f", "a\rb"])("holding %p", async (bad) => {
    const before = await Promise.all([h.store.db.$count(machines), h.store.db.$count(releases)]);
    const failures: string[] = [];
    for (const [field, method, path, role, body] of cases(bad)) {
      const res = await h.request(path, {
        method,
        key: role === "admin" ? admin : role === "deploy" ? deploy : undefined,
        json: body?.(bad),
      });
      const text = await res.text();
      const error = res.status === 400 ? (JSON.parse(text) as { error: string }).error : "";
      // Path and query fields name themselves first; body fields as `path.to.field: …`.
      if (res.status !== 400 || !(error.startsWith(`${field}:`) || error.startsWith(`${field} `))) {
        failures.push(`${method} ${path} → ${res.status} ${text}, expected 400 naming ${field}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await Promise.all([h.store.db.$count(machines), h.store.db.$count(releases)])).toEqual(before);
    expect(await h.store.db.$count(rollouts)).toBe(0);
  });
});

describe("agent free text is never refused for its content (item 9)", () => {
  test("NUL is stored as U+FFFD and read back whole; other control characters as sent", async () => {
    const res = await report(h, "web-01", {
      message: "web\0evil\nsecond line\ttab",
      current_generation: "/nix/store/x\0y",
      agent_version: "0.1\0-dev",
      success: false,
      health: {
        results: [
          { status: "pass", check_name: "p\0ing", duration_ms: 1 },
          { status: "fail", check_name: "c\0url", duration_ms: 2, message: "std\0err\r\n" },
        ],
        all_passed: false,
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    expect(res.status).toBe(200);
    const machine = await json(await h.request(machinePath("web-01"), { key: admin }), 200);
    expect(machine.recent_reports[0].message).toBe("web\ufffdevil\nsecond line\ttab");
    expect(machine.current_generation).toBe("/nix/store/x\ufffdy");
    expect(machine.agent_version).toBe("0.1\ufffd-dev");
    expect(machine.latest_health_report.results).toEqual([
      { status: "pass", check_name: "p\ufffding", duration_ms: 1 },
      { status: "fail", check_name: "c\ufffdurl", duration_ms: 2, message: "std\ufffderr\r\n" },
    ]);
  });
});

describe("a report is never refused for the size of its health results (item 10)", () => {
  const fail = (check_name: string, message: string) => ({
    health: {
      results: [{ status: "fail", check_name, duration_ms: 5, message }],
      all_passed: false,
      timestamp: "2026-11-27T10:00:00Z",
    },
  });
  const storedResults = async (machineId: string) =>
    (await json(await h.request(machinePath(machineId), { key: admin }), 200)).latest_health_report.results;

  test("a 5 000-character message and a 300-character check name are stored as sent", async () => {
    const url = `https://example.com/${"p".repeat(280)}`;
    const stderr = "e".repeat(5000);
    expect((await report(h, "web-01", fail(url, stderr))).status).toBe(200);
    expect(await storedResults("web-01")).toEqual([
      { status: "fail", check_name: url, duration_ms: 5, message: stderr },
    ]);
  });

  test("text over the cap keeps its head and tail around a marker saying how much was cut", async () => {
    const stderr = `${"h".repeat(10_000)}${"m".repeat(80_000)}${"t".repeat(10_000)}`;
    const name = `${"a".repeat(9000)}${"b".repeat(9000)}`;
    expect((await report(h, "web-01", fail(name, stderr))).status).toBe(200);
    const [stored] = await storedResults("web-01");
    const half = HEALTH_TEXT_CAP / 2;
    expect(stored.message).toBe(`${"h".repeat(half)}${truncationMarker(100_000 - HEALTH_TEXT_CAP)}${"t".repeat(half)}`);
    expect(stored.message).toContain("[… 83616 characters cut …]");
    expect(stored.check_name).toBe(
      `${"a".repeat(half)}${truncationMarker(18_000 - HEALTH_TEXT_CAP)}${"b".repeat(half)}`,
    );
    const [row] = await h.store.db.select().from(healthReports);
    expect(row!.results.length).toBeLessThan(2 * HEALTH_TEXT_CAP + 200);
  });

  test("any number of results and a long agent_version are accepted; agent_version is stored capped", async () => {
    const results = Array.from({ length: 1500 }, (_, i) => ({ status: "pass", check_name: `c${i}`, duration_ms: 1 }));
    const version = `0.1.0-${"x".repeat(300)}`;
    const res = await report(h, "web-01", {
      agent_version: version,
      health: { results, all_passed: true, timestamp: "2026-11-27T10:00:00Z" },
    });
    expect(res.status).toBe(200);
    const machine = await json(await h.request(machinePath("web-01"), { key: admin }), 200);
    expect(machine.latest_health_report.results).toHaveLength(1500);
    expect(machine.agent_version).toBe(
      `${version.slice(0, 64)}${truncationMarker(version.length - 128)}${"x".repeat(64)}`,
    );
  });

  test.each([
    [{ message: "m".repeat(4097) }, "message"],
    [{ current_generation: "g".repeat(513) }, "current_generation"],
  ])("the v0.1 limits of the report itself stay: %#", async (fields, field) => {
    const res = await report(h, "web-01", fields);
    expect((await json<{ error: string }>(res, 400)).error).toStartWith(`${field}`);
  });
});

describe("one bad report fails alone", () => {
  /** Makes every report transaction whose statements name `machineId` fail, as a report the database refuses would. */
  function poison(machineId: string): () => number {
    const dialect = new SQLiteAsyncDialect();
    const writeStatements = h.store.writeStatements.bind(h.store);
    let transactions = 0;
    h.store.writeStatements = (fn) => {
      transactions++;
      return writeStatements((session) =>
        fn({
          run: async (statement) => {
            const { params } = dialect.sqlToQuery(statement);
            if (params.some((p) => typeof p === "string" && p.includes(`"${machineId}"`))) {
              throw new Error("SQLITE_CONSTRAINT: poisoned report");
            }
            await session.run(statement);
          },
          values: session.values,
          recordAudit: session.recordAudit,
        }),
      );
    };
    return () => transactions;
  }

  test("a poison report among 40 concurrent ones gets its error; the other 39 get 200 and are stored", async () => {
    const transactions = poison("poison");
    const ids = Array.from({ length: 40 }, (_, i) => (i === 23 ? "poison" : `web-${i}`));
    const answers = await Promise.all(ids.map((id) => report(h, id)));
    const statuses = Object.fromEntries(ids.map((id, i) => [id, answers[i]!.status]));
    expect(statuses).toEqual(Object.fromEntries(ids.map((id) => [id, id === "poison" ? 500 : 200])));
    expect(await answers[23]!.json()).toEqual({ error: "internal server error" });
    const stored = await h.store.db.select({ machineId: reports.machineId }).from(reports);
    expect(stored.map((r) => r.machineId).sort()).toEqual(ids.filter((id) => id !== "poison").sort());
    expect(h.controlPlane.deps.fleet.fleetSize).toBe(39);
    // Halving, not one transaction per report.
    expect(transactions()).toBeLessThan(40);
  });

  test("a database that cannot take writes fails the whole batch with 503, without retrying each report", async () => {
    let transactions = 0;
    h.store.writeStatements = async () => {
      transactions++;
      throw new DatabaseUnavailableError("database locked", "SQLITE_BUSY");
    };
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => report(h, `web-${i}`)));
    for (const res of answers) {
      expect(await json(res, 503)).toEqual({ error: "database locked" });
      expect(res.headers.get("retry-after")).not.toBeNull();
    }
    // One attempt per batch that the requests formed, never one per report.
    expect(transactions).toBeLessThan(40);
    expect(await h.store.db.$count(reports)).toBe(0);
  });
});

test("every log line stays one JSON object of well-formed strings, whatever the requests held", async () => {
  const lines: string[] = [];
  const logged = await createHarness({ logger: createLogger({ level: "debug", write: (line) => lines.push(line) }) });
  try {
    const key = await createTestKey(logged, "admin");
    for (const path of ["/api/v1/machines/a%0Ab/register", "/api/v1/machines/%ED%A0%80%0D/register", "/x%0A%00y"]) {
      await logged.request(path, { key, json: {} });
    }
    await logged.request(machinePath("h\ufffd", "/report"), {
      json: {
        machine_id: "h\ud800",
        current_generation: "g\0\n",
        success: true,
        message: "m\udc00",
        timestamp: "2026-11-27T10:00:00Z",
      },
    });
    await logged.request("/api/v1/releases", { key, json: { entries: [entry("h\udbff\n")] } });
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
      const fields = JSON.parse(line) as Record<string, unknown>;
      for (const value of Object.values(fields)) if (typeof value === "string") expect(value.isWellFormed()).toBe(true);
    }
  } finally {
    await logged.close();
  }
});
