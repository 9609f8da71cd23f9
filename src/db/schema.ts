import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Timestamps are integer milliseconds since the epoch: cheap to compare and index;
// the API renders them as RFC 3339.

/**
 * Machines and their tags are WITHOUT ROWID tables, clustered on their primary keys (migration
 * 0001; drizzle-kit cannot express it): a migration that recreates either must keep that.
 */
export const machines = sqliteTable(
  "machines",
  {
    machineId: text("machine_id").primaryKey(),
    lifecycle: text("lifecycle", {
      enum: ["pending", "provisioning", "active", "maintenance", "decommissioned"],
    }).notNull(),
    registeredAt: integer("registered_at").notNull(),
    currentGeneration: text("current_generation"),
    agentVersion: text("agent_version"),
    uptimeSeconds: integer("uptime_seconds"),
    lastSuccess: integer("last_success", { mode: "boolean" }),
    lastHealthPassed: integer("last_health_passed", { mode: "boolean" }),
    lastReportAt: integer("last_report_at"),
    /** The agent's own time of its last report (RFC 3339 UTC), shown as `last_report` like v0.1. */
    lastReportTimestamp: text("last_report_timestamp"),
    /** The machine's newest health report (`health_reports.id`), or null before its first. */
    latestHealthId: integer("latest_health_id"),
  },
  (t) => [index("machines_lifecycle_idx").on(t.lifecycle)],
);

export const machineTags = sqliteTable(
  "machine_tags",
  {
    machineId: text("machine_id").notNull(),
    tag: text("tag").notNull(),
  },
  (t) => [primaryKey({ columns: [t.machineId, t.tag] }), index("machine_tags_tag_idx").on(t.tag)],
);

/** What a machine should run; absent row = nothing desired (the agent gets 404). */
export const desiredGenerations = sqliteTable("desired_generations", {
  machineId: text("machine_id").primaryKey(),
  storePath: text("store_path").notNull(),
  cacheUrl: text("cache_url"),
  setAt: integer("set_at").notNull(),
  setBy: text("set_by").notNull(),
});

export const reports = sqliteTable(
  "reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    machineId: text("machine_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    currentGeneration: text("current_generation").notNull(),
    success: integer("success", { mode: "boolean" }).notNull(),
    message: text("message").notNull(),
    agentTimestamp: text("agent_timestamp").notNull(),
    agentVersion: text("agent_version"),
    uptimeSeconds: integer("uptime_seconds"),
  },
  (t) => [
    index("reports_machine_received_idx").on(t.machineId, t.receivedAt),
    index("reports_received_idx").on(t.receivedAt),
  ],
);

/**
 * Health reports, each under the id of the report it came with. No per-machine index: a
 * machine's health reports are found through its reports (or `machines.latest_health_id`), so
 * storing one does not write a random index page.
 */
export const healthReports = sqliteTable(
  "health_reports",
  {
    id: integer("id").primaryKey(),
    machineId: text("machine_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    allPassed: integer("all_passed", { mode: "boolean" }).notNull(),
    /** JSON array of check results as the agent sent them. */
    results: text("results").notNull(),
    agentTimestamp: text("agent_timestamp").notNull(),
  },
  (t) => [index("health_reports_received_idx").on(t.receivedAt)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "deploy", "readonly"] }).notNull(),
    /** SHA-256 hex of the raw key; the raw key is never stored. */
    keyHash: text("key_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.keyHash)],
);

/**
 * The audit log is also the change feed: its ids are the event ids of the event stream (§15) and
 * what other processes on the same database follow (§18), so every state change writes a row here
 * in the transaction that makes it.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    timestamp: integer("timestamp").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull(),
    detail: text("detail").notNull(),
    /** The rollout the event belongs to (its own transitions and its machines'), else null. */
    rolloutId: text("rollout_id"),
  },
  (t) => [
    index("audit_actor_idx").on(t.actor, t.id),
    index("audit_rollout_idx").on(t.rolloutId, t.id),
    index("audit_action_idx").on(t.action, t.id),
    index("audit_target_idx").on(t.target, t.id),
  ],
);

export const releases = sqliteTable(
  "releases",
  {
    id: text("id").primaryKey(),
    flakeRef: text("flake_ref"),
    flakeRev: text("flake_rev"),
    cacheUrl: text("cache_url"),
    hostCount: integer("host_count").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [index("releases_created_idx").on(t.createdAt)],
);

export const releaseEntries = sqliteTable(
  "release_entries",
  {
    releaseId: text("release_id").notNull(),
    hostname: text("hostname").notNull(),
    storePath: text("store_path").notNull(),
    platform: text("platform").notNull(),
    /** JSON array of tags. */
    tags: text("tags").notNull().default("[]"),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.hostname] }), index("release_entries_hostname_idx").on(t.hostname)],
);

