import { isIPv6 } from "node:net";
import { hostname } from "node:os";
import { parseArgs } from "node:util";

/** The release this build is; `--version` and the OpenAPI document print it. */
export const VERSION = "0.2.0";

/** Start-up configuration, parsed once from flags and environment. */
export interface Config {
  listen: ListenAddress;
  /** A SQLite file path, or a `libsql://` / `http(s)://` URL of a libSQL server. */
  dbPath: string;
  /** Auth token for a remote libSQL server (environment only, so it stays out of `ps`). */
  dbAuthToken: string | null;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  clientCaFile: string | null;
  /** Reports and health reports older than this are pruned (each machine keeps its latest). */
  reportRetentionHours: number;
  /** Export `nixfleet_machine_last_seen_timestamp_seconds` (one series per machine). */
  perMachineMetrics: boolean;
  /** Body limit of `POST /api/v1/releases` in MiB (every other route takes 1 MiB). */
  maxReleaseBodyMib: number;
  /** This process's name in the cluster (`GET /api/v1/cluster`, the lease holder). */
  nodeId: string;
  /** How long the executor lease lasts without renewal, in seconds. */
  leaseSeconds: number;
  /** False with `--no-executor`: a replica that never runs the rollout executor. */
  executor: boolean;
}

/** The settings the app itself reads (the rest are for the server edge). */
export type AppConfig = Pick<Config, "perMachineMetrics" | "reportRetentionHours" | "maxReleaseBodyMib">;

/** How this process joins the cluster of control planes on its database (SPEC §18). */
export type ClusterConfig = Pick<Config, "nodeId" | "leaseSeconds" | "executor">;

export interface ListenAddress {
  host: string;
  port: number;
}

/** A configuration problem; `message` is the single line printed before exiting. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

interface Option {
  flag: string;
  env: string;
  default?: string;
  help: string;
  boolean?: boolean;
}

/** Every flag with its environment variable; `--help` prints this table. */
export const OPTIONS = {
  listen: {
    flag: "listen",
    env: "NIXFLEET_CP_LISTEN",
    default: "0.0.0.0:8080",
    help: "HOST:PORT to listen on; port 0 picks a free port",
  },
  dbPath: {
    flag: "db-path",
    env: "NIXFLEET_CP_DB_PATH",
    default: "/var/lib/nixfleet-cp/state.db",
    help: "SQLite file, or libsql:// / http(s):// URL of a libSQL server",
  },
  tlsCert: { flag: "tls-cert", env: "NIXFLEET_CP_TLS_CERT", help: "PEM certificate; with --tls-key serves HTTPS" },
  tlsKey: { flag: "tls-key", env: "NIXFLEET_CP_TLS_KEY", help: "PEM private key" },
  clientCa: {
    flag: "client-ca",
    env: "NIXFLEET_CP_CLIENT_CA",
    help: "PEM CA; every connection must present a client certificate signed by it",
  },
  reportRetention: {
    flag: "report-retention-hours",
    env: "NIXFLEET_CP_REPORT_RETENTION_HOURS",
    default: "24",
    help: "prune reports and health reports older than this many hours",
  },
  perMachineMetrics: {
    flag: "per-machine-metrics",
    env: "NIXFLEET_CP_PER_MACHINE_METRICS",
    default: "true",
    help: "export the per-machine last-seen gauge (true/false)",
  },
  maxReleaseBody: {
    flag: "max-release-body-mib",
    env: "NIXFLEET_CP_MAX_RELEASE_BODY_MIB",
    default: "1",
    help: "body limit of POST /api/v1/releases in MiB (a 10 000-host manifest is about 1.7 MiB)",
  },
  nodeId: {
    flag: "node-id",
    env: "NIXFLEET_CP_NODE_ID",
    help: "this process's name among the control planes sharing the database (default HOSTNAME-PID)",
  },
  leaseSeconds: {
    flag: "lease-seconds",
    env: "NIXFLEET_CP_LEASE_SECONDS",
    default: "5",
    help: "executor lease time; another process takes over within twice this after the leader dies",
  },
  noExecutor: {
    flag: "no-executor",
    env: "NIXFLEET_CP_NO_EXECUTOR",
    default: "false",
    boolean: true,
    help: "never lead: no rollout executor steps, retention or webhooks here (a replica serving agents and the whole API)",
  },
} as const satisfies Record<string, Option>;

export const USAGE = [
  "usage: nixfleet-control-plane [flags]",
  "",
  ...Object.values(OPTIONS).map((o: Option) => {
    const def = o.default === undefined ? "" : ` (default ${o.default})`;
    return `  --${o.flag.padEnd(24)} ${o.env.padEnd(36)} ${o.help}${def}`;
  }),
  "  --help                     print this help",
  "  --version                  print the version",
].join("\n");

