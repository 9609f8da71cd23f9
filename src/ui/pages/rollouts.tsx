/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { duration, eventDetail, when } from "../../domain/format.ts";
import { isUndecided } from "../../domain/rollout-machine.ts";
import {
  countdown,
  currentBatchOf,
  reasonCounts,
  soakProgress,
  soakSecondsOf,
  stateCounts,
  STATE_ORDER,
} from "../../domain/rollout-progress.ts";
import { Ago, Badge, Progress, ProgressLabel, PostButton, Csrf, Table, MachineLink } from "../components.tsx";
import { Layout } from "../layout.tsx";
import { verbsFor } from "../rollout-verbs.ts";
import { mayAct, type View } from "../view.ts";

type Rollout = Schema<"RolloutBrief">;
type Batch = Schema<"BatchBrief">;
type RolloutMachine = Schema<"RolloutMachine">;

/** Machines the current batch lists on a rollout page (the bar and counts cover them all). */
export const BATCH_MACHINES_SHOWN = 100;
/** A rollout this small lists the machines of every batch; a larger one only its current batch's. */
export const SMALL_ROLLOUT_MACHINES = 200;
/** The rollout's own events a rollout page shows, newest first (the trace has every transition). */
export const EVENTS_SHOWN = 15;
/** How often an open rollout page re-renders its progress region besides on each event (a cut stream). */
export const PROGRESS_REFRESH_SECONDS = 30;

const FINISHED = new Set(["completed", "failed", "cancelled", "aborted"]);

export const rolloutPath = (id: string) => `/ui/rollouts/${encodeURIComponent(id)}`;

/**
 * The least time between two re-renders of a rollout's progress, by its size: each costs the
 * server a count of every machine's state (~0.1 s of CPU at 100 000), so a 100 000-machine rollout
 * re-renders at most every 10 s however many events arrive, a small one at once.
 */
export function refreshMinMs(machines: number): number {
  return Math.round(Math.min(10_000, Math.max(200, machines / 10)));
}

