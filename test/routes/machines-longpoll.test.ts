import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createControlPlane } from "../../src/control-plane.ts";
import { silentLogger } from "../../src/logger.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath } from "../support/machines.ts";
import { storePath, webFleet } from "../support/rollout-fleet.ts";

let h: Harness;
let admin: string;

beforeEach(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
});
afterEach(() => h.close());

const A = "/nix/store/22222222222222222222222222222222-nixos-system-web-01";
const B = "/nix/store/33333333333333333333333333333333-nixos-system-web-01";

const poll = (id: string, headers: Record<string, string> = {}, query = "", signal?: AbortSignal) =>
  h.request(machinePath(id, `/desired-generation${query}`), { headers, signal });
const notifyDeploy = (id: string, path: string) =>
  h.request(machinePath(id, "/notify-deploy"), { key: admin, json: { store_path: path } });

/** Resolves "pending" when `response` has not settled by the time the event loop has turned a few times. */
async function settled(response: Promise<Response>, ms = 50): Promise<Response | "pending"> {
  return Promise.race([response, Bun.sleep(ms).then(() => "pending" as const)]);
}

describe("ETag and If-None-Match", () => {
  test("v0.1 polls get the same status and body, with an ETag added", async () => {
    await notifyDeploy("web-01", A);
    const res = await poll("web-01");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hash: A, cache_url: null, poll_hint: null });
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const none = await poll("web-02");
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: "no desired generation for machine web-02" });
    expect(none.headers.get("etag")).toBe('"none"');
  });

  test("If-None-Match naming the current ETag → 304 with the ETag and no body; any other → 200", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag")!;
    const unchanged = await poll("web-01", { "If-None-Match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get("etag")).toBe(etag);
    expect(await unchanged.text()).toBe("");
    for (const header of [`W/${etag}`, `"other", ${etag}`, "*"]) {
      expect((await poll("web-01", { "If-None-Match": header })).status).toBe(304);
    }
    const stale = await poll("web-01", { "If-None-Match": '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.headers.get("etag")).toBe(etag);
  });

  test('nothing desired: If-None-Match "none" → 304; "*" does not match a missing answer', async () => {
    expect((await poll("web-01", { "If-None-Match": '"none"' })).status).toBe(304);
    expect((await poll("web-01", { "If-None-Match": "*" })).status).toBe(404);
  });

  test("the ETag follows the whole body: store path, cache URL and poll hint", async () => {
    await notifyDeploy("web-01", A);
    const first = (await poll("web-01")).headers.get("etag");
    h.controlPlane.deps.fleet.setInActiveRollout(["web-01"], "r-test");
    const inRollout = (await poll("web-01")).headers.get("etag");
    await notifyDeploy("web-01", B);
    const second = (await poll("web-01")).headers.get("etag");
    expect(new Set([first, inRollout, second]).size).toBe(3);
  });

  test("the ETag is the same after a restart and in another process on the same database", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag");
    const other = await createControlPlane({
      store: h.store,
      logger: silentLogger,
      config: { perMachineMetrics: false, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
    });
    try {
      const res = await other.app.request(machinePath("web-01", "/desired-generation"), {
        headers: { "If-None-Match": etag! },
      });
      expect(res.status).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
    } finally {
      await other.stop();
    }
  });
});

describe("?wait= long-poll", () => {
  test("400 naming wait for anything but whole seconds up to 300", async () => {
    for (const wait of ["abc", "-1", "301", "1.5", "1e2", "99999999"]) {
      const res = await poll("web-01", { "If-None-Match": '"none"' }, `?wait=${wait}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("wait: must be whole seconds from 0 to 300");
    }
  });

  test("without If-None-Match, or with a stale one, the answer comes at once", async () => {
    await notifyDeploy("web-01", A);
    expect((await poll("web-01", {}, "?wait=300")).status).toBe(200);
    expect((await poll("web-01", { "If-None-Match": '"old"' }, "?wait=300")).status).toBe(200);
    expect((await poll("web-02", {}, "?wait=300")).status).toBe(404);
  });

  test("a held poll is answered when notify-deploy sets a new generation", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag")!;
    const held = poll("web-01", { "If-None-Match": etag }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    expect(h.controlPlane.deps.heldPolls.size).toBe(1);
    expect((await notifyDeploy("web-01", B)).status).toBe(200);
    const res = await held;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hash: B, cache_url: null, poll_hint: null });
    expect(res.headers.get("etag")).not.toBe(etag);
    expect(h.controlPlane.deps.heldPolls.size).toBe(0);
  });

  test('an agent can wait for its first desired generation with "none"', async () => {
    const held = poll("web-01", { "If-None-Match": '"none"' }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    await notifyDeploy("web-01", A);
    const res = await held;
    expect(res.status).toBe(200);
    expect((await res.json()).hash).toBe(A);
  });

  test("clearing the desired generation answers the held poll with the 404", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag")!;
    const held = poll("web-01", { "If-None-Match": etag }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    const cleared = await h.request(machinePath("web-01", "/desired-generation"), { method: "DELETE", key: admin });
    expect(cleared.status).toBe(204);
    const res = await held;
    expect(res.status).toBe(404);
    expect(res.headers.get("etag")).toBe('"none"');
  });

  test("a held poll is answered when the batch holding its machine deploys", async () => {
    const { ids, releaseId } = await webFleet(h, 2);
    const created = await h.request("/api/v1/rollouts", {
      key: admin,
      json: { release_id: releaseId, strategy: "canary", target: { tags: ["web"] } },
    });
    expect(created.status).toBe(201);
    const executor = h.controlPlane.deps.rolloutExecutor;
    await executor.idle();
    const { batches } = await created.json();
    const [canary] = batches[0].machine_ids as string[];
    const [second] = batches[1].machine_ids as string[];
    expect(ids.sort()).toEqual([canary!, second!].sort());
    // The second batch's machine has nothing desired yet: its agent waits for "none" to change.
    const before = await poll(second!);
    expect(before.status).toBe(404);
    const held = poll(second!, { "If-None-Match": before.headers.get("etag")! }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    // The canary reports healthy: the executor deploys the second batch, and the held poll answers.
    const now = new Date(h.controlPlane.deps.now() + 1000).toISOString();
    h.advance(1000);
    const report = await h.request(machinePath(canary!, "/report"), {
      json: {
        machine_id: canary,
        current_generation: storePath(canary!),
        success: true,
        message: "switched",
        timestamp: now,
        health: { results: [], all_passed: true, timestamp: now },
      },
    });
    expect(report.status).toBe(200);
    await executor.idle();
    const res = await held;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hash: storePath(second!), cache_url: null, poll_hint: 5 });
  });

  test("a change and its undoing before the poll is answered keep it waiting (A → B → A)", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag")!;
    const held = poll("web-01", { "If-None-Match": etag }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    const fleet = h.controlPlane.deps.fleet;
    fleet.setDesired("web-01", { storePath: B, cacheUrl: null });
    fleet.setDesired("web-01", { storePath: A, cacheUrl: null });
    expect(await settled(held)).toBe("pending");
    fleet.setDesired("web-01", { storePath: B, cacheUrl: "https://cache.example" });
    const res = await held;
    expect(await res.json()).toEqual({ hash: B, cache_url: "https://cache.example", poll_hint: null });
  });

  test("the wait ends with a 304", async () => {
    await notifyDeploy("web-01", A);
    const etag = (await poll("web-01")).headers.get("etag")!;
    const res = await poll("web-01", { "If-None-Match": etag }, "?wait=1");
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe(etag);
    expect(h.controlPlane.deps.heldPolls.size).toBe(0);
  });

  test("a client that goes away stops being held; a stopping server answers held polls with 304", async () => {
    const abort = new AbortController();
    const gone = poll("web-01", { "If-None-Match": '"none"' }, "?wait=60", abort.signal);
    expect(await settled(gone)).toBe("pending");
    abort.abort();
    await gone.catch(() => undefined);
    expect(h.controlPlane.deps.heldPolls.size).toBe(0);

    const held = poll("web-01", { "If-None-Match": '"none"' }, "?wait=60");
    expect(await settled(held)).toBe("pending");
    h.controlPlane.endLongLivedRequests();
    expect((await held).status).toBe(304);
  });

  test("wait=0 is an ordinary conditional poll", async () => {
    expect((await poll("web-01", { "If-None-Match": '"none"' }, "?wait=0")).status).toBe(304);
  });
});
