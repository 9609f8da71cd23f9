import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import {
  ConfigError,
  OPTIONS,
  USAGE,
  isRemoteDatabase,
  parseCli,
  parseListen,
  type CliRequest,
  type Config,
} from "../../src/config.ts";

/** The Config of a successful parse; fails the test on help/version. */
function configOf(argv: string[], env: Record<string, string> = {}): Config {
  const request: CliRequest = parseCli(argv, env);
  if (request.kind !== "run") throw new Error(`expected a run request, got ${request.kind}`);
  return request.config;
}

/** The ConfigError message parseCli throws for these inputs. */
function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCli(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify({ argv, env })}`);
}

describe("defaults", () => {
  test("with no flags and no env every setting has its documented default", () => {
    expect(configOf([])).toEqual({
      listen: { host: "0.0.0.0", port: 8080 },
      dbPath: "/var/lib/nixfleet-cp/state.db",
      dbAuthToken: null,
      tlsCertFile: null,
      tlsKeyFile: null,
      clientCaFile: null,
      reportRetentionHours: 24,
      perMachineMetrics: true,
      maxReleaseBodyMib: 1,
      nodeId: `${hostname()}-${process.pid}`,
      leaseSeconds: 5,
      executor: true,
    });
  });

  test("an empty environment variable counts as unset", () => {
    expect(configOf([], { NIXFLEET_CP_LISTEN: "", NIXFLEET_CP_DB_AUTH_TOKEN: "" })).toMatchObject({
      listen: { host: "0.0.0.0", port: 8080 },
      dbAuthToken: null,
    });
  });
});

describe("flags", () => {
  test("every flag sets its field", () => {
    const config = configOf([
      "--listen",
      "127.0.0.1:9000",
      "--db-path",
      "/tmp/x.db",
      "--tls-cert",
      "/c.pem",
      "--tls-key",
      "/k.pem",
      "--client-ca",
      "/ca.pem",
      "--report-retention-hours",
      "48",
      "--per-machine-metrics",
      "false",
      "--max-release-body-mib",
      "32",
      "--node-id",
      "cp-a",
      "--lease-seconds",
      "2",
      "--no-executor",
    ]);
    expect(config).toEqual({
      listen: { host: "127.0.0.1", port: 9000 },
      dbPath: "/tmp/x.db",
      dbAuthToken: null,
      tlsCertFile: "/c.pem",
      tlsKeyFile: "/k.pem",
      clientCaFile: "/ca.pem",
      reportRetentionHours: 48,
      perMachineMetrics: false,
      maxReleaseBodyMib: 32,
      nodeId: "cp-a",
      leaseSeconds: 2,
      executor: false,
    });
  });

  test("--flag=value spelling is accepted", () => {
    expect(configOf(["--listen=127.0.0.1:0", "--db-path=./state.db"])).toMatchObject({
      listen: { host: "127.0.0.1", port: 0 },
      dbPath: "./state.db",
    });
  });

  test("fractional retention hours are accepted", () => {
    expect(configOf(["--report-retention-hours", "0.5"]).reportRetentionHours).toBe(0.5);
  });
});

describe("environment", () => {
  test("every environment variable sets its field", () => {
    const config = configOf([], {
      NIXFLEET_CP_LISTEN: "10.0.0.1:7000",
      NIXFLEET_CP_DB_PATH: "libsql://db.example.com",
      NIXFLEET_CP_DB_AUTH_TOKEN: "secret-token",
      NIXFLEET_CP_TLS_CERT: "/env/c.pem",
      NIXFLEET_CP_TLS_KEY: "/env/k.pem",
      NIXFLEET_CP_CLIENT_CA: "/env/ca.pem",
      NIXFLEET_CP_REPORT_RETENTION_HOURS: "12",
      NIXFLEET_CP_PER_MACHINE_METRICS: "false",
      NIXFLEET_CP_MAX_RELEASE_BODY_MIB: "8",
      NIXFLEET_CP_NODE_ID: "cp-env",
      NIXFLEET_CP_LEASE_SECONDS: "30",
      NIXFLEET_CP_NO_EXECUTOR: "true",
    });
    expect(config).toEqual({
      listen: { host: "10.0.0.1", port: 7000 },
      dbPath: "libsql://db.example.com",
      dbAuthToken: "secret-token",
      tlsCertFile: "/env/c.pem",
      tlsKeyFile: "/env/k.pem",
      clientCaFile: "/env/ca.pem",
      reportRetentionHours: 12,
      perMachineMetrics: false,
      maxReleaseBodyMib: 8,
      nodeId: "cp-env",
      leaseSeconds: 30,
      executor: false,
    });
  });

  test("the OPTIONS table names the documented environment variables", () => {
    expect(Object.values(OPTIONS).map((o) => [o.flag, o.env])).toEqual([
      ["listen", "NIXFLEET_CP_LISTEN"],
      ["db-path", "NIXFLEET_CP_DB_PATH"],
      ["tls-cert", "NIXFLEET_CP_TLS_CERT"],
      ["tls-key", "NIXFLEET_CP_TLS_KEY"],
      ["client-ca", "NIXFLEET_CP_CLIENT_CA"],
      ["report-retention-hours", "NIXFLEET_CP_REPORT_RETENTION_HOURS"],
      ["per-machine-metrics", "NIXFLEET_CP_PER_MACHINE_METRICS"],
      ["max-release-body-mib", "NIXFLEET_CP_MAX_RELEASE_BODY_MIB"],
      ["node-id", "NIXFLEET_CP_NODE_ID"],
      ["lease-seconds", "NIXFLEET_CP_LEASE_SECONDS"],
      ["no-executor", "NIXFLEET_CP_NO_EXECUTOR"],
    ]);
  });
});

describe("flags win over env", () => {
  test("for every setting", () => {
    const config = configOf(
      [
        "--listen",
        "127.0.0.1:1",
        "--db-path",
        "/flag.db",
        "--tls-cert",
        "/flag-c.pem",
        "--tls-key",
        "/flag-k.pem",
        "--client-ca",
        "/flag-ca.pem",
        "--report-retention-hours",
        "2",
        "--per-machine-metrics",
        "true",
      ],
      {
        NIXFLEET_CP_LISTEN: "10.0.0.1:7000",
        NIXFLEET_CP_DB_PATH: "/env.db",
        NIXFLEET_CP_TLS_CERT: "/env/c.pem",
        NIXFLEET_CP_TLS_KEY: "/env/k.pem",
        NIXFLEET_CP_CLIENT_CA: "/env/ca.pem",
        NIXFLEET_CP_REPORT_RETENTION_HOURS: "12",
        NIXFLEET_CP_PER_MACHINE_METRICS: "false",
      },
    );
    expect(config).toMatchObject({
      listen: { host: "127.0.0.1", port: 1 },
      dbPath: "/flag.db",
      tlsCertFile: "/flag-c.pem",
      tlsKeyFile: "/flag-k.pem",
      clientCaFile: "/flag-ca.pem",
      reportRetentionHours: 2,
      perMachineMetrics: true,
    });
  });

  test("a flag and the env may mix: TLS cert from a flag, key from the env", () => {
    expect(configOf(["--tls-cert", "/c.pem"], { NIXFLEET_CP_TLS_KEY: "/k.pem" })).toMatchObject({
      tlsCertFile: "/c.pem",
      tlsKeyFile: "/k.pem",
    });
  });

  test("a bad env value is ignored when a flag overrides it", () => {
    expect(configOf(["--listen", "127.0.0.1:80"], { NIXFLEET_CP_LISTEN: "garbage" }).listen.port).toBe(80);
  });
});

describe("--help and --version", () => {
  test("--help and -h ask for the usage text, even with other flags", () => {
    expect(parseCli(["--help"], {})).toEqual({ kind: "help" });
    expect(parseCli(["-h"], {})).toEqual({ kind: "help" });
    expect(parseCli(["--listen", "nonsense", "--help"], {})).toEqual({ kind: "help" });
  });

  test("--version asks for the version", () => {
    expect(parseCli(["--version"], {})).toEqual({ kind: "version" });
  });

  test("the usage text lists every flag and its environment variable", () => {
    for (const option of Object.values(OPTIONS)) {
      expect(USAGE).toContain(`--${option.flag}`);
      expect(USAGE).toContain(option.env);
    }
    expect(USAGE).toContain("--help");
    expect(USAGE).toContain("--version");
  });
});

describe("--listen", () => {
  test.each([
    ["127.0.0.1:8080", "127.0.0.1", 8080],
    ["0.0.0.0:0", "0.0.0.0", 0],
    ["localhost:65535", "localhost", 65535],
    ["cp.example.com:443", "cp.example.com", 443],
    ["[::1]:8080", "::1", 8080],
    ["[::]:0", "::", 0],
    ["[fe80::1:2]:9", "fe80::1:2", 9],
  ])("%p → host %p port %p", (text, host, port) => {
    expect(parseListen(text)).toEqual({ host, port });
  });

  test.each([
    "",
    "8080",
    ":8080",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:http",
    "127.0.0.1:65536",
    "127.0.0.1:99999",
    "127.0.0.1:123456",
    "127.0.0.1:-1",
    "::1:8080",
    "[::1]",
    "[::1:8080",
    "::1]:8080",
    "[]:8080",
    "[not-an-ip]:8080",
    "[127.0.0.1]:8080",
    "host name:80",
    "http://127.0.0.1:8080",
  ])("%p is refused with one line naming the flag and the value", (text) => {
    const message = errorOf(["--listen", text]);
    expect(message).toBe(`--listen must be HOST:PORT with a port from 0 to 65535, got "${text}"`);
  });

  test("a malformed NIXFLEET_CP_LISTEN is refused too", () => {
    expect(errorOf([], { NIXFLEET_CP_LISTEN: "nope" })).toContain('got "nope"');
  });
});

describe("TLS flags", () => {
  test("--tls-key without --tls-cert is refused", () => {
    expect(errorOf(["--tls-key", "/k.pem"])).toBe("--tls-key needs --tls-cert");
  });

  test("--tls-cert without --tls-key is refused", () => {
    expect(errorOf(["--tls-cert", "/c.pem"])).toBe("--tls-cert needs --tls-key");
  });

  test("--client-ca without TLS is refused", () => {
    expect(errorOf(["--client-ca", "/ca.pem"])).toBe("--client-ca needs --tls-cert and --tls-key");
  });

  test("the same rules apply to the environment variables", () => {
    expect(errorOf([], { NIXFLEET_CP_TLS_KEY: "/k.pem" })).toBe("--tls-key needs --tls-cert");
    expect(errorOf([], { NIXFLEET_CP_CLIENT_CA: "/ca.pem" })).toBe("--client-ca needs --tls-cert and --tls-key");
  });
});

describe("other values", () => {
  test.each(["0", "-1", "abc", "1e3", "", " 24", "24h", "Infinity", "NaN"])(
    "--report-retention-hours %p is refused",
    (value) => {
      expect(errorOf([`--report-retention-hours=${value}`])).toBe(
        `--report-retention-hours must be a positive number of hours, got "${value}"`,
      );
    },
  );

  test("a bad NIXFLEET_CP_REPORT_RETENTION_HOURS is refused", () => {
    expect(errorOf([], { NIXFLEET_CP_REPORT_RETENTION_HOURS: "forever" })).toContain('got "forever"');
  });

  test.each(["yes", "1", "TRUE", "off", ""])("--per-machine-metrics %p is refused", (value) => {
    expect(errorOf(["--per-machine-metrics", value])).toBe(
      `--per-machine-metrics must be true or false, got "${value}"`,
    );
  });

  test.each(["0", "1025", "1.5", "big", ""])("--max-release-body-mib %p is refused", (value) => {
    expect(errorOf(["--max-release-body-mib", value])).toBe(
      `--max-release-body-mib must be a whole number of MiB from 1 to 1024, got "${value}"`,
    );
  });

  test("a bad NIXFLEET_CP_PER_MACHINE_METRICS is refused", () => {
    expect(errorOf([], { NIXFLEET_CP_PER_MACHINE_METRICS: "no" })).toContain('got "no"');
  });

  test.each(["0", "3601", "1.5", "-2", "5s", ""])("--lease-seconds %p is refused", (value) => {
    expect(errorOf([`--lease-seconds=${value}`])).toBe(
      `--lease-seconds must be a whole number of seconds from 1 to 3600, got "${value}"`,
    );
  });

  test.each(["", "a b", "tab\there", "x".repeat(129)])("--node-id %p is refused", (value) => {
    expect(errorOf([`--node-id=${value}`])).toBe(
      `--node-id must be 1 to 128 characters without spaces or control characters, got ${JSON.stringify(value)}`,
    );
  });

  test("--no-executor takes no value; NIXFLEET_CP_NO_EXECUTOR takes true or false", () => {
    expect(errorOf(["--no-executor=yes"])).toContain("--no-executor");
    expect(errorOf([], { NIXFLEET_CP_NO_EXECUTOR: "1" })).toBe(
      'NIXFLEET_CP_NO_EXECUTOR must be true or false, got "1"',
    );
    expect(configOf([], { NIXFLEET_CP_NO_EXECUTOR: "false" }).executor).toBe(true);
  });

  test("an empty --db-path is refused", () => {
    expect(errorOf(["--db-path", ""])).toBe("--db-path must not be empty");
    expect(errorOf(["--db-path", "  "])).toBe("--db-path must not be empty");
  });
});

describe("malformed command lines", () => {
  test("an unknown flag is refused, naming it", () => {
    expect(errorOf(["--bogus"])).toBe("invalid arguments: Unknown option '--bogus'");
    expect(errorOf(["-x"])).toBe("invalid arguments: Unknown option '-x'");
  });

  test("a flag without its value is refused, naming it", () => {
    expect(errorOf(["--listen"])).toBe("invalid arguments: Option '--listen <value>' argument missing");
    expect(errorOf(["--db-path"])).toContain("--db-path");
  });

  test("a value that looks like a flag is refused rather than swallowed", () => {
    expect(errorOf(["--report-retention-hours", "-1"])).toContain("'--report-retention-hours'");
  });

  test("a positional argument is refused", () => {
    expect(errorOf(["serve"])).toContain("Unexpected argument 'serve'");
  });

  test("every error message is a single line", () => {
    for (const argv of [["--bogus"], ["--listen"], ["serve"], ["--listen", "x"], ["--tls-key", "k"]]) {
      expect(errorOf(argv)).not.toContain("\n");
    }
  });
});

describe("isRemoteDatabase", () => {
  test.each([
    "libsql://db.example.com",
    "libsql://db-org.turso.io?tls=0",
    "http://127.0.0.1:8080",
    "https://db.example.com",
    "HTTPS://db.example.com",
    "ws://127.0.0.1:8080",
    "wss://db.example.com",
  ])("%p is a remote libSQL server", (url) => {
    expect(isRemoteDatabase(url)).toBe(true);
  });

  test.each([
    "./state.db",
    "/var/lib/nixfleet-cp/state.db",
    "state.db",
    "libsql.db",
    "http.db",
    "./http:/x.db",
    "C:\\data\\state.db",
  ])("%p is a local file", (path) => {
    expect(isRemoteDatabase(path)).toBe(false);
  });
});

test("VERSION is the package's version (--version and the OpenAPI document print it)", async () => {
  const { VERSION } = await import("../../src/config.ts");
  const pkg = (await Bun.file(new URL("../../package.json", import.meta.url)).json()) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
