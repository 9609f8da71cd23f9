/** @jsxImportSource hono/jsx */
// The dashboard at /ui (SPEC §16), server-rendered with Hono's JSX. Pages get their data from the
// API itself, in-process, with the session's API key: they show exactly what the API answers, the
// key's role applies unchanged, and a revoked key ends the session.
import { setCookie, deleteCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import type { App } from "../app.ts";
import { ok } from "../client/index.ts";
import type { AppDeps } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import { findKeyByHash, hashKey, isWellFormedKey } from "../db/keys.ts";
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from "../db/sessions.ts";
import { assetAt } from "./assets.ts";
import { registerGatePages } from "./gate-routes.tsx";
import {
  cookieAttributes,
  createUiKit,
  formOf,
  isSameOriginPost,
  oneOf,
  param,
  readSessionCookie,
  render,
  SESSION_COOKIE,
} from "./kit.tsx";
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
import { registerRolloutPages } from "./rollout-routes.tsx";
import { isCsrfTokenOf, isUsableKey, newSessionToken, sealApiKey, sessionIdOf, SESSION_TTL_MS } from "./session.ts";

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

  const ui = createUiKit(app, deps);
  const { page } = ui;

  app.get("/ui/login", async (c) => {
    if (await ui.openSession(c, { fragment: true })) return c.redirect("/ui", 303);
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
    setCookie(c, SESSION_COOKIE, token, {
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
    deleteCookie(c, SESSION_COOKIE, cookieAttributes(c));
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
      const machine = await ok(view.api.GET("/api/v1/machines/{id}", { params: { path: { id: param(c, "id") } } }));
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
      const release = await ok(view.api.GET("/api/v1/releases/{id}", { params: { path: { id: param(c, "id") } } }));
      return <ReleasePage view={view} release={release} />;
    }),
  );

  registerRolloutPages(app, ui);
  registerGatePages(app, ui);

  // Registered last: a mistyped dashboard address gets a page saying so, not the API's JSON 404.
  app.get(
    "/ui/*",
    page("overview", async (c, view) =>
      render(c, <NotFound view={view} section="overview" message={`no page at ${c.req.path}`} status={404} />, 404),
    ),
  );
}
