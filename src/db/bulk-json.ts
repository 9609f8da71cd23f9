// Many rows through one JSON value, in either direction: SQLite builds or unpacks the JSON, so
// neither the driver nor drizzle handles a row at a time.
import { sql, type SQL } from "drizzle-orm";
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

/**
 * Rows as one JSON array of arrays, for `json_each`. Lone surrogates become U+FFFD first, as
 * they do when a string is bound as a parameter: SQLite's JSON decoder would otherwise store
 * them as invalid UTF-8, which the driver cannot read back.
 */
export const jsonRows = (rows: unknown[][]) =>
  JSON.stringify(rows.map((row) => row.map((value) => (typeof value === "string" ? value.toWellFormed() : value))));

/**
 * A list as a subquery over one JSON parameter (`column in ${jsonList(values)}`), however many
 * values there are; lone surrogates become U+FFFD, as for `jsonRows`.
 */
export const jsonList = (values: readonly string[]) =>
  sql`(select value from json_each(${JSON.stringify(values.map((value) => value.toWellFormed()))}))`;
