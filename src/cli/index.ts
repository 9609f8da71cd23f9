// The command line of `nixfleet-control-plane`: flags alone run the server (as v0.1 and the NixOS
// unit expect); a first word that is a command runs that command against a control plane.
import { commandLine, envVar, lineBreak, message, or } from "@optique/core";
import { run } from "@optique/run";
import { VERSION } from "../config.ts";
import type { Action, CliContext } from "./command.ts";
import { auditCommand } from "./commands/audit.ts";
import { budgetsCommand } from "./commands/budgets.ts";
import { deployCommand } from "./commands/deploy.ts";
import { freezeCommand } from "./commands/freeze.ts";
import { keysCommand } from "./commands/keys.ts";
import { loginCommand } from "./commands/login.ts";
import { logoutCommand } from "./commands/logout.ts";
import { machinesCommand } from "./commands/machines.ts";
import { releasesCommand } from "./commands/releases.ts";
import { rolloutsCommand } from "./commands/rollouts.ts";
import { serveCommand } from "./commands/serve.ts";
import { statusCommand } from "./commands/status.ts";
import { webhooksCommand } from "./commands/webhooks.ts";
import { windowsCommand } from "./commands/windows.ts";
import { describeFailure, EXIT } from "./exit.ts";
import { processOutput } from "./output.ts";
import type { Env } from "./settings.ts";
import { processInput } from "./terminal.ts";

const PROGRAM = "nixfleet-control-plane";

export interface CliOptions {
  env: Env;
  /** Runs the server with its flags (the `serve` command). */
  serve: (argv: string[]) => Promise<number>;
  context?: Partial<Pick<CliContext, "output" | "input">>;
}

/** `run` reports help, completion and parse errors by exiting; here that is a return value. */
class ExitRequest extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs one command; returns its exit code (README, "Exit codes"). */
export async function runCli(argv: string[], options: CliOptions): Promise<number> {
  const parser = or(
    loginCommand,
    logoutCommand,
    statusCommand,
    machinesCommand,
    releasesCommand,
    rolloutsCommand,
    deployCommand,
    budgetsCommand,
    windowsCommand,
    freezeCommand,
    keysCommand,
    auditCommand,
    webhooksCommand,
    serveCommand(options.serve),
  );
  let action: Action;
  try {
    action = run(parser, {
      programName: PROGRAM,
      args: argv,
      help: "both",
      version: VERSION,
      completion: "both",
      commandList: "top-level",
      errorExitCode: EXIT.usage,
      aboveError: "none",
      onExit: (code) => {
        throw new ExitRequest(code);
      },
      brief: message`Fleet deployment control plane for NixOS: the server, and a command line for it.`,
      description: message`With only flags (or ${commandLine("serve")}) it runs the control plane. Every other command talks to a control plane over HTTP(S) with the saved login (${commandLine(`${PROGRAM} login`)}) or ${envVar("NIXFLEET_URL")}, ${envVar("NIXFLEET_API_KEY")}, ${envVar("NIXFLEET_CA")}, ${envVar("NIXFLEET_CLIENT_CERT")}, ${envVar("NIXFLEET_CLIENT_KEY")}.`,
      footer: message`Exit codes: 0 ok, 1 unexpected failure, 2 usage or configuration error, 3 the control plane refused the request (HTTP 4xx), 4 the control plane is unreachable or failed (HTTP 5xx), deploy --wait: 5 the rollout paused, 6 it failed, 7 it was aborted or cancelled.${lineBreak()}Shell completion: ${commandLine(`${PROGRAM} completion bash|zsh|fish`)}`,
    });
  } catch (error) {
    if (error instanceof ExitRequest) return error.code;
    throw error;
  }
  const context: CliContext = {
    env: options.env,
    output: options.context?.output ?? processOutput,
    input: options.context?.input ?? processInput,
  };
  try {
    return (await action(context)) ?? EXIT.ok;
  } catch (error) {
    const failure = describeFailure(error);
    await context.output.note(`${PROGRAM}: ${failure.message}`);
    return failure.exitCode;
  }
}
