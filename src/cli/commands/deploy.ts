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

/** How `deploy --wait` ends for each status in which a rollout moves no further without an operator. */
const SETTLED_EXIT: Partial<Record<Schema<"RolloutStatus">, number>> = {
  completed: EXIT.ok,
  paused: EXIT.paused,
  failed: EXIT.failed,
  aborted: EXIT.stopped,
  cancelled: EXIT.stopped,
};
const isSettled = (rollout: Rollout) => SETTLED_EXIT[rollout.status] !== undefined;
/** How often a display redrawn in place refreshes a soak's time left between events. */
const REDRAW_MS = 1000;
/** Reconnects to a broken event stream before `deploy --wait` gives up (exit 4). */
const MAX_RECONNECTS = 10;
const RECONNECT_DELAY_MS = 2000;

/**
 * `deploy`: creates a rollout (as `rollouts create`); with `--wait` follows it over its event stream,
 * showing each batch's progress on stderr, until it completes (exit 0) or stops short: paused (5),
 * failed (6), aborted or cancelled (7).
 */
export const deployCommand = leaf(
  "deploy",
  "Create a rollout; with --wait follow it live until it completes (exit 0), pauses (5), fails (6) or is stopped (7)",
  remote({
    ...rolloutOptions,
    wait: option("--wait", {
      description: message`Follow the rollout until it completes, pauses, fails, or is aborted or cancelled`,
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
    return SETTLED_EXIT[rollout.status]!;
  },
);

/** Follows a rollout until it settles, redrawing its progress on each burst of events; returns it settled. */
async function follow(client: FleetClient, streams: FleetClient, id: string, context: CliContext): Promise<Rollout> {
  const display = progressDisplay(context);
  try {
    const fetchRollout = () => ok(client.GET("/api/v1/rollouts/{id}", { params: { path: { id } } }));
    let rollout = await fetchRollout();
    await display.show(rollout);
    let lastEventId: string | undefined;
    let reconnects = 0;
    while (!isSettled(rollout)) {
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
          await display.show(rollout);
          if (isSettled(rollout)) break;
        }
      } catch (error) {
        if (!(error instanceof CliError && error.exitCode === EXIT.unavailable) || ++reconnects > MAX_RECONNECTS)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
      }
      // The stream ended (a restart, a proxy): check where the rollout is, then follow it again.
      if (!isSettled(rollout)) rollout = await fetchRollout();
    }
    await display.show(rollout);
    return rollout;
  } finally {
    display.stop();
  }
}

/**
 * Shows progress on stderr. On a terminal the block is redrawn in place (and every second while a
 * batch soaks, so its time left counts down); elsewhere (CI logs) only lines not shown just before
 * are printed, so each change appears once.
 */
function progressDisplay(context: CliContext): { show(rollout: Rollout): Promise<void>; stop(): void } {
  const live = context.output.errIsTTY;
  let shown: string[] = [];
  let latest: Rollout | null = null;
  // Draws one after another: a redraw from the timer never interleaves with one from an event.
  let drawing: Promise<void> = Promise.resolve();
  const draw = (rollout: Rollout) => {
    drawing = drawing.then(async () => {
      const lines = progressLines(rollout, { now: Date.now(), live });
      if (live) {
        // Up to the first line drawn before, clear to the end, draw again.
        const back = shown.length > 0 ? `\x1b[${shown.length}F\x1b[J` : "";
        await context.output.err(`${back}${lines.join("\n")}\n`);
      } else {
        const before = new Set(shown);
        const changed = lines.filter((line) => !before.has(line));
        if (changed.length > 0) await context.output.err(`${changed.join("\n")}\n`);
      }
      shown = lines;
    });
    return drawing;
  };
  const timer = live
    ? setInterval(() => {
        if (latest?.batches.some((b) => b.status === "soaking")) void draw(latest);
      }, REDRAW_MS)
    : null;
  return {
    show(rollout) {
      latest = rollout;
      return draw(rollout);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