export const rollouts = sqliteTable(
  "rollouts",
  {
    id: text("id").primaryKey(),
    releaseId: text("release_id").notNull(),
    strategy: text("strategy", { enum: ["canary", "staged", "all_at_once"] }).notNull(),
    status: text("status", {
      enum: ["created", "running", "paused", "completed", "failed", "cancelled", "scheduled", "aborted"],
    }).notNull(),
    onFailure: text("on_failure", { enum: ["pause", "revert"] }).notNull(),
    failureThreshold: text("failure_threshold").notNull(),
    healthTimeout: integer("health_timeout").notNull(),
    cacheUrl: text("cache_url"),
    /** JSON of the request's target (`{"tags":[...]}` or `{"hosts":[...]}`). */
    target: text("target").notNull(),
    /** JSON array of the batch sizes used to plan the batches. */
    batchSizes: text("batch_sizes").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    createdBy: text("created_by").notNull(),
    // SPEC §14.2 options; null/0/false = v0.1 behaviour.
    soakSeconds: integer("soak_seconds").notNull().default(0),
    /** JSON array of per-batch soak seconds (overrides soak_seconds), or null. */
    batchSoakSeconds: text("batch_soak_seconds"),
    minDecided: integer("min_decided"),
    /** "N" or "p%" of the batch, or null (unlimited). */
    maxInFlight: text("max_in_flight"),
    notBefore: integer("not_before"),
    offlineAfterSeconds: integer("offline_after_seconds"),
    supersede: integer("supersede", { mode: "boolean" }).notNull().default(false),
    /** The operator's reason while paused by `pause` (empty when none was given), else null. */
    pauseReason: text("pause_reason"),
    /** Aborted or failed with revert, and machines it changed still wait for their previous generation. */
    revertPending: integer("revert_pending", { mode: "boolean" }).notNull().default(false),
    /**
     * The node id (`--node-id`) of the process writing the rollout while it is `created`, so the
     * leader can tell a creation in progress on another process from one whose process died
     * (SPEC §18); null for rollouts created before this column existed.
     */
    createdOn: text("created_on"),
  },
  (t) => [index("rollouts_status_idx").on(t.status), index("rollouts_release_idx").on(t.releaseId)],
);

export const rolloutBatches = sqliteTable(
  "rollout_batches",
  {
    rolloutId: text("rollout_id").notNull(),
    batchIndex: integer("batch_index").notNull(),
    status: text("status", {
      enum: ["pending", "deploying", "waiting_health", "succeeded", "failed", "soaking"],
    }).notNull(),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    /** While soaking: when the soak ends. */
    soakUntil: integer("soak_until"),
  },
  (t) => [primaryKey({ columns: [t.rolloutId, t.batchIndex] })],
);

/** One row per machine of a rollout: its batch, state and reason, recorded previous generation. */
export const rolloutMachines = sqliteTable(
  "rollout_machines",
  {
    rolloutId: text("rollout_id").notNull(),
    batchIndex: integer("batch_index").notNull(),
    machineId: text("machine_id").notNull(),
    /** Position inside the batch (the shuffled order). */
    position: integer("position").notNull(),
    /** The release entry's store path, read from the release when the batch deploys. */
    storePath: text("store_path"),
    previousGeneration: text("previous_generation"),
    previousCacheUrl: text("previous_cache_url"),
    /** The machine's state in the rollout (SPEC §14.4); the column keeps its v0.1 name. */
    state: text("health", {
      enum: ["pending", "waiting", "deploying", "healthy", "unhealthy", "skipped", "superseded"],
    })
      .notNull()
      .default("pending"),
    /** Why it waits, why it is unhealthy or skipped. */
    reason: text("health_reason"),
    /** When it last started deploying; set once the rollout has given it its desired generation. */
    deployStartedAt: integer("deploy_started_at"),
    /** When an abort or a revert gave it its previous generation back. */
    revertedAt: integer("reverted_at"),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.machineId] }),
    // No index on machine_id alone: lookups go through a rollout (the primary key's prefix),
    // and each index costs every insert of a fleet-wide rollout.
    index("rollout_machines_batch_idx").on(t.rolloutId, t.batchIndex, t.position),
  ],
);

export const rolloutEvents = sqliteTable(
  "rollout_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rolloutId: text("rollout_id").notNull(),
    eventType: text("event_type").notNull(),
    detail: text("detail").notNull(),
    actor: text("actor").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("rollout_events_rollout_idx").on(t.rolloutId, t.id)],
);

/**
 * Webhook endpoints (SPEC §15). The secret is stored as given: signing a delivery needs it
 * (API keys, which are only compared, are stored as hashes).
 */
