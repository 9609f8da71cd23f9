import { argument, integer, message, multiple, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { windowTable } from "../views/gates.ts";

const name = argument(string({ metavar: "NAME" }));
const path = (window: string) => ({ params: { path: { name: window } } });

const list = leaf(
  "list",
  "Maintenance windows, with whether each is open now and when that changes",
  remote({}),
  async (args, context) => {
    const windows = await ok(clientFor(args, context).GET("/api/v1/windows"));
    await present(context.output, args.json, windows, windowTable);
  },
);

const set = leaf(
  "set",
  "Create or replace a window: machines with its tags start deploying only while it is open",
  remote({
    name,
    tag: multiple(
      option("--tag", string({ metavar: "TAG" }), {
        description: message`Machines having all these tags (repeat; none: every machine)`,
      }),
    ),
    cron: multiple(
      option("--cron", string({ metavar: "EXPRESSION" }), {
        description: message`5-field cron expression the window opens at, e.g. "0 2 * * 1-5" (repeat)`,
      }),
      { min: 1 },
    ),
    durationMinutes: option("--duration-minutes", integer({ min: 1, metavar: "MINUTES" }), {
      description: message`How long it stays open after each match`,
    }),
    timezone: optional(
      option("--timezone", string({ metavar: "ZONE" }), {
        description: message`IANA time zone of the cron expressions (default UTC)`,
      }),
    ),
  }),
  async (args, context) => {
    const window = await ok(
      clientFor(args, context).PUT("/api/v1/windows/{name}", {
        ...path(args.name),
        body: {
          tags: [...args.tag],
          cron: [...args.cron],
          duration_minutes: args.durationMinutes,
          timezone: args.timezone,
        },
      }),
    );
    await present(context.output, args.json, window, (w) => windowTable([w]));
  },
);

const remove = leaf("delete", "Delete a window", remote({ name }), async (args, context) => {
  await ok(clientFor(args, context).DELETE("/api/v1/windows/{name}", path(args.name)));
  if (!args.json) await context.output.out(`${args.name}: deleted\n`);
});

/** `windows …`: maintenance windows (SPEC §14.3; admin to change, readonly to read). */
export const windowsCommand = group("windows", "List, set and delete maintenance windows", list, set, remove);
