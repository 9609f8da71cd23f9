import { argument, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { freezeLine } from "../views/gates.ts";

const show = leaf(
  "show",
  "Whether the fleet is frozen, since when, by whom and why",
  remote({}),
  async (args, context) => {
    const freeze = await ok(clientFor(args, context).GET("/api/v1/freeze"));
    await present(context.output, args.json, freeze, freezeLine);
  },
);

const set = leaf(
  "set",
  "Freeze the fleet: no machine anywhere starts deploying until cleared",
  remote({ reason: argument(string({ metavar: "REASON" })) }),
  async (args, context) => {
    const freeze = await ok(clientFor(args, context).PUT("/api/v1/freeze", { body: { reason: args.reason } }));
    await present(context.output, args.json, freeze, freezeLine);
  },
);

const clear = leaf(
  "clear",
  "Lift the freeze (nothing happens when there is none)",
  remote({}),
  async (args, context) => {
    const client = clientFor(args, context);
    await ok(client.DELETE("/api/v1/freeze"));
    const freeze = await ok(client.GET("/api/v1/freeze"));
    await present(context.output, args.json, freeze, freezeLine);
  },
);

/** `freeze …`: the fleet-wide freeze (SPEC §14.3; admin to change, readonly to read). */
export const freezeCommand = group("freeze", "Show, set and clear the fleet-wide freeze", show, set, clear);
