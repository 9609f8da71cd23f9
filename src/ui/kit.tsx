/** @jsxImportSource hono/jsx */
// What every dashboard route is built from: the session a cookie names (with a client that calls
// the API in-process as the session's key), pages that need one, and form posts that must come from
// this site's own pages (origin and CSRF token checked) before they call the API.
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { App } from "../app.ts";
import { createFleetClient, FleetApiError, ok } from "../client/index.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { deleteSession, findSession } from "../db/sessions.ts";
import { NotFound } from "./layout.tsx";
import { csrfTokenOf, isCsrfTokenOf, isUsableKey, sessionIdOf, unsealApiKey } from "./session.ts";
import type { Section, View } from "./view.ts";

export type UiContext = Context<AppEnv>;

export const SESSION_COOKIE = "nixfleet_session";

export function isHttps(c: UiContext): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Over HTTPS the cookie is Secure and `__Host-` prefixed (the browser then pins it to this host and path). */
export function readSessionCookie(c: UiContext): string | undefined {
  return isHttps(c) ? getCookie(c, SESSION_COOKIE, "host") : getCookie(c, SESSION_COOKIE);
}

export function cookieAttributes(c: UiContext) {
  return { path: "/", secure: isHttps(c), ...(isHttps(c) ? { prefix: "host" as const } : {}) };
}

/**
 * A form post must come from a page of this host: its `Origin` (every browser sends one on POST)
 * names this `Host`. With SameSite=Strict cookies and the per-session form token this makes
 * cross-site requests powerless.
 */
export function isSameOriginPost(c: UiContext): boolean {
  const origin = c.req.header("origin");
  const host = c.req.header("host");
  if (!origin || !host) return c.req.header("sec-fetch-site") === "same-origin";
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export async function formOf(c: UiContext): Promise<URLSearchParams> {
  // The API's JSON-body middleware has relabelled the body; its text is the urlencoded form.
  return new URLSearchParams(await c.req.text());
}

export function render(c: UiContext, page: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 409 = 200) {
  return c.html(`<!doctype html>${page}`, status);
}

/** A 4xx the API answered a page or a form with, as a page status. */
export function pageStatus(error: FleetApiError): 400 | 403 | 404 | 409 {
  return error.status === 403 || error.status === 404 || error.status === 409 ? error.status : 400;
}

/** `value` when it is one of `choices` (a query parameter checked against a list). */
export const oneOf = <T extends string>(choices: readonly T[], value: string | undefined): T | undefined =>
  choices.find((choice) => choice === value);

/** A route parameter the route's path always has. */
export const param = (c: UiContext, name: string) => c.req.param(name) ?? "";

export interface PageOptions {
  /** A region of a page (re-rendered by the page's script), not a page: no layout, so no freeze banner. */
  fragment?: boolean;
}

export interface UiKit {
  /** The session the cookie names, with a client that calls the API as its key; null when there is none. */
  openSession(c: UiContext, options?: PageOptions): Promise<View | null>;
  /** A page for signed-in users: no session → the login page; an API 4xx → a page saying so, with its status. */
  page(
    section: Section,
    build: (c: UiContext, view: View) => Promise<JSX.Element | Response>,
    options?: PageOptions,
  ): (c: UiContext) => Promise<Response>;
  /**
   * A form post of a signed-in page: refused (403) unless it comes from this site with the
   * session's CSRF token, then `handle` runs with the session and the form's fields.
   */
  action(
    handle: (c: UiContext, view: View, form: URLSearchParams) => Promise<Response>,
  ): (c: UiContext) => Promise<Response>;
}

/** The dashboard's session, page and form machinery for `app`. */
export function createUiKit(app: App, deps: AppDeps): UiKit {
  const openSession = async (c: UiContext, options: PageOptions = {}): Promise<View | null> => {
    const token = readSessionCookie(c);
    if (!token) return null;
    const sessionId = sessionIdOf(token);
    const now = deps.now();
    const found = await findSession(deps.store.db, sessionId, now);
    if (!found) return null;
    const apiKey = unsealApiKey(token, found.session.sealedKey);
    if (!apiKey || !isUsableKey(found.key, now)) {
      await deps.store.write((tx) => deleteSession(tx, sessionId));
      return null;
    }
    const api = createFleetClient({
      baseUrl: new URL(c.req.url).origin,
      apiKey,
      fetch: async (request) => app.fetch(request, c.env),
    });
    // Every page says when the fleet is frozen; a region re-rendered alone has no banner to show it in.
    const freeze = options.fragment ? null : await ok(api.GET("/api/v1/freeze"));
    return { api, keyName: found.key.name, role: found.key.role, csrf: csrfTokenOf(token), now, freeze };
  };

  const page: UiKit["page"] = (section, build, options) => async (c) => {
    const view = await openSession(c, options);
    if (!view) return c.redirect("/ui/login", 303);
    try {
      const built = await build(c, view);
      return built instanceof Response ? built : render(c, built);
    } catch (error) {
      if (!(error instanceof FleetApiError) || error.status >= 500) throw error;
      if (error.status === 401) return c.redirect("/ui/login", 303);
      const status = pageStatus(error);
      return render(c, <NotFound view={view} section={section} message={error.message} status={status} />, status);
    }
  };

  const action: UiKit["action"] = (handle) => async (c) => {
    const token = readSessionCookie(c);
    const form = await formOf(c);
    if (!token || !isSameOriginPost(c) || !isCsrfTokenOf(token, form.get("_csrf") ?? undefined)) {
      return c.json({ error: "this form must be sent from this site's own page (CSRF check failed)" }, 403);
    }
    const view = await openSession(c);
    if (!view) return c.redirect("/ui/login", 303);
    return handle(c, view, form);
  };

  return { openSession, page, action };
}
