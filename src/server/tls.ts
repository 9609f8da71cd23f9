import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { ConfigError, type Config } from "../config.ts";

/** PEM text of the server certificate, its key and (for mTLS) the client CA. */
export interface TlsMaterial {
  cert: string;
  key: string;
  clientCa: string | null;
}

/** Reads and parses the TLS files named in the config; throws ConfigError naming the bad file. */
export function readTlsMaterial(config: Config): TlsMaterial | null {
  if (!config.tlsCertFile || !config.tlsKeyFile) return null;
  const cert = readPem(config.tlsCertFile, "--tls-cert");
  const [leaf] = parseCertificates(cert, config.tlsCertFile, "--tls-cert");
  const key = readPem(config.tlsKeyFile, "--tls-key");
  const privateKey = parsePrivateKey(key, config.tlsKeyFile);
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new ConfigError(`--tls-key ${config.tlsKeyFile} does not match the certificate in ${config.tlsCertFile}`);
  }
  let clientCa: string | null = null;
  if (config.clientCaFile) {
    clientCa = readPem(config.clientCaFile, "--client-ca");
    parseCertificates(clientCa, config.clientCaFile, "--client-ca");
  }
  return { cert, key, clientCa };
}

function parsePrivateKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_MISSING_PASSPHRASE") {
      throw new ConfigError(`--tls-key ${file} is encrypted; give an unencrypted PEM private key`);
    }
    throw new ConfigError(`--tls-key ${file} is not a PEM private key`);
  }
}

function readPem(file: string, flag: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "is not readable";
    throw new ConfigError(`${flag} ${file} ${reason}`);
  }
  // Root reads any file; one without a single read bit is still meant to be unreadable.
  if ((statSync(file).mode & 0o444) === 0) throw new ConfigError(`${flag} ${file} is not readable`);
  return pem;
}

function parseCertificates(pem: string, file: string, flag: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${flag} ${file} is not a PEM certificate`);
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    throw new ConfigError(`${flag} ${file} is not a valid PEM certificate`);
  }
}
