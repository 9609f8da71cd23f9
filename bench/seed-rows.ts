// Adds rows to a seeded database for a stall scenario, in a process of its own, with the server's
// own driver: `bun bench/seed-rows.ts audit|aged-reports <db> <machines> <count>`.
//
// Not from the bench's process: it opened the file with libSQL (the seeding's migrations) and then
// with bun:sqlite, which deleted the WAL and its index at close; libSQL connections that linger
// there until collected still map that deleted index, and a new connection of that process shares
// it, so its commit would go into a WAL index the server never reads (measured: the server's next
// read of the table failed). Not with bun:sqlite either: after its commit the server's libSQL
// connections read an old snapshot (the audit log looked empty).
import Database from "libsql";
import { machineId, storePath } from "./workload.ts";

const [kind, dbPath, machinesArg, countArg] = process.argv.slice(2);
const machines = Number(machinesArg);
const count = Number(countArg);
const db = new Database(dbPath!, { timeout: 10_000 });
db.exec("BEGIN IMMEDIATE");
if (kind === "audit") {
  // A machine's report each, for the audit export to walk.
  const insert = db.prepare("INSERT INTO audit_events (timestamp, actor, action, target, detail) VALUES (?,?,?,?,?)");
  const detail = JSON.stringify({ changes: ["new_generation"], current_generation: storePath(1, 1), success: true });
  const at = Date.now();
  for (let i = 0; i < count; i++) {
    const id = machineId(1 + (i % machines));
    insert.run(at, `machine:${id}`, "report", id, detail);
  }
} else if (kind === "aged-reports") {
  // Reports received three days ago, for a retention pass to prune.
  const insert = db.prepare(
    `INSERT INTO reports (machine_id, received_at, current_generation, success, message, agent_timestamp,
       agent_version, uptime_seconds) VALUES (?,?,?,?,?,?,?,?)`,
  );
  const receivedAt = Date.now() - 3 * 86_400_000;
  const agentTimestamp = new Date(receivedAt).toISOString();
  for (let i = 0; i < count; i++) {
    const n = 1 + (i % machines);
    insert.run(machineId(n), receivedAt, storePath(n, 0), 1, "switched", agentTimestamp, "0.1.0", 1);
  }
} else {
  throw new Error(`unknown kind ${kind}`);
}
db.exec("COMMIT");
db.close();
