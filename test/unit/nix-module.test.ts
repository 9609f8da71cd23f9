// The NixOS module and the flake (SPEC §12, §17). With nix-instantiate on PATH (.ci/run installs
// it) every .nix file must parse, and nix/module.nix is evaluated by the real NixOS module system
// (test/nix/module-eval.nix: lib.evalModules of the vendored nixpkgs lib, with stand-ins for the
// NixOS options the module sets) for the seed's examples and the edge cases; with systemd-analyze,
// the resulting unit must pass `systemd-analyze verify`.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPTIONS } from "../../src/config.ts";
import { codeSpans, readmeTable } from "../support/readme.ts";

const root = join(import.meta.dir, "..", "..");
const modulePath = join(root, "nix", "module.nix");
const moduleText = readFileSync(modulePath, "utf8");
const vendoredLib = join(root, "nix", "vendor", "nixpkgs-lib", "lib");
const nixInstantiate = Bun.which("nix-instantiate");
const systemdAnalyze = Bun.which("systemd-analyze");

if (!nixInstantiate) {
  console.warn(
    "nix-module.test.ts: nix-instantiate not found; skipping the parse and module-system tests " +
      "(install Debian's nix-bin, as .ci/run does, to run them)",
  );
} else if (!systemdAnalyze) {
  console.warn(
    "nix-module.test.ts: systemd-analyze not found; skipping `systemd-analyze verify` of the unit " +
      "(install Debian's systemd, as .ci/run does, to run it)",
  );
}

const seedOptions = ["enable", "listen", "dbPath", "openFirewall", "tls.cert", "tls.key", "tls.clientCa", "package"];

const hardening = {
  NoNewPrivileges: true,
  ProtectSystem: "strict",
  ProtectHome: true,
  PrivateTmp: true,
  PrivateDevices: true,
  ProtectKernelTunables: true,
  ProtectKernelModules: true,
  ProtectControlGroups: true,
};

const packagePath = "/nix/store/00000000000000000000000000000000-nixfleet-control-plane";
const packageBin = `${packagePath}/bin/nixfleet-control-plane`;
/** The flags of the seed's options; the module passes every other server flag after them. */
const seedFlags = new Set(["--listen", "--db-path", "--tls-cert", "--tls-key", "--client-ca"]);
/** The values of the server flags beyond the seed's, as the module passes them by default. */
const defaultFlags = {
  "--max-release-body-mib": "1",
  "--per-machine-metrics": "true",
  "--report-retention-hours": "24",
};

/** Every .nix file of the repository, outside node_modules and .git. */
function nixFiles(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) {
      return entry.name === "node_modules" || entry.name === ".git" ? [] : nixFiles(join(dir, entry.name));
    }
    return entry.name.endsWith(".nix") ? [join(dir, entry.name)] : [];
  });
}

function run(args: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync([nixInstantiate!, ...args], { cwd: root });
  return {
    exitCode: result.exitCode,
    stdout: result.stdout.toString(),
    stderr: result.stderr.toString(),
  };
}

interface Scenario {
  settings: Record<string, unknown>;
  persistence?: Record<string, { enable: boolean; persistentStoragePath: string }> | null;
}

interface Service {
  description: string;
  after: string[];
  wants: string[];
  wantedBy: string[];
  serviceConfig: Record<string, unknown>;
}

interface Evaluated {
  options: {
    name: string;
    type: string;
    default: unknown;
    hasDescription: boolean;
    hasExample: boolean;
  }[];
  config: {
    assertions: { assertion: boolean; message: string }[];
    networking: { firewall: { allowedTCPPorts: number[] } };
    systemd: { services: Record<string, Service>; tmpfiles: { rules: string[] } };
    users: {
      users: Record<string, { isSystemUser: boolean; group: string; home: string }>;
      groups: Record<string, unknown>;
    };
    environment: {
      systemPackages: string[];
      persistence?: Record<string, { enable: boolean; persistentStoragePath: string; directories: unknown[] }>;
    };
  };
}

