// `bun run nix:deps`: writes nix/bun-deps.nix from bun.lock, the npm packages the Nix build fetches
// one by one by the hashes bun.lock records (the bun2nix approach; bun2nix 2.1.2 itself refuses
// Bun 1.4's lockfileVersion 2). test/unit/nix-deps.test.ts fails when the file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
export const lockPath = join(root, "bun.lock");
export const bunDepsPath = join(root, "nix", "bun-deps.nix");

/** The CPUs the flake builds for, by Node's names (`x86_64-linux` and `aarch64-linux`). */
const CPUS = ["x64", "arm64"] as const;

interface PackageInfo {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalPeers?: string[];
  os?: string | string[];
  cpu?: string | string[];
  libc?: string | string[];
}

/** An npm package in bun.lock: `["name@version", registry tarball URL or "", info, integrity]`. */
type LockEntry = [spec: string, registry: string, info: PackageInfo, integrity: string];

interface Lockfile {
  lockfileVersion: number;
  workspaces: Record<
    string,
    { name?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
  >;
  /** Keyed by the package's place in node_modules: `a`, `a/b` (b nested under a), `@s/a/@t/b`. */
  packages: Record<string, unknown[]>;
}

export interface NixDependency {
  /** Where the package goes, relative to the source root: `node_modules/a/node_modules/b`. */
  path: string;
  url: string;
  /** bun.lock's integrity, an SRI hash Nix's fetchurl checks. */
  hash: string;
  /** The CPUs (Node's names) the package is for; absent when it is for all of CPUS. */
  cpu?: string[];
}

/** The package names along a bun.lock key: `@s/a/b` → `["@s/a", "b"]`. */
function namesOf(key: string): string[] {
  const segments = key.split("/");
  const names: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    names.push(segments[i]!.startsWith("@") ? `${segments[i]}/${segments[++i]}` : segments[i]!);
  }
  return names;
}

/** npm's platform rule: listed values allow, `!value` forbids, no list allows everything. */
function platformAllows(list: string | string[] | undefined, value: string): boolean {
  const values = list === undefined ? [] : Array.isArray(list) ? list : [list];
  const allowed = values.filter((v) => !v.startsWith("!"));
  return !values.includes(`!${value}`) && (allowed.length === 0 || allowed.includes(value));
}

function npmEntry(key: string, entry: unknown[]): LockEntry {
  const [spec, registry, info, integrity] = entry;
  if (
    entry.length !== 4 ||
    typeof spec !== "string" ||
    typeof registry !== "string" ||
    typeof info !== "object" ||
    typeof integrity !== "string" ||
    !/^sha(1|256|384|512)-/.test(integrity)
  ) {
    throw new Error(
      `bun.lock: "${key}" is not a package from an npm registry (${JSON.stringify(spec)}); ` +
        "scripts/nix-deps.ts only knows how to fetch those",
    );
  }
  return entry as LockEntry;
}

function tarballUrl(spec: string, registry: string): string {
  if (registry !== "") return registry;
  const at = spec.lastIndexOf("@");
  const name = spec.slice(0, at);
  const version = spec.slice(at + 1);
  return `https://registry.npmjs.org/${name}/-/${name.split("/").at(-1)}-${version}.tgz`;
}

/**
 * Packages the executable only embeds a self-contained file of, at build time: fetched, but not
 * what they depend on. `@scalar/api-reference` is the Vue component library of the API reference
 * with ~280 packages behind it; `/docs` serves only its standalone bundle (src/ui/assets.ts).
 */
export const EMBEDDED_ONLY = new Set(["@scalar/api-reference"]);

/**
 * The packages a production install for Linux lays out: the root workspace's dependencies and
 * optionalDependencies and, transitively, theirs and their required peers, each resolved the way
 * Node resolves a require from its place in node_modules. devDependencies are left out.
 */
export function nixDependencies(lockText: string): NixDependency[] {
  const lock = Bun.JSONC.parse(lockText) as Lockfile;
  const workspace = lock.workspaces[""];
  if (!workspace) throw new Error("bun.lock has no root workspace");

  const resolve = (fromKey: string | null, name: string): string | undefined => {
    const scope = fromKey === null ? [] : namesOf(fromKey);
    for (;;) {
      const candidate = [...scope, name].join("/");
      if (lock.packages[candidate]) return candidate;
      if (scope.length === 0) return undefined;
      scope.pop();
    }
  };

  const chosen = new Map<string, NixDependency>();
  const visit = (fromKey: string | null, name: string, optional: boolean): void => {
    const key = resolve(fromKey, name);
    if (key === undefined) {
      if (optional) return;
      throw new Error(`bun.lock: ${fromKey ?? "the root workspace"} needs ${name}, which bun.lock does not have`);
    }
    if (chosen.has(key)) return;
    const [spec, registry, info, integrity] = npmEntry(key, lock.packages[key]!);
    const cpus = CPUS.filter((cpu) => platformAllows(info.cpu, cpu));
    if (!platformAllows(info.os, "linux") || !platformAllows(info.libc, "glibc") || cpus.length === 0) return;
    chosen.set(key, {
      path: namesOf(key)
        .map((n) => `node_modules/${n}`)
        .join("/"),
      url: tarballUrl(spec, registry),
      hash: integrity,
      ...(cpus.length < CPUS.length ? { cpu: cpus } : {}),
    });
    if (EMBEDDED_ONLY.has(key)) return;
    const optionalPeers = new Set(info.optionalPeers ?? []);
    for (const dep of Object.keys(info.dependencies ?? {})) visit(key, dep, false);
    for (const dep of Object.keys(info.optionalDependencies ?? {})) visit(key, dep, true);
    for (const dep of Object.keys(info.peerDependencies ?? {})) {
      if (!optionalPeers.has(dep)) visit(key, dep, true);
    }
  };

  for (const dep of Object.keys(workspace.dependencies ?? {})) visit(null, dep, false);
  for (const dep of Object.keys(workspace.optionalDependencies ?? {})) visit(null, dep, true);
  return [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function nixString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\$\{/g, "\\${")}"`;
}

/** nix/bun-deps.nix for a bun.lock, formatted as nixfmt formats it. */
export function renderBunDepsNix(lockText: string): string {
  const entries = nixDependencies(lockText).map((dep) =>
    [
      "  {",
      `    path = ${nixString(dep.path)};`,
      `    url = ${nixString(dep.url)};`,
      `    hash = ${nixString(dep.hash)};`,
      ...(dep.cpu ? [`    cpu = [ ${dep.cpu.map(nixString).join(" ")} ];`] : []),
      "  }",
    ].join("\n"),
  );
  return [
    "# Generated from bun.lock by scripts/nix-deps.ts; do not edit. Run `bun run nix:deps` after",
    "# every change to bun.lock (test/unit/nix-deps.test.ts fails while this file is stale).",
    "#",
    "# The npm packages the build needs: bun.lock's dependencies and what they pull in, without",
    "# devDependencies, for Linux. Each goes to its place in node_modules as bun.lock lays it out",
    "# (`path`) and is fetched by the hash bun.lock records; `cpu` (Node's names) limits a package",
    "# to those CPUs. nix/node-modules.nix builds node_modules from this list.",
    "[",
    ...entries,
    "]",
    "",
  ].join("\n");
}

if (import.meta.main) {
  const text = renderBunDepsNix(readFileSync(lockPath, "utf8"));
  writeFileSync(bunDepsPath, text);
  console.log(`wrote ${bunDepsPath} (${text.match(/^ {2}\{$/gm)?.length ?? 0} packages)`);
}
