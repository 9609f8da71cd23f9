import type { Schema } from "../../client/index.ts";
import { eventDetail, table, when } from "../output.ts";

/** `audit list`. */
export function auditTable(events: Schema<"AuditEvent">[]): string {
  return table(
    [
      { header: "TIME", value: (e) => when(e.timestamp) },
      { header: "ACTOR", value: (e) => e.actor },
      { header: "ACTION", value: (e) => e.action },
      { header: "TARGET", value: (e) => e.target },
      { header: "DETAIL", value: (e) => eventDetail(e.detail) },
    ],
    events,
  );
}
