import { message, object, option, optional, string, text } from "@optique/core";
import { OPTIONS } from "../../config.ts";
import { leaf, type CommandParser } from "../command.ts";

type ServerFlag = keyof typeof OPTIONS;

/**
 * `serve [flags]`: runs the control plane, as flags alone do. Its options come from the server's
 * one table of flags (`OPTIONS`), for help and completion; the server parses them again itself.
 * A boolean flag (`--no-executor`) takes no value here either.
 */
export function serveCommand(serve: (argv: string[]) => Promise<number>): CommandParser {
  const flags = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => {
      const fallback = "default" in o ? `; default ${o.default}` : "";
      const description = message`${text(`${o.help} (${o.env}${fallback})`)}`;
      const parser =
        "boolean" in o
          ? option(`--${o.flag}`, { description })
          : optional(option(`--${o.flag}`, string({ metavar: "VALUE" }), { description }));
      return [name, parser];
    }),
  ) as Record<ServerFlag, ReturnType<typeof optional<"sync", string | boolean, unknown>>>;
  return leaf("serve", "Run the control plane (what flags alone do)", object(flags), (values) =>
    serve(
      Object.entries(values).flatMap(([name, value]) => {
        const flag = `--${OPTIONS[name as ServerFlag].flag}`;
        if (value === undefined || value === false) return [];
        return value === true ? [flag] : [flag, value as string];
      }),
    ),
  );
}
