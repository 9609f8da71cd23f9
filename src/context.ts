import type { MiddlewareHandler } from "hono";
import type { Registry } from "prom-client";
import type { AppConfig } from "./config.ts";
import type { Store } from "./db/database.ts";
import type { Logger } from "./logger.ts";
import type { ChangeFeed } from "./services/change-feed.ts";
import type { EventStreams } from "./services/event-streams.ts";
import type { FleetState } from "./services/fleet-state.ts";
import type { HeldPolls } from "./services/held-polls.ts";
import type { Leadership } from "./services/leadership.ts";
import type { WebhookDispatcher } from "./services/webhook-dispatcher.ts";
import type { RolloutExecutor } from "./services/rollout-executor.ts";
import type { ViewFollower } from "./services/view-follower.ts";

/** What the runtime adapter learned about the connection (nothing when TLS is off). */
export interface PeerIdentity {
  /** Subject CN of the verified client certificate, when mTLS is on. */
  commonName: string | null;
}

/** Bindings every runtime adapter passes as the second argument of `app.fetch`. */
export interface Bindings {
  peer?: PeerIdentity;
  /**
   * Called by the app for a request whose response it will hold open or stream (held agent
   * polls, event streams). The Bun edge never times out a response in progress, however quiet;
   * at shutdown it gives such a response a moment to be ended by the app and then closes the
   * connection instead of waiting for it. Absent where the runtime cannot tell connections apart
   * (tests through `app.request()`) and under Deno.
   */
  keepOpen?: (request: Request) => void;
}

export type Role = "admin" | "deploy" | "readonly";

/** Per-request values set by middleware. */
export interface Variables {
  /** Who is acting, in audit-log spelling: `apikey:<name>`, `machine:<id>`, ... */
  actor: string;
  role: Role | null;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}

/** Everything the app needs from outside; built once by the server or by a test. */
export interface AppDeps {
  store: Store;
  logger: Logger;
  registry: Registry;
  /** True when every connection carries a verified client certificate (`--client-ca`). */
  mtls: boolean;
  config: AppConfig;
  /** Milliseconds since the epoch; replaceable in tests. */
  now: () => number;
  /** In-memory view answering agent polls. */
  fleet: FleetState;
  /** Keeps the in-memory views following what other processes write (SPEC §18); told of this process's reports. */
  views: ViewFollower;
  /** Agent polls held until their machine's answer changes (`?wait=`). */
  heldPolls: HeldPolls;
  /** The audit log followed as a change feed. */
  feed: ChangeFeed;
  /** The open event streams. */
  eventStreams: EventStreams;
  /** Delivers webhooks (running only in the process that leads, SPEC §18); told of redelivers. */
  webhookDispatcher: WebhookDispatcher;
  /** Told about every committed report, so a rollout can advance at once. */
  rolloutEvents: RolloutEvents;
  /** Runs rollouts while this process leads; the rollout and gate routes act through it on any process. */
  rolloutExecutor: RolloutExecutor;
  /** This process's place among the control planes on its database: lease, heartbeat, fenced writes. */
  leadership: Leadership;
}

/** The rollout executor's inbox for events that may decide a batch. */
export interface RolloutEvents {
  machineReported(machineId: string): void;
}

/** What every route module receives: the dependencies and the two auth middleware factories. */
export interface RouteContext {
  deps: AppDeps;
  /** API-key check of admin routes (401/403), sets `actor`. */
  requireRole: (role: Role) => MiddlewareHandler<AppEnv>;
  /** Agent routes: the client certificate must be the path's machine (when mTLS is on). */
  requireMachine: MiddlewareHandler<AppEnv>;
}
