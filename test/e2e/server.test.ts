// The real process, started the way operators and the acceptance tests start it:
// `bun run start -- --listen 127.0.0.1:0 --db-path <tmp>/state.db`.
import { afterAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get, runToExit, startFromSource, tryParse, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-e2e-"));
const started: ServerProcess[] = [];
afterAll(() => {
  for (const server of started) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function start(dbPath: string, extra: string[] = []): Promise<ServerProcess> {
  const server = await startFromSource(dbPath, extra);
  started.push(server);
  return server;
}

/** Sends `signal` and returns the exit code. */
async function stop(server: ServerProcess, signal: "SIGTERM" | "SIGINT" = "SIGTERM"): Promise<number> {
  server.proc.kill(signal);
  return server.exited;
}

/** Schema and migration bookkeeping of a database file, for before/after comparisons. */
async function snapshot(dbPath: string) {
  const client = createClient({ url: `file:${dbPath}` });
  try {
    const schema = await client.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name");
    const applied = await client.execute("SELECT id, hash, created_at FROM __drizzle_migrations ORDER BY created_at");
    return JSON.stringify({ schema: schema.rows, applied: applied.rows });
  } finally {
    client.close();
  }
}

test("start-up logs one JSON line with the real URL, /health answers ok, SIGTERM exits 0", async () => {
  const dbPath = join(dir, "basic.db");
  const server = await start(dbPath);
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.url).not.toEndWith(":0");

  expect(await get(server.url, "/health")).toEqual({ status: 200, body: "ok" });
  const tooLarge = await fetch(new URL("/api/v1/keys/bootstrap", server.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }),
  });
  expect(tooLarge.status).toBe(413);
  expect(await tooLarge.json()).toEqual({ error: "request body exceeds 1 MiB" });
  const missing = await get(server.url, "/api/v1/nothing");
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body)).toHaveProperty("error");

  expect(await stop(server)).toBe(0);
  // Every stderr line, from start-up to shutdown, is one JSON object (no runner echo either).
  expect(server.stderrLines.length).toBeGreaterThan(0);
  for (const line of server.stderrLines) expect(tryParse(line), line).not.toBeNull();
  const listening = server.stderrLines.map(tryParse).filter((entry) => entry?.msg === "listening");
  expect(listening).toHaveLength(1);
  expect(listening[0]!.url).toBe(server.url);
  expect(server.stderrLines.map((line) => tryParse(line)?.msg)).toContain("stopped");
  const requestLog = server.stderrLines.map(tryParse).find((entry) => entry?.msg === "request");
  expect(requestLog).toMatchObject({ method: "GET", path: "/health", status: 200 });
});

test("starting twice on the same file changes neither the schema nor the applied migrations", async () => {
  const dbPath = join(dir, "twice.db");
  const first = await start(dbPath);
  expect(await stop(first)).toBe(0);
  const afterFirst = await snapshot(dbPath);
  expect(afterFirst).toContain("__drizzle_migrations");

  const second = await start(dbPath);
  expect((await get(second.url, "/health")).body).toBe("ok");
  expect(await stop(second)).toBe(0);
  expect(await snapshot(dbPath)).toBe(afterFirst);
});

/** Asserts a refused start: non-zero exit, nothing on stdout, exactly one stderr line containing `expected`. */
async function expectRefused(args: string[], expected: string) {
  const result = await runToExit(["bun", "run", "start", "--", ...args]);
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe("");
  const lines = result.stderr.split("\n").filter((line) => line !== "");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toStartWith("nixfleet-control-plane: ");
  expect(lines[0]).toContain(expected);
  // Refused before listening: no start-up line was ever written.
  expect(result.stderr).not.toContain('"listening"');
}

