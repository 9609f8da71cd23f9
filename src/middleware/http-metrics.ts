import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { Counter, Histogram, type Registry } from "prom-client";

/** `/api/v1/machines/:id/report` → `/api/v1/machines/{id}/report`, the OpenAPI spelling. */
export function routeTemplate(routePath: string): string {
  if (routePath === "/*" || routePath === "*") return "unmatched";
  return routePath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

/**
 * Counts requests and their latency by method, route template and status. The labels are
 * exactly {method,path,status} (a compatibility name set), which @hono/prometheus's built-in
 * request metrics cannot produce, so these two series are recorded here in its registry.
 */
export function httpMetrics(registry: Registry) {
  const requests = new Counter({
    name: "nixfleet_http_requests_total",
    help: "HTTP requests by method, route template and status",
    labelNames: ["method", "path", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "nixfleet_http_request_duration_seconds",
    help: "HTTP request latency by method, route template and status",
    labelNames: ["method", "path", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // One labelled child per (method, route, status), all bounded sets: the request path then
  // skips prom-client's per-call label hashing and the template rewrite.
  const children = new Map<
    string,
    { requests: ReturnType<typeof requests.labels>; duration: ReturnType<typeof duration.labels> }
  >();
  const childFor = (method: string, routePath: string, status: number) => {
    const key = `${method} ${status} ${routePath}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method, path: routeTemplate(routePath), status: String(status) };
      child = { requests: requests.labels(labels), duration: duration.labels(labels) };
      children.set(key, child);
    }
    return child;
  };
  return createMiddleware(async function recordHttpMetrics(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      // The last matched route is the handler's, even when middleware before it answered (a 413).
      const child = childFor(c.req.method, routePath(c, -1), c.res.status);
      child.requests.inc();
      child.duration.observe((performance.now() - started) / 1000);
    }
  });
}
