import { sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { yieldToEventLoop } from "../event-loop.ts";
import type { DbOrTx } from "./database.ts";

/** Rows one statement of `deleteInTurns` removes: a few milliseconds of work. */
export const DELETE_CHUNK = 2_000;

/**
 * Deletes the rows of `table` matching `where` in the caller's transaction, DELETE_CHUNK per
 * statement with a turn of the event loop between: the 100 000 machines of a rollout or entries
 * of a release deleted in one statement held agents' polls for ~250 ms. The transaction still
 * makes the deletion whole or nothing.
 */
export async function deleteInTurns(tx: DbOrTx, table: SQLiteTable, where: SQL): Promise<void> {
  for (;;) {
    const result = await tx.run(
      sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${DELETE_CHUNK})`,
    );
    if (result.rowsAffected < DELETE_CHUNK) return;
    await yieldToEventLoop();
  }
}
