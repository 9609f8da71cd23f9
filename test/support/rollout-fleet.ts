import { insertRelease } from "../../src/db/releases.ts";
import { machines, machineTags } from "../../src/db/schema.ts";
import { NIX_BASE32_ALPHABET } from "../../src/domain/store-path.ts";
import type { Harness } from "./harness.ts";

/** A valid store path, distinct per (host, version). */
export function storePath(host: string, version = 1): string {
  let hash = "";
  let seed = [...`${host}#${version}`].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) >>> 0, 7);
  for (let i = 0; i < 32; i++) {
    // Math.imul: a plain multiply passes 2^53 and loses the low bits, giving all-zero hashes.
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    hash += NIX_BASE32_ALPHABET[seed >>> 27];
  }
  return `/nix/store/${hash}-nixos-system-${host}`;
}

/**
 * `n` active machines tagged `web` (web-01, web-02, …) and a release with an entry for each,
 * written straight to the database (test set-up only).
 */
export async function webFleet(h: Harness, n: number, version = 1): Promise<{ ids: string[]; releaseId: string }> {
  const ids = Array.from({ length: n }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  const releaseId = `rel-test-${Math.random().toString(36).slice(2)}`;
  await h.store.write(async (tx) => {
    await tx
      .insert(machines)
      .values(
        ids.map((id) => ({ machineId: id, lifecycle: "active" as const, registeredAt: h.controlPlane.deps.now() })),
      );
    await tx.insert(machineTags).values(ids.map((id) => ({ machineId: id, tag: "web" })));
    await insertRelease(tx, {
      id: releaseId,
      flakeRef: null,
      flakeRev: null,
      cacheUrl: null,
      createdAt: h.controlPlane.deps.now(),
      createdBy: "apikey:ci",
      entries: ids.map((hostname) => ({
        hostname,
        storePath: storePath(hostname, version),
        platform: "x86_64-linux",
        tags: [],
      })),
    });
  });
  for (const id of ids) h.controlPlane.deps.fleet.recordMachine(id, "active");
  return { ids, releaseId };
}
