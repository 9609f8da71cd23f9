// The NixOS module (SPEC §12): its text names every option of the seed page and every hardening
// setting; with nix-instantiate on PATH (.ci/run installs it) every .nix file must parse and the
// module is evaluated against a stub lib (test/unit/nix-module-eval.nix) for the seed's examples.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const modulePath = join(root, "nix", "module.nix");
const moduleText = readFileSync(modulePath, "utf8");
const nixInstantiate = Bun.which("nix-instantiate");
const systemdAnalyze = Bun.which("systemd-analyze");

if (!nixInstantiate) {
  console.warn(
    "nix-module.test.ts: nix-instantiate not found; skipping the parse and evaluation tests " +
      "(install Debian's nix-bin, as .ci/run does, to run them)",
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

const packageBin = "/nix/store/00000000000000000000000000000000-nixfleet-control-plane/bin/nixfleet-control-plane";

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
    systemd: {
      services: Record<
        string,
        {
          after: string[];
          wants: string[];
          wantedBy: string[];
          serviceConfig: Record<string, unknown>;
        }
      >;
      tmpfiles: { rules: string[] };
    };
    users: { users: Record<string, { isSystemUser: boolean; group: string }> };
    environment?: { persistence: Record<string, Record<string, unknown>> };
  } | null;
}

