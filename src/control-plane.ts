import { Registry } from "prom-client";
import { createApp, type App } from "./app.ts";
import type { AppConfig } from "./config.ts";
import type { AppDeps } from "./context.ts";
import type { Store } from "./db/database.ts";
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

export interface ControlPlaneOptions {
  store: Store;
  logger: Logger;
  config: AppConfig;
  mtls: boolean;
  now?: () => number;
}

/** The app plus the background work that runs beside it. */
export interface ControlPlane {
  app: App;
  deps: AppDeps;
  /** Starts background tasks (retention, rollout executor ticks, the change feed's timer). */
  start(): void;
  /**
   * Answers every held agent poll (304) and ends every event stream now: a stopping server
   * waits for in-flight requests, and these would otherwise keep it waiting for minutes.
   */
  endLongLivedRequests(): void;
  /** Stops background tasks and waits for any that are mid-run. */
  stop(): Promise<void>;
}

/** Wires the state the routes share and the background tasks, from an open store. */
export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const now = options.now ?? Date.now;
  const heldPolls = new HeldPolls();
  const fleet = new FleetState((machineId) => heldPolls.changed(machineId));
  const feed = new ChangeFeed(options.store.db, options.logger);
  options.store.onCommit(() => feed.committed());
  const eventStreams = new EventStreams(feed);
  const webhookDispatcher = new WebhookDispatcher({ store: options.store, logger: options.logger, now, feed });
  const rolloutExecutor = new RolloutExecutor({ store: options.store, logger: options.logger, now, fleet });
  const deps: AppDeps = {
    store: options.store,
    logger: options.logger,
    registry: new Registry(),
    mtls: options.mtls,
    config: options.config,
    now,
    fleet,
    heldPolls,
    feed,
    eventStreams,
    webhookDispatcher,
    rolloutEvents: rolloutExecutor,
    rolloutExecutor,
  };
  await deps.fleet.load(options.store.db);
  await feed.load();
  await rolloutExecutor.load();
  registerRolloutMetrics(deps.registry, options.store.db);
  registerFleetMetrics(deps.registry, deps.fleet);
  const retention = createRetention(deps);
  const app = createApp(deps);
  return {
    app,
    deps,
    start() {
      feed.start();
      retention.start();
      rolloutExecutor.start();
      webhookDispatcher.start().catch((error: unknown) => {
        options.logger.error("webhook dispatcher did not start", { error: String(error) });
      });
    },
    endLongLivedRequests() {
      heldPolls.releaseAll();
      eventStreams.endAll();
    },
    async stop() {
      heldPolls.releaseAll();
      eventStreams.endAll();
      await rolloutExecutor.stop();
      await retention.stop();
      await webhookDispatcher.stop();
      await feed.stop();
    },
  };
}