/** `/ui/rollouts`: `GET /api/v1/rollouts?machines=none`, with a status filter. */
export function RolloutsPage(props: {
  view: View;
  rollouts: Schema<"RolloutBriefSummary">[];
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
          "Blocked by",
          "Created",
          "By",
        ]}
        empty="No rollout."
      >
        {rollouts.map((r) => {
          const counts = stateCounts(r.batches);
          return (
            <tr>
              <td>
                <a class="mono" href={rolloutPath(r.id)}>
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
                <Gates gates={r.blocked_by} />
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

/** The gates holding a rollout, each a chip; budgets and windows link to the gates page. */
export function Gates(props: { gates: string[]; pauseReason?: string | null; none?: string }) {
  const { gates, pauseReason } = props;
  if (gates.length === 0) return <span class="muted">{props.none ?? "-"}</span>;
  return (
    <span class="chips">
      {gates.map((gate) => {
        const [kind, name] = gate.split(":", 2) as [string, string | undefined];
        const label = gate === "paused" && pauseReason ? `paused: ${pauseReason}` : gate;
        return name !== undefined && (kind === "budget" || kind === "window") ? (
          <a class="chip gate" href={`/ui/gates#${kind}-${encodeURIComponent(name)}`}>
            {label}
          </a>
        ) : (
          <span class="chip gate">{label}</span>
        );
      })}
    </span>
  );
}

/** One machine's row: its state, why, since when, and (for deploy keys) a Skip button while undecided. */
export function MachineRow(props: {
  view: View;
  rollout: Rollout;
  machine: RolloutMachine;
  canSkip: boolean;
  back: string;
}) {
  const { view, rollout, machine } = props;
  const id = machine.machine_id;
  return (
    <tr data-machine={id}>
      <td>
        <MachineLink id={id} />
      </td>
      <td>
        <Badge state={machine.state} />
      </td>
      <td class="wrap">{machine.reason ?? ""}</td>
      <td>
        <Ago at={machine.deploy_started_at} now={view.now} />
      </td>
      <td class="actions">
        {props.canSkip && isUndecided(machine.state) ? (
          <PostButton
            view={view}
            action={`${rolloutPath(rollout.id)}/machines/${encodeURIComponent(id)}/skip`}
            label="Skip"
            fields={{ back: props.back }}
            title="Take this machine out of the rollout; it keeps what it runs"
          />
        ) : null}
      </td>
    </tr>
  );
}

export function MachineTableHead() {
  return (
    <thead>
      <tr>
        <th>Machine</th>
        <th>State</th>
        <th>Reason</th>
        <th>Started</th>
        <th />
      </tr>
    </thead>
  );
}

/**
 * Machines (listed in their batch's order) in the order they need a look: by state
 * (`STATE_ORDER`), each state in the batch's own order (the order its machines start).
 */
export function inStateOrder(machines: readonly RolloutMachine[]): RolloutMachine[] {
  const buckets = new Map(STATE_ORDER.map((s) => [s, [] as RolloutMachine[]]));
  for (const machine of machines) buckets.get(machine.state)!.push(machine);
  return [...buckets.values()].flat();
}

/** The head line of a batch: its status, bar, counts with the waiting machines' gates, times. */
function BatchHead({ batch }: { batch: Batch }) {
  const counts = stateCounts([batch]);
  return (
    <div class="batch-head">
      <span class="title">Batch {batch.batch_index}</span>
      <Badge state={batch.status} />
      <Progress counts={counts} />
      <span class="progress-label">
        <ProgressLabel counts={counts} reasons={reasonCounts([batch], "waiting")} />
        {batch.started_at ? ` · started ${when(batch.started_at)}` : ""}
        {batch.completed_at ? ` · done ${when(batch.completed_at)}` : ""}
      </span>
    </div>
  );
}

function Soak({ rollout, batch, now }: { rollout: Rollout; batch: Batch; now: number }) {
  const seconds = soakSecondsOf(rollout, batch.batch_index);
  const soak = soakProgress(batch, seconds, now);
  if (!soak) return null;
  return (
    <div class="soak">
      <span>
        Soaking: <strong>{countdown(soak.leftSeconds)} left</strong> of {countdown(seconds)} (until{" "}
        {when(batch.soak_until)} UTC); a failing report now counts against the batch.
      </span>
      <svg class="progress soak-bar" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label="soak">
        <rect class="soaked" x="0" y="0" height="10" width={1000 * soak.done} />
      </svg>
    </div>
  );
}

/** A batch: its head, its soak, the machines listed for it (in state order), a link to all of them. */
function BatchSection(props: {
  view: View;
  rollout: Rollout;
  batch: Batch;
  machines: readonly RolloutMachine[];
  canSkip: boolean;
}) {
  const { view, rollout, batch, machines } = props;
  const total = batch.machine_count;
  const drill = `${rolloutPath(rollout.id)}/batches/${batch.batch_index}`;
  return (
    <section class="panel batch" data-batch={batch.batch_index}>
      <BatchHead batch={batch} />
      <Soak rollout={rollout} batch={batch} now={view.now} />
      {machines.length > 0 ? (
        <table>
          <MachineTableHead />
          <tbody>
            {machines.map((machine) => (
              <MachineRow
                view={view}
                rollout={rollout}
                machine={machine}
                canSkip={props.canSkip}
                back={rolloutPath(rollout.id)}
              />
            ))}
          </tbody>
        </table>
      ) : null}
      {machines.length < total ? (
        <div class="more">
          {machines.length > 0 ? `The first ${machines.length} of ${total.toLocaleString("en-US")} machines. ` : ""}
          <a href={drill}>
            All {total.toLocaleString("en-US")} machines of batch {batch.batch_index}, by state »
          </a>
        </div>
      ) : null}
    </section>
  );
}

/** The verbs as buttons, for keys that may deploy; abort and a forced promote ask first. */
function Verbs({ view, rollout }: { view: View; rollout: Rollout }) {
  if (!mayAct(view, "deploy")) return null;
  const offer = verbsFor(rollout);
  const base = rolloutPath(rollout.id);
  const current = currentBatchOf(rollout.batches);
  return (
    <div class="verbs">
      {offer.pause ? (
        <form method="post" action={`${base}/pause`} class="inline">
          <Csrf view={view} />
          <input name="reason" placeholder="reason (optional)" aria-label="Pause reason" maxlength={1024} />
          <button class="button primary" type="submit">
            Pause
          </button>
        </form>
      ) : null}
      {offer.resume ? <PostButton view={view} action={`${base}/resume`} label="Resume" tone="primary" /> : null}
      {offer.retry ? (
        <PostButton
          view={view}
          action={`${base}/retry`}
          label="Retry unhealthy"
          title="Deploy the failed batch's unhealthy machines again; its healthy ones stay"
        />
      ) : null}
      {offer.promote === "plain" ? (
        <PostButton
          view={view}
          action={`${base}/promote`}
          label="Promote"
          title={`End batch ${current?.batch_index}'s soak and start the next batch now`}
        />
      ) : null}
      {offer.promote === "force" ? (
        <a class="button secondary" href={`${base}/promote`}>
          Promote, skipping undecided…
        </a>
      ) : null}
      {offer.cancel ? (
        <PostButton
          view={view}
          action={`${base}/cancel`}
          label="Cancel"
          title="Stop the rollout; machines keep what they were given"
        />
      ) : null}
      {offer.abort ? (
        <a class="button danger" href={`${base}/abort`}>
          Abort…
        </a>
      ) : null}
    </div>
  );
}

/**
 * The part of a rollout page that changes: status, gates, verbs, batches (with the machines
 * `listed` per batch index, in state order: every machine of a rollout of at most
 * SMALL_ROLLOUT_MACHINES, else the first BATCH_MACHINES_SHOWN of its current batch), recent events. Served alone at
 * `/ui/rollouts/{id}/progress`; while the rollout is open the page's script re-renders it from
 * there on the rollout's events (`/ui/rollouts/{id}/events`), at most every `refreshMinMs`.
 */
export function RolloutProgress(props: {
  view: View;
  rollout: Rollout;
  listed: ReadonlyMap<number, readonly RolloutMachine[]>;
}) {
  const { view, rollout, listed } = props;
  const open = !FINISHED.has(rollout.status);
  const counts = stateCounts(rollout.batches);
  const total = rollout.batches.reduce((n, b) => n + b.machine_count, 0);
  const canSkip = mayAct(view, "deploy") && verbsFor(rollout).skip;
  const base = rolloutPath(rollout.id);
  return (
    <div
      id="rollout-progress"
      data-status={rollout.status}
      data-refresh-url={open ? `${base}/progress` : undefined}
      data-events-url={open ? `${base}/events` : undefined}
      data-refresh-seconds={open ? String(PROGRESS_REFRESH_SECONDS) : undefined}
      data-refresh-min-ms={open ? String(refreshMinMs(total)) : undefined}
    >
      <section class="panel batch rollout-head">
        <div class="batch-head">
          <span class="title">Rollout</span>
          <Badge state={rollout.status} />
          <Progress counts={counts} />
          <span class="progress-label">
            <ProgressLabel counts={counts} /> · {rollout.batches.filter((b) => b.status === "succeeded").length}/
            {rollout.batches.length} batches succeeded · updated <Ago at={rollout.updated_at} now={view.now} />
          </span>
        </div>
        {open ? (
          <div class="controls">
            <div class="blocked">
              <span class="muted">Blocked by</span>{" "}
              <Gates gates={rollout.blocked_by} pauseReason={rollout.pause_reason} none="nothing" />
            </div>
            <Verbs view={view} rollout={rollout} />
          </div>
        ) : null}
      </section>
      <h2>Batches</h2>
      {rollout.batches.map((batch) => (
        <BatchSection
          view={view}
          rollout={rollout}
          batch={batch}
          machines={listed.get(batch.batch_index) ?? []}
          canSkip={canSkip}
        />
      ))}
      <h2 class="section-head-inline">
        Recent events{" "}
        <a class="sub" href={`${base}/trace`}>
          every transition (trace) »
        </a>
      </h2>
      <Table head={["Time", "Event", "Actor", "Detail"]} empty="No events.">
        {rollout.events
          .slice(-EVENTS_SHOWN)
          .reverse()
          .map((e) => (
            <tr>
              <td>{when(e.created_at)}</td>
              <td>{e.event_type}</td>
              <td class="muted">{e.actor}</td>
              <td class="wrap mono">{eventDetail(e.detail)}</td>
            </tr>
          ))}
      </Table>
    </div>
  );
}

/** The §14.2 options a rollout was created with, those not at their default. */
function optionsOf(r: Rollout): string {
  const parts: string[] = [];
  if (r.soak_seconds > 0) parts.push(`soak ${duration(r.soak_seconds)}`);
  if (r.batch_soak_seconds) parts.push(`batch soaks ${r.batch_soak_seconds.map(duration).join(", ")}`);
  if (r.min_decided !== null) parts.push(`min decided ${r.min_decided}`);
  if (r.max_in_flight !== null) parts.push(`max in flight ${r.max_in_flight}`);
  if (r.not_before !== null) parts.push(`not before ${when(r.not_before)} UTC`);
  if (r.offline_after_seconds !== null) parts.push(`offline after ${duration(r.offline_after_seconds)}`);
  if (r.supersede) parts.push("supersede");
  if (r.cache_url) parts.push(`cache ${r.cache_url}`);
  return parts.join("; ") || "none";
}

/**
 * `/ui/rollouts/{id}`: `GET /api/v1/rollouts/{id}?machines=none` and the machines `listed` (see
 * `RolloutProgress`); `notice` or `error` after a verb.
 */
export function RolloutPage(props: {
  view: View;
  rollout: Rollout;
  listed: ReadonlyMap<number, readonly RolloutMachine[]>;
  notice?: string;
  error?: string;
}) {
  const { view, rollout } = props;
  return (
    <Layout view={view} section="rollouts" title={rollout.id}>
      <h1>
        <span class="mono">{rollout.id}</span>
      </h1>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.error ? <p class="alert">{props.error}</p> : null}
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
          <dt>Options</dt>
          <dd>{optionsOf(rollout)}</dd>
          <dt>Created</dt>
          <dd>
            {when(rollout.created_at)} by {rollout.created_by}
          </dd>
        </dl>
      </div>
      <RolloutProgress view={view} rollout={rollout} listed={props.listed} />
    </Layout>
  );
}
