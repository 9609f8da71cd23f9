import type { Schema } from "../../client/index.ts";
import { table, when } from "../output.ts";

/** `budgets list` (and `set`, with the one budget). */
export function budgetTable(budgets: Schema<"Budget">[]): string {
  return table(
    [
      { header: "BUDGET", value: (b) => b.name },
      { header: "TAGS", value: (b) => b.tags.join(",") || "(every machine)" },
      { header: "MAX UNAVAILABLE", value: (b) => b.max_unavailable, right: true },
      { header: "LIMIT", value: (b) => String(b.limit), right: true },
      { header: "IN FLIGHT", value: (b) => String(b.in_flight), right: true },
      { header: "UPDATED", value: (b) => `${when(b.updated_at)} by ${b.updated_by}` },
    ],
    budgets,
  );
}

/** `windows list` (and `set`, with the one window). */
export function windowTable(windows: Schema<"MaintenanceWindow">[]): string {
  return table(
    [
      { header: "WINDOW", value: (w) => w.name },
      { header: "TAGS", value: (w) => w.tags.join(",") || "(every machine)" },
      { header: "CRON", value: (w) => w.cron.join(" | ") },
      { header: "MINUTES", value: (w) => String(w.duration_minutes), right: true },
      { header: "TIMEZONE", value: (w) => w.timezone },
      { header: "NOW", value: (w) => windowNow(w) },
      { header: "UPDATED", value: (w) => `${when(w.updated_at)} by ${w.updated_by}` },
    ],
    windows,
  );
}

/** `open until 04:00 UTC` or `closed, opens …`. */
export function windowNow(w: Schema<"MaintenanceWindow">): string {
  if (w.open) return w.changes_at ? `open until ${when(w.changes_at)} UTC` : "open";
  return w.changes_at ? `closed, opens ${when(w.changes_at)} UTC` : "closed, never opens again";
}

/** `freeze show`, and what `status` adds while the fleet is frozen. */
export function freezeLine(freeze: Schema<"Freeze">): string {
  if (!freeze.frozen) return "not frozen\n";
  return `FROZEN since ${when(freeze.set_at)} UTC by ${freeze.set_by ?? "?"}: ${freeze.reason ?? ""}\n`;
}
