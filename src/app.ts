import { OpenAPIHono } from "@hono/zod-openapi";
import { prometheus } from "@hono/prometheus";
import { bodyLimit } from "hono/body-limit";
import { VERSION } from "./config.ts";
import type { AppDeps, AppEnv, RouteContext } from "./context.ts";
import { ApiError, describeZodError, errorResponse } from "./errors.ts";
import { agentAuth, apiKeyAuth } from "./middleware/auth.ts";
import { httpMetrics } from "./middleware/http-metrics.ts";
import { readBodyAsJson } from "./middleware/json-body.ts";
import { requestLog } from "./middleware/request-log.ts";
import { registerAuditRoutes } from "./routes/audit.ts";
import { registerFleetRoutes } from "./routes/fleet.ts";
import { registerClusterRoutes } from "./routes/cluster.ts";
import { registerEventRoutes } from "./routes/events.ts";
import { registerGateRoutes } from "./routes/gates.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerMachineRoutes } from "./routes/machines.ts";
import { registerReleaseRoutes } from "./routes/releases.ts";
import { registerRolloutRoutes } from "./routes/rollouts/index.ts";
import { registerWebhookRoutes } from "./routes/webhooks.ts";
import { renderLastSeenMetric } from "./services/fleet-metrics.ts";
import { registerDocs } from "./ui/docs.ts";
import { registerUi } from "./ui/index.tsx";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * True for release creation, whose limit is `--max-release-body-mib`: a manifest names every
 * host (10 000 hosts take about 1.7 MB), so large fleets need more than the 1 MiB of other routes.
 */
function isReleaseCreation(method: string, path: string): boolean {
  return method.toUpperCase() === "POST" && path === "/api/v1/releases";
}

function limitBody(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `request body exceeds ${maxSize / (1024 * 1024)} MiB`);
    },
  });
}

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "nixfleet control plane",
    version: VERSION,
    description:
      "Fleet deployment control plane for NixOS: machine registry, agent protocol, releases, rollouts with health gates, audit log.",
  },
} as const;

export type App = OpenAPIHono<AppEnv>;

/** Builds the Hono application: middleware, every route, the OpenAPI document and its reference page. */
export function createApp(deps: AppDeps): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: describeZodError(result.error, result.target) }, 400);
    },
  });

  app.onError((error, c) => errorResponse(error, c, deps.logger));
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.use(requestLog(deps.logger));
  app.use(httpMetrics(deps.registry));
  const defaultBodyLimit = limitBody(MAX_BODY_BYTES);
  const releaseBodyLimit = limitBody(deps.config.maxReleaseBodyMib * MAX_BODY_BYTES);
  app.use(function limitRequestBody(c, next) {
    return (isReleaseCreation(c.req.method, c.req.path) ? releaseBodyLimit : defaultBodyLimit)(c, next);
  });
  // After the body limit (which may swap in a buffered copy of the request), before every route's validators.
  app.use(readBodyAsJson());

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "API key (`nfk-…`) from the bootstrap call or `POST /api/v1/keys`",
  });

  const routes: RouteContext = { deps, requireRole: apiKeyAuth(deps), requireMachine: agentAuth(deps) };
  registerHealthRoutes(app, routes);
  registerMachineRoutes(app, routes);
  registerKeyRoutes(app, routes);
  registerAuditRoutes(app, routes);
  registerReleaseRoutes(app, routes);
  registerRolloutRoutes(app, routes);
  registerGateRoutes(app, routes);
  registerFleetRoutes(app, routes);
  registerEventRoutes(app, routes);
  registerWebhookRoutes(app, routes);
  registerClusterRoutes(app, routes);
  // @hono/prometheus exposes the registry; its built-in request metrics are off (see http-metrics.ts).
  const { printMetrics } = prometheus({
    registry: deps.registry,
    metricOptions: { requestsTotal: { disabled: true }, requestDuration: { disabled: true } },
  });
  app.get("/metrics", async (c) => {
    const registered = await (await printMetrics(c)).text();
    // The per-machine family is rendered by hand: prom-client's generic formatting of 100 000
    // labelled values is several times slower. Families are separated by a blank line.
    const body = deps.config.perMachineMetrics
      ? `${registered}\n${await renderLastSeenMetric(deps.fleet)}`
      : registered;
    return c.text(body, 200, { "content-type": deps.registry.contentType });
  });

  app.doc31("/openapi.json", OPENAPI_INFO);
  registerDocs(app);
  registerUi(app, deps);
  return app;
}

/** The OpenAPI 3.1 document the routes generate (what `/openapi.json` serves). */
export function openApiDocument(app: App) {
  return app.getOpenAPI31Document(OPENAPI_INFO);
}
