/** @jsxImportSource hono/jsx */
// The dashboard's rollout pages and the §14 verbs as form posts. Every verb is the API's own,
// called with the session's key: the key's role and the rollout's state decide, as they do for the
// CLI; a refusal is shown on the rollout's page with the API's sentence and status.
import type { App } from "../app.ts";
import { FleetApiError, ok, type Schema } from "../client/index.ts";
import { asBrief, getRolloutBrief, machinesInStates } from "../client/rollouts.ts";
import { ROLLOUT_STATUSES } from "../db/rollouts.ts";
import { MACHINE_STATES } from "../domain/rollout-machine.ts";
import { currentBatchOf, STATE_ORDER } from "../domain/rollout-progress.ts";
import { withoutEventNames } from "./events.ts";
import { oneOf, pageStatus, param, render, type UiContext, type UiKit } from "./kit.tsx";
import { AbortPage, PromotePage } from "./pages/rollout-confirm.tsx";
import { BATCH_PAGE_SIZE, BatchMachinesPage, parseCursorParam } from "./pages/rollout-machines.tsx";
import { TracePage, TRACE_PAGE_SIZE } from "./pages/rollout-trace.tsx";
import {
  BATCH_MACHINES_SHOWN,
  inStateOrder,
  RolloutPage,
  rolloutPath,
  RolloutProgress,
  RolloutsPage,
  SMALL_ROLLOUT_MACHINES,
} from "./pages/rollouts.tsx";
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

type RolloutMachine = Schema<"RolloutMachine">;

/**
 * A rollout as its page shows it: its batches counted, and the machines it lists in state order
 * (every one of a small rollout in one request, else the first of its current batch, state by state).
 */
async function rolloutWithMachines(view: View, id: string) {
  const rollout = await getRolloutBrief(view.api, id);
  const listed = new Map<number, RolloutMachine[]>();
  const total = rollout.batches.reduce((n, b) => n + b.machine_count, 0);
  if (total <= SMALL_ROLLOUT_MACHINES) {
    const all = await ok(
      view.api.GET("/api/v1/rollouts/{id}/machines", {
        params: { path: { id }, query: { limit: String(SMALL_ROLLOUT_MACHINES) } },
      }),
    );
    for (const b of rollout.batches) {
      listed.set(b.batch_index, inStateOrder(all.machines.filter((m) => m.batch_index === b.batch_index)));
    }
  } else {
    const current = currentBatchOf(rollout.batches);
    if (current) {
      const { machines } = await machinesInStates(view.api, id, {
        batch: current.batch_index,
        states: STATE_ORDER.filter((s) => current.state_counts[s] > 0),
        limit: BATCH_MACHINES_SHOWN,
      });
      listed.set(current.batch_index, machines);
    }
  }
  return { rollout, listed };
}

/** The form's reason: trimmed, absent when empty. */
function reasonOf(form: URLSearchParams): string | undefined {
  return form.get("reason")?.trim() || undefined;
}

/** Calls verb `verb` of rollout `id` as the session's key (answered in the brief form: the page is read after). */
function callVerb(view: View, id: string, verb: Verb, form: URLSearchParams): Promise<Schema<"RolloutView">> {
  const params = { params: { path: { id }, query: { machines: "none" as const } } };
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
    const page = await rolloutWithMachines(view, id).catch(() => null);
    const message = `${error.status}: ${error.message}`;
    if (!page) return c.json({ error: message }, pageStatus(error));
    return render(c, <RolloutPage view={view} {...page} error={message} />, pageStatus(error));
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
      const rollouts = await ok(view.api.GET("/api/v1/rollouts", { params: { query: { status, machines: "none" } } }));
      return (
        <RolloutsPage
          view={view}
          rollouts={rollouts.map(asBrief)}
          status={status ?? ""}
          statuses={[...ROLLOUT_STATUSES]}
        />
      );
    }),
  );

  app.get(
    "/ui/rollouts/:id",
    page("rollouts", async (c, view) => {
      const page = await rolloutWithMachines(view, param(c, "id"));
      const done = oneOf([...VERBS, "skip"] as const, c.req.query("done"));
      return <RolloutPage view={view} {...page} notice={done ? DONE[done] : undefined} />;
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
      async (c, view) => <RolloutProgress view={view} {...await rolloutWithMachines(view, param(c, "id"))} />,
      { fragment: true },
    ),
  );

  app.get(
    "/ui/rollouts/:id/batches/:index{[0-9]+}",
    page("rollouts", async (c, view) => {
      const rollout = await getRolloutBrief(view.api, param(c, "id"));
      const batch = rollout.batches[Number(param(c, "index"))];
      if (!batch) throw new FleetApiError(404, `rollout ${rollout.id} has no batch ${param(c, "index")}`);
      const state = oneOf(MACHINE_STATES, c.req.query("state")) ?? "";
      const cursor = parseCursorParam(c.req.query("after"));
      const from = cursor ? Math.max(1, Math.floor(Number(c.req.query("from") ?? "1")) || 1) : 1;
      // A page's start stays in its state even when the counts no longer show one there.
      const states = state ? [state] : STATE_ORDER.filter((s) => batch.state_counts[s] > 0 || s === cursor?.state);
      const { machines, next } = await machinesInStates(view.api, rollout.id, {
        batch: batch.batch_index,
        states,
        limit: BATCH_PAGE_SIZE,
        from: cursor,
      });
      const done = oneOf(["skip"] as const, c.req.query("done"));
      return (
        <BatchMachinesPage
          view={view}
          rollout={rollout}
          batch={batch}
          state={state}
          machines={machines}
          cursor={cursor}
          next={next}
          from={from}
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
    page("rollouts", async (c, view) => (
      <AbortPage view={view} rollout={await getRolloutBrief(view.api, param(c, "id"))} />
    )),
  );
  app.get(
    "/ui/rollouts/:id/promote",
    page("rollouts", async (c, view) => (
      <PromotePage view={view} rollout={await getRolloutBrief(view.api, param(c, "id"))} />
    )),
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
            params: { path: { id, machine }, query: { machines: "none" } },
            body: { reason: reasonOf(form) },
          }),
        ),
      );
    }),
  );
}
