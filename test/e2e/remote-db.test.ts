// `--db-path http://…` on the real process, against a stand-in sqld speaking Hrana over HTTP
// (no npm package ships a runnable sqld; see test/support/hrana-server.ts).
import { afterAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { createFleetClient } from "../../src/client/index.ts";
import { startFakeSqld } from "../support/hrana-server.ts";
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
  expect(sqld.db.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: 1 });
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
  expect(sqld.db.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: 1 });
  expect(sqld.db.query("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all()).toEqual(schema);
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
