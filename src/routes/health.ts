import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";

export const getHealth = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["public"],
  security: [],
  summary: "Liveness: `ok` while the database can be read and written",
  description:
    "Answered at once, from what recent writes and cheap cached probes showed (a read at most once a second, a probe write when no write has succeeded for 10 s), so health checks never wait for a locked database nor hammer it.",
  responses: {
    200: {
      description: "The server answers and its database can be read and written",
      content: { "text/plain": { schema: z.string().openapi({ example: "ok" }) } },
    },
    503: {
      description:
        "The database cannot be read or written: one line naming why (`database locked`, `disk full`, `database read-only`, or `database unavailable: …`)",
      content: { "text/plain": { schema: z.string().openapi({ example: "database locked" }) } },
    },
  },
});

/** Registers `GET /health`. */
export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, { deps }: RouteContext): void {
  app.openapi(getHealth, async (c) => {
    const health = await deps.store.health();
    return health.ok ? c.text("ok", 200) : c.text(health.reason, 503);
  });
}
