// The pieces every command file uses: its context, the shared options, and `leaf`, which turns a
// parser of a command's arguments into a parser of the action to run.
import { command, envVar, map, message, object, option, optional, or, string, text, type Parser } from "@optique/core";
import type { FleetClient } from "../client/index.ts";
import { connect } from "./connect.ts";
import type { Output } from "./output.ts";
import { resolveConnection, type ConnectionFlags, type Env } from "./settings.ts";

/** Standard input, for manifests piped in and for the API key `login` asks for. */
export interface Input {
  readonly isTTY: boolean;
  /** Everything on stdin, as text. */
  readAll(): Promise<string>;
  /** One line typed without echo (a TTY), after `prompt` on stderr. */
  readSecret(prompt: string): Promise<string>;
}

/** What a command runs with: its environment and standard streams. */
export interface CliContext {
  env: Env;
  output: Output;
  input: Input;
}

/** A parsed command line, ready to run; it may return an exit code other than 0. */
export type Action = (context: CliContext) => Promise<number | void>;

export type CommandParser = Parser<"sync", Action, unknown>;

/** `--url` and `--config`, on every command that talks to a control plane. */
const connectionFields = {
  url: optional(
    option("--url", string({ metavar: "URL" }), {
      description: message`Control plane URL (default: ${envVar("NIXFLEET_URL")}, then the saved login's)`,
    }),
  ),
  config: optional(
    option("--config", string({ metavar: "FILE" }), {
      description: message`Login file (default: ${envVar("NIXFLEET_CONFIG")}, then ${envVar("XDG_CONFIG_HOME")}/nixfleet/control-plane.json)`,
    }),
  ),
};

/** `--json`, on every command that prints. */
const jsonField = { json: option("--json", { description: message`Print the API's JSON instead of a table` }) };

type Fields = Record<string, Parser<"sync", unknown, unknown>>;

/** A command's own fields may not reuse the shared names (one would silently replace the other). */
type NoSharedNames<T> = T & { [K in keyof T & ("url" | "config" | "json")]: never };

/** A command's own options and arguments, with `--url`, `--config` and `--json`. */
export const remote = <T extends Fields>(own: NoSharedNames<T>) =>
  object({ ...connectionFields, ...jsonField, ...(own as T) });

/** Options and arguments of a command that does not print (and so takes no `--json`). */
export const remoteQuiet = <T extends Fields>(own: NoSharedNames<T>) => object({ ...connectionFields, ...(own as T) });

/** The typed client for the connection the flags and environment name (`streaming`: calls without a time limit). */
export function clientFor(flags: ConnectionFlags, context: CliContext, { streaming = false } = {}): FleetClient {
  return connect(resolveConnection(flags, context.env), streaming ? { timeoutMs: null } : {});
}

/** A command named `name` whose parsed arguments run `run`. */
export function leaf<T>(
  name: string,
  brief: string,
  parser: Parser<"sync", T, unknown>,
  run: (args: T, context: CliContext) => Promise<number | void>,
): CommandParser {
  return command(
    name,
    map(
      parser,
      (args): Action =>
        (context) =>
          run(args, context),
    ),
    { brief: message`${text(brief)}` },
  ) as CommandParser;
}

/** A command whose subcommands are `leaves`. */
export function group(name: string, brief: string, ...leaves: CommandParser[]): CommandParser {
  return command(name, or(...leaves), { brief: message`${text(brief)}` }) as CommandParser;
}
