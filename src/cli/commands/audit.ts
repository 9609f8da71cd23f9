import { open } from "node:fs/promises";
import { integer, message, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote, remoteQuiet } from "../command.ts";
import { present } from "../output.ts";
import { auditTable } from "../views/audit.ts";

const filters = {
  actor: optional(
    option("--actor", string({ metavar: "ACTOR" }), {
      description: message`Only events by this actor, e.g. apikey:ci`,
    }),
  ),
  action: optional(
    option("--action", string({ metavar: "ACTION" }), { description: message`Only this action, e.g. rollout.created` }),
  ),
  target: optional(
    option("--target", string({ metavar: "ID" }), {
      description: message`Only events about this machine, rollout, release or key`,
    }),
  ),
};

const list = leaf(
  "list",
  "Audit events, newest first",
  remote({
    ...filters,
    limit: optional(option("--limit", integer({ min: 1, max: 500 }), { description: message`How many (default 100)` })),
  }),
  async (args, context) => {
    const events = await ok(
      clientFor(args, context).GET("/api/v1/audit", {
        params: {
          query: {
            actor: args.actor,
            action: args.action,
            target: args.target,
            limit: args.limit === undefined ? undefined : String(args.limit),
          },
        },
      }),
    );
    await present(context.output, args.json, events, auditTable);
  },
);

const exportCsv = leaf(
  "export",
  "Every matching event as CSV (the server's export), to a file or stdout",
  remoteQuiet({
    ...filters,
    output: optional(
      option("-o", "--output", string({ metavar: "FILE" }), { description: message`Write here instead of stdout` }),
    ),
  }),
  async (args, context) => {
    const body = await ok(
      clientFor(args, context).GET("/api/v1/audit/export", {
        params: { query: { actor: args.actor, action: args.action, target: args.target } },
        parseAs: "stream",
      }),
    );
    const file = args.output ? await open(args.output, "w") : null;
    try {
      // Streamed page by page as the server sends it: the whole log never sits in memory.
      for await (const chunk of body!) {
        if (file) await file.write(chunk);
        else await context.output.out(chunk);
      }
    } finally {
      await file?.close();
    }
    if (args.output) await context.output.note(`wrote ${args.output}`);
  },
);

/** `audit …`: the audit log. */
export const auditCommand = group("audit", "List and export the audit log", list, exportCsv);
