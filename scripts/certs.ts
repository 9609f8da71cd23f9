// Issues the fleet's TLS material with openssl: a CA, the control plane's server
// certificate and one client certificate per machine (CN = machine id) plus an admin one.
//
//   bun run certs -- --out DIR --machines web-01,web-02 [--admin NAME] [--server-name HOST]
//                    [--days N] [--expired NAME]
//
// An existing DIR/ca.pem + DIR/ca-key.pem is reused, so running it again with new
// machine ids adds their certificates under the same CA.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

/** What to issue; `out` receives the PEM files. */
export interface CertsRequest {
  out: string;
  machines: string[];
  /** CN of the admin client certificate, or null for none. */
  admin: string | null;
  /** Extra DNS names or IP addresses of the control plane (besides localhost and 127.0.0.1). */
  serverNames: string[];
  days: number;
  /** Client certificates to issue already expired (test fixtures). */
  expired: string[];
}

// X.509 caps commonName at 64 characters (RFC 5280 ub-common-name).
const MAX_COMMON_NAME = 64;

export const CERTS_USAGE = `usage: bun run certs -- --out DIR --machines ID[,ID...] [options]

  --out DIR            directory for the PEM files (created if missing)
  --machines IDS       comma-separated machine ids: one client certificate each (CN = id)
  --admin NAME         CN of the admin client certificate (default admin)
  --no-admin           issue no admin client certificate
  --server-name HOST   extra DNS name or IP address of the control plane (repeatable)
  --days N             validity of new certificates in days (default 825; the CA gets 10 years)
  --expired NAME       also issue NAME.pem / NAME-key.pem already expired (for tests; repeatable)`;

/** Parses the script's arguments; throws an Error with a one-line message on bad input. */
export function parseCertsArgs(argv: string[]): CertsRequest {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      out: { type: "string" },
      machines: { type: "string", default: "" },
      admin: { type: "string", default: "admin" },
      "no-admin": { type: "boolean", default: false },
      "server-name": { type: "string", multiple: true, default: [] },
      days: { type: "string", default: "825" },
      expired: { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.out) throw new Error("--out DIR is required");
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a positive integer, got "${values.days}"`);
  const machines = values.machines
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  const admin = values["no-admin"] ? null : values.admin;
  const names = [...machines, ...(admin ? [admin] : []), ...values.expired];
  for (const name of names) checkCommonName(name);
  const reserved = names.find((name) => name === "ca" || name === "server");
  if (reserved) throw new Error(`"${reserved}" would overwrite ${reserved}.pem; pick another name`);
  if (new Set(names).size !== names.length) throw new Error("machine, admin and expired names must be distinct");
  return { out: values.out, machines, admin, serverNames: values["server-name"], days, expired: values.expired };
}

function checkCommonName(name: string): void {
  if (name.length === 0 || name.length > MAX_COMMON_NAME) {
    throw new Error(`"${name}": a certificate common name has 1 to ${MAX_COMMON_NAME} characters`);
  }
  // The name is also a file name in --out.
  if (/[/\\\0]/.test(name) || name === "." || name === "..") throw new Error(`"${name}" cannot be used as a file name`);
}

/** Issues every certificate of the request into `request.out`; returns the files written. */
export function issueCertificates(request: CertsRequest): string[] {
  mkdirSync(request.out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "nixfleet-certs-"));
  const written: string[] = [];
  const out = (name: string) => join(request.out, name);
  try {
    const ca = out("ca.pem");
    const caKey = out("ca-key.pem");
    if (!existsSync(ca) || !existsSync(caKey)) {
      openssl([
        "req",
        "-x509",
        ...newKeyArgs(caKey),
        "-out",
        ca,
        "-days",
        "3650",
        "-subj",
        "/CN=nixfleet fleet CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]);
      written.push(ca, caKey);
    }
    const issue = (name: string, extensions: string, days: number, commonName = name) => {
      const csr = join(work, "request.csr");
      const extFile = join(work, "extensions.cnf");
      const cert = out(`${name}.pem`);
      const key = out(`${name}-key.pem`);
      openssl(["req", "-new", ...newKeyArgs(key), "-out", csr, "-subj", `/CN=${escapeSubjectValue(commonName)}`]);
      writeFileSync(extFile, extensions);
      openssl([
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca,
        "-CAkey",
        caKey,
        "-CAcreateserial",
        "-CAserial",
        join(work, "ca.srl"),
        "-days",
        String(days),
        "-extfile",
        extFile,
        "-out",
        cert,
      ]);
      written.push(cert, key);
    };
    const clientExtensions = [
      "basicConstraints = critical, CA:FALSE",
      "keyUsage = critical, digitalSignature",
      "extendedKeyUsage = clientAuth",
      "",
    ].join("\n");
    const altNames = ["DNS:localhost", "IP:127.0.0.1", "IP:::1", ...request.serverNames.map(subjectAltName)];
    issue(
      "server",
      [
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth",
        `subjectAltName = ${[...new Set(altNames)].join(", ")}`,
        "",
      ].join("\n"),
      request.days,
      request.serverNames[0] ?? "localhost",
    );
    for (const machine of request.machines) issue(machine, clientExtensions, request.days);
    if (request.admin) issue(request.admin, clientExtensions, request.days);
    // A negative validity makes not-after precede the signing time: expired from birth.
    for (const name of request.expired) issue(name, clientExtensions, -1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return written;
}

function newKeyArgs(keyFile: string): string[] {
  return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile];
}

// In `-subj`, `/` separates attributes and `+` joins multi-valued RDNs; both need a backslash.
function escapeSubjectValue(value: string): string {
  return value.replace(/[\\/+]/g, (char) => `\\${char}`);
}

function subjectAltName(host: string): string {
  return /^[0-9.]+$/.test(host) || host.includes(":") ? `IP:${host}` : `DNS:${host}`;
}

function openssl(args: string[]): void {
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  if (result.error) throw new Error(`cannot run openssl: ${result.error.message}`);
  if (result.status !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-3).join("; ");
    throw new Error(`openssl ${args[0]} failed: ${detail}`);
  }
}

if (import.meta.main) {
  let request: CertsRequest;
  try {
    request = parseCertsArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`certs: ${(error as Error).message}\n\n${CERTS_USAGE}\n`);
    process.exit(2);
  }
  try {
    for (const file of issueCertificates(request)) process.stdout.write(`wrote ${file}\n`);
  } catch (error) {
    process.stderr.write(`certs: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
