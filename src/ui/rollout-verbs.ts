// Which of the §14 verbs a rollout page offers as buttons. The API decides what a verb may do and
// answers 409 otherwise; this only keeps off the page the buttons that would surely be refused, from
// the same statuses and batch states the API checks.
import type { Schema } from "../client/index.ts";
import { isUndecided } from "../domain/rollout-machine.ts";
import { currentBatchOf } from "../domain/rollout-progress.ts";

type Rollout = Pick<Schema<"Rollout">, "status" | "batches">;

export interface VerbOffer {
  pause: boolean;
  resume: boolean;
  /** Re-deploy the failed batch's unhealthy machines. */
  retry: boolean;
  /** `plain`: end the soak or start the next batch; `force`: also skip the undecided machines (confirmed first). */
  promote: "plain" | "force" | null;
  /** Confirmed first: it reverts machines. */
  abort: boolean;
  cancel: boolean;
  /** A Skip button beside each undecided machine. */
  skip: boolean;
}

const NONE: VerbOffer = {
  pause: false,
  resume: false,
  retry: false,
  promote: null,
  abort: false,
  cancel: false,
  skip: false,
};

/** Machines of `batch` still undecided (what promote with force skips). */
export function undecidedIn(batch: Pick<Schema<"Batch">, "machine_states">): number {
  let n = 0;
  for (const m of Object.values(batch.machine_states)) if (isUndecided(m.state)) n += 1;
  return n;
}

/** The verbs a key that may deploy gets for `rollout` now. */
export function verbsFor(rollout: Rollout): VerbOffer {
  const { status } = rollout;
  if (status === "created" || status === "scheduled") return { ...NONE, cancel: true };
  if (status !== "running" && status !== "paused") return NONE;
  const current = currentBatchOf(rollout.batches);
  const failed = current?.status === "failed";
  const undecided = current?.status === "waiting_health" ? undecidedIn(current) : 0;
  return {
    pause: status === "running",
    resume: status === "paused",
    retry: status === "paused" && failed,
    promote: current === null || failed ? null : undecided > 0 ? "force" : "plain",
    abort: true,
    cancel: true,
    skip: true,
  };
}
