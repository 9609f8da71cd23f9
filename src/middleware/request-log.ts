import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { Logger } from "../logger.ts";

/** Logs one JSON line per request: method, route template, status, duration. */
export function requestLog(logger: Logger) {
  return createMiddleware(async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const route = routePath(c, -1);
    const fields = {
      method: c.req.method,
      path: c.req.path,
      route,
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    };
    // Agent polls and reports are the bulk of traffic; keep them out of info logs.
    if (status >= 500) logger.error("request", fields);
    else if (route.endsWith("/desired-generation") || route.endsWith("/report")) {
      logger.debug("request", fields);
    } else logger.info("request", fields);
  });
}
