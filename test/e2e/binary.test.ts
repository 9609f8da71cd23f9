// The single executable: built by `bun run build`, run from a directory with no
// node_modules anywhere above it, so the libSQL addon and migrations must be inside it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compiledBinary } from "../support/binary.ts";
import { get, runToExit, startServer, tryParse, waitUntil, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-binary-"));
let binary: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  binary = await compiledBinary();
}, 120_000);

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test("the copy sits where no node_modules can be found above it", () => {
  for (let at = dirname(binary); ; at = dirname(at)) {
    expect(existsSync(join(at, "node_modules")), `${at}/node_modules exists`).toBe(false);
    if (dirname(at) === at) break;
  }
  expect(statSync(binary).mode & 0o111).not.toBe(0);
});

test("the binary starts on a fresh database, answers /health with ok, checkpoints the WAL as it runs and exits 0 on SIGTERM with an empty WAL", async () => {
  const dbPath = join(dir, "state.db");
  server = await startServer([binary, "--listen", "127.0.0.1:0", "--db-path", dbPath], {
    cwd: dir,
    env: { NODE_PATH: undefined },
  });
  expect(await get(server.url, "/health")).toEqual({ status: 200, body: "ok" });
  // The embedded migrations ran: a route backed by a table answers rather than failing.
  expect((await get(server.url, "/openapi.json")).status).toBe(200);
  // The migrations went to the WAL; the checkpointer (the embedded addon's promise API, on a
  // thread of the driver) copies them into the database file while the server runs.
  await waitUntil(
    "the database file to grow",
    async () => (statSync(dbPath).size > 8 * 2048 ? true : undefined),
    10_000,
  );
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  expect(server.stderrLines.map((line) => tryParse(line)?.msg).at(-1)).toBe("stopped");
  expect(statSync(`${dbPath}-wal`).size).toBe(0);
});

test("the binary refuses bad configuration with one line", async () => {
  const result = await runToExit([binary, "--listen", "nope"], { cwd: dir });
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toContain("--listen");
});

test("`serve` takes the server's flags, --no-executor included: a replica that never leads", async () => {
  const replica = await startServer(
    [binary, "serve", "--listen", "127.0.0.1:0", "--db-path", join(dir, "replica.db"), "--no-executor"],
    { cwd: dir },
  );
  const started = replica.stderrLines.map((line) => tryParse(line)).find((entry) => entry?.msg === "listening");
  expect(started).toMatchObject({ role: "replica" });
  replica.proc.kill("SIGTERM");
  expect(await replica.exited).toBe(0);
});