export type CliRequest = { kind: "run"; config: Config } | { kind: "help" } | { kind: "version" };

/** Parses flags and environment (flags win) into a validated Config; throws ConfigError. */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliRequest {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(
          Object.values(OPTIONS).map((o: Option) => [
            o.flag,
            { type: o.boolean ? ("boolean" as const) : ("string" as const) },
          ]),
        ),
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
    values = parsed.values;
  } catch (error) {
    throw new ConfigError(`invalid arguments: ${(error as Error).message.split("\n")[0]}`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const read = (o: Option): string | undefined => {
    const fromFlag = values[o.flag];
    if (typeof fromFlag === "string") return fromFlag;
    if (fromFlag === true) return "true";
    const fromEnv = env[o.env];
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
    return o.default;
  };

  const listen = parseListen(read(OPTIONS.listen)!);
  const dbPath = read(OPTIONS.dbPath)!;
  if (dbPath.trim() === "") throw new ConfigError("--db-path must not be empty");
  const tlsCertFile = read(OPTIONS.tlsCert) ?? null;
  const tlsKeyFile = read(OPTIONS.tlsKey) ?? null;
  const clientCaFile = read(OPTIONS.clientCa) ?? null;
  if (tlsCertFile && !tlsKeyFile) throw new ConfigError("--tls-cert needs --tls-key");
  if (tlsKeyFile && !tlsCertFile) throw new ConfigError("--tls-key needs --tls-cert");
  if (clientCaFile && !tlsCertFile) throw new ConfigError("--client-ca needs --tls-cert and --tls-key");

  const retentionText = read(OPTIONS.reportRetention)!;
  const reportRetentionHours = Number(retentionText);
  if (!/^\d+(\.\d+)?$/.test(retentionText) || reportRetentionHours <= 0) {
    throw new ConfigError(`--report-retention-hours must be a positive number of hours, got "${retentionText}"`);
  }
  const perMachineText = read(OPTIONS.perMachineMetrics)!;
  if (perMachineText !== "true" && perMachineText !== "false") {
    throw new ConfigError(`--per-machine-metrics must be true or false, got "${perMachineText}"`);
  }
  const releaseBodyText = read(OPTIONS.maxReleaseBody)!;
  const maxReleaseBodyMib = Number(releaseBodyText);
  if (!/^\d+$/.test(releaseBodyText) || maxReleaseBodyMib < 1 || maxReleaseBodyMib > 1024) {
    throw new ConfigError(
      `--max-release-body-mib must be a whole number of MiB from 1 to 1024, got "${releaseBodyText}"`,
    );
  }

  const nodeId = read(OPTIONS.nodeId) ?? `${hostname()}-${process.pid}`;
  if (nodeId.length > 128 || !/^[^\s\p{Cc}]+$/u.test(nodeId)) {
    throw new ConfigError(
      `--node-id must be 1 to 128 characters without spaces or control characters, got ${JSON.stringify(nodeId)}`,
    );
  }
  const leaseText = read(OPTIONS.leaseSeconds)!;
  const leaseSeconds = Number(leaseText);
  if (!/^\d+$/.test(leaseText) || leaseSeconds < 1 || leaseSeconds > 3600) {
    throw new ConfigError(`--lease-seconds must be a whole number of seconds from 1 to 3600, got "${leaseText}"`);
  }
  const noExecutorText = read(OPTIONS.noExecutor)!;
  if (noExecutorText !== "true" && noExecutorText !== "false") {
    throw new ConfigError(`NIXFLEET_CP_NO_EXECUTOR must be true or false, got "${noExecutorText}"`);
  }

  return {
    kind: "run",
    config: {
      listen,
      dbPath,
      dbAuthToken: env.NIXFLEET_CP_DB_AUTH_TOKEN || null,
      tlsCertFile,
      tlsKeyFile,
      clientCaFile,
      reportRetentionHours,
      perMachineMetrics: perMachineText === "true",
      maxReleaseBodyMib,
      nodeId,
      leaseSeconds,
      executor: noExecutorText === "false",
    },
  };
}

/** Parses `HOST:PORT` (`[v6]:PORT` for IPv6 literals). */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535 || (match[1] !== undefined && !isIPv6(match[1]))) {
    throw new ConfigError(`--listen must be HOST:PORT with a port from 0 to 65535, got "${text}"`);
  }
  return { host: (match[1] ?? match[2])!, port };
}

/** True when the database setting names a remote libSQL server rather than a file. */
export function isRemoteDatabase(dbPath: string): boolean {
  return /^(libsql|https?|wss?):\/\//i.test(dbPath);
}
