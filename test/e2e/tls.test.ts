// TLS and mutual TLS against the real process (SPEC §10), with certificates made per run
// by `scripts/certs.ts`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFleetClient, type FleetClient } from "../../src/client/index.ts";
import { repoRoot, runToExit, startServer, tryParse, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-tls-"));
const pki = join(dir, "pki");
const roguePki = join(dir, "rogue");
const servers: ServerProcess[] = [];

/** GET `path` on a fresh connection (so each call is a new handshake), presenting `client`'s certificate from `from` (default: the fleet PKI). */
function call(
  url: string,
  path: string,
  options: { client?: string; from?: string } = {},
): Promise<{ status: number; body: string }> {
  const from = options.from ?? pki;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        agent: false,
        ca: readFileSync(join(pki, "ca.pem")),
        ...(options.client
          ? {
              cert: readFileSync(join(from, `${options.client}.pem`)),
              key: readFileSync(join(from, `${options.client}-key.pem`)),
            }
          : {}),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The typed client presenting `client`'s fleet certificate (and `apiKey`, if given). */
function fleetClient(url: string, client: string, apiKey?: string): FleetClient {
  const pem = (name: string) => readFileSync(join(pki, name), "utf8");
  return createFleetClient({
    baseUrl: url,
    apiKey,
    tls: { ca: pem("ca.pem"), cert: pem(`${client}.pem`), key: pem(`${client}-key.pem`) },
  });
}

function certs(args: string[]): void {
  const result = Bun.spawnSync(["bun", "scripts/certs.ts", ...args], { cwd: repoRoot });
  if (result.exitCode !== 0) throw new Error(`certs ${args.join(" ")}: ${result.stderr.toString()}`);
}

async function start(extra: string[]): Promise<ServerProcess> {
  const db = mkdtempSync(join(dir, "db-"));
  const server = await startServer([
    "bun",
    "src/main.ts",
    "--listen",
    "127.0.0.1:0",
    "--db-path",
    join(db, "state.db"),
    ...extra,
  ]);
  servers.push(server);
  return server;
}

/** Waits until a log line with message `msg` appears (the process logs asynchronously to the client). */
async function logLine(server: ServerProcess, msg: string, from = 0): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const entry = server.stderrLines
      .slice(from)
      .map(tryParse)
      .find((line) => line?.msg === msg);
    if (entry) return entry;
    await Bun.sleep(20);
  }
  throw new Error(`no "${msg}" log line in:\n${server.stderrLines.join("\n")}`);
}

const serverFlags = ["--tls-cert", join(pki, "server.pem"), "--tls-key", join(pki, "server-key.pem")];
const mtlsFlags = [...serverFlags, "--client-ca", join(pki, "ca.pem")];

beforeAll(() => {
  certs(["--out", pki, "--machines", "web-01,web-02", "--expired", "expired-01"]);
  certs(["--out", roguePki, "--machines", "web-01", "--no-admin"]);
});

afterAll(() => {
  for (const server of servers) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("server-only TLS", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await start(serverFlags);
  });

  test("serves HTTPS only and warns that agent routes are not authenticated", async () => {
    expect(server.url).toStartWith("https://127.0.0.1:");
    const health = await call(server.url, "/health");
    expect(health).toMatchObject({ status: 200, body: "ok" });
    const plain = await fetch(server.url.replace("https:", "http:") + "/health").then(
      () => "answered",
      () => "refused",
    );
    expect(plain).toBe("refused");
    const warning = await logLine(
      server,
      "TLS without --client-ca: agent routes are not authenticated; any client can act as any machine",
    );
    expect(warning.level).toBe("warn");
  });
});

