import { eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "./database.ts";
import { budgets, freezes, machineTags, machines, maintenanceWindows } from "./schema.ts";

export type BudgetRow = typeof budgets.$inferSelect;
export type WindowRow = typeof maintenanceWindows.$inferSelect;
export type FreezeRow = typeof freezes.$inferSelect;

/** The one freeze row's id: the table holds at most that row. */
const FREEZE_ID = 1;

/** Every budget, by name. */
export async function listBudgets(db: DbOrTx): Promise<BudgetRow[]> {
  return db.select().from(budgets).orderBy(budgets.name);
}

/** Creates or replaces a budget; true when it already existed. */
export async function putBudget(tx: DbOrTx, row: BudgetRow): Promise<boolean> {
  const existed = (await tx.select({ name: budgets.name }).from(budgets).where(eq(budgets.name, row.name))).length > 0;
  await tx
    .insert(budgets)
    .values(row)
    .onConflictDoUpdate({ target: budgets.name, set: { ...row } });
  return existed;
}

/** Deletes a budget; false when there was none. */
export async function deleteBudget(tx: DbOrTx, name: string): Promise<boolean> {
  const deleted = await tx.delete(budgets).where(eq(budgets.name, name)).returning({ name: budgets.name });
  return deleted.length > 0;
}

/** Every maintenance window, by name. */
export async function listWindows(db: DbOrTx): Promise<WindowRow[]> {
  return db.select().from(maintenanceWindows).orderBy(maintenanceWindows.name);
}

/** Creates or replaces a window; true when it already existed. */
export async function putWindow(tx: DbOrTx, row: WindowRow): Promise<boolean> {
  const found = await tx
    .select({ name: maintenanceWindows.name })
    .from(maintenanceWindows)
    .where(eq(maintenanceWindows.name, row.name));
  await tx
    .insert(maintenanceWindows)
    .values(row)
    .onConflictDoUpdate({ target: maintenanceWindows.name, set: { ...row } });
  return found.length > 0;
}

/** Deletes a window; false when there was none. */
export async function deleteWindow(tx: DbOrTx, name: string): Promise<boolean> {
  const deleted = await tx
    .delete(maintenanceWindows)
    .where(eq(maintenanceWindows.name, name))
    .returning({ name: maintenanceWindows.name });
  return deleted.length > 0;
}

/** The freeze, or undefined when not frozen. */
export async function getFreeze(db: DbOrTx): Promise<FreezeRow | undefined> {
  const rows = await db.select().from(freezes).where(eq(freezes.id, FREEZE_ID));
  return rows[0];
}

/** Freezes (or changes the freeze's reason). */
export async function setFreeze(tx: DbOrTx, freeze: Omit<FreezeRow, "id">): Promise<void> {
  await tx
    .insert(freezes)
    .values({ id: FREEZE_ID, ...freeze })
    .onConflictDoUpdate({ target: freezes.id, set: freeze });
}

/** Lifts the freeze; false when there was none. */
export async function clearFreeze(tx: DbOrTx): Promise<boolean> {
  const deleted = await tx.delete(freezes).where(eq(freezes.id, FREEZE_ID)).returning({ id: freezes.id });
  return deleted.length > 0;
}

/** Active machines having every one of `tags` (what a budget's percentage is of). */
export async function countActiveWithTags(db: DbOrTx, tags: readonly string[]): Promise<number> {
  const distinct = [...new Set(tags)];
  if (distinct.length === 0) {
    const [row] = await db
      .select({ n: sql<number>`count(*)` })
      .from(machines)
      .where(eq(machines.lifecycle, "active"));
    return row?.n ?? 0;
  }
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(machines)
    .where(
      sql`${machines.lifecycle} = 'active' AND ${machines.machineId} IN (
        SELECT ${machineTags.machineId} FROM ${machineTags} WHERE ${inArray(machineTags.tag, distinct)}
        GROUP BY ${machineTags.machineId} HAVING count(*) = ${distinct.length})`,
    );
  return row?.n ?? 0;
}
