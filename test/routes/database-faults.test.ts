// SPEC §13 "The database in trouble", in-process on real faults: a full file system (a small
// tmpfs) and database files that cannot be written (the immutable attribute, which binds root
// too and, unlike a remount, takes effect while SQLite holds the files open). Skipped, with the
// reason, where this machine cannot mount a tmpfs or set the attribute.
import { afterAll, afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reports } from "../../src/db/schema.ts";
import { createLogger } from "../../src/logger.ts";
import { createRetention } from "../../src/services/retention.ts";
import { immutableUnsupported, mountSmallFileSystem, setImmutable } from "../support/db-faults.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { report } from "../support/machines.ts";

const HOUR = 3600 * 1000;
const STORE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const smallFileSystem = mountSmallFileSystem(8);
const noSmallFileSystem = typeof smallFileSystem === "string" ? smallFileSystem : null;
if (noSmallFileSystem) console.warn(`skipping the full-disk tests: ${noSmallFileSystem}`);
const immutableDir = mkdtempSync(join(tmpdir(), "nixfleet-readonly-"));
const noImmutable = immutableUnsupported(immutableDir);
if (noImmutable) console.warn(`skipping the read-only tests: ${noImmutable}`);

let h: Harness | undefined;
let restore: (() => void) | undefined;
afterEach(async () => {
  restore?.();
  restore = undefined;
  await h?.close();
  h = undefined;
});
afterAll(() => {
  if (typeof smallFileSystem !== "string") smallFileSystem.unmount();
  rmSync(immutableDir, { recursive: true, force: true });
});

/** A harness whose log lines are kept, parsed; `start` runs the background tasks. */
async function harnessIn(dir: string, start = false) {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", write: (line) => void logs.push(JSON.parse(line)) });
  // A write waits for the database at most this long before its 503 (5 s in the server).
  h = await createHarness({ dir, logger, writeWaitMs: 300, start });
  return { h, logs };
}

const logged = (logs: Record<string, unknown>[], msg: string) => logs.filter((entry) => entry.msg === msg);

/** Waits (bounded) for a log line with this message and returns the first. */
async function logLine(logs: Record<string, unknown>[], msg: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 200 && logged(logs, msg).length === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(logged(logs, msg).length).toBeGreaterThan(0);
  return logged(logs, msg)[0]!;
}

/** GET /health until its status is `status` (bounded); returns the body. */
async function healthBecomes(harness: Harness, status: number): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const response = await harness.request("/health");
    const body = await response.text();
    if (response.status === status || attempt === 100) {
      expect(response.status).toBe(status);
      return body;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits (bounded) until `condition` holds. */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200 && !(await condition()); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(await condition()).toBe(true);
}

/** The refused write's answer: 503, Retry-After, the cause named. */
async function expectRefused(response: Response, trouble: string): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("5");
  expect(await response.json()).toEqual({ error: trouble });
}

async function storedReports(harness: Harness): Promise<string[]> {
  return (await harness.store.db.select().from(reports).orderBy(reports.id)).map((row) => row.machineId);
}

test.skipIf(noSmallFileSystem !== null)(
  "a full disk: writes get 503 disk full, polls and /health (503 disk full) are answered, SQLITE_FULL is logged; once space is back writes succeed and nothing acknowledged was lost",
  async () => {
    const disk = smallFileSystem as Exclude<typeof smallFileSystem, string>;
    const { h, logs } = await harnessIn(disk.dir);
    const admin = await createTestKey(h, "admin");
    expect((await report(h, "web-01", { message: "old" })).status).toBe(200);
    h.advance(25 * HOUR); // the first report is now old enough for retention
    expect((await report(h, "web-01", { message: "new" })).status).toBe(200);
    disk.fill();
    restore = () => disk.clear();

    await expectRefused(await report(h, "web-02"), "disk full");
    await expectRefused(
      await h.request("/api/v1/machines/web-03/register", { json: { tags: ["web"] }, key: admin }),
      "disk full",
    );
    expect((await h.request("/api/v1/machines/web-01/desired-generation")).status).toBe(404);
    expect(await healthBecomes(h, 503)).toBe("disk full");
    // Reads still work, and the key's last-use write (off the request path) logs why it failed.
    expect((await h.request("/api/v1/machines", { key: admin })).status).toBe(200);
    // Retention every 100 ms: its passes fail while the disk is full, and it carries on after.
    const retention = createRetention(h.controlPlane.deps, 100);
    retention.start();
    await logLine(logs, "report retention stopped: database unavailable");
    expect(logged(logs, "report retention stopped: database unavailable")[0]).toMatchObject({
      trouble: "disk full",
      sqlite_code: "SQLITE_FULL",
    });
    expect(logged(logs, "database unavailable: writes wait for it, then get 503")).toEqual([
      expect.objectContaining({ trouble: "disk full", sqlite_code: "SQLITE_FULL" }),
    ]);
    expect(logged(logs, "request refused: database unavailable").map((entry) => entry.sqlite_code)).toContain(
      "SQLITE_FULL",
    );
    expect(logged(logs, "could not record key use")).toEqual([
      expect.objectContaining({ trouble: "disk full", sqlite_code: "SQLITE_FULL" }),
    ]);

    disk.clear();
    restore = undefined;
    expect(await healthBecomes(h, 200)).toBe("ok");
    expect(logged(logs, "database available again")).toEqual([expect.objectContaining({ trouble: "disk full" })]);
    expect((await report(h, "web-04")).status).toBe(200);
    expect(await logLine(logs, "pruned old reports")).toMatchObject({ reports: 1 });
    await retention.stop();
    expect(await storedReports(h)).toEqual(["web-01", "web-04"]);
  },
);

