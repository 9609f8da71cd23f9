import { argument, message, multiple, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { createdWebhook, deliveryTable, webhookTable } from "../views/webhooks.ts";

const webhookId = argument(string({ metavar: "WEBHOOK" }));

const create = leaf(
  "create",
  "Add a webhook: matching events are POSTed to its URL, signed (the secret is shown once)",
  remote({
    endpoint: argument(string({ metavar: "ENDPOINT" }), { description: message`The URL events are POSTed to` }),
    event: multiple(
      option("--event", string({ metavar: "PATTERN" }), {
        description: message`An action (rollout.paused), a prefix (rollout.*) or * (repeat)`,
      }),
      { min: 1 },
    ),
    secret: optional(
      option("--secret", string({ metavar: "SECRET" }), {
        description: message`whsec_… or other text (default: generated)`,
      }),
    ),
  }),
  async (args, context) => {
    const webhook = await ok(
      clientFor(args, context).POST("/api/v1/webhooks", {
        body: { url: args.endpoint, events: [...args.event], secret: args.secret },
      }),
    );
    if (!args.json) await context.output.note("the signing secret (last line) is shown only this once");
    await present(context.output, args.json, webhook, createdWebhook);
  },
);

const list = leaf("list", "Every webhook (without secrets)", remote({}), async (args, context) => {
  const webhooks = await ok(clientFor(args, context).GET("/api/v1/webhooks"));
  await present(context.output, args.json, webhooks, webhookTable);
});

const remove = leaf(
  "delete",
  "Remove a webhook with its queued deliveries",
  remote({ id: webhookId }),
  async (args, context) => {
    await ok(clientFor(args, context).DELETE("/api/v1/webhooks/{id}", { params: { path: { id: args.id } } }));
    if (!args.json) await context.output.out(`${args.id}: deleted\n`);
  },
);

const deliveries = leaf(
  "deliveries",
  "A webhook's deliveries, newest first, with their attempts",
  remote({ id: webhookId }),
  async (args, context) => {
    const list = await ok(
      clientFor(args, context).GET("/api/v1/webhooks/{id}/deliveries", { params: { path: { id: args.id } } }),
    );
    await present(context.output, args.json, list, deliveryTable);
  },
);

const redeliver = leaf(
  "redeliver",
  "Send a delivery again now (same id and body)",
  remote({ id: webhookId, delivery: argument(string({ metavar: "DELIVERY" })) }),
  async (args, context) => {
    const delivery = await ok(
      clientFor(args, context).POST("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", {
        params: { path: { id: args.id, delivery: args.delivery } },
      }),
    );
    await present(context.output, args.json, [delivery], deliveryTable);
  },
);

/** `webhooks …`: signed event deliveries to other systems (SPEC §15). */
export const webhooksCommand = group(
  "webhooks",
  "Create, list and delete webhooks; inspect and redeliver their deliveries",
  create,
  list,
  remove,
  deliveries,
  redeliver,
);
