// nix/bun-deps.nix (SPEC §17): generated from bun.lock by scripts/nix-deps.ts, so the Nix build
// fetches every npm package by bun.lock's own hash and no hash is edited by hand. The committed
// file must match bun.lock; with nix-instantiate on PATH, nix/node-modules.nix is evaluated to
// show what each system's build fetches.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bunDepsPath, lockPath, nixDependencies, renderBunDepsNix } from "../../scripts/nix-deps.ts";

const root = join(import.meta.dir, "..", "..");
const lockText = readFileSync(lockPath, "utf8");
const nixInstantiate = Bun.which("nix-instantiate");

function firstDifference(committed: string, generated: string): string {
  const a = committed.split("\n");
  const b = generated.split("\n");
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `first difference at line ${at + 1}:\n  committed: ${a[at] ?? "(end of file)"}\n  generated: ${b[at] ?? "(end of file)"}`;
}

test("nix/bun-deps.nix is generated from the committed bun.lock", () => {
  const generated = renderBunDepsNix(lockText);
  const committed = readFileSync(bunDepsPath, "utf8");
  if (committed !== generated) {
    throw new Error(
      "nix/bun-deps.nix is stale relative to bun.lock: run `bun run nix:deps` and commit it " +
        `(the Nix build would fetch the old dependencies)\n${firstDifference(committed, generated)}`,
    );
  }
});

test("the check can fail: a changed bun.lock gives a different file", () => {
  const changed = lockText.replace(/"hono@4\.13\.19", "", \{[^}]*\}, "sha512-[^"]+"/, (entry) =>
    entry.replace(/sha512-[^"]+/, "sha512-changed"),
  );
  expect(changed).not.toBe(lockText);
  expect(renderBunDepsNix(changed)).not.toBe(readFileSync(bunDepsPath, "utf8"));
});