/** Evaluates the module once for every scenario (one nix-instantiate call). */
function evaluate<const Names extends string>(scenarios: Record<Names, Scenario>): Record<Names, Evaluated> {
  const result = run([
    "--eval",
    "--strict",
    "--json",
    join(root, "test", "unit", "nix-module-eval.nix"),
    "--arg",
    "modulePath",
    modulePath,
    "--argstr",
    "scenariosJson",
    JSON.stringify(scenarios),
  ]);
  if (result.exitCode !== 0) throw new Error(`nix-instantiate --eval failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<Names, Evaluated>;
}

function failedAssertions(evaluated: Evaluated): string[] {
  return evaluated.config!.assertions.filter((a) => !a.assertion).map((a) => a.message);
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
  test("declares every option of the seed page with a description and an example", () => {
    expect(moduleText).toContain("options.services.nixfleet-control-plane");
    for (const option of seedOptions) {
      const leaf = option.split(".").at(-1)!;
      expect(moduleText).toMatch(new RegExp(`^\\s*${leaf} = lib\\.mk(Enable)?Option`, "m"));
    }
    const declarations = moduleText.split(/= lib\.mkOption \{/).slice(1);
    expect(declarations).toHaveLength(seedOptions.length - 1);
    for (const declaration of declarations) {
      const body = declaration.slice(0, declaration.indexOf("\n    };"));
      expect(body).toContain("description =");
      expect(body).toContain("example =");
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
      expect.arrayContaining(["flake.nix", "nix/module.nix", "nix/package.nix", "nix/vm-test.nix"]),
    );
    const result = run(["--parse", ...files]);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: "" });
  });

  test("the flake exposes the package, the module and the VM test for each Linux system", () => {
    // A stub nixpkgs: enough for the outputs' structure, not for building anything.
    const expression = `
      let
        flake = import ${join(root, "flake.nix")};
        stubPkgs = system: {
          inherit system;
          callPackage = file: _: "package from \${toString file}";
          runCommand = name: _: _: "/nix/store/certs";
          testers.nixosTest = test: "nixos test \${test.name}";
          openssl = null;
          curl = null;
        };
        nixpkgs = {
          lib.genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
          legacyPackages = { x86_64-linux = stubPkgs "x86_64-linux"; aarch64-linux = stubPkgs "aarch64-linux"; };
        };
        self = flake.outputs { inherit self nixpkgs; };
      in {
        inherit (flake.inputs.nixpkgs) url;
        packages = builtins.mapAttrs (_: builtins.attrNames) self.packages;
        default = builtins.mapAttrs (_: p: p.default) self.packages;
        module = toString self.nixosModules.default;
        checks = builtins.mapAttrs (_: c: c.vm-test) self.checks;
      }`;
    const result = run(["--eval", "--strict", "--json", "-E", expression]);
    expect(result.stderr).toBe("");
    const outputs = JSON.parse(result.stdout);
    const systems = ["aarch64-linux", "x86_64-linux"];
    expect(outputs.url).toBe("github:NixOS/nixpkgs/nixos-unstable");
    expect(outputs.packages).toEqual(
      Object.fromEntries(systems.map((s) => [s, ["default", "nixfleet-control-plane"]])),
    );
    expect(outputs.default).toEqual(
      Object.fromEntries(systems.map((s) => [s, `package from ${join(root, "nix", "package.nix")}`])),
    );
    expect(outputs.module).toBe(modulePath);
    expect(outputs.checks).toEqual(Object.fromEntries(systems.map((s) => [s, "nixos test nixfleet-control-plane"])));
  });

  test("a parse error is reported", () => {
    const result = run(["--parse", "-E", "{ a = ; }"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("syntax error");
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
        impermanent: {
          settings: { enable: true, dbPath: "/srv/nixfleet/state.db" },
          persistence: { "/persistent": { enable: true, persistentStoragePath: "/persistent" } },
        },
        impermanenceUnused: { settings: { enable: true }, persistence: {} },
        privilegedPort: { settings: { enable: true, listen: "[::1]:443", dbPath: "/srv/a%b/state.db" } },
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
  const unit = (name: keyof NonNullable<typeof evaluated>) =>
    evaluated![name].config!.systemd.services["nixfleet-control-plane"]!;

  test("option names, types and defaults are those of the seed page", () => {
    const options = Object.fromEntries(evaluated!.disabled.options.map((o) => [o.name, o]));
    expect(Object.keys(options).sort()).toEqual([...seedOptions].sort());
    for (const option of Object.values(options)) {
      expect(option).toMatchObject({ hasDescription: true, hasExample: true });
    }
    expect(options.enable!.default).toBe(false);
    expect(options.listen).toMatchObject({ type: "str", default: "0.0.0.0:8080" });
    expect(options.dbPath).toMatchObject({ type: "str", default: "/var/lib/nixfleet-cp/state.db" });
    expect(options.openFirewall).toMatchObject({ type: "bool", default: false });
    for (const tls of ["tls.cert", "tls.key", "tls.clientCa"]) {
      expect(options[tls]).toMatchObject({ type: "null or path", default: null });
    }
    expect(options.package!.type).toBe("package");
  });

  test("a disabled service defines nothing", () => {
    expect(evaluated!.disabled.config).toBeNull();
  });

  test("the seed's first example: the unit, its flags, hardening and the firewall port", () => {
    const config = evaluated!.seedPlain.config!;
    expect(failedAssertions(evaluated!.seedPlain)).toEqual([]);
    const service = unit("seedPlain");
    expect(service.serviceConfig).toMatchObject({
      ExecStart: `${packageBin} --listen 0.0.0.0:8080 --db-path /var/lib/nixfleet-cp/state.db`,
      Restart: "always",
      RestartSec: 10,
      StateDirectory: "nixfleet-cp",
      ReadWritePaths: ["/var/lib/nixfleet-cp"],
      User: "nixfleet-cp",
      LoadCredential: [],
      ...hardening,
    });
    expect(service.after).toContain("network-online.target");
    expect(service.wants).toContain("network-online.target");
    expect(service.wantedBy).toContain("multi-user.target");
    expect(config.networking.firewall.allowedTCPPorts).toEqual([8080]);
    expect(config.users.users["nixfleet-cp"]).toMatchObject({ isSystemUser: true, group: "nixfleet-cp" });
    expect(config.environment).toBeUndefined();
  });

  test("the seed's TLS example passes the files as credentials with --tls-cert/--tls-key/--client-ca", () => {
    expect(failedAssertions(evaluated!.seedTls)).toEqual([]);
    expect(unit("seedTls").serviceConfig).toMatchObject({
      ExecStart:
        `${packageBin} --listen 0.0.0.0:8080 --db-path /var/lib/nixfleet-cp/state.db ` +
        "--tls-cert %d/tls-cert --tls-key %d/tls-key --client-ca %d/client-ca",
      LoadCredential: [
        "tls-cert:/run/secrets/cp-cert.pem",
        "tls-key:/run/secrets/cp-key.pem",
        "client-ca:/run/secrets/fleet-ca.pem",
      ],
    });
    expect(evaluated!.seedTls.config!.networking.firewall.allowedTCPPorts).toEqual([]);
  });

  test("on an impermanent host /var/lib/nixfleet-cp is persisted under the host's storage root", () => {
    expect(failedAssertions(evaluated!.impermanent)).toEqual([]);
    const entry = evaluated!.impermanent.config!.environment!.persistence["nixfleet-control-plane"];
    expect(entry).toMatchObject({ enable: true, persistentStoragePath: "/persistent" });
    expect((entry!.directories as { directory: string }[]).map((d) => d.directory)).toEqual([
      "/var/lib/nixfleet-cp",
      "/srv/nixfleet",
    ]);
    expect(unit("impermanent").serviceConfig.ReadWritePaths).toEqual(["/var/lib/nixfleet-cp", "/srv/nixfleet"]);
    expect(evaluated!.impermanent.config!.systemd.tmpfiles.rules).toEqual([
      "d /srv/nixfleet 0750 nixfleet-cp nixfleet-cp - -",
    ]);
    const unused = evaluated!.impermanenceUnused.config!.environment!.persistence;
    expect(unused["nixfleet-control-plane"]).toMatchObject({ enable: false });
  });

  test("a port below 1024 gets CAP_NET_BIND_SERVICE; % in paths is escaped for systemd", () => {
    expect(failedAssertions(evaluated!.privilegedPort)).toEqual([]);
    expect(unit("privilegedPort").serviceConfig).toMatchObject({
      ExecStart: `${packageBin} --listen '[::1]:443' --db-path /srv/a%%b/state.db`,
      AmbientCapabilities: ["CAP_NET_BIND_SERVICE"],
      CapabilityBoundingSet: ["CAP_NET_BIND_SERVICE"],
      ReadWritePaths: ["/var/lib/nixfleet-cp", "/srv/a%%b"],
    });
    expect(unit("seedPlain").serviceConfig).toMatchObject({ AmbientCapabilities: [], CapabilityBoundingSet: "" });
  });

  test.skipIf(!systemdAnalyze)("the unit systemd would get passes systemd-analyze verify", () => {
    const service = unit("seedTls");
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
          ...line("After", service.after.join(" ")),
          ...line("Wants", service.wants.join(" ")),
          "[Service]",
          ...serviceLines,
          "[Install]",
          ...line("WantedBy", service.wantedBy.join(" ")),
        ].join("\n") + "\n",
      );
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
    const cases: [keyof NonNullable<typeof evaluated>, string][] = [
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
    expect(evaluated!.listenWithoutPort.config!.networking.firewall.allowedTCPPorts).toEqual([]);
  });
});