function evaluateModule(
  scenariosJson: string,
  module = modulePath,
): { exitCode: number; stdout: string; stderr: string } {
  return run([
    "--eval",
    "--strict",
    "--json",
    join(root, "test", "nix", "module-eval.nix"),
    "--arg",
    "modulePath",
    module,
    "--argstr",
    "scenariosJson",
    scenariosJson,
  ]);
}

/** Evaluates the module once for every scenario (one nix-instantiate call), plus "everySetting". */
function evaluate<const Names extends string>(
  scenarios: Record<Names, Scenario>,
): Record<Names | "everySetting", Evaluated> {
  const result = evaluateModule(JSON.stringify(scenarios));
  if (result.exitCode !== 0) throw new Error(`nix-instantiate --eval failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<Names | "everySetting", Evaluated>;
}

/** The error the module system stops with for one scenario (the evaluation must fail). */
function evaluationError(settings: Record<string, unknown>, module = modulePath): string {
  const result = evaluateModule(JSON.stringify({ failing: { settings } }), module);
  expect(result.exitCode).not.toBe(0);
  return result.stderr;
}

/** nix/module.nix with one piece of text replaced, in a temporary file (the mistake a test plants). */
function withModuleMistake<T>(from: string, to: string, use: (path: string) => T): T {
  expect(moduleText).toContain(from);
  const dir = mkdtempSync(join(tmpdir(), "nix-module-mistake-"));
  try {
    const path = join(dir, "module.nix");
    writeFileSync(path, moduleText.replace(from, to));
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function failedAssertions(evaluated: Evaluated): string[] {
  return evaluated.config.assertions.filter((a) => !a.assertion).map((a) => a.message);
}

const seedTlsSettings = {
  enable: true,
  tls: {
    cert: "/run/secrets/cp-cert.pem",
    key: "/run/secrets/cp-key.pem",
    clientCa: "/run/secrets/fleet-ca.pem",
  },
};

describe("module text", () => {
  test("declares every option of the seed page", () => {
    expect(moduleText).toContain("options.services.nixfleet-control-plane");
    for (const option of seedOptions) {
      const leaf = option.split(".").at(-1)!;
      expect(moduleText).toMatch(new RegExp(`^\\s*${leaf} = lib\\.mk(Enable)?Option`, "m"));
    }
  });

  test("names the unit, its restart policy and every hardening setting of SPEC §12", () => {
    expect(moduleText).toContain("systemd.services.nixfleet-control-plane");
    for (const setting of [
      'Restart = "always"',
      "RestartSec = 10",
      'StateDirectory = "nixfleet-cp"',
      "lib.escapeShellArgs",
      '"network-online.target"',
      '"multi-user.target"',
      "ReadWritePaths",
      "options ? environment.persistence",
      ...Object.entries(hardening).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ]) {
      expect(moduleText).toContain(setting);
    }
  });
});

describe.skipIf(!nixInstantiate)("nix-instantiate", () => {
  test("parses every .nix file", () => {
    const files = nixFiles();
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(
      expect.arrayContaining([
        "flake.nix",
        "nix/module.nix",
        "nix/package.nix",
        "nix/node-modules.nix",
        "nix/bun-deps.nix",
        "nix/demo.nix",
        "nix/vm-test.nix",
        "nix/vendor/nixpkgs-lib/lib/modules.nix",
      ]),
    );
    const result = run(["--parse", ...files]);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: "" });
  });

  test("a parse error is reported", () => {
    const result = run(["--parse", "-E", "{ a = ; }"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("syntax error");
  });

  test("the flake exposes the package, apps, a dev shell, the module and checks for each Linux system", () => {
    // nixpkgs' real lib with stub packages: enough for the outputs' structure, not for building.
    const expression = `
      let
        flake = import ${join(root, "flake.nix")};
        lib = import ${vendoredLib};
        drv = name: { type = "derivation"; inherit name; outPath = "/nix/store/x-\${name}"; meta.mainProgram = name; };
        stubPkgs = system: {
          inherit lib system;
          stdenv.hostPlatform.system = system;
          callPackage = file: args: drv (baseNameOf file) // { inherit args; };
          writeShellScriptBin = name: text: drv name // { inherit text; };
          mkShell = args: args;
          runCommand = name: _: _: "/nix/store/certs";
          testers.nixosTest = test: "nixos test \${test.name}";
        } // lib.genAttrs [ "bun" "nodejs" "openssl" "sqlite" "tmux" "chromium" "wrk" "systemd" "nixfmt" ] drv;
        nixpkgs = {
          inherit lib;
          legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] stubPkgs;
        };
        self = flake.outputs { inherit self nixpkgs; };
        x86 = "x86_64-linux";
      in {
        inherit (flake.inputs.nixpkgs) url;
        packages = builtins.mapAttrs (_: builtins.attrNames) self.packages;
        default = self.packages.\${x86}.default.name;
        demoGets = self.packages.\${x86}.demo.args.nixfleet-control-plane.name;
        apps = builtins.mapAttrs (_: apps: builtins.mapAttrs (_: app: { inherit (app) type program; }) apps) self.apps;
        devShell = map (p: p.name) self.devShells.\${x86}.default.packages;
        module = toString self.nixosModules.default;
        checks = builtins.mapAttrs (_: c: { vm-test = c.vm-test; package = c.package.name; }) self.checks;
      }`;
    const result = run(["--eval", "--strict", "--json", "-E", expression]);
    expect(result.stderr).toBe("");
    const outputs = JSON.parse(result.stdout);
    const systems = ["aarch64-linux", "x86_64-linux"];
    const each = <T>(value: T) => Object.fromEntries(systems.map((s) => [s, value]));
    expect(outputs.url).toBe("github:NixOS/nixpkgs/nixos-unstable");
    expect(outputs.packages).toEqual(each(["default", "demo", "nixfleet-control-plane"]));
    expect(outputs.default).toBe("package.nix");
    expect(outputs.demoGets).toBe("package.nix");
    expect(outputs.apps).toEqual(
      each({
        serve: { type: "app", program: "/nix/store/x-nixfleet-control-plane-serve/bin/nixfleet-control-plane-serve" },
        demo: { type: "app", program: "/nix/store/x-demo.nix/bin/demo.nix" },
      }),
    );
    expect(outputs.devShell).toEqual(expect.arrayContaining(["bun", "nodejs", "openssl", "sqlite", "systemd"]));
    expect(outputs.module).toBe(modulePath);
    expect(outputs.checks).toEqual(each({ "vm-test": "nixos test nixfleet-control-plane", package: "package.nix" }));
  });

  test("the serve app runs the executable with a local listen address and database by default", () => {
    const flakeText = readFileSync(join(root, "flake.nix"), "utf8");
    expect(flakeText).toContain("NIXFLEET_CP_LISTEN=\"''${NIXFLEET_CP_LISTEN:-127.0.0.1:8080}\"");
    expect(flakeText).toContain("NIXFLEET_CP_DB_PATH=\"''${NIXFLEET_CP_DB_PATH:-$PWD/nixfleet-cp.db}\"");
    expect(flakeText).toContain('exec ${lib.getExe packages.default} "$@"');
  });

  const evaluated = nixInstantiate
    ? evaluate({
        disabled: { settings: {} },
        seedPlain: {
          settings: {
            enable: true,
            listen: "0.0.0.0:8080",
            dbPath: "/var/lib/nixfleet-cp/state.db",
            openFirewall: true,
          },
        },
        seedTls: { settings: seedTlsSettings },
        everythingValid: {
          settings: {
            ...seedTlsSettings,
            environmentFile: "/run/secrets/nixfleet-cp.env",
            reportRetentionHours: 72,
            perMachineMetrics: false,
            maxReleaseBodyMib: 8,
          },
        },
        impermanent: {
          settings: { enable: true, dbPath: "/srv/nixfleet/state.db" },
          persistence: { "/persistent": { enable: true, persistentStoragePath: "/persistent" } },
        },
        impermanenceUnused: { settings: { enable: true }, persistence: {} },
        privilegedPort: {
          settings: {
            enable: true,
            listen: "[::1]:443",
            dbPath: "/srv/a%b/state.db",
            environmentFile: "/run/a%b.env",
          },
        },
        remoteDb: { settings: { enable: true, dbPath: "libsql://db.example.com" } },
        keyWithoutCert: { settings: { enable: true, tls: { key: "/run/secrets/k.pem" } } },
        certWithoutKey: { settings: { enable: true, tls: { cert: "/run/secrets/c.pem" } } },
        clientCaWithoutCert: { settings: { enable: true, tls: { clientCa: "/run/secrets/ca.pem" } } },
        listenWithoutPort: { settings: { enable: true, listen: "localhost" } },
        listenPortTooLarge: { settings: { enable: true, listen: "0.0.0.0:70000" } },
        firewallOnPortZero: { settings: { enable: true, listen: "127.0.0.1:0", openFirewall: true } },
        relativeDbPath: { settings: { enable: true, dbPath: "state.db" } },
      })
    : undefined;
  type Name = keyof NonNullable<typeof evaluated>;
  const unit = (name: Name) => evaluated![name].config.systemd.services["nixfleet-control-plane"]!;
  const execArgs = (name: Name) => String(unit(name).serviceConfig.ExecStart).split(" ");
  /** ExecStart as the seed's part (the executable and the seed options' flags) and the other flags' values. */
  const commandLine = (name: Name) => {
    const args = execArgs(name);
    const firstOther = args.findIndex((arg, i) => i > 0 && arg.startsWith("--") && !seedFlags.has(arg));
    const seed = firstOther === -1 ? args : args.slice(0, firstOther);
    const flags: Record<string, string | true> = {};
    for (let i = seed.length; i < args.length; i++) {
      const value = args[i + 1];
      flags[args[i]!] = value === undefined || value.startsWith("--") ? true : args[++i]!;
    }
    return { seed: seed.join(" "), flags };
  };

  test("option names, types and defaults of the seed page; every option documented", () => {
    const options = Object.fromEntries(evaluated!.disabled.options.map((o) => [o.name, o]));
    expect(Object.keys(options)).toEqual(expect.arrayContaining([...seedOptions, "environmentFile"]));
    for (const option of Object.values(options)) {
      expect({ name: option.name, hasDescription: option.hasDescription }).toEqual({
        name: option.name,
        hasDescription: true,
      });
    }
    for (const name of [...seedOptions, "environmentFile"]) {
      expect({ name, hasExample: options[name]!.hasExample }).toEqual({ name, hasExample: true });
    }
    expect(options.enable!.default).toBe(false);
    expect(options.listen).toMatchObject({ type: "string", default: "0.0.0.0:8080" });
    expect(options.dbPath).toMatchObject({ type: "string", default: "/var/lib/nixfleet-cp/state.db" });
    expect(options.openFirewall).toMatchObject({ type: "boolean", default: false });
    for (const tls of ["tls.cert", "tls.key", "tls.clientCa", "environmentFile"]) {
      expect(options[tls]).toMatchObject({ type: "null or absolute path", default: null });
    }
    expect(options.package).toMatchObject({ type: "package", default: join(root, "nix", "package.nix") });
    expect(options.reportRetentionHours).toMatchObject({ type: "positive integer, meaning >0", default: 24 });
    expect(options.perMachineMetrics).toMatchObject({ type: "boolean", default: true });
    expect(options.maxReleaseBodyMib).toMatchObject({
      type: "integer between 1 and 1024 (both inclusive)",
      default: 1,
    });
  });

  test("README's option table lists every option of the module with its default", () => {
    const options = evaluated!.disabled.options;
    const documented: Record<string, string> = {};
    for (const [names, def] of readmeTable("option")) {
      for (const name of codeSpans(names!)) documented[name] = def!;
    }
    expect(Object.keys(documented).sort()).toEqual(options.map((o) => o.name).sort());
    for (const option of options) {
      const shown = option.name === "package" ? "`nix/package.nix`" : `\`${JSON.stringify(option.default)}\``;
      expect({ option: option.name, default: documented[option.name] }).toEqual({
        option: option.name,
        default: shown,
      });
    }
  });

  test("every server flag of src/config.ts has a module option, whose default is the server's", () => {
    const flags = Object.values(OPTIONS) as { flag: string; default?: string; boolean?: boolean }[];
    const everyArg = execArgs("everySetting");
    const defaultArgs = execArgs("seedPlain");
    const missing = flags.map((o) => `--${o.flag}`).filter((flag) => !everyArg.includes(flag));
    if (missing.length > 0) {
      throw new Error(
        `${missing.join(", ")} of src/config.ts OPTIONS cannot be set from the NixOS module: add one line ` +
          "per flag to serverFlags in nix/module.nix (flagOption, or switchOption for a flag without value), " +
          "a row to README's option table, and a setting to nix/vm-test.nix if it matters there",
      );
    }
    const known = new Set(flags.map((o) => `--${o.flag}`));
    expect(everyArg.filter((arg) => arg.startsWith("--") && !known.has(arg))).toEqual([]);
    for (const option of flags) {
      if (option.default === undefined) continue;
      const flag = `--${option.flag}`;
      const at = defaultArgs.indexOf(flag);
      if (option.boolean) {
        expect({ flag, passed: at !== -1 }).toEqual({ flag, passed: option.default === "true" });
      } else {
        expect({ flag, value: at === -1 ? undefined : defaultArgs[at + 1] }).toEqual({ flag, value: option.default });
      }
    }
  });

  test("a disabled service defines nothing", () => {
    const config = evaluated!.disabled.config;
    expect(config).toEqual({
      assertions: [],
      networking: { firewall: { allowedTCPPorts: [] } },
      systemd: { services: {}, tmpfiles: { rules: [] } },
      users: { users: {}, groups: {} },
      environment: { systemPackages: [] },
    });
  });

  test("the seed's first example: the unit, its flags, hardening, the firewall port and the CLI on PATH", () => {
    const config = evaluated!.seedPlain.config;
    expect(failedAssertions(evaluated!.seedPlain)).toEqual([]);
    const service = unit("seedPlain");
    expect(commandLine("seedPlain")).toEqual({
      seed: `${packageBin} --listen 0.0.0.0:8080 --db-path /var/lib/nixfleet-cp/state.db`,
      flags: expect.objectContaining(defaultFlags),
    });
    expect(service.serviceConfig).toMatchObject({
      Restart: "always",
      RestartSec: 10,
      StateDirectory: "nixfleet-cp",
      ReadWritePaths: ["/var/lib/nixfleet-cp"],
      User: "nixfleet-cp",
      LoadCredential: [],
      ...hardening,
    });
    expect(service.serviceConfig.EnvironmentFile).toBeUndefined();
    expect(service.after).toContain("network-online.target");
    expect(service.wants).toContain("network-online.target");
    expect(service.wantedBy).toContain("multi-user.target");
    expect(config.networking.firewall.allowedTCPPorts).toEqual([8080]);
    expect(config.users.users["nixfleet-cp"]).toMatchObject({
      isSystemUser: true,
      group: "nixfleet-cp",
      home: "/var/lib/nixfleet-cp",
    });
    expect(Object.keys(config.users.groups)).toEqual(["nixfleet-cp"]);
    expect(config.environment).toEqual({ systemPackages: [packagePath] });
  });

  test("the seed's TLS example passes the files as credentials with --tls-cert/--tls-key/--client-ca", () => {
    expect(failedAssertions(evaluated!.seedTls)).toEqual([]);
    expect(commandLine("seedTls")).toEqual({
      seed:
        `${packageBin} --listen 0.0.0.0:8080 --db-path /var/lib/nixfleet-cp/state.db ` +
        "--tls-cert %d/tls-cert --tls-key %d/tls-key --client-ca %d/client-ca",
      flags: expect.objectContaining(defaultFlags),
    });
    expect(unit("seedTls").serviceConfig).toMatchObject({
      LoadCredential: [
        "tls-cert:/run/secrets/cp-cert.pem",
        "tls-key:/run/secrets/cp-key.pem",
        "client-ca:/run/secrets/fleet-ca.pem",
      ],
    });
    expect(evaluated!.seedTls.config.networking.firewall.allowedTCPPorts).toEqual([]);
  });

  test("retention, per-machine metrics and the release body limit become flags; environmentFile an EnvironmentFile", () => {
    expect(failedAssertions(evaluated!.everythingValid)).toEqual([]);
    expect(commandLine("everythingValid").flags).toMatchObject({
      "--max-release-body-mib": "8",
      "--per-machine-metrics": "false",
      "--report-retention-hours": "72",
    });
    expect(unit("everythingValid").serviceConfig.EnvironmentFile).toBe("/run/secrets/nixfleet-cp.env");
  });

  test("on an impermanent host /var/lib/nixfleet-cp is persisted under the host's storage root", () => {
    expect(failedAssertions(evaluated!.impermanent)).toEqual([]);
    const entry = evaluated!.impermanent.config.environment.persistence!["nixfleet-control-plane"];
    expect(entry).toMatchObject({ enable: true, persistentStoragePath: "/persistent" });
    expect(entry!.directories).toEqual([
      { directory: "/var/lib/nixfleet-cp", user: "nixfleet-cp", group: "nixfleet-cp", mode: "0750" },
      { directory: "/srv/nixfleet", user: "nixfleet-cp", group: "nixfleet-cp", mode: "0750" },
    ]);
    expect(unit("impermanent").serviceConfig.ReadWritePaths).toEqual(["/var/lib/nixfleet-cp", "/srv/nixfleet"]);
    expect(evaluated!.impermanent.config.systemd.tmpfiles.rules).toEqual([
      "d /srv/nixfleet 0750 nixfleet-cp nixfleet-cp - -",
    ]);
    const unused = evaluated!.impermanenceUnused.config.environment.persistence!;
    expect(unused["nixfleet-control-plane"]).toMatchObject({ enable: false });
  });

  test("a port below 1024 gets CAP_NET_BIND_SERVICE; % in paths is escaped for systemd", () => {
    expect(failedAssertions(evaluated!.privilegedPort)).toEqual([]);
    expect(commandLine("privilegedPort").seed).toBe(`${packageBin} --listen '[::1]:443' --db-path /srv/a%%b/state.db`);
    expect(unit("privilegedPort").serviceConfig).toMatchObject({
      AmbientCapabilities: ["CAP_NET_BIND_SERVICE"],
      CapabilityBoundingSet: ["CAP_NET_BIND_SERVICE"],
      ReadWritePaths: ["/var/lib/nixfleet-cp", "/srv/a%%b"],
      EnvironmentFile: "/run/a%%b.env",
    });
    expect(unit("seedPlain").serviceConfig).toMatchObject({ AmbientCapabilities: [], CapabilityBoundingSet: "" });
  });

  test.skipIf(!systemdAnalyze)("the unit systemd would get passes systemd-analyze verify", () => {
    const service = unit("everythingValid");
    const line = (key: string, value: unknown) => (Array.isArray(value) ? value : [value]).map((v) => `${key}=${v}`);
    const serviceLines = Object.entries(service.serviceConfig).flatMap(([key, value]) =>
      key === "ExecStart" ? line(key, String(value).replace(packageBin, process.execPath)) : line(key, value),
    );
    const dir = mkdtempSync(join(tmpdir(), "nix-module-unit-"));
    try {
      const unitFile = join(dir, "nixfleet-control-plane.service");
      writeFileSync(
        unitFile,
        [
          "[Unit]",
          ...line("Description", service.description),
          ...line("After", service.after.join(" ")),
          ...line("Wants", service.wants.join(" ")),
          "[Service]",
          ...serviceLines,
          "[Install]",
          ...line("WantedBy", service.wantedBy.join(" ")),
        ].join("\n") + "\n",
      );
      expect(serviceLines).toContain("EnvironmentFile=/run/secrets/nixfleet-cp.env");
      const result = Bun.spawnSync([systemdAnalyze!, "verify", "--man=no", unitFile]);
      expect({ exitCode: result.exitCode, stderr: result.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a remote database needs no extra directory", () => {
    expect(failedAssertions(evaluated!.remoteDb)).toEqual([]);
    expect(unit("remoteDb").serviceConfig.ReadWritePaths).toEqual(["/var/lib/nixfleet-cp"]);
  });

  test("assertions refuse inconsistent TLS settings, a bad listen string and a relative dbPath", () => {
    const cases: [Name, string][] = [
      ["keyWithoutCert", "tls.cert and tls.key must be set together"],
      ["certWithoutKey", "tls.cert and tls.key must be set together"],
      ["clientCaWithoutCert", "tls.clientCa requires tls.cert"],
      [
        "listenWithoutPort",
        'listen must be HOST:PORT ([IPv6]:PORT for IPv6) with a port from 0 to 65535, got "localhost"',
      ],
      ["listenPortTooLarge", 'got "0.0.0.0:70000"'],
      ["firewallOnPortZero", "openFirewall needs a fixed port"],
      [
        "relativeDbPath",
        'dbPath must be an absolute path without spaces or a libsql://, http:// or https:// URL, got "state.db"',
      ],
    ];
    for (const [name, message] of cases) {
      const failed = failedAssertions(evaluated![name]);
      expect({ name, failed: failed.length }).toEqual({ name, failed: 1 });
      expect(failed[0]).toContain(message);
    }
    expect(evaluated!.listenWithoutPort.config.networking.firewall.allowedTCPPorts).toEqual([]);
  });

  describe("the module system refuses what NixOS would refuse", () => {
    test("a value of the wrong type for an option", () => {
      expect(evaluationError({ enable: true, maxReleaseBodyMib: "8" })).toContain(
        "A definition for option `services.nixfleet-control-plane.maxReleaseBodyMib' is not of type " +
          "`integer between 1 and 1024 (both inclusive)'",
      );
      expect(evaluationError({ enable: true, maxReleaseBodyMib: 2048 })).toContain("is not of type");
      expect(evaluationError({ enable: true, openFirewall: "yes" })).toContain("is not of type `boolean'");
      expect(evaluationError({ enable: true, tls: { cert: "cert.pem" } })).toContain(
        "is not of type `null or absolute path'",
      );
    });

    test("an unknown option, with the likely one suggested", () => {
      const error = evaluationError({ enable: true, listenAddress: "0.0.0.0:8080" });
      expect(error).toContain("The option `services.nixfleet-control-plane.listenAddress' does not exist");
      expect(error).toContain("Did you mean `services.nixfleet-control-plane.listen'");
    });

    test("a module that hands the firewall a string where a port is needed", () => {
      const error = withModuleMistake(
        "lib.optional (cfg.openFirewall && listenIsValid) listenPort",
        "lib.optional (cfg.openFirewall && listenIsValid) (toString listenPort)",
        (mistaken) => evaluationError({ enable: true, openFirewall: true }, mistaken),
      );
      expect(error).toContain("A definition for option `networking.firewall.allowedTCPPorts");
      expect(error).toContain("16 bit unsigned integer");
    });

    test("a module that sets a unit option NixOS does not have", () => {
      const error = withModuleMistake(
        'wantedBy = [ "multi-user.target" ];',
        'wantedby = [ "multi-user.target" ];',
        (m) => evaluationError({ enable: true }, m),
      );
      expect(error).toContain("The option `systemd.services.nixfleet-control-plane.wantedby' does not exist");
    });
  });
});
