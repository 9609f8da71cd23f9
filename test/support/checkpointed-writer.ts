// A store writing rows as fast as it can while its WAL checkpointer runs every few milliseconds:
// `bun test/support/checkpointed-writer.ts <db>` prints each row's sequence number once its
// transaction committed, until it is killed.
import { sql } from "drizzle-orm";
import { openStore } from "../../src/db/database.ts";

const store = await openStore(process.argv[2]!, undefined, {
  checkpoints: { intervalMs: 2, restartBytes: 256 * 1024, restartWaitMs: 50 },
});
await store.client.execute("CREATE TABLE IF NOT EXISTS acked (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
const last = Number((await store.client.execute("SELECT coalesce(max(seq), 0) FROM acked")).rows[0]![0]);
for (let seq = last + 1; ; seq++) {
  await store.write(async (tx) => {
    await tx.run(sql`INSERT INTO acked VALUES (${seq}, randomblob(6000))`);
  });
  process.stdout.write(`${seq}\n`);
}
