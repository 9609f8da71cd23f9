// More in-process control planes on a harness's database file, each on its own connections as
// separate processes would be (SPEC §18). Their background timers are not started unless a test
// starts them: a test ticks heartbeats and syncs views itself.
import type { ClusterConfig } from "../../src/config.ts";
import { createControlPlane, type ControlPlane } from "../../src/control-plane.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { silentLogger, type Logger } from "../../src/logger.ts";
import type { Harness } from "./harness.ts";

export interface Peer {
  controlPlane: ControlPlane;
  store: Store;
  /** Sends a request to this control plane; `json` sets the body, `key` the API key. */
  request(path: string, init?: RequestInit & { json?: unknown; key?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** Another control plane on `h`'s database, sharing its fake clock. */
export async function addPeer(h: Harness, cluster: ClusterConfig, logger: Logger = silentLogger): Promise<Peer> {
  const store = await openStore(h.dbPath);
  const controlPlane = await createControlPlane({
    store,
    logger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    cluster,
    mtls: false,
    now: h.controlPlane.deps.now,
  });
  let closed = false;
  return {
    controlPlane,
    store,
    request(path, init = {}) {
      const { json, key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set("authorization", `Bearer ${key}`);
      if (json !== undefined) headers.set("content-type", "application/json");
      return Promise.resolve(
        controlPlane.app.request(path, {
          ...rest,
          headers,
          method: rest.method ?? (json === undefined ? "GET" : "POST"),
          body: json === undefined ? rest.body : JSON.stringify(json),
        }),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      await controlPlane.stop();
      await store.close();
    },
  };
}
