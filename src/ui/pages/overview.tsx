/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { duration } from "../../domain/format.ts";
import { Ago, Badge, Table, Tags, MachineLink } from "../components.tsx";
import { Layout } from "../layout.tsx";
import type { View } from "../view.ts";

type Summary = Schema<"FleetSummary">;

const STATES = ["ok", "error", "unknown"] as const;

const machinesLink = (query: Record<string, string>) => `/ui/machines?${new URLSearchParams(query)}`;

function Card(props: { label: string; value: number; tone: string; hint?: string; href?: string }) {
  const body = (
    <>
      <div class="label">{props.label}</div>
      <div class="value">{props.value.toLocaleString("en-US")}</div>
      {props.hint ? <div class="hint">{props.hint}</div> : null}
    </>
  );
  return props.href ? (
    <a class={`card ${props.tone}`} href={props.href}>
      {body}
    </a>
  ) : (
    <div class={`card ${props.tone}`}>{body}</div>
  );
}

/** Machines in error the overview lists (the card links to all of them). */
export const OVERVIEW_ERRORS_SHOWN = 10;

/** `/ui`: the fleet at a glance, from `GET /api/v1/fleet/summary` and the first machines in error. */
export function OverviewPage({ view, summary, errors }: { view: View; summary: Summary; errors: Schema<"Machine">[] }) {
  const lifecycles = Object.keys(summary.by_lifecycle) as (keyof Summary["by_lifecycle"])[];
  const activeRollouts = summary.rollouts.active;
  return (
    <Layout view={view} section="overview" title="Overview">
      <h1>
        Fleet overview <span class="sub">{summary.machines.toLocaleString("en-US")} machines</span>
      </h1>
      <section class="cards" aria-label="Fleet summary">
        <Card label="Machines" value={summary.machines} tone="accent" href="/ui/machines" />
        <Card label="OK" value={summary.by_system_state.ok} tone="ok" href={machinesLink({ state: "ok" })} />
        <Card
          label="Error"
          value={summary.by_system_state.error}
          tone="error"
          href={machinesLink({ state: "error" })}
        />
        <Card
          label="Unknown"
          value={summary.by_system_state.unknown}
          tone="idle"
          hint="never reported"
          href={machinesLink({ state: "unknown" })}
        />
        <Card
          label="Stale agents"
          value={summary.stale}
          tone="warn"
          hint={`silent over ${duration(summary.stale_after_seconds)}`}
        />
        <Card
          label="Behind desired"
          value={summary.behind_desired}
          tone="warn"
          hint="not yet on their desired generation"
        />
        <Card
          label="Active rollouts"
          value={activeRollouts}
          tone={activeRollouts > 0 ? "accent" : "idle"}
          href="/ui/rollouts"
        />
      </section>
      <div class="overview">
        <div>
          <h2 class="section-head">Machines by lifecycle and system state</h2>
          <Table
            head={["Lifecycle", ...STATES.map((s) => ({ label: s, num: true })), { label: "Total", num: true }]}
            empty=""
          >
            {[
              ...lifecycles.map((lifecycle) => (
                <tr>
                  <td>
                    <a href={machinesLink({ lifecycle })}>{lifecycle}</a>
                  </td>
                  {STATES.map((state) => (
                    <td class="num">
                      {summary.by_lifecycle_and_state[lifecycle][state] > 0 ? (
                        <a href={machinesLink({ lifecycle, state })}>
                          {summary.by_lifecycle_and_state[lifecycle][state].toLocaleString("en-US")}
                        </a>
                      ) : (
                        <span class="muted">0</span>
                      )}
                    </td>
                  ))}
                  <td class="num">{summary.by_lifecycle[lifecycle].toLocaleString("en-US")}</td>
                </tr>
              )),
              <tr>
                <td>
                  <strong>total</strong>
                </td>
                {STATES.map((state) => (
                  <td class="num">
                    <strong>{summary.by_system_state[state].toLocaleString("en-US")}</strong>
                  </td>
                ))}
                <td class="num">
                  <strong>{summary.machines.toLocaleString("en-US")}</strong>
                </td>
              </tr>,
            ]}
          </Table>
          <h2>Rollouts by status</h2>
          <Table head={["Status", { label: "Rollouts", num: true }]} empty="">
            {Object.entries(summary.rollouts.by_status).map(([status, n]) => (
              <tr>
                <td>
                  <Badge state={status} />
                </td>
                <td class="num">
                  {n > 0 ? <a href={`/ui/rollouts?status=${status}`}>{n}</a> : <span class="muted">0</span>}
                </td>
              </tr>
            ))}
          </Table>
        </div>
        <div>
          <h2 class="section-head">
            Machines in error{" "}
            {summary.by_system_state.error > errors.length ? (
              <a class="sub" href={machinesLink({ state: "error" })}>
                all {summary.by_system_state.error.toLocaleString("en-US")} »
              </a>
            ) : null}
          </h2>
          <Table head={["Machine", "Lifecycle", "Last report", "Tags"]} empty="No machine is in error.">
            {errors.map((m) => (
              <tr>
                <td>
                  <MachineLink id={m.machine_id} />
                </td>
                <td>
                  <Badge state={m.lifecycle} />
                </td>
                <td>
                  <Ago at={m.last_report} now={view.now} never="never" />
                </td>
                <td>
                  <Tags tags={m.tags} />
                </td>
              </tr>
            ))}
          </Table>
        </div>
      </div>
      <p class="note">As of {summary.generated_at.replace("T", " ").slice(0, 19)} UTC.</p>
    </Layout>
  );
}
