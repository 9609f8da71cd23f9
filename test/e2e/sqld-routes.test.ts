// Every route once against a real libSQL server (sqld). sqld parses SQL itself and refuses some of
// what SQLite takes (an ORDER BY inside an aggregate), so a query that works on a file can still
// be a 500 on a server: this walks the API a fleet operator uses, on the server, and wants no 5xx.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createControlPlane, type ControlPlane } from "../../src/control-plane.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { silentLogger } from "../../src/logger.ts";
import { reportBody } from "../support/machines.ts";
import { storePath } from "../support/rollout-fleet.ts";
import { sqldBinary, startSqld, type Sqld } from "../support/sqld.ts";

let sqld: Sqld;
let store: Store;
let controlPlane: ControlPlane;
let key = "";

beforeAll(async () => {
  if (!sqldBinary()) return;
  sqld = await startSqld();
  store = await openStore(sqld.url);
  controlPlane = await createControlPlane({
    store,
    logger: silentLogger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    mtls: false,
  });
});

afterAll(async () => {
  if (!sqldBinary()) return;
  await controlPlane.stop();
  await store.close();
  await sqld.stop();
});

/** One request through the app; event streams are judged by their status, then closed. */
async function call(method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await controlPlane.app.request(path, {
    method,
    headers: {
      ...(json === undefined ? {} : { "content-type": "application/json" }),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, body: null };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text bodies (/health, /metrics, CSV) stay text
  }
  return { status: res.status, body };
}

test.skipIf(!sqldBinary())(
  "a fleet operator's whole day against sqld: no request answered with a 5xx",
  async () => {
    const failures: string[] = [];
    const expectOk = async (method: string, path: string, json?: unknown) => {
      const { status, body } = await call(method, path, json);
      if (status >= 500) failures.push(`${method} ${path} → ${status} ${JSON.stringify(body).slice(0, 200)}`);
      return { status, body: body as Record<string, unknown> };
    };

    key = (await expectOk("POST", "/api/v1/keys/bootstrap", { name: "admin" })).body.key as string;
    const hosts = ["web-01", "web-02", "web-03", "web-04"];
    for (const id of hosts) {
      await expectOk("POST", `/api/v1/machines/${id}/register`, { lifecycle: "active", tags: ["web", "eu"] });
      await expectOk("POST", `/api/v1/machines/${id}/report`, reportBody(id));
    }
    await expectOk("PUT", "/api/v1/machines/web-01/tags", { tags: ["web", "eu", "canary"] });
    await expectOk("POST", "/api/v1/machines/web-01/tags", { tags: ["extra"] });
    await expectOk("DELETE", "/api/v1/machines/web-01/tags/extra");
    await expectOk("PATCH", "/api/v1/machines/web-04/lifecycle", { lifecycle: "maintenance" });
    await expectOk("PATCH", "/api/v1/machines/web-04/lifecycle", { lifecycle: "active" });
    await expectOk("POST", "/api/v1/machines/web-04/notify-deploy", { store_path: storePath("web-04", 9) });
    await expectOk("DELETE", "/api/v1/machines/web-04/desired-generation");
    // web-01's desired generation is read at the end of the day, so it gets one now that no later
    // step can take away. Without it, whether web-01 had one depended on the rollouts' shuffles:
    // held back by the budget in the first rollout (web-03 its first batch, web-01 last of the
    // second), the abort does not touch it, and the second rollout's canary may be another host
    // (SPEC §14.1: abort restores only the machines the rollout changed; cancel keeps what they have).
    await expectOk("POST", "/api/v1/machines/web-01/notify-deploy", { store_path: storePath("web-01", 9) });

    const entries = (version: number) =>
      hosts.map((hostname) => ({ hostname, store_path: storePath(hostname, version), platform: "x86_64-linux" }));
    const first = (await expectOk("POST", "/api/v1/releases", { flake_ref: "github:x/y", entries: entries(1) })).body
      .id as string;
    const second = (await expectOk("POST", "/api/v1/releases", { entries: entries(2) })).body.id as string;

    await expectOk("PUT", "/api/v1/budgets/web", { tags: ["web"], max_unavailable: "50%" });
    await expectOk("PUT", "/api/v1/windows/nightly", { tags: ["eu"], cron: ["0 2 * * *"], duration_minutes: 60 });
    await expectOk("DELETE", "/api/v1/windows/nightly");
    await expectOk("PUT", "/api/v1/freeze", { reason: "release party" });
    await expectOk("DELETE", "/api/v1/freeze");
    const hook = (await expectOk("POST", "/api/v1/webhooks", { url: "http://127.0.0.1:9/hook", events: ["rollout.*"] }))
      .body.id as string;
    const created = await expectOk("POST", "/api/v1/rollouts", {
      release_id: first,
      strategy: "staged",
      batch_sizes: ["1", "100%"],
      soak_seconds: 1,
      max_in_flight: "2",
      target: { tags: ["web"] },
    });
    expect(created.status).toBe(201);
    const rollout = created.body.rollout_id as string;
    await controlPlane.deps.rolloutExecutor.idle();
    await expectOk("POST", "/api/v1/machines/web-02/report", reportBody("web-02"));

    await expectOk("POST", `/api/v1/rollouts/${rollout}/pause`, { reason: "look first" });
    await expectOk("POST", `/api/v1/rollouts/${rollout}/resume`);
    await expectOk("POST", `/api/v1/rollouts/${rollout}/promote`, { force: true });
    await controlPlane.deps.rolloutExecutor.idle();
    await expectOk("POST", `/api/v1/rollouts/${rollout}/machines/web-03/skip`, { reason: "offline" });
    await expectOk("POST", `/api/v1/rollouts/${rollout}/retry`);
    await expectOk("POST", `/api/v1/rollouts/${rollout}/abort`, { reason: "enough" });
    await controlPlane.deps.rolloutExecutor.idle();
    const again = await expectOk("POST", "/api/v1/rollouts", {
      release_id: second,
      strategy: "canary",
      target: { hosts },
    });
    await expectOk("POST", `/api/v1/rollouts/${again.body.rollout_id as string}/cancel`);

    const reads = [
      "/health",
      "/metrics",
      "/openapi.json",
      "/api/v1/machines",
      "/api/v1/machines?tag=web&limit=2",
      "/api/v1/machines?lifecycle=active&state=ok",
      "/api/v1/machines/web-01",
      "/api/v1/machines/web-01/desired-generation",
      "/api/v1/fleet/summary",
      "/api/v1/releases",
      `/api/v1/releases?host=web-01`,
      `/api/v1/releases/${first}`,
      `/api/v1/releases/${first}/diff/${second}`,
      "/api/v1/rollouts",
      "/api/v1/rollouts?machines=none",
      "/api/v1/rollouts?status=aborted",
      `/api/v1/rollouts/${rollout}`,
      `/api/v1/rollouts/${rollout}?machines=none`,
      `/api/v1/rollouts/${rollout}/machines?limit=2`,
      `/api/v1/rollouts/${rollout}/trace`,
      `/api/v1/rollouts/${rollout}/stream`,
      "/api/v1/events/stream?action=rollout.*",
      "/api/v1/budgets",
      "/api/v1/windows",
      "/api/v1/freeze",
      "/api/v1/keys",
      "/api/v1/audit?limit=50",
      `/api/v1/audit?target=${rollout}`,
      "/api/v1/audit/export",
      "/api/v1/webhooks",
      `/api/v1/webhooks/${hook}/deliveries`,
      "/api/v1/cluster",
    ];
    for (const path of reads) {
      const { status } = await expectOk("GET", path);
      if (status !== 200) failures.push(`GET ${path} → ${status}`);
    }

    await expectOk("DELETE", `/api/v1/webhooks/${hook}`);
    await expectOk("DELETE", "/api/v1/budgets/web");
    await expectOk("DELETE", `/api/v1/rollouts/${rollout}`);
    await expectOk("DELETE", `/api/v1/rollouts/${again.body.rollout_id as string}`);
    await expectOk("DELETE", `/api/v1/releases/${second}`);
    const keys = (await expectOk("POST", "/api/v1/keys", { name: "ci", role: "deploy" })).body;
    await expectOk("DELETE", `/api/v1/keys/${keys.id as string}`);
    expect(failures).toEqual([]);
  },
  60_000,
);
