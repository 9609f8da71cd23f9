import { existsSync, unlinkSync } from "node:fs";
import { message, object, option, optional, string } from "@optique/core";
import { leaf } from "../command.ts";
import { configFilePath } from "../settings.ts";

/** `logout`: deletes the saved login (the key itself stays valid: revoke it with `keys revoke`). */
export const logoutCommand = leaf(
  "logout",
  "Delete the saved login",
  object({
    config: optional(option("--config", string({ metavar: "FILE" }), { description: message`Login file to delete` })),
  }),
  async (args, context) => {
    const path = configFilePath(args.config, context.env);
    if (existsSync(path)) unlinkSync(path);
    await context.output.note(`removed ${path}`);
  },
);
