import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, runToExit } from "./process.ts";

let built: Promise<string> | undefined;

/**
 * The single executable, built by `bun run build` once per test run (every test file of the run
 * shares it) and copied into a temp directory with no node_modules anywhere above it, so whatever
 * it needs at run time must be inside it.
 */
export function compiledBinary(): Promise<string> {
  built ??= (async () => {
    const build = await runToExit(["bun", "run", "build"], { timeoutMs: 120_000 });
    if (build.code !== 0) throw new Error(`bun run build failed:\n${build.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), "nixfleet-binary-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, "nixfleet-control-plane");
    copyFileSync(join(repoRoot, "dist", "nixfleet-control-plane"), binary);
    chmodSync(binary, 0o755);
    return binary;
  })();
  return built;
}
