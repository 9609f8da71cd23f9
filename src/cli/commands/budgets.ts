import { argument, message, multiple, option, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { quantity } from "../values.ts";
import { budgetTable } from "../views/gates.ts";

const name = argument(string({ metavar: "NAME" }));
const path = (budget: string) => ({ params: { path: { name: budget } } });

const list = leaf(
  "list",
  "Disruption budgets, with their limit now and the machines they count in flight",
  remote({}),
  async (args, context) => {
    const budgets = await ok(clientFor(args, context).GET("/api/v1/budgets"));
    await present(context.output, args.json, budgets, budgetTable);
  },
);

const set = leaf(
  "set",
  "Create or replace a budget: across all rollouts, at most this many machines with its tags deploy at once",
  remote({
    name,
    tag: multiple(
      option("--tag", string({ metavar: "TAG" }), {
        description: message`Machines having all these tags (repeat; none: every machine)`,
      }),
    ),
    maxUnavailable: option("--max-unavailable", quantity(), {
      description: message`N machines, or P% of the active machines having the tags`,
    }),
  }),
  async (args, context) => {
    const budget = await ok(
      clientFor(args, context).PUT("/api/v1/budgets/{name}", {
        ...path(args.name),
        body: { tags: [...args.tag], max_unavailable: args.maxUnavailable },
      }),
    );
    await present(context.output, args.json, budget, (b) => budgetTable([b]));
  },
);

const remove = leaf("delete", "Delete a budget", remote({ name }), async (args, context) => {
  await ok(clientFor(args, context).DELETE("/api/v1/budgets/{name}", path(args.name)));
  if (!args.json) await context.output.out(`${args.name}: deleted\n`);
});

/** `budgets …`: disruption budgets (SPEC §14.3; admin to change, readonly to read). */
export const budgetsCommand = group("budgets", "List, set and delete disruption budgets", list, set, remove);
