// Another process holding a database's write lock, as `sqlite3 state.db` then `BEGIN EXCLUSIVE;`
// would: `bun test/support/lock-holder.ts <db>` prints "locked" once it holds the lock and keeps
// it until its stdin closes (or receives a line), then rolls back and exits.
import Database from "libsql";

const connection = new Database(process.argv[2]!, { timeout: 10_000 });
connection.exec("BEGIN EXCLUSIVE");
process.stdout.write("locked\n");
for await (const _ of process.stdin) break;
connection.exec("ROLLBACK");
connection.close();
