import { Registry } from "prom-client";
import { createApp, type App } from "./app.ts";
import type { AppConfig } from "./config.ts";
import type { AppDeps } from "./context.ts";
import type { Store } from "./db/database.ts";
import type { Logger } from "./logger.ts";
import { FleetState } from "./services/fleet-state.ts";
import { RolloutExecutor } from "./services/rollout-executor.ts";
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
  /** Starts background tasks (retention, rollout executor ticks). */
  start(): void;
  /** Stops background tasks and waits for any that are mid-run. */
  stop(): Promise<void>;
}

/** Wires the state the routes share and the background tasks, from an open store. */
export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const now = options.now ?? Date.now;
  const fleet = new FleetState();
  const rolloutExecutor = new RolloutExecutor({ store: options.store, logger: options.logger, now, fleet });
  const deps: AppDeps = {
    store: options.store,
    logger: options.logger,
    registry: new Registry(),
    mtls: options.mtls,
    config: options.config,
    now,
    fleet,
    rolloutEvents: rolloutExecutor,
    rolloutExecutor,
  };
  await deps.fleet.load(options.store.db);
  await rolloutExecutor.load();
  registerRolloutMetrics(deps.registry, options.store.db, rolloutExecutor);
  registerFleetMetrics(deps.registry, deps.fleet);
  const retention = createRetention(deps);
  const app = createApp(deps);
  return {
    app,
    deps,
    start() {
      retention.start();
      rolloutExecutor.start();
    },
    async stop() {
      await rolloutExecutor.stop();
      await retention.stop();
    },
  };
}