describe("the packages the build fetches", () => {
  const dependencies = nixDependencies(lockText);
  const byPath = new Map(dependencies.map((d) => [d.path, d]));
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  test("every runtime dependency of package.json, by bun.lock's hash, and no devDependency", () => {
    for (const name of Object.keys(manifest.dependencies)) {
      expect(byPath.get(`node_modules/${name}`)?.url).toStartWith(`https://registry.npmjs.org/${name}/-/`);
    }
    for (const name of ["typescript", "prettier", "drizzle-kit", "deno", "openapi-typescript"]) {
      expect(name in manifest.devDependencies).toBe(true);
      expect(byPath.has(`node_modules/${name}`)).toBe(false);
    }
    const lock = Bun.JSONC.parse(lockText) as { packages: Record<string, unknown[]> };
    for (const dependency of dependencies) {
      const key = dependency.path.replace(/^node_modules\//, "").replaceAll("/node_modules/", "/");
      expect({ key, hash: dependency.hash }).toEqual({ key, hash: lock.packages[key]![3] as string });
    }
  });

  test("a package only embedded at build time comes without what it depends on", () => {
    expect(byPath.has("node_modules/@scalar/api-reference")).toBe(true);
    expect(byPath.has("node_modules/vue")).toBe(false);
    expect(byPath.has("node_modules/@scalar/api-client")).toBe(false);
  });

  test("the libSQL addon for each Linux CPU, and nothing for other systems", () => {
    expect(byPath.get("node_modules/@libsql/linux-x64-gnu")).toMatchObject({
      url: "https://registry.npmjs.org/@libsql/linux-x64-gnu/-/linux-x64-gnu-0.5.29.tgz",
      cpu: ["x64"],
    });
    expect(byPath.get("node_modules/@libsql/linux-arm64-gnu")).toMatchObject({ cpu: ["arm64"] });
    expect(dependencies.filter((d) => /darwin|win32|android|freebsd/.test(d.path))).toEqual([]);
    expect(byPath.has("node_modules/@libsql/linux-arm-gnueabihf")).toBe(false);
  });
});

describe("nixDependencies on made-up lock files", () => {
  const lockWith = (packages: Record<string, unknown[]>, dependencies: Record<string, string>) =>
    JSON.stringify({ lockfileVersion: 2, workspaces: { "": { name: "app", dependencies } }, packages });
  const npm = (spec: string, info: object = {}) => [spec, "", info, `sha512-${spec}`];

  test("a nested package wins over the hoisted one, as Node resolves it", () => {
    const lock = lockWith(
      {
        a: npm("a@1.0.0", { dependencies: { b: "^2" } }),
        b: npm("b@1.0.0"),
        "a/b": npm("b@2.0.0", { dependencies: { "@s/c": "1" } }),
        "@s/c": npm("@s/c@1.0.0"),
        unused: npm("unused@1.0.0"),
      },
      { a: "1.0.0", b: "1.0.0" },
    );
    expect(nixDependencies(lock)).toEqual([
      { path: "node_modules/@s/c", url: "https://registry.npmjs.org/@s/c/-/c-1.0.0.tgz", hash: "sha512-@s/c@1.0.0" },
      { path: "node_modules/a", url: "https://registry.npmjs.org/a/-/a-1.0.0.tgz", hash: "sha512-a@1.0.0" },
      {
        path: "node_modules/a/node_modules/b",
        url: "https://registry.npmjs.org/b/-/b-2.0.0.tgz",
        hash: "sha512-b@2.0.0",
      },
      { path: "node_modules/b", url: "https://registry.npmjs.org/b/-/b-1.0.0.tgz", hash: "sha512-b@1.0.0" },
    ]);
  });

  test("platform packages: Linux only, glibc only, CPUs named; optional peers left out", () => {
    const lock = lockWith(
      {
        addon: npm("addon@1.0.0", {
          optionalDependencies: { "addon-linux-x64": "1", "addon-darwin": "1", "addon-musl": "1", "addon-any": "1" },
          peerDependencies: { peer: "1", "optional-peer": "1" },
          optionalPeers: ["optional-peer"],
        }),
        "addon-linux-x64": npm("addon-linux-x64@1.0.0", { os: "linux", cpu: "x64" }),
        "addon-darwin": npm("addon-darwin@1.0.0", { os: ["darwin"], cpu: ["arm64"] }),
        "addon-musl": npm("addon-musl@1.0.0", { os: "linux", libc: ["musl"] }),
        "addon-any": npm("addon-any@1.0.0", { os: ["!win32"], cpu: ["x64", "arm64", "ia32"] }),
        peer: npm("peer@1.0.0"),
        "optional-peer": npm("optional-peer@1.0.0"),
      },
      { addon: "1.0.0" },
    );
    const paths = Object.fromEntries(nixDependencies(lock).map((d) => [d.path, d.cpu ?? "all"]));
    expect(paths).toEqual({
      "node_modules/addon": "all",
      "node_modules/addon-any": "all",
      "node_modules/addon-linux-x64": ["x64"],
      "node_modules/peer": "all",
    });
  });

  test("a custom registry's tarball URL is kept", () => {
    const lock = lockWith({ a: ["a@1.0.0", "https://npm.example.com/a/-/a-1.0.0.tgz", {}, "sha512-x"] }, { a: "1" });
    expect(nixDependencies(lock)[0]!.url).toBe("https://npm.example.com/a/-/a-1.0.0.tgz");
  });

  test("what cannot be fetched by hash is refused with the package named", () => {
    const github = lockWith({ a: ["a@github:o/a#abc", {}, "o-a-abc"] }, { a: "github:o/a" });
    expect(() => nixDependencies(github)).toThrow('"a" is not a package from an npm registry');
    const missing = lockWith({ a: npm("a@1.0.0", { dependencies: { gone: "1" } }) }, { a: "1" });
    expect(() => nixDependencies(missing)).toThrow("a needs gone, which bun.lock does not have");
  });
});

describe.skipIf(!nixInstantiate)("nix/node-modules.nix", () => {
  /** What node-modules.nix hands to fetchurl and the unpack script for a system, with real lib. */
  function evaluateFor(system: string) {
    const expression = `
      let
        lib = import ${join(root, "nix", "vendor", "nixpkgs-lib", "lib")};
        derivation = import ${join(root, "nix", "node-modules.nix")} {
          inherit lib;
          stdenv = {
            hostPlatform = lib.systems.elaborate "${system}";
            mkDerivation = attrs: attrs;
            cc.cc = { };
          };
          fetchurl = { url, hash }: "/nix/store/fetched:" + builtins.toJSON { inherit url hash; };
          autoPatchelfHook = "autoPatchelfHook";
        };
      in {
        manifest = derivation.manifest;
        inherit (derivation) nativeBuildInputs autoPatchelfIgnoreMissingDeps;
      }`;
    const result = Bun.spawnSync([nixInstantiate!, "--eval", "--strict", "--json", "-E", expression]);
    if (result.exitCode !== 0) throw new Error(`nix-instantiate --eval failed:\n${result.stderr}`);
    const evaluated = JSON.parse(result.stdout.toString()) as {
      manifest: string;
      nativeBuildInputs: string[];
      autoPatchelfIgnoreMissingDeps: string[];
    };
    const lines = evaluated.manifest.trimEnd().split("\n");
    const fetched = lines.map((line) => {
      const [path, tarball] = line.split(" ");
      return { path: path!, ...(JSON.parse(tarball!.slice("/nix/store/fetched:".length)) as object) };
    });
    return { ...evaluated, fetched };
  }

  test("each system fetches its own libSQL addon by bun.lock's hash and unpacks it in place", () => {
    const all = nixDependencies(lockText);
    const x64 = evaluateFor("x86_64-linux");
    const arm64 = evaluateFor("aarch64-linux");
    const expected = (cpu: string) =>
      all.filter((d) => !d.cpu || d.cpu.includes(cpu)).map(({ path, url, hash }) => ({ path, url, hash }));
    expect(x64.fetched).toEqual(expected("x64"));
    expect(arm64.fetched).toEqual(expected("arm64"));
    expect(x64.fetched.map((d) => d.path)).toContain("node_modules/@libsql/linux-x64-gnu");
    expect(x64.fetched.map((d) => d.path)).not.toContain("node_modules/@libsql/linux-arm64-gnu");
    expect(arm64.fetched.map((d) => d.path)).toContain("node_modules/@libsql/linux-arm64-gnu");
    expect(arm64.fetched.map((d) => d.path)).not.toContain("node_modules/@libsql/linux-x64-gnu");
    expect(x64.nativeBuildInputs).toEqual(["autoPatchelfHook"]);
  });

  test("no hash to edit by hand anywhere in the packaging", () => {
    for (const file of ["package.nix", "node-modules.nix", "demo.nix"]) {
      const text = readFileSync(join(root, "nix", file), "utf8");
      expect({ file, fakeHash: text.includes("fakeHash"), outputHash: text.includes("outputHash") }).toEqual({
        file,
        fakeHash: false,
        outputHash: false,
      });
    }
  });
});
