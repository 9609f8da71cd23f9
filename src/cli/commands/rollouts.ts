import { argument, choice, message, option, optional, string } from "@optique/core";
import { ok, type Schema } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { rolloutOptions, rolloutRequest } from "../rollout-options.ts";
import { present } from "../output.ts";
import { createdRollout, rolloutDetail, rolloutTable } from "../views/rollouts.ts";

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
  "One rollout: batches, machine health, events",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).GET("/api/v1/rollouts/{id}", path(args.id)));
    await present(context.output, args.json, rollout, rolloutDetail);
  },
);

const resume = leaf(
  "resume",
  "Resume a paused rollout (its failed batch starts again)",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).POST("/api/v1/rollouts/{id}/resume", path(args.id)));
    await present(context.output, args.json, rollout, rolloutDetail);
  },
);

const cancel = leaf(
  "cancel",
  "Cancel a rollout; machines keep what they were given",
  remote({ id: rolloutId }),
  async (args, context) => {
    const rollout = await ok(clientFor(args, context).POST("/api/v1/rollouts/{id}/cancel", path(args.id)));
    await present(context.output, args.json, rollout, rolloutDetail);
  },
);

const remove = leaf("delete", "Delete a finished rollout", remote({ id: rolloutId }), async (args, context) => {
  await ok(clientFor(args, context).DELETE("/api/v1/rollouts/{id}", path(args.id)));
  if (!args.json) await context.output.out(`${args.id}: deleted\n`);
});

/** `rollouts …`: create and steer rollouts. */
export const rolloutsCommand = group(
  "rollouts",
  "Create, list, show, resume, cancel and delete rollouts",
  create,
  list,
  show,
  resume,
  cancel,
  remove,
);
