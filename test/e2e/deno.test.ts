// The same app under Deno (npm package `deno`): proof the core is on Web standards.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { reportBody } from "../support/machines.ts";
import {
  get,
  pipelinedReports,
  rawExchange,
  repoRoot,
  runToExit,
  startServer,
  tryParse,
  type ServerProcess,
} from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-deno-"));
let server: ServerProcess | undefined;
afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The Deno executable itself. `node_modules/.bin/deno` is a Node wrapper that runs it as a
 * child, so a signal sent to the wrapper would orphan the server; run the binary directly.
 */
async function denoExecutable(): Promise<string> {
  const exe = join(dirname(require.resolve("deno/package.json", { paths: [repoRoot] })), "deno");
  // Without its postinstall script the package places the binary on first use.
  if (!existsSync(exe)) await runToExit([join(repoRoot, "node_modules", ".bin", "deno"), "--version"]);
  return exe;
}

test("src/main.deno.ts serves /health and stores reports (pipelined too) under Deno, and stops cleanly on SIGTERM", async () => {
  const deno = await denoExecutable();
  server = await startServer(
    [deno, "run", "-A", "src/main.deno.ts", "--listen", "127.0.0.1:0", "--db-path", join(dir, "state.db")],
    { env: { NO_COLOR: "1" }, timeoutMs: 30_000 },
  );
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(await get(server.url, "/health")).toEqual({ status: 200, body: "ok" });
  const missing = await get(server.url, "/nothing");
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body)).toHaveProperty("error");
  // A report goes through the prepared-statement writer (the libsql driver's own connection).
  const reported = await fetch(`${server.url}/api/v1/machines/deno-1/report`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(reportBody("deno-1")),
  });
  expect(reported.status).toBe(200);
  expect(await reported.json()).toEqual({ machine_id: "deno-1", lifecycle: "active" });
  // SPEC §13 as far as Deno.serve goes: pipelined requests each answered, HTTP/1.0 without Host routed.
  const pipelined = await rawExchange(
    server.url,
    pipelinedReports(["deno-2", "deno-3"], (id) => reportBody(id)),
  );
  expect(pipelined.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
  const healthCheck = await rawExchange(server.url, "GET /health HTTP/1.0\r\n\r\n");
  expect(healthCheck).toStartWith("HTTP/1.0 200 OK\r\n");
  expect(healthCheck).toEndWith("\r\n\r\nok");
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  expect(server.stderrLines.map((line) => tryParse(line)?.msg).at(-1)).toBe("stopped");
  // The WAL checkpointer (the driver's promise API) works under Deno: a clean stop empties the WAL.
  expect(statSync(join(dir, "state.db-wal")).size).toBe(0);
  const db = new Database(join(dir, "state.db"), { readonly: true });
  expect(db.query("SELECT machine_id, current_generation FROM reports ORDER BY id").all()).toEqual(
    ["deno-1", "deno-2", "deno-3"].map((id) => ({
      machine_id: id,
      current_generation: reportBody(id).current_generation,
    })),
  );
  db.close();
});
