/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { stateCounts, STATE_ORDER } from "../../domain/rollout-progress.ts";
import { Badge } from "../components.tsx";
import { Layout } from "../layout.tsx";
import { verbsFor } from "../rollout-verbs.ts";
import { mayAct, type View } from "../view.ts";
import { MachineRow, MachineTableHead, machinesByState, rolloutPath } from "./rollouts.tsx";

type Rollout = Schema<"Rollout">;

/** Machines on one page of a batch's list. */
export const BATCH_PAGE_SIZE = 100;

/**
 * `/ui/rollouts/{id}/batches/{index}`: every machine of one batch with its state and reason, a
 * page at a time, optionally of one state: how a 100 000-machine batch is read.
 */
export function BatchMachinesPage(props: {
  view: View;
  rollout: Rollout;
  batch: Schema<"Batch">;
  state: string;
  page: number;
  notice?: string;
}) {
  const { view, rollout, batch, state } = props;
  const counts = stateCounts([batch]);
  const matching = machinesByState(batch, state || undefined);
  const pages = Math.max(1, Math.ceil(matching.length / BATCH_PAGE_SIZE));
  const page = Math.min(props.page, pages);
  const shown = matching.slice((page - 1) * BATCH_PAGE_SIZE, page * BATCH_PAGE_SIZE);
  const base = `${rolloutPath(rollout.id)}/batches/${batch.batch_index}`;
  const link = (query: { state?: string; page?: number }) => {
    const params = new URLSearchParams();
    if (query.state) params.set("state", query.state);
    if (query.page && query.page > 1) params.set("page", String(query.page));
    const text = params.toString();
    return text ? `${base}?${text}` : base;
  };
  const here = link({ state, page });
  const canSkip = mayAct(view, "deploy") && verbsFor(rollout).skip;
  return (
    <Layout view={view} section="rollouts" title={`Batch ${batch.batch_index} of ${rollout.id}`}>
      <h1>
        Batch {batch.batch_index} of{" "}
        <a class="mono" href={rolloutPath(rollout.id)}>
          {rollout.id}
        </a>
        <Badge state={batch.status} />
        <span class="sub">{batch.machine_ids.length.toLocaleString("en-US")} machines</span>
      </h1>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      <nav class="panel filters state-filter" aria-label="Machine states">
        <a class={`chip${state === "" ? " current" : ""}`} href={link({})}>
          all {batch.machine_ids.length.toLocaleString("en-US")}
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
            {shown.length > 0 ? (
              shown.map(([id, machine]) => (
                <MachineRow view={view} rollout={rollout} id={id} machine={machine} canSkip={canSkip} back={here} />
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
          {matching.length === 0
            ? ""
            : `${((page - 1) * BATCH_PAGE_SIZE + 1).toLocaleString("en-US")}–${((page - 1) * BATCH_PAGE_SIZE + shown.length).toLocaleString("en-US")} of ${matching.length.toLocaleString("en-US")}`}
        </span>
        <span class="chips">
          {page > 1 ? <a href={link({ state, page: page - 1 })}>« Previous page</a> : null}
          {page < pages ? <a href={link({ state, page: page + 1 })}>Next page »</a> : null}
        </span>
      </div>
    </Layout>
  );
}
