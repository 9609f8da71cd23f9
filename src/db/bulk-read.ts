import type { SQL } from "drizzle-orm";
import type { DbOrTx } from "./database.ts";

/**
 * Runs a query that returns one row with one JSON text (a `json_group_array(...)`) and parses it.
 * For whole-fleet reads: SQLite serializing 100 000 rows into one document is several times
 * cheaper than a driver row object and a drizzle mapping per row.
 */
export async function selectJson<T>(db: DbOrTx, query: SQL): Promise<T> {
  const [row] = await db.values<[string]>(query);
  return JSON.parse(row![0]) as T;
}
