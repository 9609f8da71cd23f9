import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { databaseNow, findLease, liveNodes } from "../db/cluster.ts";
import { toTimestamp } from "../domain/time.ts";
import { EXECUTOR_LEASE } from "../services/leadership.ts";
import { bearerSecurity, errorResponses, jsonResponse, Timestamp } from "./common.ts";

const ClusterNode = z
  .object({
    node_id: z.string().openapi({ example: "cp-1-4242", description: "`--node-id` (default HOSTNAME-PID)" }),
    address: z.string().nullable().openapi({
      example: "http://10.0.0.5:8080",
      description: "The URL the process listens on; null for a process serving no socket",
    }),
    version: z.string().openapi({ example: "0.2.0" }),
    role: z.enum(["leader", "standby", "replica"]).openapi({
      description:
        "`leader` holds the executor lease (runs the rollout executor, retention and webhook delivery); `standby` takes it when the leader goes (also after it has led and lost it); `replica` never does (`--no-executor`)",
    }),
    started_at: Timestamp,
    last_seen_at: Timestamp,
  })
  .openapi("ClusterNode");

const ClusterLeader = z
  .object({
    node_id: z.string().openapi({ example: "cp-1-4242" }),
    fencing_token: z.number().int().openapi({
      example: 3,
      description: "Raised by every acquisition; a leader-only write made with an older token is refused",
    }),
    acquired_at: Timestamp,
    expires_at: Timestamp.openapi({ description: "Unless renewed (every third of the lease) before then" }),
  })
  .openapi("ClusterLeader");

const Cluster = z
  .object({
    leader: z
      .union([ClusterLeader, z.null()])
      .openapi({ description: "The process holding the executor lease; null while nobody holds an unexpired one" }),
    nodes: z.array(ClusterNode).openapi({
      description:
        "The live processes on this database by node id: each heartbeats every third of its lease time and is listed until two lease times after its last heartbeat",
    }),
  })
  .openapi("Cluster");

export const getCluster = createRoute({
  method: "get",
  path: "/api/v1/cluster",
  operationId: "getCluster",
  tags: ["cluster"],
  summary: "The control-plane processes sharing this database and which one leads",
  description: "Read from the database, so every process answers the same. Times are the database's clock.",
  security: bearerSecurity,
  responses: {
    200: jsonResponse(Cluster, "Live processes and the leader"),
    ...errorResponses(401, 403),
  },
});

/** Registers `GET /api/v1/cluster` (SPEC §18). */
export function registerClusterRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openapi({ ...getCluster, middleware: [requireRole("readonly")] }, async (c) => {
    const { db } = deps.store;
    const now = await databaseNow(db);
    const [lease, nodes] = await Promise.all([findLease(db, EXECUTOR_LEASE), liveNodes(db, now)]);
    const leader = lease && lease.holder !== null && lease.expiresAt > now ? { ...lease, holder: lease.holder } : null;
    return c.json(
      {
        leader: leader && {
          node_id: leader.holder,
          fencing_token: leader.token,
          acquired_at: toTimestamp(leader.acquiredAt),
          expires_at: toTimestamp(leader.expiresAt),
        },
        nodes: nodes.map((node) => ({
          node_id: node.nodeId,
          address: node.address,
          version: node.version,
          role:
            node.nodeId === leader?.holder
              ? ("leader" as const)
              : node.eligible
                ? ("standby" as const)
                : ("replica" as const),
          started_at: toTimestamp(node.startedAt),
          last_seen_at: toTimestamp(node.lastSeenAt),
        })),
      },
      200,
    );
  });
}
