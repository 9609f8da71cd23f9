import { message, object, option, optional, string, text } from "@optique/core";
import { OPTIONS } from "../../config.ts";
import { leaf, type CommandParser } from "../command.ts";

type ServerFlag = keyof typeof OPTIONS;

/**
 * `serve [flags]`: runs the control plane, as flags alone do. Its options come from the server's
 * one table of flags (`OPTIONS`), for help and completion; the server parses them again itself.
 */
export function serveCommand(serve: (argv: string[]) => Promise<number>): CommandParser {
  const flags = Object.fromEntries(
    Object.entries(OPTIONS).map(([name, o]) => {
      const fallback = "default" in o ? `; default ${o.default}` : "";
      return [
        name,
        optional(
          option(`--${o.flag}`, string({ metavar: "VALUE" }), {
            description: message`${text(`${o.help} (${o.env}${fallback})`)}`,
          }),
        ),
      ];
    }),
  ) as Record<ServerFlag, ReturnType<typeof optional<"sync", string, unknown>>>;
  return leaf("serve", "Run the control plane (what flags alone do)", object(flags), (values) =>
    serve(
      Object.entries(values).flatMap(([name, value]) =>
        value === undefined ? [] : [`--${OPTIONS[name as ServerFlag].flag}`, value as string],
      ),
    ),
  );
}
