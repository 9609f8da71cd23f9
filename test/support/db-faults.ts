// Real database faults for tests: another process holding the write lock, a full file system
// (a small tmpfs), and database files that cannot be written even by root (the immutable attribute).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./process.ts";

/** Another process holding the database's write lock (`BEGIN EXCLUSIVE`) until `release` is awaited. */
export interface WriteLock {
  release(): Promise<void>;
}

/** Starts a process that takes the write lock of `dbPath` and resolves once it holds it. */
export async function holdWriteLock(dbPath: string): Promise<WriteLock> {
  const proc = Bun.spawn([process.execPath, join(repoRoot, "test/support/lock-holder.ts"), dbPath], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(value).startsWith("locked")) {
    proc.kill();
    throw new Error(`the lock holder did not take the lock of ${dbPath}`);
  }
  return {
    async release() {
      proc.stdin.write("release\n");
      await proc.stdin.end();
      await proc.exited;
    },
  };
}

/** A small tmpfs of its own that a test can fill up, or the reason it cannot be mounted here. */
export interface SmallFileSystem {
  dir: string;
  /** Fills every free byte with a file. */
  fill(): void;
  /** Removes the filling. */
  clear(): void;
  unmount(): void;
}

const run = (command: string[]) => spawnSync(command[0]!, command.slice(1), { encoding: "utf8" });

/** Mounts a tmpfs of `sizeMiB` (root with CAP_SYS_ADMIN only); a string says why it could not. */
export function mountSmallFileSystem(sizeMiB: number): SmallFileSystem | string {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-full-"));
  const mounted = run(["mount", "-t", "tmpfs", "-o", `size=${sizeMiB}m`, "tmpfs", dir]);
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || "").trim()})`;
  }
  const filler = join(dir, "filler");
  return {
    dir,
    fill() {
      const { bavail, bsize } = statfsSync(dir);
      try {
        writeFileSync(filler, Buffer.alloc(bavail * bsize));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    },
    clear() {
      rmSync(filler, { force: true });
    },
    unmount() {
      run(["umount", "-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sets or clears the immutable attribute of `paths`: writes to them then fail even for root and
 * even through descriptors already open, as on a file system remounted read-only. (A real
 * remount is refused while SQLite holds the files open for writing.)
 */
export function setImmutable(paths: string[], immutable: boolean): void {
  const result = run(["chattr", immutable ? "+i" : "-i", ...paths]);
  if (result.status !== 0) throw new Error(`chattr failed: ${(result.stderr || result.error?.message || "").trim()}`);
}

/** Null when `setImmutable` works in `dir`, else why it does not (no chattr, no privilege, or a file system without it). */
export function immutableUnsupported(dir: string): string | null {
  const probe = join(dir, `.immutable-probe-${process.pid}`);
  writeFileSync(probe, "x");
  try {
    const set = run(["chattr", "+i", probe]);
    if (set.status !== 0) return `chattr +i is not possible here (${(set.stderr || set.error?.message || "").trim()})`;
    run(["chattr", "-i", probe]);
    return null;
  } finally {
    rmSync(probe, { force: true });
  }
}
