import { integer, message, option, optional } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { fleetSummary } from "../views/status.ts";

/** `status`: the fleet summary (`GET /api/v1/fleet/summary`), and the freeze while there is one. */
export const statusCommand = leaf(
  "status",
  "Fleet summary: machines by lifecycle and state, stale agents, machines behind, rollouts, the freeze",
  remote({
    staleAfter: optional(
      option("--stale-after", integer({ min: 1, metavar: "SECONDS" }), {
        description: message`Silence after which an agent counts as stale (default 600)`,
      }),
    ),
  }),
  async (args, context) => {
    const client = clientFor(args, context);
    const [summary, freeze] = await Promise.all([
      ok(
        client.GET("/api/v1/fleet/summary", {
          params: { query: { stale_after: args.staleAfter === undefined ? undefined : String(args.staleAfter) } },
        }),
      ),
      // --json prints the summary alone (the API's FleetSummary); `freeze show --json` has the freeze.
      args.json ? null : ok(client.GET("/api/v1/freeze")),
    ]);
    await present(context.output, args.json, summary, (s) => fleetSummary(s, freeze));
  },
);
