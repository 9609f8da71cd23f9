import type { FleetClient } from "../client/index.ts";

/** The dashboard's sections, for the navigation. */
export type Section = "overview" | "machines" | "releases" | "rollouts";

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
}
