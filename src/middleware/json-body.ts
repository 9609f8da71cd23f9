import { createMiddleware } from "hono/factory";

/** The content types @hono/zod-openapi's media-type check accepts as JSON; it answers 415 to any other. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The API speaks only JSON, so a request body is read as JSON whatever its Content-Type says
 * (`curl -d` sends `application/x-www-form-urlencoded`, some clients send none): a valid body is
 * processed, a malformed one is a 400, never a 415. Requests without a body are left alone.
 */
export function readBodyAsJson() {
  return createMiddleware(async function readBodyAsJson(c, next) {
    const request = c.req.raw;
    if (
      METHODS_WITH_BODY.has(request.method) &&
      !JSON_CONTENT_TYPE.test(request.headers.get("content-type") ?? "") &&
      request.body !== null
    ) {
      const headers = new Headers(request.headers);
      headers.set("content-type", "application/json");
      // The copy takes over the body unread, like Hono's bodyLimit does when it buffers one.
      c.req.raw = new Request(request, { headers });
    }
    await next();
  });
}
