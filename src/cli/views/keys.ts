import type { Schema } from "../../client/index.ts";
import { table, when } from "../output.ts";

/** `keys list`. */
export function keyTable(keys: Schema<"ApiKey">[]): string {
  return table(
    [
      { header: "KEY", value: (k) => k.id },
      { header: "NAME", value: (k) => k.name },
      { header: "ROLE", value: (k) => k.role },
      { header: "CREATED", value: (k) => when(k.created_at) },
      { header: "EXPIRES", value: (k) => when(k.expires_at) },
      { header: "REVOKED", value: (k) => when(k.revoked_at) },
      { header: "LAST USED", value: (k) => when(k.last_used_at) },
    ],
    keys,
  );
}
