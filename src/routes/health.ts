import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";

export const getHealth = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["public"],
  security: [],
  summary: "Liveness: `ok` while the database answers",
  responses: {
    200: {
      description: "The server and its database answer",
      content: { "text/plain": { schema: z.string().openapi({ example: "ok" }) } },
    },
    503: {
      description: "The database does not answer",
      content: { "text/plain": { schema: z.string().openapi({ example: "database unavailable" }) } },
    },
  },
});

/** Registers `GET /health`. */
export function registerHealthRoutes(app: OpenAPIHono<AppEnv>, { deps }: RouteContext): void {
  app.openapi(getHealth, async (c) => {
    if (await deps.store.ping()) return c.text("ok", 200);
    return c.text("database unavailable", 503);
  });
}
