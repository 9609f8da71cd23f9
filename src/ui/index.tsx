/** @jsxImportSource hono/jsx */
// The dashboard at /ui (SPEC §16), server-rendered with Hono's JSX. Pages get their data from the
// API itself, in-process, with the session's API key: they show exactly what the API answers, the
// key's role applies unchanged, and a revoked key ends the session.
import type { Context } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import type { JSX } from "hono/jsx/jsx-runtime";
import { secureHeaders } from "hono/secure-headers";
import type { App } from "../app.ts";
import { createFleetClient, FleetApiError, ok } from "../client/index.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import { findKeyByHash, hashKey, isWellFormedKey } from "../db/keys.ts";
import { ROLLOUT_STATUSES } from "../db/rollouts.ts";
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from "../db/sessions.ts";
import { assetAt } from "./assets.ts";
import { withoutEventNames } from "./events.ts";
import { LoginPage, NotFound } from "./layout.tsx";
import {
  LIFECYCLE_CHOICES,
  MachinePage,
  MachinesPage,
  MACHINE_PAGE_SIZE,
  STATE_CHOICES,
  type MachineFilters,
} from "./pages/machines.tsx";
import { OverviewPage, OVERVIEW_ERRORS_SHOWN } from "./pages/overview.tsx";
import { ReleasePage, ReleasesPage } from "./pages/releases.tsx";
import { RolloutPage, RolloutProgress, RolloutsPage } from "./pages/rollouts.tsx";
import {
  csrfTokenOf,
  isCsrfTokenOf,
  isUsableKey,
  newSessionToken,
  sealApiKey,
  sessionIdOf,
  SESSION_TTL_MS,
  unsealApiKey,
} from "./session.ts";
import type { Section, View } from "./view.ts";

type UiContext = Context<AppEnv>;

const oneOf = <T extends string>(choices: readonly T[], value: string | undefined): T | undefined =>
  choices.find((choice) => choice === value);

const COOKIE = "nixfleet_session";

/** Over HTTPS the cookie is Secure and `__Host-` prefixed (the browser then pins it to this host and path). */
function readSessionCookie(c: UiContext): string | undefined {
  return isHttps(c) ? getCookie(c, COOKIE, "host") : getCookie(c, COOKIE);
}

function cookieAttributes(c: UiContext) {
  return { path: "/", secure: isHttps(c), ...(isHttps(c) ? { prefix: "host" as const } : {}) };
}

function isHttps(c: UiContext): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * A form post must come from a page of this host: its `Origin` (every browser sends one on POST)
 * names this `Host`. With SameSite=Strict cookies and the per-session form token this makes
 * cross-site requests powerless.
 */
