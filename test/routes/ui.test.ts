// The dashboard's login, session cookie, CSRF checks and pages, in-process.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { auditEvents, uiSessions } from "../../src/db/schema.ts";
import { createLogger } from "../../src/logger.ts";
import { assets } from "../../src/ui/assets.ts";
import { withoutEventNames } from "../../src/ui/events.ts";
import { csrfTokenOf } from "../../src/ui/session.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { report } from "../support/machines.ts";

const ORIGIN = "http://localhost";
let h: Harness;
let admin: string;
const logLines: string[] = [];

beforeAll(async () => {
  h = await createHarness({ logger: createLogger({ level: "debug", write: (line) => logLines.push(line) }) });
  admin = await createTestKey(h, "admin", { name: "ops" });
  for (const id of ["web-01", "web-02"]) expect((await report(h, id)).status).toBe(200);
  expect((await report(h, "db-01", { success: false, message: "switch failed" })).status).toBe(200);
});
afterAll(() => h.close());

function logIn(
  key: string,
  headers: Record<string, string> = { origin: ORIGIN, host: "localhost" },
  url = "/ui/login",
) {
  return h.request(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ key }).toString(),
  });
}

/** The session token from a login's Set-Cookie. */
function tokenOf(res: Response): string {
  const cookie = res.headers.get("set-cookie") ?? "";
  return /nixfleet_session=([^;]+)/.exec(cookie)![1]!;
}

const withCookie = (token: string, name = "nixfleet_session") => ({ headers: { cookie: `${name}=${token}` } });

test("pages need a session: without one they send the browser to the login page", async () => {
  for (const path of ["/ui", "/ui/machines", "/ui/rollouts/r-1"]) {
    const res = await h.request(path);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/ui/login");
  }
  const login = await h.request("/ui/login");
  expect(login.status).toBe(200);
  expect(await login.text()).toContain('name="key"');
});

test("a login form from another site, or without an origin, is refused", async () => {
  expect((await logIn(admin, { origin: "https://evil.example", host: "localhost" })).status).toBe(403);
  expect((await logIn(admin, {})).status).toBe(403);
});

test("an unknown, malformed or revoked key gets the login page again, 401, and no cookie", async () => {
  const revoked = await createTestKey(h, "readonly", { revokedAt: 1 });
  for (const key of [`nfk-${"0".repeat(64)}`, "hunter2", revoked]) {
    const res = await logIn(key);
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("Unknown, revoked or expired API key.");
  }
});

test("a login sets an HttpOnly, SameSite=Strict cookie holding a token, not the key; the database holds neither", async () => {
  const res = await logIn(admin);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/ui");
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toContain("HttpOnly");
  expect(cookie).toContain("SameSite=Strict");
  expect(cookie).toContain("Path=/");
  expect(cookie).not.toContain("Secure");
  const token = tokenOf(res);
  expect(token).not.toContain(admin.slice(4));
  const rows = await h.store.db.select().from(uiSessions);
  const row = rows.find((r) => r.id === createHash("sha256").update(token).digest("hex"))!;
  expect(row).toBeDefined();
  expect(JSON.stringify(rows)).not.toContain(token);
  expect(JSON.stringify(rows)).not.toContain(admin.slice(4));
  expect(row.expiresAt - row.createdAt).toBe(12 * 3600 * 1000);
  const audit = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "session.created"));
  expect(audit.at(-1)).toMatchObject({ actor: "apikey:ops" });
});

test("over HTTPS the cookie is __Host- prefixed and Secure", async () => {
  const res = await logIn(admin, { origin: "https://cp.example", host: "cp.example" }, "https://cp.example/ui/login");
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toStartWith("__Host-nixfleet_session=");
  expect(cookie).toContain("Secure");
  const page = await h.request("https://cp.example/ui", withCookie(tokenOf(res), "__Host-nixfleet_session"));
  expect(page.status).toBe(200);
});

