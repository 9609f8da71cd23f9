/** @jsxImportSource hono/jsx */
// The dashboard's rollout pages and the §14 verbs as form posts. Every verb is the API's own,
// called with the session's key: the key's role and the rollout's state decide, as they do for the
// CLI; a refusal is shown on the rollout's page with the API's sentence and status.
import type { App } from "../app.ts";
import { FleetApiError, ok, type Schema } from "../client/index.ts";
import { ROLLOUT_STATUSES } from "../db/rollouts.ts";
import { MACHINE_STATES } from "../domain/rollout-machine.ts";
import { withoutEventNames } from "./events.ts";
import { oneOf, pageStatus, param, render, type UiContext, type UiKit } from "./kit.tsx";
import { AbortPage, PromotePage } from "./pages/rollout-confirm.tsx";
import { BatchMachinesPage } from "./pages/rollout-machines.tsx";
import { TracePage, TRACE_PAGE_SIZE } from "./pages/rollout-trace.tsx";
import { RolloutPage, rolloutPath, RolloutProgress, RolloutsPage } from "./pages/rollouts.tsx";
import type { View } from "./view.ts";

const VERBS = ["pause", "resume", "promote", "abort", "retry", "cancel"] as const;
type Verb = (typeof VERBS)[number];

/** What a rollout page says after a verb the API took. */
const DONE: Record<Verb | "skip", string> = {
  pause: "Paused: no further machine starts; machines deploying are still judged.",
  resume: "Resumed.",
  promote: "Promoted: the next batch starts.",
  abort: "Aborted: the machines it changed get their previous generation back.",
  retry: "Retrying the failed batch's unhealthy machines.",
  cancel: "Cancelled: machines keep what they were given.",
  skip: "Skipped: the machine left the rollout and keeps what it runs.",
};

const getRollout = (view: View, id: string) => ok(view.api.GET("/api/v1/rollouts/{id}", { params: { path: { id } } }));

/** The form's reason: trimmed, absent when empty. */
function reasonOf(form: URLSearchParams): string | undefined {
  return form.get("reason")?.trim() || undefined;
}

/** Calls verb `verb` of rollout `id` as the session's key. */
function callVerb(view: View, id: string, verb: Verb, form: URLSearchParams): Promise<Schema<"Rollout">> {
  const params = { params: { path: { id } } };
  switch (verb) {
    case "pause":
      return ok(view.api.POST("/api/v1/rollouts/{id}/pause", { ...params, body: { reason: reasonOf(form) } }));
    case "abort":
      return ok(view.api.POST("/api/v1/rollouts/{id}/abort", { ...params, body: { reason: reasonOf(form) } }));
    case "promote":
      return ok(
        view.api.POST("/api/v1/rollouts/{id}/promote", { ...params, body: { force: form.get("force") === "true" } }),
      );
    case "resume":
      return ok(view.api.POST("/api/v1/rollouts/{id}/resume", params));
    case "retry":
      return ok(view.api.POST("/api/v1/rollouts/{id}/retry", params));
    case "cancel":
      return ok(view.api.POST("/api/v1/rollouts/{id}/cancel", params));
  }
}

/**
 * After a verb: back to where the form was (a rollout page or one of its batch pages) with what
 * happened; a refusal (4xx) is shown on the rollout's page with the API's status.
 */
async function afterVerb(
  c: UiContext,
  view: View,
  id: string,
  done: string,
  back: string,
  call: () => Promise<unknown>,
) {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof FleetApiError) || error.status >= 500) throw error;
    if (error.status === 401) return c.redirect("/ui/login", 303);
    const rollout = await getRollout(view, id).catch(() => null);
    const message = `${error.status}: ${error.message}`;
    if (!rollout) return c.json({ error: message }, pageStatus(error));
    return render(c, <RolloutPage view={view} rollout={rollout} error={message} />, pageStatus(error));
  }
  const url = new URL(back, "http://ui");
  url.searchParams.set("done", done);
  return c.redirect(`${url.pathname}${url.search}`, 303);
}

