import { integer, message, option, optional } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { fleetSummary } from "../views/status.ts";

/** `status`: the fleet summary (`GET /api/v1/fleet/summary`). */
export const statusCommand = leaf(
  "status",
  "Fleet summary: machines by lifecycle and state, stale agents, machines behind, rollouts",
  remote({
    staleAfter: optional(
      option("--stale-after", integer({ min: 1, metavar: "SECONDS" }), {
        description: message`Silence after which an agent counts as stale (default 600)`,
      }),
    ),
  }),
  async (args, context) => {
    const summary = await ok(
      clientFor(args, context).GET("/api/v1/fleet/summary", {
        params: { query: { stale_after: args.staleAfter === undefined ? undefined : String(args.staleAfter) } },
      }),
    );
    await present(context.output, args.json, summary, fleetSummary);
  },
);