/** A port nobody listens on right now, so a refused start can be shown to have left it closed. */
async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("refused configurations", () => {
  test("a malformed --listen is refused with one line naming it", async () => {
    await expectRefused(["--listen", "127.0.0.1:99999", "--db-path", join(dir, "x.db")], "--listen");
    await expectRefused(["--listen", "::1:8080", "--db-path", join(dir, "x.db")], '"::1:8080"');
  });

  test("a missing key file is refused, naming the file, and nothing listens", async () => {
    const cert = join(dir, "cert.pem");
    writeFileSync(cert, "not used: the key is checked first or second, either way one line");
    const port = await freePort();
    const missingKey = join(dir, "missing-key.pem");
    const missingCert = join(dir, "missing-cert.pem");
    await expectRefused(
      [
        "--listen",
        `127.0.0.1:${port}`,
        "--db-path",
        join(dir, "x.db"),
        "--tls-cert",
        missingCert,
        "--tls-key",
        missingKey,
      ],
      missingCert,
    );
    expect(await isListening(port)).toBe(false);
  });

  test("--tls-key without --tls-cert is refused", async () => {
    await expectRefused(
      ["--listen", "127.0.0.1:0", "--db-path", join(dir, "x.db"), "--tls-key", join(dir, "k.pem")],
      "--tls-key needs --tls-cert",
    );
  });

  test("an unwritable database directory is refused: /proc takes no new files, even from root", async () => {
    const port = await freePort();
    await expectRefused(
      ["--listen", `127.0.0.1:${port}`, "--db-path", "/proc/nixfleet-state.db"],
      "database directory /proc is not writable",
    );
    expect(await isListening(port)).toBe(false);
  });

  test("a database path whose parent is a regular file is refused", async () => {
    const file = join(dir, "regular-file");
    writeFileSync(file, "");
    await expectRefused(["--listen", "127.0.0.1:0", "--db-path", join(file, "state.db")], `${file} is not a directory`);
  });

  test("a --db-path that is not a SQLite database is refused", async () => {
    const file = join(dir, "not-a-database.db");
    writeFileSync(file, "plain text, not SQLite");
    await expectRefused(["--listen", "127.0.0.1:0", "--db-path", file], "file is not a database");
  });

  test("an unknown flag is refused with one line", async () => {
    await expectRefused(["--no-such-flag"], "--no-such-flag");
  });

  test("--version and --help print to stdout and exit 0", async () => {
    const version = await runToExit(["bun", "run", "start", "--", "--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^nixfleet-control-plane \d+\.\d+\.\d+\n$/);
    const help = await runToExit(["bun", "run", "start", "--", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--db-path");
    expect(help.stderr).toBe("");
  });
});

/** Opens a raw connection and sends a POST whose body is only half there, so the request stays in flight. */
async function startSlowPost(
  url: string,
  path: string,
  body: string,
): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let response = "";
  socket.on("data", (chunk) => (response += chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
  );
  return {
    socket,
    async finish() {
      socket.write(body.slice(half));
      await closed;
      return response;
    },
  };
}

test("SIGTERM lets in-flight requests finish, commits their writes, closes the database and exits 0", async () => {
  const dbPath = join(dir, "graceful.db");
  const server = await start(dbPath);
  const body = JSON.stringify({ name: "first-admin" });
  const slow = await Promise.all([1, 2, 3].map(() => startSlowPost(server.url, "/api/v1/keys/bootstrap", body)));
  // Let the server read the headers, so each request is being handled when the signal lands.
  await Bun.sleep(150);
  server.proc.kill("SIGTERM");
  await Bun.sleep(150);
  // Stopped accepting, but still serving the requests it has.
  expect(server.proc.exitCode).toBeNull();

  const responses = await Promise.all(slow.map((request) => request.finish()));
  const statuses = responses.map((text) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]));
  expect(statuses.sort()).toEqual([200, 409, 409]);
  expect(await server.exited).toBe(0);

  const winner = responses.find((text) => text.startsWith("HTTP/1.1 200"))!;
  const key = JSON.parse(winner.slice(winner.indexOf("\r\n\r\n") + 4)) as { key: string };
  expect(key.key).toBeString();

  // Closed cleanly: the WAL was checkpointed into the main file, which reopens with the write in it.
  expect(!existsSync(`${dbPath}-wal`) || statSync(`${dbPath}-wal`).size === 0).toBe(true);
  const client = createClient({ url: `file:${dbPath}` });
  try {
    expect((await client.execute("PRAGMA integrity_check")).rows[0]![0]).toBe("ok");
    const keys = await client.execute("SELECT name FROM api_keys");
    expect(keys.rows.map((row) => row[0])).toEqual(["first-admin"]);
  } finally {
    client.close();
  }
  const messages = server.stderrLines.map((line) => tryParse(line)?.msg);
  expect(messages).toContain("shutting down");
  expect(messages.at(-1)).toBe("stopped");
});

test("SIGINT shuts down the same way", async () => {
  const dbPath = join(dir, "sigint.db");
  const server = await start(dbPath);
  expect((await get(server.url, "/health")).body).toBe("ok");
  expect(await stop(server, "SIGINT")).toBe(0);
  expect(server.stderrLines.map((line) => tryParse(line))).toContainEqual(
    expect.objectContaining({ msg: "shutting down", signal: "SIGINT" }),
  );
  expect(!existsSync(`${dbPath}-wal`) || statSync(`${dbPath}-wal`).size === 0).toBe(true);
});

test("SIGKILL to the `bun run start` runner does not leave the server running as an orphan", async () => {
  const server = await start(join(dir, "orphan.db"));
  const port = Number(new URL(server.url).port);
  server.proc.kill("SIGKILL");
  // stderr closes only when the server child has exited too.
  await server.exited;
  expect(server.stderrLines.map((line) => tryParse(line)?.msg).at(-1)).toBe("stopped");
  expect(await isListening(port)).toBe(false);
});
