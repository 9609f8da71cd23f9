/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import type { StateCursor } from "../../client/rollouts.ts";
import { STATE_ORDER } from "../../domain/rollout-progress.ts";
import { Badge } from "../components.tsx";
import { Layout } from "../layout.tsx";
import { verbsFor } from "../rollout-verbs.ts";
import { mayAct, type View } from "../view.ts";
import { MachineRow, MachineTableHead, rolloutPath } from "./rollouts.tsx";

/** Machines on one page of a batch's list. */
export const BATCH_PAGE_SIZE = 100;

/** A page's start in a batch page's address: `after=<state>:<machine>`. */
export function cursorParam(cursor: StateCursor): string {
  return `${cursor.state}:${cursor.after}`;
}

/** The `after` of a batch page's address, or null (the first page) when it is not one. */
export function parseCursorParam(value: string | undefined): StateCursor | null {
  const colon = value?.indexOf(":") ?? -1;
  if (value === undefined || colon < 0) return null;
  const state = value.slice(0, colon) as StateCursor["state"];
  const after = value.slice(colon + 1);
  return STATE_ORDER.includes(state) && after !== "" ? { state, after } : null;
}

/**
 * `/ui/rollouts/{id}/batches/{index}`: every machine of one batch with its state and reason, a
 * page at a time in the order they need a look (by state), optionally of one state: how a
 * 100 000-machine batch is read. Pages follow one another (`after`, from the API's keyset
 * listing); `from` is the first row's number, carried along for the "1–100 of N" line.
 */
export function BatchMachinesPage(props: {
  view: View;
  rollout: Schema<"RolloutBrief">;
  batch: Schema<"BatchBrief">;
  state: string;
  machines: Schema<"RolloutMachine">[];
  cursor: StateCursor | null;
  next: StateCursor | null;
  from: number;
  notice?: string;
}) {
  const { view, rollout, batch, state, machines, from } = props;
  const counts = batch.state_counts;
  const matching = state ? counts[state as StateCursor["state"]] : batch.machine_count;
  const base = `${rolloutPath(rollout.id)}/batches/${batch.batch_index}`;
  const link = (query: { state?: string; after?: StateCursor | null; from?: number }) => {
    const params = new URLSearchParams();
    if (query.state) params.set("state", query.state);
    if (query.after) params.set("after", cursorParam(query.after));
    if (query.after && query.from && query.from > 1) params.set("from", String(query.from));
    const text = params.toString();
    return text ? `${base}?${text}` : base;
  };
  const here = link({ state, after: props.cursor, from });
  const canSkip = mayAct(view, "deploy") && verbsFor(rollout).skip;
  return (
    <Layout view={view} section="rollouts" title={`Batch ${batch.batch_index} of ${rollout.id}`}>
      <h1>
        Batch {batch.batch_index} of{" "}
        <a class="mono" href={rolloutPath(rollout.id)}>
          {rollout.id}
        </a>
        <Badge state={batch.status} />
        <span class="sub">{batch.machine_count.toLocaleString("en-US")} machines</span>
      </h1>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      <nav class="panel filters state-filter" aria-label="Machine states">
        <a class={`chip${state === "" ? " current" : ""}`} href={link({})}>
          all {batch.machine_count.toLocaleString("en-US")}
        </a>
        {STATE_ORDER.filter((s) => counts[s] > 0).map((s) => (
          <a class={`chip ${s}${state === s ? " current" : ""}`} href={link({ state: s })}>
            {s} {counts[s].toLocaleString("en-US")}
          </a>
        ))}
      </nav>
      <div class="table-wrap batch">
        <table>
          <MachineTableHead />
          <tbody>
            {machines.length > 0 ? (
              machines.map((machine) => (
                <MachineRow view={view} rollout={rollout} machine={machine} canSkip={canSkip} back={here} />
              ))
            ) : (
              <tr>
                <td class="empty" colspan={5}>
                  No machine in this state.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <span>
          {machines.length === 0
            ? ""
            : `${from.toLocaleString("en-US")}–${(from + machines.length - 1).toLocaleString("en-US")} of ${matching.toLocaleString("en-US")}`}
        </span>
        <span class="chips">
          {props.cursor ? <a href={link({ state })}>« First page</a> : null}
          {props.next ? (
            <a href={link({ state, after: props.next, from: from + machines.length })}>Next page »</a>
          ) : null}
        </span>
      </div>
    </Layout>
  );
}
