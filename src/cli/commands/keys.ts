import { argument, choice, message, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { keyTable } from "../views/keys.ts";
import { keysRecoverCommand } from "./keys-recover.ts";

const create = leaf(
  "create",
  "Create an API key (shown once: the raw key goes to stdout, alone)",
  remote({
    name: option("--name", string({ metavar: "NAME" }), { description: message`Name; the audit log says apikey:NAME` }),
    role: option("--role", choice(["readonly", "deploy", "admin"] as const, { metavar: "ROLE" }), {
      description: message`What the key may do`,
    }),
    expiresAt: optional(
      option("--expires-at", string({ metavar: "TIME" }), {
        description: message`RFC 3339 time it stops working (default never)`,
      }),
    ),
  }),
  async (args, context) => {
    const key = await ok(
      clientFor(args, context).POST("/api/v1/keys", {
        body: { name: args.name, role: args.role, expires_at: args.expiresAt },
      }),
    );
    if (!args.json)
      await context.output.note(`created ${key.role} key "${key.name}" (${key.id}); it is shown only this once:`);
    await present(context.output, args.json, key, (k) => `${k.key}\n`);
  },
);

const list = leaf("list", "API keys, without their secrets", remote({}), async (args, context) => {
  const keys = await ok(clientFor(args, context).GET("/api/v1/keys"));
  await present(context.output, args.json, keys, keyTable);
});

const revoke = leaf(
  "revoke",
  "Revoke an API key (refused for the last admin key)",
  remote({ id: argument(string({ metavar: "KEY_ID" })) }),
  async (args, context) => {
    await ok(clientFor(args, context).DELETE("/api/v1/keys/{id}", { params: { path: { id: args.id } } }));
    if (!args.json) await context.output.out(`${args.id}: revoked\n`);
  },
);

/** `keys …`: API keys, and the break-glass `keys recover`. */
export const keysCommand = group(
  "keys",
  "Create, list and revoke API keys; recover an admin key",
  create,
  list,
  revoke,
  keysRecoverCommand,
);
