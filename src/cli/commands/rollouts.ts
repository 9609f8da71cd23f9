import { argument, choice, integer, message, multiple, option, optional, string } from "@optique/core";
import { ok, type Schema } from "../../client/index.ts";
import { MACHINE_STATES } from "../../domain/rollout-machine.ts";
import { clientFor, group, leaf, remote, type CliContext } from "../command.ts";
import { present } from "../output.ts";
import { rolloutOptions, rolloutRequest } from "../rollout-options.ts";
import {
  createdRollout,
  EXPLAINED_STATES,
  rolloutDetail,
  rolloutTable,
  traceTable,
  verbOutcome,
} from "../views/rollouts.ts";

// Keyed by the API's own type, so a status the API adds is a type error here until it is listed.
const ROLLOUT_STATUSES = Object.keys({
  created: 0,
  scheduled: 0,
  running: 0,
  paused: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  aborted: 0,
} satisfies Record<Schema<"RolloutStatus">, 0>) as Schema<"RolloutStatus">[];

const rolloutId = argument(string({ metavar: "ROLLOUT" }));
const reason = optional(
  option("--reason", string({ metavar: "TEXT" }), { description: message`Why (kept in the audit log and the trace)` }),
);
const path = (id: string) => ({ params: { path: { id } } });

const create = leaf(
  "create",
  "Roll a release out to machines, batch by batch with health gates",
  remote(rolloutOptions),
  async (args, context) => {
    const created = await ok(clientFor(args, context).POST("/api/v1/rollouts", { body: rolloutRequest(args) }));
    await present(context.output, args.json, created, createdRollout);
  },
);

const list = leaf(
  "list",
  "Rollouts, newest first",
  remote({
    status: optional(
      option("--status", choice(ROLLOUT_STATUSES, { metavar: "STATUS" }), {
        description: message`Only rollouts in this status`,
      }),
    ),
  }),
  async (args, context) => {
    const rollouts = await ok(
      clientFor(args, context).GET("/api/v1/rollouts", { params: { query: { status: args.status } } }),
    );
    await present(context.output, args.json, rollouts, rolloutTable);
  },
);

const show = leaf(
  "show",
  "One rollout: what blocks it, its batches, each machine's state and reason, its events",
  remote({
    id: rolloutId,
    state: multiple(
      option("--state", choice(MACHINE_STATES, { metavar: "STATE" }), {
        description: message`List the machines in this state (repeat; default: all but pending and healthy)`,
      }),
    ),
  }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).GET("/api/v1/rollouts/{id}", path(args.id)));
    const states = args.state.length > 0 ? args.state : EXPLAINED_STATES;
    await present(context.output, args.json, rollout, (r) => rolloutDetail(r, Date.now(), states));
  },
);

const trace = leaf(
  "trace",
  "Every transition of the rollout and of its machines, in order (a page, or --all)",
  remote({
    id: rolloutId,
    after: optional(
      option("--after", integer({ min: 0, metavar: "EVENT" }), {
        description: message`Only events after this one (the previous page's last)`,
      }),
    ),
    limit: optional(
      option("--limit", integer({ min: 1, max: 5000 }), { description: message`Events per page (default 1000)` }),
    ),
    all: option("--all", { description: message`Every event, page after page` }),
    machine: optional(
      option("--machine", string({ metavar: "MACHINE" }), { description: message`Only this machine's transitions` }),
    ),
  }),
  async (args, context) => {
    const client = clientFor(args, context);
    const page = (after: number | undefined) =>
      ok(
        client.GET("/api/v1/rollouts/{id}/trace", {
          params: {
            path: { id: args.id },
            query: {
              after: after === undefined ? undefined : String(after),
              limit: args.limit === undefined ? undefined : String(args.limit),
            },
          },
        }),
      );
    const trace = await page(args.after);
    while (args.all && trace.next_after !== null) {
      const next = await page(trace.next_after);
      trace.events.push(...next.events);
      trace.next_after = next.next_after;
    }
    if (args.machine !== undefined) trace.events = trace.events.filter((e) => e.machine_id === args.machine);
    await present(context.output, args.json, trace, (t) => traceTable(t.events));
    if (trace.next_after !== null) await context.output.note(`more events follow: add --after ${trace.next_after}`);
  },
);

