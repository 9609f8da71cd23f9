import { message, option } from "@optique/core";
import { ok, type FleetClient, type Schema } from "../../client/index.ts";
import { clientFor, leaf, remote, type CliContext } from "../command.ts";
import { eventBursts } from "../event-stream.ts";
import { CliError, EXIT } from "../exit.ts";
import { formatJson } from "../output.ts";
import { rolloutOptions, rolloutRequest } from "../rollout-options.ts";
import { outcomeLine, progressLines } from "../views/deploy.ts";
import { createdRollout } from "../views/rollouts.ts";

type Rollout = Schema<"Rollout">;

/** A rollout in one of these states moves no further without an operator: `deploy --wait` stops. */
const SETTLED = new Set(["completed", "failed", "cancelled", "aborted", "paused"]);
/** Reconnects to a broken event stream before `deploy --wait` gives up (exit 4). */
const MAX_RECONNECTS = 10;
const RECONNECT_DELAY_MS = 2000;

/**
 * `deploy`: creates a rollout (as `rollouts create`); with `--wait` follows it over its event stream,
 * showing each batch's progress on stderr, until it completes (exit 0) or stops short (exit 5).
 */
export const deployCommand = leaf(
  "deploy",
  "Create a rollout; with --wait follow it live until it completes (exit 0) or stops (exit 5)",
  remote({
    ...rolloutOptions,
    wait: option("--wait", {
      description: message`Follow the rollout until it completes, pauses, fails or is cancelled`,
    }),
  }),
  async (args, context) => {
    const client = clientFor(args, context);
    const created = await ok(client.POST("/api/v1/rollouts", { body: rolloutRequest(args) }));
    if (!args.wait) {
      await context.output.out(args.json ? formatJson(created) : createdRollout(created));
      return;
    }
    const rollout = await follow(client, clientFor(args, context, { streaming: true }), created.rollout_id, context);
    await context.output.out(args.json ? formatJson(rollout) : outcomeLine(rollout));
    return rollout.status === "completed" ? EXIT.ok : EXIT.notCompleted;
  },
);

/** Follows a rollout until it settles, redrawing its progress on each burst of events; returns it settled. */
async function follow(client: FleetClient, streams: FleetClient, id: string, context: CliContext): Promise<Rollout> {
  const display = progressDisplay(context);
  const fetchRollout = () => ok(client.GET("/api/v1/rollouts/{id}", { params: { path: { id } } }));
  let rollout = await fetchRollout();
  await display(rollout);
  let lastEventId: string | undefined;
  let reconnects = 0;
  while (!SETTLED.has(rollout.status)) {
    try {
      const body = await ok(
        streams.GET("/api/v1/rollouts/{id}/stream", {
          params: { path: { id }, header: lastEventId ? { "last-event-id": lastEventId } : {} },
          parseAs: "stream",
        }),
      );
      for await (const burst of eventBursts(body!)) {
        reconnects = 0;
        lastEventId = burst.lastId ?? lastEventId;
        rollout = await fetchRollout();
        await display(rollout);
        if (SETTLED.has(rollout.status)) break;
      }
    } catch (error) {
      if (!(error instanceof CliError && error.exitCode === EXIT.unavailable) || ++reconnects > MAX_RECONNECTS)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
    // The stream ended (a restart, a proxy): check where the rollout is, then follow it again.
    if (!SETTLED.has(rollout.status)) rollout = await fetchRollout();
  }
  await display(rollout);
  return rollout;
}

/**
 * Shows progress on stderr: on a terminal the block is redrawn in place; elsewhere (CI logs) only
 * the lines that changed are printed, each once.
 */
function progressDisplay(context: CliContext): (rollout: Rollout) => Promise<void> {
  let shown: string[] = [];
  return async (rollout) => {
    const lines = progressLines(rollout);
    if (context.output.errIsTTY) {
      // Up to the first line drawn before, clear to the end, draw again.
      const back = shown.length > 0 ? `\x1b[${shown.length}F\x1b[J` : "";
      await context.output.err(`${back}${lines.join("\n")}\n`);
    } else {
      const changed = lines.filter((line, i) => line !== shown[i]);
      if (changed.length > 0) await context.output.err(`${changed.join("\n")}\n`);
    }
    shown = lines;
  };
}
