// SPEC §1, black box: the real process started as the acceptance tests start it,
// `bun run start -- --listen 127.0.0.1:<port> --db-path <tmp>/state.db`.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueCertificates } from "../../scripts/certs.ts";
import { runToExit, startServer, tryParse, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-spec-process-"));
const started: ServerProcess[] = [];
afterAll(() => {
  for (const server of started) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment with every NIXFLEET_CP_* variable unset, plus `env`. */
function cleanEnv(env: Record<string, string> = {}): Record<string, string | undefined> {
  const cleared = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith("NIXFLEET_CP_"))
      .map((name) => [name, undefined]),
  );
  return { ...cleared, ...env };
}

async function start(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServer(["bun", "run", "start", "--", ...args], { env: cleanEnv(env) });
  started.push(server);
  return server;
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

test("a fixed port: the start-up line names that URL, requests are served, SIGTERM exits 0 with JSON logs only", async () => {
  const port = await freePort();
  const dbPath = join(dir, "fixed.db");
  const server = await start(["--listen", `127.0.0.1:${port}`, "--db-path", dbPath]);
  expect(server.url).toBe(`http://127.0.0.1:${port}`);
  expect(existsSync(dbPath)).toBe(true);

  const health = await fetch(`${server.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.text()).toBe("ok");
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "admin" }),
  });
  expect(bootstrap.status).toBe(200);

  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  const entries = server.stderrLines.filter((line) => line !== "").map(tryParse);
  expect(entries.length).toBeGreaterThan(1);
  for (const [i, entry] of entries.entries()) expect(entry, server.stderrLines[i]).not.toBeNull();
  const startup = entries.filter((entry) => JSON.stringify(entry).includes(`127.0.0.1:${port}`));
  expect(startup.map((entry) => entry!.msg)).toEqual(["listening"]);
});

test("environment variables configure the server when no flag is given", async () => {
  const dbPath = join(dir, "from-env.db");
  const server = await start([], { NIXFLEET_CP_LISTEN: "127.0.0.1:0", NIXFLEET_CP_DB_PATH: dbPath });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  expect(existsSync(dbPath)).toBe(true);
  server.proc.kill("SIGINT");
  expect(await server.exited).toBe(0);
});

test("flags win over the environment", async () => {
  const flagDb = join(dir, "flag.db");
  const envDb = join(dir, "env.db");
  const server = await start(["--listen", "127.0.0.1:0", "--db-path", flagDb], {
    NIXFLEET_CP_LISTEN: "not a listen address",
    NIXFLEET_CP_DB_PATH: envDb,
  });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(existsSync(flagDb)).toBe(true);
  expect(existsSync(envDb)).toBe(false);
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
}, 20000);

/** Runs a start that must be refused: non-zero exit, at once, one stderr line naming the problem. */
async function refused(args: string[], env: Record<string, string> = {}) {
  const result = await runToExit(["bun", "run", "start", "--", ...args], { env: cleanEnv(env), timeoutMs: 10000 });
  const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
  return { code: result.code, lines, stdout: result.stdout };
}

describe("bad configuration exits non-zero at once with one clear line", () => {
  const cert = join(dir, "garbage-cert.pem");
  const unreadable = join(dir, "unreadable-dir");
  const regularFile = join(dir, "plain-file");
  writeFileSync(cert, "this is not a certificate\n");
  writeFileSync(regularFile, "");
  mkdirSync(unreadable);
  chmodSync(unreadable, 0o555);
  const readOnlyDb = join(dir, "read-only.db");
  writeFileSync(readOnlyDb, "");
  chmodSync(readOnlyDb, 0o444);
  const db = join(dir, "refused.db");
  const pki = join(dir, "pki");
  issueCertificates({ out: pki, machines: [], admin: null, serverNames: [], days: 30, expired: [] });
  const lockedCert = join(dir, "locked-cert.pem");
  writeFileSync(lockedCert, readFileSync(join(pki, "server.pem")));
  chmodSync(lockedCert, 0o000);

  // A port this test process holds for the whole describe: the server cannot take it.
  const held = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  afterAll(() => held.stop(true));

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    [
      "a port another process listens on",
      ["--listen", `127.0.0.1:${held.port}`, "--db-path", db],
      {},
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${held.port}`),
    ],
    [
      "a lease of 0 seconds",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--lease-seconds", "0"],
      {},
      /--lease-seconds/,
    ],
    [
      "a bad NIXFLEET_CP_LEASE_SECONDS",
      ["--listen", "127.0.0.1:0", "--db-path", db],
      { NIXFLEET_CP_LEASE_SECONDS: "soon" },
      /--lease-seconds.*soon/,
    ],
    ["a node id with a space", ["--listen", "127.0.0.1:0", "--db-path", db, "--node-id", "cp 1"], {}, /--node-id/],
    [
      "--no-executor given a value",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--no-executor=yes"],
      {},
      /--no-executor/,
    ],
    [
      "a NIXFLEET_CP_NO_EXECUTOR that is not true or false",
      ["--listen", "127.0.0.1:0", "--db-path", db],
      { NIXFLEET_CP_NO_EXECUTOR: "yes" },
      /NIXFLEET_CP_NO_EXECUTOR.*yes/,
    ],
    ["a listen string without a port", ["--listen", "127.0.0.1", "--db-path", db], {}, /--listen/],
    ["a listen string that is not HOST:PORT", ["--listen", "nonsense", "--db-path", db], {}, /--listen.*nonsense/],
    ["a port over 65535", ["--listen", "127.0.0.1:70000", "--db-path", db], {}, /--listen/],
    ["a bad NIXFLEET_CP_LISTEN", ["--db-path", db], { NIXFLEET_CP_LISTEN: "nowhere" }, /nowhere/],
    [
      "a key without a certificate",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--tls-key", cert],
      {},
      /--tls-key needs --tls-cert/,
    ],
    [
      "a key without a certificate, from the environment",
      ["--listen", "127.0.0.1:0", "--db-path", db],
      { NIXFLEET_CP_TLS_KEY: cert },
      /--tls-key needs --tls-cert/,
    ],
    [
      "a certificate file that does not exist",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--tls-cert", join(dir, "nope.pem"), "--tls-key", cert],
      {},
      /nope\.pem does not exist/,
    ],
    [
      "a certificate file that is not a certificate",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--tls-cert", cert, "--tls-key", cert],
      {},
      /garbage-cert\.pem is not a PEM certificate/,
    ],
    [
      "a valid certificate without read permission (refused even for root)",
      ["--listen", "127.0.0.1:0", "--db-path", db, "--tls-cert", lockedCert, "--tls-key", join(pki, "server-key.pem")],
      {},
      /locked-cert\.pem is not readable/,
    ],
    [
      "a database directory that does not exist",
      ["--listen", "127.0.0.1:0", "--db-path", join(dir, "missing", "state.db")],
      {},
      /missing does not exist/,
    ],
    [
      "a database directory without write permission (refused even for root)",
      ["--listen", "127.0.0.1:0", "--db-path", join(unreadable, "state.db")],
      {},
      /unreadable-dir is not writable/,
    ],
    [
      "a database file without write permission (refused even for root)",
      ["--listen", "127.0.0.1:0", "--db-path", readOnlyDb],
      {},
      /read-only\.db is not writable/,
    ],
    [
      "a database directory that is a file",
      ["--listen", "127.0.0.1:0", "--db-path", join(regularFile, "state.db")],
      {},
      /plain-file is not a directory/,
    ],
  ];

  test("every case", async () => {
    const results = await Promise.all(cases.map(([, args, env]) => refused(args, env)));
    for (const [i, [name, , , expected]] of cases.entries()) {
      const result = results[i]!;
      // README, "Configuration": bad configuration is exit code 2.
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      expect({ name, lines: result.lines.length }).toEqual({ name, lines: 1 });
      expect(result.lines[0]).toMatch(expected);
      expect(result.lines[0]).not.toContain("listening");
    }
  }, 30000);
});

test("a request body over 1 MiB gets 413 from the real server, on any route, with or without Content-Length", async () => {
  const server = await start(["--listen", "127.0.0.1:0", "--db-path", join(dir, "limits.db")]);
  const big = JSON.stringify({ name: "x".repeat(1024 * 1024) });
  const sized = await fetch(`${server.url}/api/v1/machines/web-01/report`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: big,
  });
  expect(sized.status).toBe(413);
  expect(await sized.json()).toHaveProperty("error");

  const bytes = new TextEncoder().encode(big);
  const streamed = await fetch(`${server.url}/api/v1/keys/bootstrap`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new ReadableStream({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        controller.close();
      },
    }),
  });
  expect(streamed.status).toBe(413);
  // The refused bootstrap created nothing: a bootstrap still works.
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, { method: "POST" });
  expect(bootstrap.status).toBe(200);

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toContain(
    'nixfleet_http_requests_total{method="POST",path="/api/v1/machines/{id}/report",status="413"} 1',
  );
  server.proc.kill("SIGTERM");
  expect(await server.exited).toBe(0);
});