test("pages show what the API answers, with a strict content policy and no caching", async () => {
  const token = tokenOf(await logIn(admin));
  const overview = await h.request("/ui", withCookie(token));
  expect(overview.status).toBe(200);
  expect(overview.headers.get("cache-control")).toBe("no-store");
  const policy = overview.headers.get("content-security-policy")!;
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  const html = await overview.text();
  expect(html).toStartWith("<!doctype html>");
  expect(html).toContain(assets.styles.path);
  expect(html).toContain(">3</div>");
  expect(html).toContain("ops · admin");
  const errors = await (await h.request("/ui/machines?state=error", withCookie(token))).text();
  expect(errors).toContain("db-01");
  expect(errors).not.toContain("web-01");
  const machine = await h.request("/ui/machines/db-01", withCookie(token));
  expect(await machine.text()).toContain("switch failed");
  const missing = await h.request("/ui/machines/nope", withCookie(token));
  expect(missing.status).toBe(404);
  expect(await missing.text()).toContain("machine nope not found");
  const rollout = await h.request("/ui/rollouts/r-none/progress", withCookie(token));
  expect(rollout.status).toBe(404);
  const back = await (await h.request("/ui/machines/nope", withCookie(token))).text();
  expect(back).toContain('href="/ui/machines">« Machines</a>');
  // A mistyped address under /ui is a dashboard page, not the API's JSON.
  const nowhere = await h.request("/ui/nothing-here", withCookie(token));
  expect(nowhere.status).toBe(404);
  expect(nowhere.headers.get("content-type")).toStartWith("text/html");
  expect(await nowhere.text()).toContain("no page at /ui/nothing-here");
  expect((await h.request("/ui/nothing-here")).headers.get("location")).toBe("/ui/login");
});

test("any role may log in: a readonly key sees the pages", async () => {
  const viewer = await createTestKey(h, "readonly", { name: "viewer" });
  const token = tokenOf(await logIn(viewer));
  const page = await h.request("/ui/machines", withCookie(token));
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("viewer · readonly");
});

test("revoking the key ends its sessions at once; a session also ends after 12 hours", async () => {
  const key = await createTestKey(h, "deploy", { name: "short-lived" });
  const token = tokenOf(await logIn(key));
  expect((await h.request("/ui", withCookie(token))).status).toBe(200);
  const keys = (await (await h.request("/api/v1/keys", { key: admin })).json()) as { id: string; name: string }[];
  const id = keys.find((k) => k.name === "short-lived")!.id;
  expect((await h.request(`/api/v1/keys/${id}`, { method: "DELETE", key: admin })).status).toBe(204);
  expect((await h.request("/ui", withCookie(token))).status).toBe(303);

  const later = tokenOf(await logIn(admin));
  h.advance(12 * 3600 * 1000);
  expect((await h.request("/ui", withCookie(later))).status).toBe(303);
  h.advance(-12 * 3600 * 1000);
});

test("a session ends when its key expires, before its 12 hours are up", async () => {
  const start = Date.parse("2026-11-27T10:00:00Z");
  const key = await createTestKey(h, "readonly", { name: "expiring", expiresAt: start + 3600 * 1000 });
  const token = tokenOf(await logIn(key));
  h.advance(3600 * 1000 - 1000);
  expect((await h.request("/ui", withCookie(token))).status).toBe(200);
  h.advance(2000);
  expect((await h.request("/ui", withCookie(token))).status).toBe(303);
  h.advance(-(3600 * 1000 + 1000));
});

test("sessions live in the database: a session survives a restart of the control plane", async () => {
  const token = tokenOf(await logIn(admin));
  await h.restart();
  const page = await h.request("/ui", withCookie(token));
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("ops · admin");
});