/** A form's `back` when it is a page of this rollout, else the rollout's page (never another site). */
function backTo(id: string, back: string | null): string {
  const base = rolloutPath(id);
  return back && (back === base || back.startsWith(`${base}/batches/`)) ? back : base;
}

/** Registers the rollout pages, their live event stream and the verbs' form posts. */
export function registerRolloutPages(app: App, { page, action, openSession }: UiKit): void {
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
      const rollout = await getRollout(view, param(c, "id"));
      const done = oneOf([...VERBS, "skip"] as const, c.req.query("done"));
      return <RolloutPage view={view} rollout={rollout} notice={done ? DONE[done] : undefined} />;
    }),
  );

  // The rollout's event stream for the page's script: the API's, called with the session's key.
  app.get("/ui/rollouts/:id/events", async (c) => {
    const view = await openSession(c, { fragment: true });
    if (!view) return c.json({ error: "no session: log in at /ui/login" }, 401);
    const lastEventId = c.req.header("last-event-id");
    const result = await view.api.GET("/api/v1/rollouts/{id}/stream", {
      params: { path: { id: param(c, "id") }, header: lastEventId ? { "last-event-id": lastEventId } : {} },
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
    page(
      "rollouts",
      async (c, view) => <RolloutProgress view={view} rollout={await getRollout(view, param(c, "id"))} />,
      { fragment: true },
    ),
  );

  app.get(
    "/ui/rollouts/:id/batches/:index{[0-9]+}",
    page("rollouts", async (c, view) => {
      const rollout = await getRollout(view, param(c, "id"));
      const batch = rollout.batches[Number(param(c, "index"))];
      if (!batch) throw new FleetApiError(404, `rollout ${rollout.id} has no batch ${param(c, "index")}`);
      const state = oneOf(MACHINE_STATES, c.req.query("state")) ?? "";
      const pageNumber = Math.max(1, Math.floor(Number(c.req.query("page") ?? "1")) || 1);
      const done = oneOf(["skip"] as const, c.req.query("done"));
      return (
        <BatchMachinesPage
          view={view}
          rollout={rollout}
          batch={batch}
          state={state}
          page={pageNumber}
          notice={done ? DONE[done] : undefined}
        />
      );
    }),
  );

  app.get(
    "/ui/rollouts/:id/trace",
    page("rollouts", async (c, view) => {
      const after = /^\d{1,15}$/.test(c.req.query("after") ?? "") ? Number(c.req.query("after")) : 0;
      const trace = await ok(
        view.api.GET("/api/v1/rollouts/{id}/trace", {
          params: { path: { id: param(c, "id") }, query: { after: String(after), limit: String(TRACE_PAGE_SIZE) } },
        }),
      );
      return <TracePage view={view} trace={trace} after={after} />;
    }),
  );

  // Confirmation pages of the verbs that cannot be taken back: abort, and promote skipping machines.
  app.get(
    "/ui/rollouts/:id/abort",
    page("rollouts", async (c, view) => <AbortPage view={view} rollout={await getRollout(view, param(c, "id"))} />),
  );
  app.get(
    "/ui/rollouts/:id/promote",
    page("rollouts", async (c, view) => <PromotePage view={view} rollout={await getRollout(view, param(c, "id"))} />),
  );

  app.post(
    `/ui/rollouts/:id/:verb{${VERBS.join("|")}}`,
    action(async (c, view, form) => {
      const id = param(c, "id");
      const verb = oneOf(VERBS, param(c, "verb"))!;
      return afterVerb(c, view, id, verb, rolloutPath(id), () => callVerb(view, id, verb, form));
    }),
  );

  app.post(
    "/ui/rollouts/:id/machines/:machine/skip",
    action(async (c, view, form) => {
      const id = param(c, "id");
      const machine = param(c, "machine");
      return afterVerb(c, view, id, "skip", backTo(id, form.get("back")), () =>
        ok(
          view.api.POST("/api/v1/rollouts/{id}/machines/{machine}/skip", {
            params: { path: { id, machine } },
            body: { reason: reasonOf(form) },
          }),
        ),
      );
    }),
  );
}
