// Several real control-plane processes on one database (SPEC §18): a SQLite file shared by the
// processes of this host, and a real libSQL server (sqld) they all talk to over HTTP. Leases are
// 2 s here, so a takeover is due within 4 s.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { logsOf, startNode, waitUntil, type ServerProcess } from "../support/process.ts";
import { SseReader } from "../support/sse.ts";
import { sqldBinary, startSqld, type Sqld } from "../support/sqld.ts";

const LEASE_SECONDS = 2;
const LEASE_MS = LEASE_SECONDS * 1000;
const dir = mkdtempSync(join(tmpdir(), "nixfleet-cluster-"));
const running: ServerProcess[] = [];
const servers: Sqld[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) {
    server.proc.kill("SIGCONT");
    server.kill();
    await server.exited;
  }
  for (const sqld of servers.splice(0)) await sqld.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Backend {
  name: string;
  /** A fresh, empty database for one test. */
  database(): Promise<string>;
}

let files = 0;
const backends: Backend[] = [{ name: "a SQLite file", database: async () => join(dir, `state-${++files}.db`) }];
if (sqldBinary()) {
  backends.push({
    name: "a libSQL server (sqld)",
    async database() {
      const sqld = await startSqld();
      servers.push(sqld);
      return sqld.url;
    },
  });
}

interface ClusterBody {
  leader: { node_id: string; fencing_token: number; acquired_at: string; expires_at: string } | null;
  nodes: { node_id: string; address: string | null; version: string; role: string; started_at: string }[];
}

/** One node of the cluster under test, started with a 2 s lease. */
async function node(dbPath: string, nodeId: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const server = await startNode(dbPath, nodeId, ["--lease-seconds", String(LEASE_SECONDS), ...extraArgs]);
  running.push(server);
  return server;
}

