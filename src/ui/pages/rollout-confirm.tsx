/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { hasLeft } from "../../domain/rollout-machine.ts";
import { currentBatchOf } from "../../domain/rollout-progress.ts";
import type { Child } from "hono/jsx";
import { Badge, Csrf } from "../components.tsx";
import { Layout } from "../layout.tsx";
import { undecidedIn, verbsFor } from "../rollout-verbs.ts";
import type { View } from "../view.ts";
import { rolloutPath } from "./rollouts.tsx";

type Rollout = Schema<"Rollout">;

/** Machines the rollout gave its generation and that have not left it: what an abort reverts. */
export function changedBy(rollout: Rollout): number {
  let n = 0;
  for (const batch of rollout.batches) {
    for (const m of Object.values(batch.machine_states)) if (m.deploy_started_at !== null && !hasLeft(m.state)) n += 1;
  }
  return n;
}

function Confirm(props: { view: View; rollout: Rollout; title: string; children: Child; possible: boolean }) {
  const { view, rollout } = props;
  return (
    <Layout view={view} section="rollouts" title={props.title}>
      <h1>
        {props.title} <span class="mono">{rollout.id}</span>
        <Badge state={rollout.status} />
      </h1>
      <div class="panel confirm">
        {props.possible ? (
          props.children
        ) : (
          <p>
            Not now: the rollout is {rollout.status}. <a href={rolloutPath(rollout.id)}>Back to the rollout</a>
          </p>
        )}
      </div>
    </Layout>
  );
}

/** `/ui/rollouts/{id}/abort`: what an abort does, then the form that does it. */
export function AbortPage({ view, rollout }: { view: View; rollout: Rollout }) {
  const changed = changedBy(rollout);
  return (
    <Confirm view={view} rollout={rollout} title="Abort rollout" possible={verbsFor(rollout).abort}>
      <p>
        Every machine this rollout gave its generation — <strong>{changed.toLocaleString("en-US")}</strong> now — gets
        its previous desired generation back (cleared if it had none); machines it never started keep what they run. The
        rollout ends <strong>aborted</strong>: it cannot be resumed.
      </p>
      <form method="post" action={`${rolloutPath(rollout.id)}/abort`} class="confirm-form">
        <Csrf view={view} />
        <label>
          Reason (kept in the audit log)
          <input name="reason" maxlength={1024} placeholder="bad release" />
        </label>
        <div class="verbs">
          <button class="button danger" type="submit">
            Abort and revert {changed.toLocaleString("en-US")} machines
          </button>
          <a class="button secondary" href={rolloutPath(rollout.id)}>
            Keep the rollout
          </a>
        </div>
      </form>
    </Confirm>
  );
}

/** `/ui/rollouts/{id}/promote`: what a forced promote skips, then the form that does it. */
export function PromotePage({ view, rollout }: { view: View; rollout: Rollout }) {
  const current = currentBatchOf(rollout.batches);
  const undecided = current ? undecidedIn(current) : 0;
  return (
    <Confirm view={view} rollout={rollout} title="Promote rollout" possible={verbsFor(rollout).promote !== null}>
      <p>
        Batch {current?.batch_index} still has <strong>{undecided.toLocaleString("en-US")}</strong> undecided machines
        (pending, waiting or deploying). Promoting now skips them (reason <code>promoted</code>): they leave the rollout
        and keep what they run. The batch is judged on its decided machines without a soak, and the next batch starts at
        once.
      </p>
      <form method="post" action={`${rolloutPath(rollout.id)}/promote`} class="confirm-form">
        <Csrf view={view} />
        <input type="hidden" name="force" value="true" />
        <div class="verbs">
          <button class="button danger" type="submit">
            Promote and skip {undecided.toLocaleString("en-US")} machines
          </button>
          <a class="button secondary" href={rolloutPath(rollout.id)}>
            Wait for them
          </a>
        </div>
      </form>
    </Confirm>
  );
}