/** A verb's answer: the rollout's status, progress and gates (--json: the whole rollout). */
async function verbDone(rollout: Schema<"Rollout">, json: boolean, context: CliContext) {
  await present(context.output, json, rollout, verbOutcome);
}

const pause = leaf(
  "pause",
  "Pause a running rollout: no further machine starts; those deploying are still judged",
  remote({ id: rolloutId, reason }),
  async (args, context) => {
    const rollout = await ok(
      clientFor(args, context).POST("/api/v1/rollouts/{id}/pause", {
        ...path(args.id),
        body: { reason: args.reason },
      }),
    );
    await verbDone(rollout, args.json, context);
  },
);

const resume = leaf(
  "resume",
  "Resume a paused rollout (a failed batch starts again, an operator-paused one carries on)",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).POST("/api/v1/rollouts/{id}/resume", path(args.id)));
    await verbDone(rollout, args.json, context);
  },
);

const promote = leaf(
  "promote",
  "End the current batch's soak and start the next batch now",
  remote({
    id: rolloutId,
    force: option("--force", { description: message`Also skip the batch's undecided machines` }),
  }),
  async (args, context) => {
    const rollout = await ok(
      clientFor(args, context).POST("/api/v1/rollouts/{id}/promote", {
        ...path(args.id),
        body: { force: args.force },
      }),
    );
    await verbDone(rollout, args.json, context);
  },
);

const abort = leaf(
  "abort",
  "Abort a rollout: every machine it changed gets its previous generation back",
  remote({ id: rolloutId, reason }),
  async (args, context) => {
    const rollout = await ok(
      clientFor(args, context).POST("/api/v1/rollouts/{id}/abort", {
        ...path(args.id),
        body: { reason: args.reason },
      }),
    );
    await verbDone(rollout, args.json, context);
  },
);

const retry = leaf(
  "retry",
  "Re-deploy only the unhealthy machines of the failed batch of a paused rollout",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).POST("/api/v1/rollouts/{id}/retry", path(args.id)));
    await verbDone(rollout, args.json, context);
  },
);

const skip = leaf(
  "skip",
  "Take an undecided machine out of the rollout; it keeps what it runs",
  remote({ id: rolloutId, machine: argument(string({ metavar: "MACHINE" })), reason }),
  async (args, context) => {
    const rollout = await ok(
      clientFor(args, context).POST("/api/v1/rollouts/{id}/machines/{machine}/skip", {
        params: { path: { id: args.id, machine: args.machine } },
        body: { reason: args.reason },
      }),
    );
    await verbDone(rollout, args.json, context);
  },
);

const cancel = leaf(
  "cancel",
  "Cancel a rollout; machines keep what they were given",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).POST("/api/v1/rollouts/{id}/cancel", path(args.id)));
    await verbDone(rollout, args.json, context);
  },
);

const remove = leaf("delete", "Delete a finished rollout", remote({ id: rolloutId }), async (args, context) => {
  await ok(clientFor(args, context).DELETE("/api/v1/rollouts/{id}", path(args.id)));
  if (!args.json) await context.output.out(`${args.id}: deleted\n`);
});

/** `rollouts …`: create, inspect and steer rollouts (SPEC §7, §14). */
export const rolloutsCommand = group(
  "rollouts",
  "Create, list, show and trace rollouts; pause, resume, promote, abort, retry, skip, cancel, delete",
  create,
  list,
  show,
  trace,
  pause,
  resume,
  promote,
  abort,
  retry,
  skip,
  cancel,
  remove,
);
