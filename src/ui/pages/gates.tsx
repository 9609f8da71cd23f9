/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { when } from "../../domain/format.ts";
import { Badge, Csrf, Table, Tags } from "../components.tsx";
import { Layout } from "../layout.tsx";
import { mayAct, type View } from "../view.ts";

function AnyMachine({ tags }: { tags: string[] }) {
  return tags.length > 0 ? <Tags tags={tags} /> : <span class="muted">every machine</span>;
}

/** The freeze, and for admin keys the form that sets or lifts it. */
function FreezePanel({ view, freeze }: { view: View; freeze: Schema<"Freeze"> }) {
  const admin = mayAct(view, "admin");
  return (
    <section class={`panel freeze${freeze.frozen ? " frozen" : ""}`}>
      {freeze.frozen ? (
        <p>
          <Badge state="frozen" /> since {when(freeze.set_at)} UTC by {freeze.set_by}: <strong>{freeze.reason}</strong>.
          No machine anywhere starts deploying; machines already deploying are still judged.
        </p>
      ) : (
        <p>
          <Badge state="open" label="not frozen" /> Rollouts start machines as their batches, budgets and windows allow.
        </p>
      )}
      {admin ? (
        freeze.frozen ? (
          <form method="post" action="/ui/gates/unfreeze" class="inline">
            <Csrf view={view} />
            <button class="button primary" type="submit">
              Lift the freeze
            </button>
          </form>
        ) : (
          <form method="post" action="/ui/gates/freeze" class="inline">
            <Csrf view={view} />
            <input
              name="reason"
              required
              maxlength={1024}
              placeholder="incident 42: no deploys"
              aria-label="Freeze reason"
            />
            <button class="button danger" type="submit">
              Freeze the fleet
            </button>
          </form>
        )
      ) : null}
    </section>
  );
}

/**
 * `/ui/gates`: the fleet-wide gates (SPEC §14.3) as the API lists them: the freeze, disruption
 * budgets with what is in flight, maintenance windows with whether each is open. Budgets and
 * windows are changed with the CLI or the API (admin); the freeze here too, by admin keys.
 */
export function GatesPage(props: {
  view: View;
  freeze: Schema<"Freeze">;
  budgets: Schema<"Budget">[];
  windows: Schema<"MaintenanceWindow">[];
  error?: string;
}) {
  const { view, freeze, budgets, windows } = props;
  return (
    <Layout view={view} section="gates" title="Gates">
      <h1>
        Gates <span class="sub">what every rollout must respect</span>
      </h1>
      {props.error ? <p class="alert">{props.error}</p> : null}
      <h2 class="section-head">Freeze</h2>
      <FreezePanel view={view} freeze={freeze} />
      <h2>Disruption budgets</h2>
      <Table
        head={[
          "Budget",
          "Machines",
          { label: "Max unavailable", num: true },
          { label: "Limit now", num: true },
          { label: "In flight", num: true },
          "",
          "Updated",
        ]}
        empty="No budget: rollouts are limited only by their own batches and max_in_flight."
      >
        {budgets.map((b) => (
          <tr id={`budget-${b.name}`}>
            <td>
              <strong>{b.name}</strong>
            </td>
            <td>
              <AnyMachine tags={b.tags} />
            </td>
            <td class="num">{b.max_unavailable}</td>
            <td class="num">{b.limit.toLocaleString("en-US")}</td>
            <td class="num">{b.in_flight.toLocaleString("en-US")}</td>
            <td>{b.in_flight >= b.limit ? <Badge state="waiting" label="full: machines wait" /> : null}</td>
            <td class="muted">
              {when(b.updated_at)} by {b.updated_by}
            </td>
          </tr>
        ))}
      </Table>
      <h2>Maintenance windows</h2>
      <Table
        head={[
          "Window",
          "Machines",
          "Opens at (cron)",
          { label: "Open for", num: true },
          "Time zone",
          "Now",
          "Updated",
        ]}
        empty="No window: machines may start deploying at any time."
      >
        {windows.map((w) => (
          <tr id={`window-${w.name}`}>
            <td>
              <strong>{w.name}</strong>
            </td>
            <td>
              <AnyMachine tags={w.tags} />
            </td>
            <td class="mono">{w.cron.join(" · ")}</td>
            <td class="num">{w.duration_minutes} min</td>
            <td>{w.timezone}</td>
            <td>
              {w.open ? <Badge state="open" /> : <Badge state="closed" />}{" "}
              <span class="muted">{w.changes_at ? `${w.open ? "until" : "opens"} ${when(w.changes_at)} UTC` : ""}</span>
            </td>
            <td class="muted">
              {when(w.updated_at)} by {w.updated_by}
            </td>
          </tr>
        ))}
      </Table>
      <p class="note">
        Budgets and windows are set with the CLI (<code>budgets set</code>, <code>windows set</code>) or the API; a
        machine a gate holds back shows it as its reason on its rollout's page.
      </p>
    </Layout>
  );
}