export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  /** JSON array of action patterns (`rollout.paused`, `rollout.*`, `*`). */
  events: text("events").notNull(),
  /** `whsec_` + base64 of the key, as the Standard Webhooks convention writes it. */
  secret: text("secret").notNull(),
  /** Only events after this one are delivered: the webhook's own `webhook.created` event. */
  afterEventId: integer("after_event_id").notNull(),
  createdAt: integer("created_at").notNull(),
  createdBy: text("created_by").notNull(),
});

/** One event to deliver to one webhook; its id is the `webhook-id` header, the same on every attempt. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull(),
    eventId: integer("event_id").notNull(),
    action: text("action").notNull(),
    /** The exact JSON body sent (and signed) on every attempt. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    /** Start of the current retry window (the first attempt, or the redeliver that reopened it). */
    windowStartedAt: integer("window_started_at"),
    /** When a pending delivery is due; null once it has succeeded or failed. */
    nextAttemptAt: integer("next_attempt_at"),
    lastAttemptAt: integer("last_attempt_at"),
  },
  (t) => [
    // Turning the same event into a delivery twice (a replay after a restart) is a no-op.
    uniqueIndex("webhook_deliveries_event_idx").on(t.webhookId, t.eventId),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  ],
);

/** The delivery log: one row per attempt, with a short excerpt of the receiver's answer. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id").notNull(),
    attemptedAt: integer("attempted_at").notNull(),
    /** The receiver's HTTP status; null when no answer came (refused, timed out). */
    statusCode: integer("status_code"),
    /** Why the attempt failed; null when it succeeded. */
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** The start of the receiver's response body. */
    responseExcerpt: text("response_excerpt"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

/** How far a background consumer of the change feed has got (the webhook dispatcher's durable cursor). */
export const feedCursors = sqliteTable("feed_cursors", {
  consumer: text("consumer").primaryKey(),
  eventId: integer("event_id").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Named leases (today one, `executor`): which process may run the leader-only work (SPEC §18).
 * `token` is the fencing token, raised by every acquisition, so a write checked against the token
 * its process acquired with is refused once another process has taken the lease since. Times are
 * the database's clock (see src/db/cluster.ts), so processes on several hosts need not agree on
 * the time of day.
 */
export const leases = sqliteTable("leases", {
  name: text("name").primaryKey(),
  /** The holding process's node id; null once given up on a clean shutdown. */
  holder: text("holder"),
  token: integer("token").notNull(),
  acquiredAt: integer("acquired_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** One row per running control-plane process, kept fresh by its heartbeat (`GET /api/v1/cluster`). */
export const clusterNodes = sqliteTable("cluster_nodes", {
  nodeId: text("node_id").primaryKey(),
  /** The URL the process listens on; null for a process that serves no socket (in-process tests). */
  address: text("address"),
  version: text("version").notNull(),
  /** False for a `--no-executor` replica, which never takes the lease. */
  eligible: integer("eligible", { mode: "boolean" }).notNull(),
  startedAt: integer("started_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  /** Listed until then (two lease times after its last heartbeat), deleted by the next heartbeat of any process after. */
  expiresAt: integer("expires_at").notNull(),
});

/** Disruption budgets (SPEC §14.3): machines having all `tags` deploying at once, across all rollouts. */
export const budgets = sqliteTable("budgets", {
  name: text("name").primaryKey(),
  /** JSON array of tags. */
  tags: text("tags").notNull(),
  /** "N" or "p%" of the machines having the tags. */
  maxUnavailable: text("max_unavailable").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** Maintenance windows (SPEC §14.3): machines having all `tags` start deploying only while one is open. */
export const maintenanceWindows = sqliteTable("maintenance_windows", {
  name: text("name").primaryKey(),
  /** JSON array of tags. */
  tags: text("tags").notNull(),
  /** JSON array of 5-field cron expressions. */
  cron: text("cron").notNull(),
  durationMinutes: integer("duration_minutes").notNull(),
  timezone: text("timezone").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** The global freeze (SPEC §14.3): at most one row while frozen. */
export const freezes = sqliteTable("freeze", {
  id: integer("id").primaryKey(),
  reason: text("reason").notNull(),
  setAt: integer("set_at").notNull(),
  setBy: text("set_by").notNull(),
});

/**
 * Dashboard sessions. The cookie holds a random token; a row is found by the token's SHA-256 and
 * holds the API key sealed (AES-256-GCM) under a key derived from the token, so neither the
 * database alone nor a row can act: the browser's cookie is needed. A session ends at
 * `expires_at`, at logout, or as soon as its key is revoked or expires (looked up with the key).
 */
export const uiSessions = sqliteTable(
  "ui_sessions",
  {
    id: text("id").primaryKey(),
    keyId: text("key_id").notNull(),
    sealedKey: text("sealed_key").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("ui_sessions_expires_idx").on(t.expiresAt)],
);
