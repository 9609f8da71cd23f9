/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { when } from "../../domain/format.ts";
import { Ago, Badge, healthCounts, Progress, ProgressLabel, Table } from "../components.tsx";
import { Layout } from "../layout.tsx";
import type { View } from "../view.ts";

type Rollout = Schema<"Rollout">;
type Batch = Schema<"Batch">;

/** Machines listed per batch on a rollout page (the bar counts them all). */
export const BATCH_MACHINES_SHOWN = 100;
/** How often an open rollout page re-renders its progress region besides on each event (a cut stream). */
export const PROGRESS_REFRESH_SECONDS = 30;

const FINISHED = new Set(["completed", "failed", "cancelled", "aborted"]);

/** A machine's state in its batch and the reason, from the API's `machine_health` value. */
function machineState(health: Schema<"MachineHealth">): { state: string; reason: string } {
  if (typeof health === "string") return { state: health, reason: "" };
  const [state, reason] = Object.entries(health)[0] ?? ["unknown", ""];
  return { state, reason: String(reason) };
}

const STATE_ORDER: Record<string, number> = { unhealthy: 0, pending: 1, healthy: 2 };

/** `/ui/rollouts`: `GET /api/v1/rollouts`, with a status filter. */
export function RolloutsPage(props: {
  view: View;
  rollouts: Schema<"RolloutSummary">[];
  status: string;
  statuses: string[];
}) {
  const { view, rollouts, status } = props;
  return (
    <Layout view={view} section="rollouts" title="Rollouts">
      <h1>Rollouts</h1>
      <form class="panel filters" method="get" action="/ui/rollouts">
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {props.statuses.map((s) => (
              <option value={s} selected={s === status}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button class="button" type="submit">
          Filter
        </button>
      </form>
      <Table
        head={[
          "Rollout",
          "Status",
          "Strategy",
          "Release",
          "Progress",
          "",
          { label: "Batches", num: true },
          "Created",
          "By",
        ]}
        empty="No rollout."
      >
        {rollouts.map((r) => {
          const counts = healthCounts(r.batches);
          return (
            <tr>
              <td>
                <a class="mono" href={`/ui/rollouts/${encodeURIComponent(r.id)}`}>
                  {r.id}
                </a>
              </td>
              <td>
                <Badge state={r.status} />
              </td>
              <td>{r.strategy.replace(/_/g, " ")}</td>
              <td>
                <a class="mono" href={`/ui/releases/${encodeURIComponent(r.release_id)}`}>
                  {r.release_id.slice(0, 12)}…
                </a>
              </td>
              <td>
                <Progress counts={counts} />
              </td>
              <td>
                <ProgressLabel counts={counts} />
              </td>
              <td class="num">
                {r.batches.filter((b) => b.status === "succeeded").length}/{r.batches.length}
              </td>
              <td>
                <Ago at={r.created_at} now={view.now} />
              </td>
              <td class="muted">{r.created_by}</td>
            </tr>
          );
        })}
      </Table>
    </Layout>
  );
}

function BatchSection({ batch }: { batch: Batch }) {
  const machines = Object.entries(batch.machine_health)
    .map(([id, health]) => ({ id, ...machineState(health) }))
    .sort((a, b) => (STATE_ORDER[a.state] ?? 1) - (STATE_ORDER[b.state] ?? 1) || a.id.localeCompare(b.id));
  const shown = machines.slice(0, BATCH_MACHINES_SHOWN);
  const counts = healthCounts([batch]);
  return (
    <section class="panel batch" data-batch={batch.batch_index}>
      <div class="batch-head">
        <span class="title">Batch {batch.batch_index}</span>
        <Badge state={batch.status} />
        <Progress counts={counts} />
        <span class="progress-label">
          <ProgressLabel counts={counts} />
          {batch.started_at ? ` · started ${when(batch.started_at)}` : ""}
          {batch.completed_at ? ` · done ${when(batch.completed_at)}` : ""}
        </span>
      </div>
      <table>
        <thead>
          <tr>
            <th>Machine</th>
            <th>State</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((m) => (
            <tr data-machine={m.id}>
              <td>
                <a href={`/ui/machines/${encodeURIComponent(m.id)}`}>{m.id}</a>
              </td>
              <td>
                <Badge state={m.state} />
              </td>
              <td class="wrap">{m.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {machines.length > shown.length ? (
        <div class="more">
          and {machines.length - shown.length} more (all counted in the bar; the CLI's <code>rollouts show</code> lists
          every machine)
        </div>
      ) : null}
    </section>
  );
}

/**
 * The part of a rollout page that changes: status, batches, events. Served alone at
 * `/ui/rollouts/{id}/progress`; while the rollout is open the page's script re-renders it from there
 * on every event of the rollout's stream (`/ui/rollouts/{id}/events`).
 */
export function RolloutProgress({ rollout, now }: { rollout: Rollout; now: number }) {
  const open = !FINISHED.has(rollout.status);
  const counts = healthCounts(rollout.batches);
  return (
    <div
      id="rollout-progress"
      data-status={rollout.status}
      data-refresh-url={open ? `/ui/rollouts/${encodeURIComponent(rollout.id)}/progress` : undefined}
      data-events-url={open ? `/ui/rollouts/${encodeURIComponent(rollout.id)}/events` : undefined}
      data-refresh-seconds={open ? String(PROGRESS_REFRESH_SECONDS) : undefined}
    >
      <div class="panel batch">
        <div class="batch-head">
          <span class="title">Rollout</span>
          <Badge state={rollout.status} />
          <Progress counts={counts} />
          <span class="progress-label">
            <ProgressLabel counts={counts} /> · {rollout.batches.filter((b) => b.status === "succeeded").length}/
            {rollout.batches.length} batches succeeded · updated <Ago at={rollout.updated_at} now={now} />
          </span>
        </div>
      </div>
      <h2>Batches</h2>
      {rollout.batches.map((batch) => (
        <BatchSection batch={batch} />
      ))}
      <h2>Events</h2>
      <Table head={["Time", "Event", "Actor", "Detail"]} empty="No events.">
        {[...rollout.events].reverse().map((e) => (
          <tr>
            <td>{when(e.created_at)}</td>
            <td>{e.event_type}</td>
            <td class="muted">{e.actor}</td>
            <td class="wrap mono">{e.detail}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

/** `/ui/rollouts/{id}`: `GET /api/v1/rollouts/{id}`. */
export function RolloutPage({ view, rollout }: { view: View; rollout: Rollout }) {
  return (
    <Layout view={view} section="rollouts" title={rollout.id}>
      <h1>
        <span class="mono">{rollout.id}</span>
      </h1>
      <div class="panel">
        <dl class="facts">
          <dt>Release</dt>
          <dd>
            <a class="mono" href={`/ui/releases/${encodeURIComponent(rollout.release_id)}`}>
              {rollout.release_id}
            </a>
          </dd>
          <dt>Strategy</dt>
          <dd>
            {rollout.strategy.replace(/_/g, " ")}; on failure {rollout.on_failure}; failure threshold{" "}
            {rollout.failure_threshold}; health timeout {rollout.health_timeout} s
          </dd>
          <dt>Created</dt>
          <dd>
            {when(rollout.created_at)} by {rollout.created_by}
          </dd>
        </dl>
      </div>
      <h2>Progress</h2>
      <RolloutProgress rollout={rollout} now={view.now} />
    </Layout>
  );
}
