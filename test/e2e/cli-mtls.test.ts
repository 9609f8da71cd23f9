// The command line against a control plane that asks for client certificates (SPEC §16: `login`
// stores the client certificate paths; README, "Command line": NIXFLEET_CA, NIXFLEET_CLIENT_CERT
// and NIXFLEET_CLIENT_KEY for CI), run from source as `bun run start -- <command>`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { issueCertificates } from "../../scripts/certs.ts";
import { repoRoot, runToExit, startServer, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-cli-mtls-"));
const pki = join(dir, "pki");
let server: ServerProcess;
let adminKey: string;

beforeAll(async () => {
  issueCertificates({ out: pki, machines: [], admin: "admin", serverNames: [], days: 30, expired: [] });
  server = await startServer([
    "bun",
    "run",
    "start",
    "--",
    "--listen",
    "127.0.0.1:0",
    "--db-path",
    join(dir, "state.db"),
    "--tls-cert",
    join(pki, "server.pem"),
    "--tls-key",
    join(pki, "server-key.pem"),
    "--client-ca",
    join(pki, "ca.pem"),
  ]);
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, {
    method: "POST",
    body: "{}",
    tls: {
      ca: readFileSync(join(pki, "ca.pem"), "utf8"),
      cert: readFileSync(join(pki, "admin.pem"), "utf8"),
      key: readFileSync(join(pki, "admin-key.pem"), "utf8"),
    },
  });
  expect(bootstrap.status).toBe(200);
  adminKey = ((await bootstrap.json()) as { key: string }).key;
});
afterAll(async () => {
  server?.proc.kill("SIGTERM");
  await server?.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** `bun run start -- args` with HOME in the test's dir, no inherited NIXFLEET_* and `env`. */
function cli(args: string[], env: Record<string, string> = {}) {
  const inherited = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith("NIXFLEET_"))
      .map((name) => [name, undefined]),
  );
  return runToExit(["bun", "run", "start", "--", ...args], {
    env: { ...inherited, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), ...env },
    timeoutMs: 30_000,
  });
}

const tlsEnv = () => ({
  NIXFLEET_URL: server.url,
  NIXFLEET_API_KEY: adminKey,
  NIXFLEET_CA: join(pki, "ca.pem"),
  NIXFLEET_CLIENT_CERT: join(pki, "admin.pem"),
  NIXFLEET_CLIENT_KEY: join(pki, "admin-key.pem"),
});

test("CI: the URL, key, CA and client certificate from the environment reach the server", async () => {
  const run = await cli(["status", "--json"], tlsEnv());
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ machines: 0 });
});

test("without the client certificate the handshake fails: exit 4, one line", async () => {
  const { NIXFLEET_CLIENT_CERT: _cert, NIXFLEET_CLIENT_KEY: _key, ...withoutCert } = tlsEnv();
  const run = await cli(["status"], withoutCert);
  expect(run.code).toBe(4);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toContain(`cannot reach ${server.url}`);
});

test("a client certificate without its key is a usage error before anything is sent", async () => {
  const { NIXFLEET_CLIENT_KEY: _key, ...withoutKey } = tlsEnv();
  const run = await cli(["status"], withoutKey);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
});

test("login saves the TLS files as absolute paths in a 0600 file; later commands need nothing else", async () => {
  // Given relative to the directory the command runs in (the repository's, for `bun run start`).
  const given = (name: string) => relative(repoRoot, join(pki, name));
  const login = await cli(
    [
      "login",
      "--url",
      server.url,
      "--ca",
      given("ca.pem"),
      "--client-cert",
      given("admin.pem"),
      "--client-key",
      given("admin-key.pem"),
    ],
    { NIXFLEET_API_KEY: adminKey },
  );
  expect(login.code, login.stderr).toBe(0);
  const file = join(dir, "config", "nixfleet", "control-plane.json");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
    url: server.url,
    api_key: adminKey,
    ca: join(pki, "ca.pem"),
    client_cert: join(pki, "admin.pem"),
    client_key: join(pki, "admin-key.pem"),
  });

  const list = await cli(["machines", "list", "--json"]);
  expect(list.code, list.stderr).toBe(0);
  expect(JSON.parse(list.stdout)).toEqual([]);
});
