// `bun run nix:host-build`: builds nix/package.nix with Nix (nix-build from Debian's nix-bin is
// enough) but the host's tools for nixpkgs' stdenv and Bun (test/nix/host-build.nix): every npm
// package fetched by bun.lock's hash, node_modules laid out offline, the executable built and run.
// Needs the npm registry; prints the store path of the result.
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const nixBuild = Bun.which("nix-build");
if (!nixBuild) {
  console.error("nix-build not found: install Nix (Debian: apt-get install nix-bin)");
  process.exit(1);
}
const result = Bun.spawnSync(
  [
    nixBuild,
    "--no-out-link",
    "--option",
    "sandbox",
    "false",
    // Nothing is substituted: only the npm tarballs are fetched, and no binary cache is asked.
    "--option",
    "substituters",
    "",
    join(root, "test", "nix", "host-build.nix"),
    "--argstr",
    "bun",
    process.execPath,
  ],
  { cwd: root, stdout: "pipe", stderr: "inherit" },
);
if (result.exitCode !== 0) process.exit(result.exitCode ?? 1);
console.log(result.stdout.toString().trim());
