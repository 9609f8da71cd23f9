// `--db-path http://…` on the real process, against a stand-in sqld speaking Hrana over HTTP
// (test/support/hrana-server.ts), whose database and headers the tests read directly; several
// processes on a real sqld are in test/e2e/cluster.test.ts.
import { afterAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { createFleetClient } from "../../src/client/index.ts";
import { migrations } from "../../src/db/migrations.gen.ts";
import { startFakeSqld } from "../support/hrana-server.ts";
import { reportBody } from "../support/machines.ts";
import { get, repoRoot, startServer, tryParse, type ServerProcess } from "../support/process.ts";

const sqld = startFakeSqld();
const started: ServerProcess[] = [];
afterAll(() => {
  for (const server of started) server.kill();
  sqld.stop();
});

async function start(): Promise<ServerProcess> {
  const server = await startServer(["bun", "run", "start", "--", "--listen", "127.0.0.1:0", "--db-path", sqld.url], {
    env: { NIXFLEET_CP_DB_AUTH_TOKEN: "remote-secret" },
  });
  started.push(server);
  return server;
}

test("a remote libSQL server is migrated, written through and authenticated with the env token", async () => {
  const before = readdirSync(repoRoot);
  const server = await start();
  expect(await get(server.url, "/health")).toEqual({ status: 200, body: "ok" });

  const client = createFleetClient({ baseUrl: server.url });
  const bootstrap = await client.POST("/api/v1/keys/bootstrap", { body: { name: "remote-admin" } });
  expect(bootstrap.response.status).toBe(200);
  expect(sqld.db.query("SELECT name, role FROM api_keys").all()).toEqual([{ name: "remote-admin", role: "admin" }]);
  expect(sqld.db.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: migrations.length });
  expect(sqld.authorizations.length).toBeGreaterThan(0);
  expect(new Set(sqld.authorizations)).toEqual(new Set(["Bearer remote-secret"]));

  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  // The URL was never taken for a file name.
  expect(readdirSync(repoRoot)).toEqual(before);
  expect(server.stderrLines.map(tryParse).find((entry) => entry?.msg === "listening")?.db).toBe(sqld.url);
});

test("restarting on the same remote database applies no migration twice", async () => {
  const schema = sqld.db.query("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all();
  const server = await start();
  expect((await get(server.url, "/health")).body).toBe("ok");
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  expect(sqld.db.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: migrations.length });
  expect(sqld.db.query("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all()).toEqual(schema);
});

test("agent reports, their health, tags and audit events are stored on the remote server", async () => {
  const server = await start();
  const ids = ["remote-web-1", "remote-web-2", "remote-web-3"];
  const answers = await Promise.all(
    ids.map((id) =>
      fetch(`${server.url}/api/v1/machines/${id}/report`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          reportBody(id, {
            tags: ["remote"],
            health: {
              results: [{ status: "pass", check_name: "units", duration_ms: 5 }],
              all_passed: true,
              timestamp: "2026-11-27T10:00:00Z",
            },
          }),
        ),
      }).then((response) => response.status),
    ),
  );
  expect(answers).toEqual([200, 200, 200]);
  const stored = (table: string) =>
    sqld.db.query(`SELECT machine_id AS id FROM ${table} WHERE machine_id LIKE 'remote-web-%' ORDER BY 1`).all();
  const expected = ids.map((id) => ({ id }));
  expect(stored("machines")).toEqual(expected);
  expect(stored("reports")).toEqual(expected);
  expect(stored("health_reports")).toEqual(expected);
  expect(stored("machine_tags")).toEqual(expected);
  expect(sqld.db.query("SELECT count(*) AS n FROM audit_events WHERE action = 'report'").get()).toEqual({ n: 3 });
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});

test("/health answers 503 once the remote database stops answering", async () => {
  const doomed = startFakeSqld();
  const server = await startServer(["bun", "run", "start", "--", "--listen", "127.0.0.1:0", "--db-path", doomed.url]);
  started.push(server);
  expect((await get(server.url, "/health")).status).toBe(200);
  doomed.stop();
  expect((await get(server.url, "/health")).status).toBe(503);
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});
