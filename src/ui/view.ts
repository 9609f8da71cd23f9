import type { FleetClient, Schema } from "../client/index.ts";

/** The dashboard's sections, for the navigation. */
export type Section = "overview" | "machines" | "releases" | "rollouts" | "gates";

/** What every page renders with: the API as the session's key sees it, who that is, and the CSRF token. */
export interface View {
  /** The typed client, answered in-process by the same app with the session's API key. */
  api: FleetClient;
  keyName: string;
  role: string;
  /** The CSRF token of this session's forms. */
  csrf: string;
  /** Milliseconds since the epoch, for ages. */
  now: number;
  /** The fleet-wide freeze, for the banner every page shows while it is set (null in a page's region). */
  freeze: Schema<"Freeze"> | null;
}

const ROLE_RANK: Record<string, number> = { readonly: 0, deploy: 1, admin: 2 };

/** True when the session's key has at least `role` (the API's rule: admin ⊃ deploy ⊃ readonly). */
export function mayAct(view: Pick<View, "role">, role: "deploy" | "admin"): boolean {
  return (ROLE_RANK[view.role] ?? -1) >= ROLE_RANK[role]!;
}
