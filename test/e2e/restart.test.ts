import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { openStore } from "../../src/db/database.ts";
import { generateRawKey, hashKey } from "../../src/db/keys.ts";
import { apiKeys, reports as reportsTable } from "../../src/db/schema.ts";

const repoRoot = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "nixfleet-restart-"));
const dbPath = join(dir, "state.db");
const running: Subprocess[] = [];

afterAll(() => {
  for (const proc of running) proc.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the real server on a free port and resolves with its URL, read from the JSON `listening` log line. */
async function startServer(): Promise<{ url: string; proc: Subprocess }> {
  const proc = Bun.spawn(["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", dbPath], {
    cwd: repoRoot,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  running.push(proc);
  const decoder = new TextDecoder();
  let buffered = "";
  const deadline = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  try {
    for await (const chunk of proc.stderr) {
      buffered += decoder.decode(chunk, { stream: true });
      for (const line of buffered.split("\n").slice(0, -1)) {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === "listening" && entry.url) return { url: entry.url, proc };
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    }
  } finally {
    clearTimeout(deadline);
  }
  throw new Error(`server exited before listening: ${buffered}`);
}

const STORE_PATH = "/nix/store/44444444444444444444444444444444-nixos-system-web-02";

test("acknowledged writes survive SIGKILL and a restart on the same file", async () => {
  const key = generateRawKey();
  const store = await openStore(dbPath);
  await store.write((tx) =>
    tx
      .insert(apiKeys)
      .values({ id: "key-e2e", name: "e2e", role: "admin", keyHash: hashKey(key), createdAt: Date.now() }),
  );
  store.close();

  const first = await startServer();
  const call = (base: string, path: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(`${base}${path}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
  const odd = 'rack 7/"b"';
  const oddPath = `/api/v1/machines/${encodeURIComponent(odd)}`;

  expect(
    (await call(first.url, "/api/v1/machines/web-01/register", { json: { lifecycle: "pending", tags: ["web"] } }))
      .status,
  ).toBe(201);
  expect(
    (
      await call(first.url, "/api/v1/machines/web-01/lifecycle", {
        method: "PATCH",
        json: { lifecycle: "provisioning" },
      })
    ).status,
  ).toBe(200);
  const reports = [];
  for (let i = 0; i < 20; i++) {
    reports.push(
      call(first.url, "/api/v1/machines/web-02/report", {
        json: {
          machine_id: "web-02",
          current_generation: STORE_PATH,
          success: true,
          message: `report ${i}`,
          timestamp: "2026-11-27T10:00:00Z",
          tags: ["db"],
          health: { results: [{ status: "pass", check_name: "pg", duration_ms: 3 }], all_passed: true, timestamp: "t" },
          agent_version: "0.1.0",
          uptime_seconds: 60,
        },
      }),
    );
  }
  expect((await Promise.all(reports)).map((r) => r.status)).toEqual(Array(20).fill(200));
  expect((await call(first.url, `${oddPath}/register`, { json: {} })).status).toBe(201);
  expect(
    (await call(first.url, "/api/v1/machines/web-02/notify-deploy", { json: { store_path: STORE_PATH } })).status,
  ).toBe(200);
  expect((await call(first.url, `${oddPath}/notify-deploy`, { json: { store_path: STORE_PATH } })).status).toBe(200);
  const before = (await (await call(first.url, "/api/v1/machines")).json()) as Record<string, unknown>[];

  first.proc.kill("SIGKILL");
  await first.proc.exited;

  const second = await startServer();
  const after = (await (await call(second.url, "/api/v1/machines")).json()) as Record<string, unknown>[];
  const stable = (list: Record<string, unknown>[]) => list.map(({ seconds_since_last_report: _, ...rest }) => rest);
  expect(stable(after)).toEqual(stable(before));
  expect(after.map((m) => [m.machine_id, m.lifecycle, m.tags])).toEqual([
    [odd, "active", []],
    ["web-01", "provisioning", ["web"]],
    ["web-02", "active", ["db"]],
  ]);

  const detail = (await (await call(second.url, "/api/v1/machines/web-02")).json()) as { recent_reports: unknown[] };
  expect(detail.recent_reports).toHaveLength(10);
  for (const path of ["/api/v1/machines/web-02", oddPath]) {
    const poll = await fetch(`${second.url}${path}/desired-generation`);
    expect(poll.status).toBe(200);
    expect(await poll.json()).toEqual({ hash: STORE_PATH, cache_url: null, poll_hint: null });
  }
  const audit = await call(second.url, "/api/v1/audit?action=notify_deploy");
  expect(((await audit.json()) as { target: string }[]).map((e) => e.target).sort()).toEqual([odd, "web-02"]);
  const metrics = await (await fetch(`${second.url}/metrics`)).text();
  expect(metrics).toContain("nixfleet_fleet_size 3");

  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
  const reopened = await openStore(dbPath);
  expect(await reopened.db.select().from(reportsTable)).toHaveLength(20);
  reopened.close();
}, 30_000);