describe("mutual TLS", () => {
  let server: ServerProcess;
  let adminKey: string;
  beforeAll(async () => {
    server = await start(mtlsFlags);
  });

  test("a fleet certificate gets through; the start-up line says mTLS is on and nothing warns", async () => {
    expect(await call(server.url, "/health", { client: "web-01" })).toMatchObject({ status: 200, body: "ok" });
    const listening = await logLine(server, "listening");
    expect(listening).toMatchObject({ tls: true, mtls: true });
    expect(server.stderrLines.map(tryParse).filter((line) => line?.level === "warn")).toEqual([]);
  });

  test("a client without a certificate is refused at the handshake", async () => {
    const seen = server.stderrLines.length;
    await expect(call(server.url, "/health")).rejects.toThrow();
    const refusal = await logLine(server, "TLS handshake refused", seen);
    expect(refusal).toMatchObject({ level: "warn", remote_address: "127.0.0.1" });
  });

  test("a certificate from another CA is refused at the handshake", async () => {
    const seen = server.stderrLines.length;
    await expect(call(server.url, "/health", { client: "web-01", from: roguePki })).rejects.toThrow();
    expect(String((await logLine(server, "TLS handshake refused", seen)).reason)).toMatch(/verify|issuer/i);
  });

  test("an expired certificate from the fleet CA is refused at the handshake", async () => {
    const seen = server.stderrLines.length;
    await expect(call(server.url, "/health", { client: "expired-01" })).rejects.toThrow();
    expect(String((await logLine(server, "TLS handshake refused", seen)).reason)).toMatch(/expired/i);
  });

  test("bootstrap needs only the certificate", async () => {
    const res = await fleetClient(server.url, "admin").POST("/api/v1/keys/bootstrap", { body: { name: "admin" } });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({ name: "admin", role: "admin" });
    adminKey = res.data!.key;
  });

  test("admin routes need the certificate and an API key", async () => {
    const withoutKey = await fleetClient(server.url, "admin").GET("/api/v1/machines");
    expect(withoutKey.response.status).toBe(401);
    expect(withoutKey.error).toEqual({ error: expect.any(String) });
    const withKey = await fleetClient(server.url, "admin", adminKey).GET("/api/v1/machines");
    expect(withKey.response.status).toBe(200);
    expect(withKey.data).toEqual([]);
  });

  const report = (machineId: string) => ({
    params: { path: { id: machineId } },
    body: {
      machine_id: machineId,
      current_generation: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05",
      success: true,
      message: "switched",
      timestamp: "2026-11-27T10:00:00Z",
    },
  });

  test("a machine certificate reports and polls for its own id", async () => {
    const machine = fleetClient(server.url, "web-01");
    const admin = fleetClient(server.url, "admin", adminKey);
    const byId = { params: { path: { id: "web-01" } } };
    const before = await machine.GET("/api/v1/machines/{id}/desired-generation", byId);
    expect(before.response.status).toBe(404);
    const reported = await machine.POST("/api/v1/machines/{id}/report", report("web-01"));
    expect(reported.response.status).toBe(200);
    const machines = await admin.GET("/api/v1/machines");
    expect(machines.data).toEqual([expect.objectContaining({ machine_id: "web-01", lifecycle: "active" })]);
    const storePath = "/nix/store/2c9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.11";
    const deploy = await admin.POST("/api/v1/machines/{id}/notify-deploy", {
      ...byId,
      body: { store_path: storePath },
    });
    expect(deploy.response.status).toBe(200);
    const after = await machine.GET("/api/v1/machines/{id}/desired-generation", byId);
    expect(after.response.status).toBe(200);
    expect(after.data).toMatchObject({ hash: storePath });
  });

  test("a machine certificate cannot speak for another machine", async () => {
    const machine = fleetClient(server.url, "web-01");
    const poll = await machine.GET("/api/v1/machines/{id}/desired-generation", { params: { path: { id: "web-02" } } });
    expect(poll.response.status).toBe(403);
    expect(poll.error).toEqual({ error: "client certificate is for web-01, not web-02" });
    const reported = await machine.POST("/api/v1/machines/{id}/report", report("web-02"));
    expect(reported.response.status).toBe(403);
    const machines = await fleetClient(server.url, "admin", adminKey).GET("/api/v1/machines");
    expect(machines.data?.map((m) => m.machine_id)).toEqual(["web-01"]);
    // The admin certificate is no machine either.
    const asAdmin = await fleetClient(server.url, "admin").GET("/api/v1/machines/{id}/desired-generation", {
      params: { path: { id: "web-01" } },
    });
    expect(asAdmin.response.status).toBe(403);
  });

  test("SIGTERM stops the server while a client holds a keep-alive connection", async () => {
    const own = await start(mtlsFlags);
    const { Agent } = await import("node:https");
    const agent = new Agent({
      keepAlive: true,
      ca: readFileSync(join(pki, "ca.pem")),
      cert: readFileSync(join(pki, "web-01.pem")),
      key: readFileSync(join(pki, "web-01-key.pem")),
    });
    const status = await new Promise<number>((resolve, reject) => {
      request(new URL("/health", own.url), { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      })
        .on("error", reject)
        .end();
    });
    expect(status).toBe(200);
    // A shutdown that waited for the idle keep-alive connection would hang here until the test times out.
    own.proc.kill("SIGTERM");
    expect(await own.exited).toBe(0);
    agent.destroy();
  });
});

describe("start-up errors", () => {
  const refused = async (flags: string[]) => {
    const db = join(mkdtempSync(join(dir, "db-")), "state.db");
    const result = await runToExit(["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", db, ...flags]);
    const lines = result.stderr.trimEnd().split("\n");
    expect(result.code).not.toBe(0);
    expect(lines).toHaveLength(1);
    return lines[0]!;
  };

  test("--tls-cert without --tls-key, and the reverse", async () => {
    expect(await refused(["--tls-cert", join(pki, "server.pem")])).toContain("--tls-cert needs --tls-key");
    expect(await refused(["--tls-key", join(pki, "server-key.pem")])).toContain("--tls-key needs --tls-cert");
  });

  test("--client-ca without a server certificate", async () => {
    expect(await refused(["--client-ca", join(pki, "ca.pem")])).toContain("--client-ca needs --tls-cert");
  });

  test("a missing, malformed or mismatched PEM file is named", async () => {
    const missing = join(dir, "missing.pem");
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    const serverKey = join(pki, "server-key.pem");
    const serverCert = join(pki, "server.pem");
    const cases: [string[], string][] = [
      [["--tls-cert", missing, "--tls-key", serverKey], `--tls-cert ${missing} does not exist`],
      [["--tls-cert", garbage, "--tls-key", serverKey], `--tls-cert ${garbage} is not a valid PEM certificate`],
      [["--tls-cert", serverKey, "--tls-key", serverKey], `--tls-cert ${serverKey} is not a PEM certificate`],
      [["--tls-cert", serverCert, "--tls-key", serverCert], `--tls-key ${serverCert} is not a PEM private key`],
      [
        ["--tls-cert", serverCert, "--tls-key", join(pki, "web-01-key.pem")],
        `--tls-key ${join(pki, "web-01-key.pem")} does not match the certificate in ${serverCert}`,
      ],
      [[...serverFlags, "--client-ca", garbage], `--client-ca ${garbage} is not a valid PEM certificate`],
    ];
    const lines = await Promise.all(cases.map(([flags]) => refused(flags)));
    lines.forEach((line, i) => expect(line).toBe(`nixfleet-control-plane: ${cases[i]![1]}`));
  });
});
