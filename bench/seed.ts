// Writes a synthetic fleet straight into a fresh database file before the server starts:
// machines, their tags, desired generations for most of them, each machine's latest report and
// health report, a release covering the whole fleet, and an admin API key. The server's own code
// creates and migrates the file; bun:sqlite then fills it with prepared statements in one
// transaction (several times faster than the libSQL client's batch for ~800 000 rows).
import { Database } from "bun:sqlite";
import { generateRawKey, hashKey } from "../src/db/keys.ts";
import { join } from "node:path";
import { hasDesiredGeneration, machineId, machineTags, storePath } from "./workload.ts";

export interface SeededFleet {
  machines: number;
  /** Raw admin API key for the scale-path calls. */
  adminKey: string;
  /** A release whose entries are every machine's next generation. */
  releaseId: string;
  seconds: number;
}

const DAY_MS = 86_400_000;

/** Creates and migrates the database at `dbPath` (with the server's own code) and loads `count` machines. */
export async function seedFleet(dbPath: string, count: number, now = Date.now()): Promise<SeededFleet> {
  const started = performance.now();
  // In a process of its own: libSQL's connections outlive their close until the collector finds
  // their statements, and bun:sqlite deletes the WAL and its index when it closes below; a libSQL
  // connection this process opened later (an in-process bench's store) would share the deleted
  // index and read the new WAL through it (SQLITE_IOERR_SHORT_READ).
  const migrate = Bun.spawnSync([
    process.execPath,
    "-e",
    `const { openStore } = await import(${JSON.stringify(join(import.meta.dir, "..", "src", "db", "database.ts"))});
     await (await openStore(process.argv[1])).close();`,
    dbPath,
  ]);
  if (migrate.exitCode !== 0) throw new Error(`migrating ${dbPath} failed: ${migrate.stderr.toString()}`);
  const adminKey = generateRawKey();
  const releaseId = "rel-00000000-0000-4000-8000-000000000001";
  const db = new Database(dbPath);
  try {
    const insertMachine = db.prepare(
      `INSERT INTO machines (machine_id, lifecycle, registered_at, current_generation, agent_version, uptime_seconds,
         last_success, last_health_passed, last_report_at, latest_health_id) VALUES (?,?,?,?,?,?,?,?,?,?)`,
    );
    const insertTag = db.prepare("INSERT INTO machine_tags (machine_id, tag) VALUES (?,?)");
    const insertDesired = db.prepare(
      "INSERT INTO desired_generations (machine_id, store_path, cache_url, set_at, set_by) VALUES (?,?,?,?,?)",
    );
    const insertReport = db.prepare(
      `INSERT INTO reports (id, machine_id, received_at, current_generation, success, message, agent_timestamp,
         agent_version, uptime_seconds) VALUES (?,?,?,?,?,?,?,?,?)`,
    );
    const insertHealth = db.prepare(
      "INSERT INTO health_reports (id, machine_id, received_at, all_passed, results, agent_timestamp) VALUES (?,?,?,?,?,?)",
    );
    const insertEntry = db.prepare(
      "INSERT INTO release_entries (release_id, hostname, store_path, platform, tags) VALUES (?,?,?,?,?)",
    );
    const healthResults = JSON.stringify([
      { status: "pass", check_name: "systemd-units", duration_ms: 12 },
      { status: "pass", check_name: "command:check-disk", duration_ms: 41 },
    ]);
    db.transaction(() => {
      for (let i = 1; i <= count; i++) {
        const id = machineId(i);
        const current = storePath(i, 0);
        const lastReportAt = now - (i % 60_000);
        const agentTimestamp = new Date(lastReportAt).toISOString();
        // Every 200th machine is in maintenance, so lifecycle filters have something to skip.
        const lifecycle = i % 200 === 0 ? "maintenance" : "active";
        // Machine i's report and health report are both row i (a health report shares its report's id).
        insertMachine.run(id, lifecycle, now - 30 * DAY_MS, current, "0.1.0", 86_400, 1, 1, lastReportAt, i);
        for (const tag of machineTags(i)) insertTag.run(id, tag);
        if (hasDesiredGeneration(i)) insertDesired.run(id, current, null, now - DAY_MS, "apikey:bench");
        insertReport.run(i, id, lastReportAt, current, 1, "switched to generation", agentTimestamp, "0.1.0", 86_400);
        insertHealth.run(i, id, lastReportAt, 1, healthResults, agentTimestamp);
        insertEntry.run(releaseId, id, storePath(i, 1), "x86_64-linux", JSON.stringify(machineTags(i)));
      }
      db.run(
        `INSERT INTO releases (id, flake_ref, flake_rev, cache_url, host_count, created_at, created_by)
           VALUES (?,?,?,?,?,?,?)`,
        [releaseId, "github:example/fleet", "0123456789abcdef", null, count, now, "apikey:bench"],
      );
      db.run("INSERT INTO api_keys (id, name, role, key_hash, created_at) VALUES (?,?,?,?,?)", [
        "key-00000000-0000-4000-8000-000000000001",
        "bench",
        "admin",
        hashKey(adminKey),
        now,
      ]);
    })();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    for (const statement of [insertMachine, insertTag, insertDesired, insertReport, insertHealth, insertEntry]) {
      statement.finalize();
    }
  } finally {
    // Closed for real, now: a statement left unfinalized keeps bun:sqlite's connection open until the
    // garbage collector finalizes it, and that late close (a second SQLite library in this process,
    // which does not see libSQL's connections) checkpoints and deletes the WAL under the server's feet.
    db.close(true);
  }
  return { machines: count, adminKey, releaseId, seconds: (performance.now() - started) / 1000 };
}
