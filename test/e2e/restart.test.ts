import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { openStore } from "../../src/db/database.ts";
import { generateRawKey, hashKey } from "../../src/db/keys.ts";
import { apiKeys, reports as reportsTable } from "../../src/db/schema.ts";
import { createFleetClient, ok } from "../../src/client/index.ts";

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
  const admin = createFleetClient({ baseUrl: first.url, apiKey: key });
  const agent = createFleetClient({ baseUrl: first.url });
  const odd = 'rack 7/"b"';
  const byId = (id: string) => ({ params: { path: { id } } });

  const registered = await admin.POST("/api/v1/machines/{id}/register", {
    ...byId("web-01"),
    body: { lifecycle: "pending", tags: ["web"] },
  });
  expect(registered.response.status).toBe(201);
  const moved = await admin.PATCH("/api/v1/machines/{id}/lifecycle", {
    ...byId("web-01"),
    body: { lifecycle: "provisioning" },
  });
  expect(moved.response.status).toBe(200);
  const reports = [];
  for (let i = 0; i < 20; i++) {
    reports.push(
      agent.POST("/api/v1/machines/{id}/report", {
        ...byId("web-02"),
        body: {
          machine_id: "web-02",
          current_generation: STORE_PATH,
          success: true,
          message: `report ${i}`,
          timestamp: "2026-11-27T10:00:00Z",
          tags: ["db"],
          health: {
            results: [{ status: "pass", check_name: "pg", duration_ms: 3 }],
            all_passed: true,
            timestamp: "2026-11-27T10:00:00Z",
          },
          agent_version: "0.1.0",
          uptime_seconds: 60,
        },
      }),
    );
  }
  expect((await Promise.all(reports)).map((r) => r.response.status)).toEqual(Array(20).fill(200));
  expect((await admin.POST("/api/v1/machines/{id}/register", { ...byId(odd), body: {} })).response.status).toBe(201);
  const notify = (id: string) =>
    admin.POST("/api/v1/machines/{id}/notify-deploy", { ...byId(id), body: { store_path: STORE_PATH } });
  expect((await notify("web-02")).response.status).toBe(200);
  expect((await notify(odd)).response.status).toBe(200);
  const before = await ok(admin.GET("/api/v1/machines"));

  first.proc.kill("SIGKILL");
  await first.proc.exited;

  const second = await startServer();
  const adminAfter = createFleetClient({ baseUrl: second.url, apiKey: key });
  const agentAfter = createFleetClient({ baseUrl: second.url });
  const after = await ok(adminAfter.GET("/api/v1/machines"));
  const stable = (list: typeof after) => list.map(({ seconds_since_last_report: _, ...rest }) => rest);
  expect(stable(after)).toEqual(stable(before));
  expect(after.map((m) => [m.machine_id, m.lifecycle, m.tags])).toEqual([
    [odd, "active", []],
    ["web-01", "provisioning", ["web"]],
    ["web-02", "active", ["db"]],
  ]);

  const detail = await ok(adminAfter.GET("/api/v1/machines/{id}", byId("web-02")));
  expect(detail.recent_reports).toHaveLength(10);
  for (const id of ["web-02", odd]) {
    const poll = await agentAfter.GET("/api/v1/machines/{id}/desired-generation", byId(id));
    expect(poll.response.status).toBe(200);
    expect(poll.data).toEqual({ hash: STORE_PATH, cache_url: null, poll_hint: null });
  }
  const audit = await ok(adminAfter.GET("/api/v1/audit", { params: { query: { action: "notify_deploy" } } }));
  expect(audit.map((e) => e.target).sort()).toEqual([odd, "web-02"]);
  const metrics = await (await fetch(`${second.url}/metrics`)).text();
  expect(metrics).toContain("nixfleet_fleet_size 3");

  second.proc.kill("SIGTERM");
  expect(await second.proc.exited).toBe(0);
  const reopened = await openStore(dbPath);
  expect(await reopened.db.select().from(reportsTable)).toHaveLength(20);
  reopened.close();
}, 30_000);
