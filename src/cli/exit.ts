import { FleetApiError } from "../client/index.ts";

/** The CLI's exit codes (README, "Exit codes"); `serve` keeps the server's own (0, 1, 2). */
export const EXIT = {
  ok: 0,
  /** Anything unexpected: a bug, or an answer the CLI does not understand. */
  failure: 1,
  /** Bad arguments, no or unsafe login configuration, an unreadable or malformed input file. */
  usage: 2,
  /** The control plane refused the request (HTTP 4xx: bad input, no or wrong key, unknown id, conflict). */
  refused: 3,
  /** The control plane (or its database) could not be reached or failed (HTTP 5xx, connection, TLS, timeout). */
  unavailable: 4,
  /** `deploy --wait`: the rollout is paused (a failed batch, or an operator): it waits for resume, retry or abort. */
  paused: 5,
  /** `deploy --wait`: a batch failed and the rollout reverted its machines (`--on-failure revert`). */
  failed: 6,
  /** `deploy --wait`: an operator stopped the rollout (aborted: machines reverted; cancelled: they keep what they got). */
  stopped: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI reports as one line and a chosen exit code. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);

/** The exit code and the one line to print for an error thrown by a command. */
export function describeFailure(error: unknown): { exitCode: ExitCode; message: string } {
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (error instanceof FleetApiError) {
    return {
      exitCode: error.status >= 500 ? EXIT.unavailable : EXIT.refused,
      message: `${error.status}: ${error.message}`,
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  return { exitCode: EXIT.failure, message: text.split("\n")[0] ?? text };
}
