import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createControlPlane, type ControlPlane } from "../../src/control-plane.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { silentLogger, type Logger } from "../../src/logger.ts";
import type { Bindings } from "../../src/context.ts";

export interface Harness {
  dir: string;
  dbPath: string;
  store: Store;
  controlPlane: ControlPlane;
  /** Sends a request to the in-process app; `json` sets the body and content type. */
  request(
    path: string,
    init?: RequestInit & { json?: unknown; key?: string; peer?: Bindings["peer"] },
  ): Promise<Response>;
  /** Advances the fake clock (milliseconds). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mtls?: boolean;
  logger?: Logger;
  /** Start the background tasks (executor ticks, retention). */
  start?: boolean;
  perMachineMetrics?: boolean;
  maxReleaseBodyMib?: number;
  startTime?: number;
  /** Where to create the database (default: a fresh temp dir, removed on close). */
  dir?: string;
  /** How long a write waits for an unavailable database before its 503 (default the store's 5 s). */
  writeWaitMs?: number;
}

/** An in-process control plane on a fresh, migrated libSQL file in a temp dir, with a controllable clock. */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "nixfleet-test-"));
  const dbPath = join(dir, "state.db");
  const store = await openStore(dbPath, undefined, { logger: options.logger, writeWaitMs: options.writeWaitMs });
  let clock = options.startTime ?? Date.parse("2026-11-27T10:00:00Z");
  const controlPlane = await createControlPlane({
    store,
    logger: options.logger ?? silentLogger,
    config: {
      perMachineMetrics: options.perMachineMetrics ?? true,
      reportRetentionHours: 24,
      maxReleaseBodyMib: options.maxReleaseBodyMib ?? 1,
    },
    mtls: options.mtls ?? false,
    now: () => clock,
  });
  if (options.start) controlPlane.start();
  return {
    dir,
    dbPath,
    store,
    controlPlane,
    request(path, init = {}) {
      const { json, key, peer, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      if (key) headers.set("authorization", `Bearer ${key}`);
      const body = json !== undefined ? JSON.stringify(json) : rest.body;
      return Promise.resolve(
        controlPlane.app.request(
          path,
          { ...rest, headers, body, method: rest.method ?? (json !== undefined ? "POST" : "GET") },
          { peer },
        ),
      );
    },
    advance(ms) {
      clock += ms;
    },
    async close() {
      await controlPlane.stop();
      await store.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
