// The certificate-identity rule of agent routes (SPEC §10) in-process: the peer CN the
// adapter binds must equal the decoded `{id}` path segment.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarness, type Harness } from "../support/harness.ts";
import { parseCertsArgs } from "../../scripts/certs.ts";
import { ConfigError, type Config } from "../../src/config.ts";
import { readTlsMaterial } from "../../src/server/tls.ts";

const poll = (id: string) => `/api/v1/machines/${encodeURIComponent(id)}/desired-generation`;

describe("agent routes under mTLS", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ mtls: true });
  });
  afterEach(() => h.close());

  test("the CN is compared with the percent-decoded machine id", async () => {
    const id = "rack 7/web+01";
    expect((await h.request(poll(id), { peer: { commonName: id } })).status).toBe(404);
    const encoded = await h.request(poll(id), { peer: { commonName: encodeURIComponent(id) } });
    expect(encoded.status).toBe(403);
    expect(await encoded.json()).toEqual({
      error: `client certificate is for ${encodeURIComponent(id)}, not ${id}`,
    });
  });

  test("no peer identity, or a certificate without a single CN, is forbidden", async () => {
    expect((await h.request(poll("web-01"))).status).toBe(403);
    const anonymous = await h.request(poll("web-01"), { peer: { commonName: null } });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toEqual({ error: "client certificate has no common name" });
  });
});

test("without mTLS the agent routes need no certificate", async () => {
  const h = await createHarness({ mtls: false });
  try {
    expect((await h.request(poll("web-01"))).status).toBe(404);
  } finally {
    await h.close();
  }
});

describe("readTlsMaterial", () => {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-pem-"));
  const config = (files: Partial<Config>): Config => ({
    listen: { host: "127.0.0.1", port: 0 },
    dbPath: ":memory:",
    dbAuthToken: null,
    tlsCertFile: null,
    tlsKeyFile: null,
    clientCaFile: null,
    reportRetentionHours: 24,
    perMachineMetrics: true,
    maxReleaseBodyMib: 1,
    nodeId: "test",
    leaseSeconds: 5,
    executor: true,
    ...files,
  });
  beforeAll(() => {
    const certs = Bun.spawnSync(["bun", "scripts/certs.ts", "--out", dir, "--machines", "web-01"], {
      cwd: join(import.meta.dir, "..", ".."),
    });
    if (certs.exitCode !== 0) throw new Error(certs.stderr.toString());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, "server.pem");
  const key = join(dir, "server-key.pem");

  test("reads the certificate, key and client CA", () => {
    const material = readTlsMaterial(config({ tlsCertFile: cert, tlsKeyFile: key, clientCaFile: join(dir, "ca.pem") }));
    expect(material?.cert).toContain("BEGIN CERTIFICATE");
    expect(material?.key).toContain("PRIVATE KEY");
    expect(material?.clientCa).toContain("BEGIN CERTIFICATE");
    expect(readTlsMaterial(config({}))).toBeNull();
  });

  test("an encrypted key is refused with a reason", () => {
    const encrypted = join(dir, "encrypted-key.pem");
    const result = Bun.spawnSync(["openssl", "pkey", "-in", key, "-aes256", "-passout", "pass:secret"]);
    writeFileSync(encrypted, result.stdout);
    expect(() => readTlsMaterial(config({ tlsCertFile: cert, tlsKeyFile: encrypted }))).toThrow(
      new ConfigError(`--tls-key ${encrypted} is encrypted; give an unencrypted PEM private key`),
    );
  });

  test("a client CA file without a certificate is refused", () => {
    expect(() => readTlsMaterial(config({ tlsCertFile: cert, tlsKeyFile: key, clientCaFile: key }))).toThrow(
      new ConfigError(`--client-ca ${key} is not a PEM certificate`),
    );
  });
});

describe("certs script arguments", () => {
  test("defaults and lists", () => {
    expect(parseCertsArgs(["--out", "pki", "--machines", "web-01, web-02,", "--server-name", "cp.example"])).toEqual({
      out: "pki",
      machines: ["web-01", "web-02"],
      admin: "admin",
      serverNames: ["cp.example"],
      days: 825,
      expired: [],
    });
    expect(parseCertsArgs(["--out", "pki", "--no-admin", "--expired", "old"]).admin).toBeNull();
  });

  test("refuses what would make a bad certificate or overwrite a file", () => {
    expect(() => parseCertsArgs(["--machines", "web-01"])).toThrow("--out DIR is required");
    expect(() => parseCertsArgs(["--out", "pki", "--days", "0"])).toThrow("--days must be a positive integer");
    expect(() => parseCertsArgs(["--out", "pki", "--machines", "x".repeat(65)])).toThrow("1 to 64 characters");
    expect(() => parseCertsArgs(["--out", "pki", "--machines", "a/b"])).toThrow("cannot be used as a file name");
    expect(() => parseCertsArgs(["--out", "pki", "--machines", "ca"])).toThrow("would overwrite ca.pem");
    expect(() => parseCertsArgs(["--out", "pki", "--machines", "admin"])).toThrow("must be distinct");
  });
});
