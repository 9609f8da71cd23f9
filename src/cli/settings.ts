// Where the CLI finds its control plane: flags, then environment, then the file `login` wrote.
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { usageError } from "./exit.ts";

export type Env = Record<string, string | undefined>;

/** What `login` stores: the control plane, the API key and the client's TLS files (absolute paths). */
export interface SavedLogin {
  url: string;
  api_key: string;
  ca?: string;
  client_cert?: string;
  client_key?: string;
}

/** Everything a command needs to reach a control plane. */
export interface Connection {
  url: string;
  apiKey: string | undefined;
  caFile: string | undefined;
  clientCertFile: string | undefined;
  clientKeyFile: string | undefined;
}

export interface ConnectionFlags {
  url?: string | undefined;
  config?: string | undefined;
}

/** `--config`, else `NIXFLEET_CONFIG`, else `$XDG_CONFIG_HOME/nixfleet/control-plane.json` (`~/.config` without XDG). */
export function configFilePath(flag: string | undefined, env: Env): string {
  if (flag) return resolve(flag);
  if (env.NIXFLEET_CONFIG) return resolve(env.NIXFLEET_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "nixfleet", "control-plane.json");
}

/**
 * The saved login, or null when there is none. A file that others may read or write is
 * refused: it holds an API key.
 */
export function readSavedLogin(path: string): SavedLogin | null {
  if (!existsSync(path)) return null;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw usageError(
      `config file ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, "0")}); it holds an API key: chmod 600 ${path}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw usageError(`config file ${path} is not readable JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as SavedLogin).url !== "string" ||
    typeof (parsed as SavedLogin).api_key !== "string"
  ) {
    throw usageError(`config file ${path} has no url and api_key: run login again`);
  }
  return parsed as SavedLogin;
}

/**
 * Writes the login with mode 0600 (its directory 0700 when created), atomically: a new file
 * renamed over the old, so no reader ever sees a half-written or briefly world-readable key.
 */
export function writeSavedLogin(path: string, login: SavedLogin): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(login, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    // The mode passed to open is masked by the umask, which could only take bits away; set it exactly.
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/**
 * The connection for a command: `--url`, else `NIXFLEET_URL`, else the saved login's. The key and
 * TLS files come from `NIXFLEET_API_KEY`, `NIXFLEET_CA`, `NIXFLEET_CLIENT_CERT`, `NIXFLEET_CLIENT_KEY`,
 * else from the saved login, but only when it is for that same URL: a key is never sent elsewhere.
 */
export function resolveConnection(flags: ConnectionFlags, env: Env): Connection {
  const saved = readSavedLogin(configFilePath(flags.config, env));
  const url = flags.url ?? env.NIXFLEET_URL ?? saved?.url;
  if (!url) {
    throw usageError("no control plane configured: run `nixfleet-control-plane login --url URL` or set NIXFLEET_URL");
  }
  const fromSaved = saved && sameUrl(saved.url, url) ? saved : undefined;
  return {
    url,
    apiKey: env.NIXFLEET_API_KEY || fromSaved?.api_key,
    caFile: env.NIXFLEET_CA || fromSaved?.ca,
    clientCertFile: env.NIXFLEET_CLIENT_CERT || fromSaved?.client_cert,
    clientKeyFile: env.NIXFLEET_CLIENT_KEY || fromSaved?.client_key,
  };
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
