import { Registry } from "prom-client";
import { createApp, type App } from "./app.ts";
import { VERSION, type AppConfig, type ClusterConfig } from "./config.ts";
import type { AppDeps } from "./context.ts";
import type { Store } from "./db/database.ts";
import { DEFAULT_LEASE_SECONDS } from "./domain/lease.ts";
import type { Logger } from "./logger.ts";
import { ChangeFeed } from "./services/change-feed.ts";
import { EventStreams } from "./services/event-streams.ts";
import { FleetState } from "./services/fleet-state.ts";
import { HeldPolls } from "./services/held-polls.ts";
import { RolloutExecutor } from "./services/rollout-executor.ts";
import { WebhookDispatcher } from "./services/webhook-dispatcher.ts";
import { registerRolloutMetrics } from "./services/rollout-metrics.ts";
import { registerFleetMetrics } from "./services/fleet-metrics.ts";
import { createRetention } from "./services/retention.ts";
import { Leadership } from "./services/leadership.ts";
import { ViewFollower } from "./services/view-follower.ts";

export interface ControlPlaneOptions {
  store: Store;
  logger: Logger;
  config: AppConfig;
  /** How this process joins the other control planes on its database; one eligible process by default. */
  cluster?: ClusterConfig;
  mtls: boolean;
  now?: () => number;
}

/** The app plus the background work that runs beside it. */
export interface ControlPlane {
  app: App;
  deps: AppDeps;
  /**
   * Starts the change feed's timer and the reports tail (the views follow other processes'
   * writes), heartbeats under `address` (the listen URL) and, while this process leads, the
   * leader-only tasks (rollout executor ticks, retention, webhook delivery).
   */
  start(address?: string): void;
  /**
   * Answers every held agent poll (304) and ends every event stream now: a stopping server
   * waits for in-flight requests, and these would otherwise keep it waiting for minutes.
   */
  endLongLivedRequests(): void;
  /** Stops background tasks, waits for any that are mid-run, gives the lease up. */
  stop(): Promise<void>;
}

/** Wires the state the routes share and the background tasks, from an open store. */
export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const now = options.now ?? Date.now;
  const cluster = options.cluster ?? {
    nodeId: `in-process-${process.pid}`,
    leaseSeconds: DEFAULT_LEASE_SECONDS,
    executor: true,
  };
  const leadership = new Leadership({
    store: options.store,
    logger: options.logger,
    nodeId: cluster.nodeId,
    leaseMs: cluster.leaseSeconds * 1000,
    eligible: cluster.executor,
    version: VERSION,
  });
  const heldPolls = new HeldPolls();
  const fleet = new FleetState((machineId) => heldPolls.changed(machineId));
  const feed = new ChangeFeed(options.store.db, options.logger);

  const eventStreams = new EventStreams(feed);
  // Every transaction of the leader-only work checks the fencing token (SPEC §18): it writes
  // through the lease's fenced write, so a process that lost the lease cannot change anything.
  const fencedWrite: Store["write"] = (fn) => leadership.write(fn);
  const leaderStore: Store = { ...options.store, write: fencedWrite };
  const webhookDispatcher = new WebhookDispatcher({
    store: leaderStore,
    logger: options.logger,
    now,
    feed,
    isLeader: () => leadership.isLeader,
  });
  const rolloutExecutor = new RolloutExecutor({
    store: options.store,
    fencedWrite,
    nodeId: cluster.nodeId,
    logger: options.logger,
    now,
    fleet,
  });
  const views = new ViewFollower({
    db: options.store.db,
    feed,
    fleet,
    executor: rolloutExecutor,
    logger: options.logger,
  });
  // A commit without audit events (most report batches) gives the feed nothing to read.
  options.store.onCommit((auditIds) => {
    if (auditIds === null) return;
    views.localEventsStored(...auditIds);
    feed.committed();
  });
  const deps: AppDeps = {
    store: options.store,
    logger: options.logger,
    registry: new Registry(),
    mtls: options.mtls,
    config: options.config,
    now,
    fleet,
    views,
    heldPolls,
    feed,
    eventStreams,
    webhookDispatcher,
    rolloutEvents: rolloutExecutor,
    rolloutExecutor,
    leadership,
  };
  // The feed's position and the reports' first, then the views: whatever is written meanwhile is
  // read again by the follower (harmlessly), never missed.
  await feed.load();
  await views.begin();
  await fleet.load(options.store.db);
  await rolloutExecutor.gates.load(options.store.db);
  await leadership.join();
  // Leading loads the rollouts, and may write (creations whose process died are discarded,
  // unfinished reverts finished): under the lease, fenced like every autonomous step.
  if (leadership.isLeader) await rolloutExecutor.lead();
  registerRolloutMetrics(deps.registry, options.store.db, rolloutExecutor);
  registerFleetMetrics(deps.registry, deps.fleet);
  const retention = createRetention({ ...deps, store: leaderStore });
  const app = createApp(deps);

  // The lead may come and go any number of times in one process: the executor reads the rollouts
  // again each time it starts to lead, and the views follow the database all along.
  leadership.onLead(async () => {
    await rolloutExecutor.start();
    retention.start();
    webhookDispatcher.start().catch((error: unknown) => {
      options.logger.error("webhook dispatcher did not start", { error: String(error) });
    });
  });
  leadership.onLoseLead(async () => {
    await rolloutExecutor.stop();
    await retention.stop();
    await webhookDispatcher.stop();
  });
  return {
    app,
    deps,
    start(address) {
      feed.start();
      views.start();
      leadership.start(address ?? null);
    },
    endLongLivedRequests() {
      heldPolls.releaseAll();
      eventStreams.endAll();
    },
    async stop() {
      heldPolls.releaseAll();
      eventStreams.endAll();
      await leadership.stop();
      await rolloutExecutor.stop();
      await retention.stop();
      await webhookDispatcher.stop();
      await views.stop();
      await feed.stop();
    },
  };
}