function isSameOriginPost(c: UiContext): boolean {
  const origin = c.req.header("origin");
  const host = c.req.header("host");
  if (!origin || !host) return c.req.header("sec-fetch-site") === "same-origin";
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The `:id` of a page's route (always present: the route has it). */
const idParam = (c: UiContext) => c.req.param("id") ?? "";

async function formOf(c: UiContext): Promise<URLSearchParams> {
  // The API's JSON-body middleware has relabelled the body; its text is the urlencoded form.
  return new URLSearchParams(await c.req.text());
}

function render(c: UiContext, page: JSX.Element, status: 200 | 401 | 403 | 404 = 200) {
  return c.html(`<!doctype html>${page}`, status);
}

/** Registers the dashboard's pages, its login and logout, and the embedded assets. */
export function registerUi(app: App, deps: AppDeps): void {
  app.get("/assets/:file", (c) => {
    const asset = assetAt(c.req.path);
    if (!asset) return c.json({ error: `no asset ${c.req.path}` }, 404);
    return c.body(asset.body, 200, {
      "content-type": asset.contentType,
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
    });
  });

  app.use(
    "/ui/*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      // "no-referrer" would make Chromium send `Origin: null` on form posts, which the origin check refuses.
      referrerPolicy: "same-origin",
      crossOriginEmbedderPolicy: false,
      strictTransportSecurity: false,
    }),
  );
  // `/ui/*` also matches `/ui`.
  app.use("/ui/*", async (c, next) => {
    await next();
    // Pages carry fleet data: never stored by the browser or a proxy.
    c.header("cache-control", "no-store");
  });

  /** The session the cookie names, with a client that calls the API as its key; null when there is none. */
  const openSession = async (c: UiContext): Promise<{ view: View } | null> => {
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
    return {
      view: { api, keyName: found.key.name, role: found.key.role, csrf: csrfTokenOf(token), now },
    };
  };

  /** A page for signed-in users: no session → the login page; an API 404 → a not-found page. */
  const page =
    (section: Section, build: (c: UiContext, view: View) => Promise<JSX.Element>) => async (c: UiContext) => {
      const session = await openSession(c);
      if (!session) return c.redirect("/ui/login", 303);
      try {
        return render(c, await build(c, session.view));
      } catch (error) {
        if (error instanceof FleetApiError && error.status === 404) {
          return render(c, <NotFound view={session.view} section={section} message={error.message} />, 404);
        }
        if (error instanceof FleetApiError && error.status === 401) return c.redirect("/ui/login", 303);
        throw error;
      }
    };

  app.get("/ui/login", async (c) => {
    if (await openSession(c)) return c.redirect("/ui", 303);
    return render(c, <LoginPage />);
  });

  app.post("/ui/login", async (c) => {
    if (!isSameOriginPost(c)) return render(c, <LoginPage error="This form must be sent from this site." />, 403);
    const rawKey = (await formOf(c)).get("key")?.trim() ?? "";
    const now = deps.now();
    const key = isWellFormedKey(rawKey) ? await findKeyByHash(deps.store.db, hashKey(rawKey)) : undefined;
    if (!key || !isUsableKey(key, now)) {
      return render(c, <LoginPage error="Unknown, revoked or expired API key." />, 401);
    }
    const token = newSessionToken();
    const expiresAt = key.expiresAt === null ? now + SESSION_TTL_MS : Math.min(now + SESSION_TTL_MS, key.expiresAt);
    await deps.store.write(async (tx) => {
      await deleteExpiredSessions(tx, now);
      await insertSession(tx, {
        id: sessionIdOf(token),
        keyId: key.id,
        sealedKey: sealApiKey(token, rawKey),
        createdAt: now,
        expiresAt,
      });
      await recordAudit(tx, now, {
        actor: `apikey:${key.name}`,
        action: "session.created",
        target: key.id,
        detail: { expires_at: new Date(expiresAt).toISOString() },
      });
    });
    setCookie(c, COOKIE, token, {
      ...cookieAttributes(c),
      httpOnly: true,
      sameSite: "Strict",
      maxAge: Math.floor((expiresAt - now) / 1000),
    });
    return c.redirect("/ui", 303);
  });

  app.post("/ui/logout", async (c) => {
    const token = readSessionCookie(c);
    const form = await formOf(c);
    if (!token || !isSameOriginPost(c) || !isCsrfTokenOf(token, form.get("_csrf") ?? undefined)) {
      return c.json({ error: "logout needs this site's form (CSRF check failed)" }, 403);
    }
    const now = deps.now();
    const found = await findSession(deps.store.db, sessionIdOf(token), now);
    await deps.store.write(async (tx) => {
      if (!(await deleteSession(tx, sessionIdOf(token))) || !found) return;
      await recordAudit(tx, now, {
        actor: `apikey:${found.key.name}`,
        action: "session.deleted",
        target: found.key.id,
        detail: {},
      });
    });
    deleteCookie(c, COOKIE, cookieAttributes(c));
    return c.redirect("/ui/login", 303);
  });

  app.get(
    "/ui",
    page("overview", async (_c, view) => {
      const summary = await ok(view.api.GET("/api/v1/fleet/summary"));
      // Listing machines in error scans the fleet when there are few: only when there are some.
      const errors =
        summary.by_system_state.error === 0
          ? []
          : await ok(
              view.api.GET("/api/v1/machines", {
                params: { query: { state: ["error"], limit: String(OVERVIEW_ERRORS_SHOWN) } },
              }),
            );
      return <OverviewPage view={view} summary={summary} errors={errors} />;
    }),
  );

  app.get(
    "/ui/machines",
    page("machines", async (c, view) => {
      const filters: MachineFilters = {
        tags: (c.req.query("tag") ?? "")
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
        lifecycle: oneOf(LIFECYCLE_CHOICES, c.req.query("lifecycle")) ?? "",
        state: oneOf(STATE_CHOICES, c.req.query("state")) ?? "",
        cursor: c.req.query("cursor") ?? "",
      };
      const lifecycle = oneOf(LIFECYCLE_CHOICES, filters.lifecycle);
      const state = oneOf(STATE_CHOICES, filters.state);
      const result = await view.api.GET("/api/v1/machines", {
        params: {
          query: {
            tag: filters.tags.length > 0 ? filters.tags : undefined,
            lifecycle: lifecycle ? [lifecycle] : undefined,
            state: state ? [state] : undefined,
            limit: String(MACHINE_PAGE_SIZE),
            cursor: filters.cursor || undefined,
          },
        },
      });
      const machines = await ok(Promise.resolve(result));
      const next = result.response.headers.get("x-next-cursor");
      return <MachinesPage view={view} filters={filters} machines={machines} next={next} />;
    }),
  );

  app.get(
    "/ui/machines/:id",
    page("machines", async (c, view) => {
      const machine = await ok(view.api.GET("/api/v1/machines/{id}", { params: { path: { id: idParam(c) } } }));
      return <MachinePage view={view} machine={machine} />;
    }),
  );

  app.get(
    "/ui/releases",
    page("releases", async (_c, view) => {
      const releases = await ok(view.api.GET("/api/v1/releases", { params: { query: { limit: "100" } } }));
      return <ReleasesPage view={view} releases={releases} />;
    }),
  );

  app.get(
    "/ui/releases/:id",
    page("releases", async (c, view) => {
      const release = await ok(view.api.GET("/api/v1/releases/{id}", { params: { path: { id: idParam(c) } } }));
      return <ReleasePage view={view} release={release} />;
    }),
  );

  app.get(
    "/ui/rollouts",
    page("rollouts", async (c, view) => {
      const status = oneOf(ROLLOUT_STATUSES, c.req.query("status"));
      const rollouts = await ok(view.api.GET("/api/v1/rollouts", { params: { query: { status } } }));
      return <RolloutsPage view={view} rollouts={rollouts} status={status ?? ""} statuses={[...ROLLOUT_STATUSES]} />;
    }),
  );

  app.get(
    "/ui/rollouts/:id",
    page("rollouts", async (c, view) => {
      const rollout = await ok(view.api.GET("/api/v1/rollouts/{id}", { params: { path: { id: idParam(c) } } }));
      return <RolloutPage view={view} rollout={rollout} />;
    }),
  );

  // The rollout's event stream for the page's script: the API's, called with the session's key.
  app.get("/ui/rollouts/:id/events", async (c) => {
    const session = await openSession(c);
    if (!session) return c.json({ error: "no session: log in at /ui/login" }, 401);
    const lastEventId = c.req.header("last-event-id");
    const result = await session.view.api.GET("/api/v1/rollouts/{id}/stream", {
      params: { path: { id: idParam(c) }, header: lastEventId ? { "last-event-id": lastEventId } : {} },
      parseAs: "stream",
      signal: c.req.raw.signal,
    });
    if (!result.response.ok || !result.data) return result.response;
    return new Response(result.data.pipeThrough(withoutEventNames()), {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  });

  app.get(
    "/ui/rollouts/:id/progress",
    page("rollouts", async (c, view) => {
      const rollout = await ok(view.api.GET("/api/v1/rollouts/{id}", { params: { path: { id: idParam(c) } } }));
      return <RolloutProgress rollout={rollout} now={view.now} />;
    }),
  );
}