test.skipIf(noImmutable !== null)(
  "database files that cannot be written: writes get 503 database read-only, /health says so, the SQLite code is logged; once writable again writes succeed and nothing acknowledged was lost",
  async () => {
    const dir = mkdtempSync(join(immutableDir, "db-"));
    const { h, logs } = await harnessIn(dir);
    expect((await report(h, "web-01")).status).toBe(200);
    const files = [h.dbPath, `${h.dbPath}-wal`];
    setImmutable(files, true);
    restore = () => setImmutable(files, false);

    // Reports committed together are refused together.
    const batch = await Promise.all(["web-02", "web-03", "web-04"].map((id) => report(h, id)));
    for (const response of batch) await expectRefused(response, "database read-only");
    expect((await h.request("/api/v1/machines/web-01/desired-generation")).status).toBe(404);
    expect(await healthBecomes(h, 503)).toBe("database read-only");
    const [announced] = logged(logs, "database unavailable: writes wait for it, then get 503");
    expect(announced).toMatchObject({ trouble: "database read-only" });
    expect(String(announced!.sqlite_code)).toMatch(/^SQLITE_(IOERR|READONLY)/);

    setImmutable(files, false);
    restore = undefined;
    expect(await healthBecomes(h, 200)).toBe("ok");
    expect((await report(h, "web-05")).status).toBe(200);
    expect(await storedReports(h)).toEqual(["web-01", "web-05"]);
  },
);

test.skipIf(noImmutable !== null)(
  "the rollout executor, finding the database read-only, logs the trouble with its code and carries on once it is writable",
  async () => {
    const dir = mkdtempSync(join(immutableDir, "db-"));
    const { h, logs } = await harnessIn(dir, true);
    const admin = await createTestKey(h, "admin");
    const registered = await h.request("/api/v1/machines/web-01/register", { json: {}, key: admin });
    expect(registered.status).toBe(201);
    const release = await h.request("/api/v1/releases", {
      json: { entries: [{ hostname: "web-01", store_path: STORE_PATH, platform: "x86_64-linux" }] },
      key: admin,
    });
    const { id: releaseId } = (await release.json()) as { id: string };
    const created = await h.request("/api/v1/rollouts", {
      json: { release_id: releaseId, strategy: "all_at_once", health_timeout: 1, target: { hosts: ["web-01"] } },
      key: admin,
    });
    expect(created.status).toBe(201);
    const { rollout_id: rolloutId } = (await created.json()) as { rollout_id: string };
    const status = async () =>
      ((await (await h.request(`/api/v1/rollouts/${rolloutId}`, { key: admin })).json()) as { status: string }).status;
    await eventually(async () => (await h.request("/api/v1/machines/web-01/desired-generation")).status === 200);

    const files = [h.dbPath, `${h.dbPath}-wal`];
    setImmutable(files, true);
    restore = () => setImmutable(files, false);
    h.advance(2000); // web-01's health timeout passes: the executor must record it
    const failed = await logLine(logs, "rollout executor step failed");
    expect(String(failed.error)).toMatch(/database read-only \(SQLITE_(IOERR|READONLY)\w*\)/);
    expect(await status()).toBe("running");

    setImmutable(files, false);
    restore = undefined;
    await eventually(async () => (await status()) === "paused");
  },
);
