/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { Table, MachineLink } from "../components.tsx";
import { Layout } from "../layout.tsx";
import type { View } from "../view.ts";
import { rolloutPath } from "./rollouts.tsx";

/** Transitions on one page of a rollout's trace. */
export const TRACE_PAGE_SIZE = 200;

/** `/ui/rollouts/{id}/trace`: `GET /api/v1/rollouts/{id}/trace`, a page at a time, oldest first. */
export function TracePage({ view, trace, after }: { view: View; trace: Schema<"RolloutTrace">; after: number }) {
  const base = `${rolloutPath(trace.rollout_id)}/trace`;
  return (
    <Layout view={view} section="rollouts" title={`Trace of ${trace.rollout_id}`}>
      <h1>
        Trace of{" "}
        <a class="mono" href={rolloutPath(trace.rollout_id)}>
          {trace.rollout_id}
        </a>
        <span class="sub">every transition of the rollout and its machines, in order</span>
      </h1>
      <Table
        head={[
          { label: "Event", num: true },
          "Time",
          "Action",
          "Machine",
          { label: "Batch", num: true },
          "Reason",
          "Actor",
        ]}
        empty="No transition after this point."
      >
        {trace.events.map((e) => (
          <tr>
            <td class="num muted">{e.id}</td>
            <td>{e.timestamp.slice(0, 19).replace("T", " ")}</td>
            <td>{e.action}</td>
            <td>{e.machine_id ? <MachineLink id={e.machine_id} /> : <span class="muted">-</span>}</td>
            <td class="num">{e.batch_index ?? <span class="muted">-</span>}</td>
            <td class="wrap">{e.reason ?? ""}</td>
            <td class="muted">{e.actor}</td>
          </tr>
        ))}
      </Table>
      <div class="pager">
        <span>{after > 0 ? `Events after #${after}` : "From the start"}</span>
        <span class="chips">
          {after > 0 ? <a href={base}>« First page</a> : null}
          {trace.next_after !== null ? <a href={`${base}?after=${trace.next_after}`}>Next page »</a> : null}
        </span>
      </div>
    </Layout>
  );
}
