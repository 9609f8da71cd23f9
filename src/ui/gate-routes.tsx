/** @jsxImportSource hono/jsx */
// The gates page and the freeze's form posts (admin keys; the API refuses others with 403).
import type { App } from "../app.ts";
import { FleetApiError, ok } from "../client/index.ts";
import { pageStatus, render, type UiContext, type UiKit } from "./kit.tsx";
import { GatesPage } from "./pages/gates.tsx";
import type { View } from "./view.ts";

async function gatesPage(c: UiContext, view: View, error?: FleetApiError) {
  const [freeze, budgets, windows] = await Promise.all([
    ok(view.api.GET("/api/v1/freeze")),
    ok(view.api.GET("/api/v1/budgets")),
    ok(view.api.GET("/api/v1/windows")),
  ]);
  // The banner shows the freeze as it is now, after a change made by this very request.
  const page = (
    <GatesPage
      view={{ ...view, freeze }}
      freeze={freeze}
      budgets={budgets}
      windows={windows}
      error={error ? `${error.status}: ${error.message}` : undefined}
    />
  );
  return render(c, page, error ? pageStatus(error) : 200);
}

/** Runs a freeze change, then back to the gates page (showing the API's refusal, if any). */
async function changeFreeze(c: UiContext, view: View, change: () => Promise<unknown>) {
  try {
    await change();
  } catch (error) {
    if (!(error instanceof FleetApiError) || error.status >= 500) throw error;
    return gatesPage(c, view, error);
  }
  return c.redirect("/ui/gates", 303);
}

/** Registers `/ui/gates` and the freeze's set and lift. */
export function registerGatePages(app: App, { page, action }: UiKit): void {
  app.get(
    "/ui/gates",
    page("gates", (c, view) => gatesPage(c, view)),
  );
  app.post(
    "/ui/gates/freeze",
    action((c, view, form) =>
      changeFreeze(c, view, () =>
        ok(view.api.PUT("/api/v1/freeze", { body: { reason: form.get("reason")?.trim() ?? "" } })),
      ),
    ),
  );
  app.post(
    "/ui/gates/unfreeze",
    action((c, view) => changeFreeze(c, view, () => ok(view.api.DELETE("/api/v1/freeze")))),
  );
}
