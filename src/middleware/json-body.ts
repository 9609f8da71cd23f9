import { createMiddleware } from "hono/factory";

/** The content types @hono/zod-openapi's media-type check accepts as JSON; it answers 415 to any other. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The API speaks only JSON, so a request body is read as JSON whatever its Content-Type says
 * (`curl -d` sends `application/x-www-form-urlencoded`, some clients send none), and an empty
 * body counts as `{}` (`curl -X POST -H 'Content-Type: application/json'` with no data): a
 * valid body is processed, a malformed one is a 400, never a 415. Requests that carry neither a
 * body nor a content type are left alone.
 */
export function readBodyAsJson() {
  return createMiddleware(async function readBodyAsJson(c, next) {
    const request = c.req.raw;
    // Checked first: reading a header makes the runtime build the request's Headers, which a
    // GET (every agent poll) never needs.
    if (!METHODS_WITH_BODY.has(request.method)) return next();
    const contentType = request.headers.get("content-type");
    if (request.body === null && contentType === null) return next();
    const labelledJson = contentType !== null && JSON_CONTENT_TYPE.test(contentType);
    const length = request.headers.get("content-length");
    // A JSON body of known, non-zero length is left unread here (agent reports are the hot
    // path); anything else is read once to see whether it is empty.
    if (labelledJson && length !== null && length !== "0") return next();
    const body = request.body === null ? "" : await c.req.text();
    const headers = new Headers(request.headers);
    headers.set("content-type", "application/json");
    c.req.raw = new Request(request.url, { method: request.method, headers, body: body.trim() === "" ? "{}" : body });
    c.req.bodyCache = {};
    await next();
  });
}
