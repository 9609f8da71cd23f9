import { createMiddleware } from "hono/factory";
import { wellFormedJsonText } from "../domain/text.ts";

/** The content types @hono/zod-openapi's media-type check accepts as JSON; it answers 415 to any other. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The one place request bodies enter the API (SPEC §13, text at the boundary). The body is read
 * once as text and every lone UTF-16 surrogate in it becomes U+FFFD (`wellFormedJsonText`), so
 * validators, handlers and the database never see a string that is not well-formed Unicode.
 * Otherwise two different lone surrogates pass a duplicate check as different strings and then
 * collide when SQLite stores both as U+FFFD, and SQLite's JSON functions store them as invalid
 * UTF-8 that its driver cannot read back. Path and query values need no such step: they are
 * percent-decoded with `decodeURIComponent`, which refuses to decode a lone surrogate, and a URL
 * carries none undecoded.
 *
 * The API speaks only JSON, so a body is read as JSON whatever its Content-Type says (`curl -d`
 * sends `application/x-www-form-urlencoded`, some clients send none), and an empty body counts
 * as `{}` (`curl -X POST -H 'Content-Type: application/json'` with no data): a valid body is
 * processed, a malformed one is a 400, never a 415. Requests that carry neither a body nor a
 * content type are left alone.
 */
export function readBodyAsJson() {
  return createMiddleware(async function readBodyAsJson(c, next) {
    const request = c.req.raw;
    // Checked first: reading a header makes the runtime build the request's Headers, which a
    // GET (every agent poll) never needs.
    if (!METHODS_WITH_BODY.has(request.method)) return next();
    const contentType = request.headers.get("content-type");
    if (request.body === null && contentType === null) return next();
    const read = request.body === null ? "" : await c.req.text();
    const text = read.trim() === "" ? "{}" : wellFormedJsonText(read);
    if (contentType === null || !JSON_CONTENT_TYPE.test(contentType)) {
      const headers = new Headers(request.headers);
      headers.set("content-type", "application/json");
      c.req.raw = new Request(request.url, { method: request.method, headers, body: text });
    }
    // Validators and handlers read the body through this cache (`c.req.json()` parses `text`),
    // never the raw request's. Hono keeps promises there, whatever its type declaration says.
    c.req.bodyCache = { text: Promise.resolve(text) as unknown as string };
    await next();
  });
}