test("an id or cursor the API refuses is a 400 page naming the problem, not a 500", async () => {
  const token = tokenOf(await logIn(admin));
  const long = "x".repeat(129);
  for (const path of [
    `/ui/machines/${long}`,
    `/ui/releases/${long}`,
    `/ui/rollouts/${long}`,
    `/ui/rollouts/${long}/trace`,
    `/ui/rollouts/${long}/batches/0`,
    `/ui/rollouts/${long}/abort`,
    `/ui/rollouts/${long}/progress`,
  ]) {
    const res = await h.request(path, withCookie(token));
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect(await res.text()).toContain("at most 128 characters");
  }
  const stream = await h.request(`/ui/rollouts/${long}/events`, withCookie(token));
  expect(stream.status).toBe(400);
  const badCursor = await h.request("/ui/machines?cursor=%ff", withCookie(token));
  expect(badCursor.status).toBe(400);
  expect(await badCursor.text()).toContain("X-Next-Cursor");
});

test("logout needs the session's CSRF token; it deletes the session", async () => {
  const token = tokenOf(await logIn(admin));
  const post = (
    form: Record<string, string>,
    headers: Record<string, string> = { origin: ORIGIN, host: "localhost" },
  ) =>
    h.request("/ui/logout", {
      method: "POST",
      headers: { cookie: `nixfleet_session=${token}`, "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  expect((await post({})).status).toBe(403);
  expect((await post({ _csrf: "forged" })).status).toBe(403);
  expect(
    (await post({ _csrf: csrfTokenOf(token) }, { origin: "https://evil.example", host: "localhost" })).status,
  ).toBe(403);
  expect((await h.request("/ui", withCookie(token))).status).toBe(200);
  const out = await post({ _csrf: csrfTokenOf(token) });
  expect(out.status).toBe(303);
  expect(out.headers.get("location")).toBe("/ui/login");
  expect((await h.request("/ui", withCookie(token))).status).toBe(303);
  const audit = await h.store.db.select().from(auditEvents).where(eq(auditEvents.action, "session.deleted"));
  expect(audit).toHaveLength(1);
});

test("no API key and no session token is ever written to the log", async () => {
  const token = tokenOf(await logIn(admin));
  await h.request("/ui/machines?tag=web", withCookie(token));
  const logged = logLines.join("\n");
  expect(logged).toContain('"path":"/ui/login"');
  expect(logged).not.toContain(admin);
  expect(logged).not.toContain(admin.slice(4, 36));
  expect(logged).not.toContain(token);
});

test("assets are served with a content hash and a year-long immutable cache; /docs loads only them", async () => {
  for (const asset of Object.values(assets)) {
    expect(asset.path).toMatch(/^\/assets\/[a-z-]+\.[0-9a-f]{16}\.(css|js)$/);
    const res = await h.request(asset.path);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-type")).toBe(asset.contentType);
    expect(await res.text()).toBe(asset.body);
  }
  expect((await h.request("/assets/ui.0000000000000000.css")).status).toBe(404);
  const docs = await h.request("/docs");
  expect(docs.status).toBe(200);
  const html = await docs.text();
  expect(html).toContain(`<script src="${assets.apiReference.path}"`);
  expect(html).not.toMatch(/(src|href)="https?:/);
  const policy = docs.headers.get("content-security-policy")!;
  expect(policy).toContain("connect-src 'self'");
  expect(policy).toContain("default-src 'self'");
  const nonce = /'nonce-([^']+)'/.exec(policy)![1]!;
  expect(html).toContain(`nonce="${nonce}"`);
});

test("a rollout's event stream for the page needs a session and a known rollout", async () => {
  expect((await h.request("/ui/rollouts/r-none/events")).status).toBe(401);
  const token = tokenOf(await logIn(admin));
  const unknown = await h.request("/ui/rollouts/r-none/events", withCookie(token));
  expect(unknown.status).toBe(404);
});

test("the page's event stream drops event names and keeps ids, data and comments, across chunk edges", async () => {
  const text =
    ': connected\n\nid: 7\nevent: batch.succeeded\ndata: {"id":7}\n\nid: 8\nevent: rollout.completed\ndata: {}\n\n';
  const chunks = [text.slice(0, 20), text.slice(20, 41), text.slice(41)];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  }).pipeThrough(withoutEventNames());
  expect(await new Response(stream).text()).toBe(': connected\n\nid: 7\ndata: {"id":7}\n\nid: 8\ndata: {}\n\n');
});