async function api(server: ServerProcess, path: string, key: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  return fetch(new URL(path, server.url), {
    ...rest,
    method: rest.method ?? (json === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

async function clusterOf(server: ServerProcess, key: string): Promise<ClusterBody> {
  const res = await api(server, "/api/v1/cluster", key);
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterBody;
}

async function bootstrap(server: ServerProcess): Promise<string> {
  const res = await fetch(new URL("/api/v1/keys/bootstrap", server.url), { method: "POST", body: "{}" });
  expect(res.status).toBe(200);
  return ((await res.json()) as { key: string }).key;
}

/** What a process itself says: whether it ever took the lease after start-up. */
const tookLease = (server: ServerProcess) => logsOf(server, "took the executor lease").length > 0;
const startedAs = (server: ServerProcess) => logsOf(server, "listening")[0]?.role;

describe.each(backends)("on %o", (backend) => {
  test("one leads, --no-executor never does, every process lists the same cluster and streams the others' events; kill -9 the leader and another leads within 2 × lease", async () => {
    const dbPath = await backend.database();
    const a = await node(dbPath, "a");
    const b = await node(dbPath, "b");
    const c = await node(dbPath, "c", ["--no-executor"]);
    const key = await bootstrap(b);
    expect([startedAs(a), startedAs(b), startedAs(c)]).toEqual(["leader", "standby", "replica"]);

    const everyone = await waitUntil(
      "every process to list all three with their addresses",
      async () => {
        const bodies = await Promise.all([a, b, c].map((s) => clusterOf(s, key)));
        const complete = bodies.every((body) => body.nodes.length === 3 && body.nodes.every((n) => n.address));
        return complete ? bodies : undefined;
      },
      10_000,
    );
    const stable = (body: ClusterBody) => ({
      leader: body.leader && { node_id: body.leader.node_id, fencing_token: body.leader.fencing_token },
      nodes: body.nodes.map(({ node_id, address, version, role, started_at }) => ({
        node_id,
        address,
        version,
        role,
        started_at,
      })),
    });
    for (const body of everyone) expect(stable(body)).toEqual(stable(everyone[0]!));
    expect(stable(everyone[0]!)).toEqual({
      leader: { node_id: "a", fencing_token: 1 },
      nodes: [
        { node_id: "a", address: a.url, version: "0.2.0", role: "leader", started_at: expect.any(String) },
        { node_id: "b", address: b.url, version: "0.2.0", role: "standby", started_at: expect.any(String) },
        { node_id: "c", address: c.url, version: "0.2.0", role: "replica", started_at: expect.any(String) },
      ],
    });

    // An event stream on one process carries what another process writes.
    const res = await api(c, "/api/v1/events/stream?action=register", key);
    expect(res.status).toBe(200);
    const stream = new SseReader(res);
    expect((await api(a, "/api/v1/machines/via-a/register", key, { json: {} })).status).toBe(201);
    const [event] = await stream.take(1);
    await stream.close();
    expect(event).toMatchObject({ event: "register" });
    expect(JSON.parse(event!.data)).toMatchObject({ actor: "apikey:admin", target: "via-a" });

    const killedAt = Date.now();
    a.proc.kill("SIGKILL");
    await a.exited;
    const after = await waitUntil(
      "another leader",
      async () => {
        const body = await clusterOf(b, key);
        return body.leader && body.leader.node_id !== "a" ? body : undefined;
      },
      4 * LEASE_MS,
    );
    expect(after.leader).toMatchObject({ node_id: "b", fencing_token: 2 });
    // Acquired (on the database's clock, this host's clock here) within twice the lease of the kill.
    expect(Date.parse(after.leader!.acquired_at) - killedAt).toBeLessThanOrEqual(2 * LEASE_MS);
    expect(tookLease(b)).toBe(true);
    expect(tookLease(c)).toBe(false);

    // The dead process's row ages out two lease times after its last heartbeat.
    const aged = await waitUntil(
      "a's row to age out",
      async () => {
        const body = await clusterOf(c, key);
        return body.nodes.some((n) => n.node_id === "a") ? undefined : body;
      },
      4 * LEASE_MS,
    );
    expect(aged.nodes.map((n) => [n.node_id, n.role])).toEqual([
      ["b", "leader"],
      ["c", "replica"],
    ]);
  }, 60_000);

  test("a SIGSTOPped leader that wakes after losing its lease writes nothing: the batch it was judging is decided once, by the new leader", async () => {
    const dbPath = await backend.database();
    const a = await node(dbPath, "a");
    const b = await node(dbPath, "b");
    const key = await bootstrap(a);
    const storePath = `/nix/store/${"1".repeat(32)}-nixos-system-m1`;
    expect((await api(a, "/api/v1/machines/m1/register", key, { json: { tags: ["ha"] } })).status).toBe(201);
    const release = await api(a, "/api/v1/releases", key, {
      json: { entries: [{ hostname: "m1", store_path: storePath, platform: "x86_64-linux" }] },
    });
    expect(release.status).toBe(201);
    const { id: releaseId } = (await release.json()) as { id: string };
    // m1 never reports: the batch is decided by its 3 s health timeout, which passes while a is stopped.
    const created = await api(a, "/api/v1/rollouts", key, {
      json: { release_id: releaseId, strategy: "all_at_once", health_timeout: 3, target: { tags: ["ha"] } },
    });
    expect(created.status).toBe(201);
    const { rollout_id: rolloutId } = (await created.json()) as { rollout_id: string };
    const rolloutOf = async () => (await (await api(b, `/api/v1/rollouts/${rolloutId}`, key)).json()) as any;
    await waitUntil(
      "the batch to wait for health",
      async () => ((await rolloutOf()).batches[0].status === "waiting_health" ? true : undefined),
      10_000,
    );

    a.proc.kill("SIGSTOP");
    const takeover = await waitUntil(
      "b to take over",
      async () => {
        const body = await clusterOf(b, key);
        return body.leader?.node_id === "b" ? body.leader : undefined;
      },
      4 * LEASE_MS,
    );
    expect(takeover.fencing_token).toBe(2);
    const paused = await waitUntil(
      "the new leader to decide the timed-out batch",
      async () => {
        const rollout = await rolloutOf();
        return rollout.status === "paused" ? rollout : undefined;
      },
      10_000,
    );
    expect(paused.batches[0].machine_health).toEqual({ m1: { unhealthy: "timeout" } });

    a.proc.kill("SIGCONT");
    const lost = await waitUntil("a to find out", async () => logsOf(a, "lost the executor lease")[0], 4 * LEASE_MS);
    // Refused by the token check inside a's own write transaction, whichever came first on waking:
    // its lease renewal, or its executor judging the batch it still had in memory.
    expect(lost).toMatchObject({ node_id: "a", token: 1, holder: "b", holder_token: 2 });
    expect(["another process holds the lease", "fenced write refused"]).toContain(lost.reason as string);
    await waitUntil(
      "a to stand down",
      async () => (logsOf(a, "no longer eligible to lead")[0] ? true : undefined),
      5000,
    );
    // a's executor had the same batch timed out in memory; give it a lease's time to (fail to) act.
    await Bun.sleep(LEASE_MS);

    const audit = (await (await api(b, `/api/v1/audit?target=${rolloutId}&limit=500`, key)).json()) as {
      action: string;
    }[];
    const count = (action: string) => audit.filter((e) => e.action === action).length;
    expect([count("batch.deploying"), count("batch.failed"), count("rollout.paused")]).toEqual([1, 1, 1]);
    const body = await clusterOf(a, key);
    expect(body.leader).toMatchObject({ node_id: "b", fencing_token: 2 });
    expect(body.nodes.find((n) => n.node_id === "a")?.role).toBe("replica");
    // Rollout changes asked of a are refused now.
    const refused = await api(a, `/api/v1/rollouts/${rolloutId}/resume`, key, { method: "POST" });
    expect(refused.status).toBe(503);
  }, 60_000);

  test("a rolling restart of all three processes under agent reports loses no acknowledged report", async () => {
    const dbPath = await backend.database();
    const nodes = [await node(dbPath, "a-1"), await node(dbPath, "b-1"), await node(dbPath, "c-1")];
    const key = await bootstrap(nodes[0]!);

    // Agents retry a report against the next process until one acknowledges it.
    const acknowledged: { machine: string; message: string }[] = [];
    let agentsRunning = true;
    const agent = async (machine: string) => {
      for (let seq = 0, target = 0; agentsRunning; seq++) {
        const message = `${machine}#${seq}`;
        for (;;) {
          const server = nodes[target++ % nodes.length]!;
          const status = await fetch(new URL(`/api/v1/machines/${machine}/report`, server.url), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              machine_id: machine,
              current_generation: `/nix/store/${"2".repeat(32)}-nixos-system-${machine}`,
              success: true,
              message,
              timestamp: new Date().toISOString(),
            }),
          }).then(
            (res) => res.status,
            () => 0,
          );
          if (status === 200) break;
          await Bun.sleep(20);
        }
        acknowledged.push({ machine, message });
        await Bun.sleep(10);
      }
    };
    const agents = Array.from({ length: 8 }, (_, i) => agent(`agent-${i}`));

    for (let i = 0; i < nodes.length; i++) {
      const old = nodes[i]!;
      const before = acknowledged.length;
      await waitUntil("some reports", async () => (acknowledged.length > before + 20 ? true : undefined), 10_000);
      old.proc.kill("SIGTERM");
      expect(await old.exited).toBe(0);
      nodes[i] = await node(dbPath, `${"abc"[i]}-2`);
    }
    const before = acknowledged.length;
    await waitUntil(
      "reports to the new processes",
      async () => (acknowledged.length > before + 20 ? true : undefined),
      10_000,
    );
    agentsRunning = false;
    await Promise.all(agents);

    const db = createClient({ url: dbPath.startsWith("http") ? dbPath : `file:${dbPath}` });
    const stored = new Set((await db.execute("SELECT message FROM reports")).rows.map((row) => String(row.message)));
    db.close();
    const lost = acknowledged.filter((r) => !stored.has(r.message));
    expect(acknowledged.length).toBeGreaterThan(80);
    expect(lost).toEqual([]);

    // The lease went along: exactly one of the new processes leads.
    const body = await waitUntil(
      "a leader among the new processes",
      async () => {
        const cluster = await clusterOf(nodes[2]!, key);
        return cluster.leader && cluster.nodes.length === 3 ? cluster : undefined;
      },
      4 * LEASE_MS,
    );
    expect(body.nodes.map((n) => n.node_id)).toEqual(["a-2", "b-2", "c-2"]);
    expect(body.nodes.filter((n) => n.role === "leader")).toHaveLength(1);
  }, 90_000);
});
