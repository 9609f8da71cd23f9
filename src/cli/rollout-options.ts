// The options of a new rollout, shared by `rollouts create` and `deploy`.
import { choice, integer, message, multiple, option, optional, string, type InferValue } from "@optique/core";
import type { Schema } from "../client/index.ts";
import { ON_FAILURE_ACTIONS, STRATEGIES } from "../domain/rollout-planning.ts";
import { usageError } from "./exit.ts";

/** `--release`, `--strategy`, the target (`--tag` or `--host`) and the optional settings. */
export const rolloutOptions = {
  release: option("--release", string({ metavar: "RELEASE" }), { description: message`Release to deploy` }),
  strategy: option("--strategy", choice(STRATEGIES, { metavar: "STRATEGY" }), {
    description: message`canary: 1 then the rest; staged: --batch-sizes; all_at_once`,
  }),
  tag: multiple(
    option("--tag", string({ metavar: "TAG" }), { description: message`Target active machines with all these tags` }),
  ),
  host: multiple(option("--host", string({ metavar: "MACHINE" }), { description: message`Target these machines` })),
  batchSizes: optional(
    option("--batch-sizes", string({ metavar: "SIZES" }), { description: message`Staged batches, e.g. 1,25%,100%` }),
  ),
  failureThreshold: optional(
    option("--failure-threshold", string({ metavar: "N|P%" }), {
      description: message`Unhealthy machines a batch tolerates (default 0)`,
    }),
  ),
  onFailure: optional(
    option("--on-failure", choice(ON_FAILURE_ACTIONS, { metavar: "ACTION" }), {
      description: message`pause (default) or revert`,
    }),
  ),
  healthTimeout: optional(
    option("--health-timeout", integer({ min: 0, metavar: "SECONDS" }), {
      description: message`Time to become healthy (default 300)`,
    }),
  ),
  cacheUrl: optional(
    option("--cache-url", string({ metavar: "URL" }), {
      description: message`Binary cache (default: the release's)`,
    }),
  ),
};

type RolloutArgs = { [K in keyof typeof rolloutOptions]: InferValue<(typeof rolloutOptions)[K]> };

/** The `POST /api/v1/rollouts` body for the options; exactly one kind of target is a usage error otherwise. */
export function rolloutRequest(args: RolloutArgs): Schema<"CreateRolloutRequest"> {
  if (args.tag.length > 0 === args.host.length > 0)
    throw usageError("give the target as --tag or --host (one of them)");
  return {
    release_id: args.release,
    strategy: args.strategy,
    target: args.tag.length > 0 ? { tags: [...args.tag] } : { hosts: [...args.host] },
    batch_sizes: args.batchSizes?.split(",").map((size) => size.trim()),
    failure_threshold: args.failureThreshold,
    on_failure: args.onFailure,
    health_timeout: args.healthTimeout,
    cache_url: args.cacheUrl,
  };
}
