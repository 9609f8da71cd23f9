// The options of a new rollout (SPEC §7, §14.2), shared by `rollouts create` and `deploy`.
import { choice, integer, message, multiple, option, optional, string, type InferValue } from "@optique/core";
import type { Schema } from "../client/index.ts";
import { ON_FAILURE_ACTIONS, STRATEGIES } from "../domain/rollout-planning.ts";
import { usageError } from "./exit.ts";
import { quantity, seconds, secondsList, timestamp } from "./values.ts";

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
    option("--failure-threshold", quantity(), {
      description: message`Unhealthy machines a batch tolerates (default 0)`,
    }),
  ),
  onFailure: optional(
    option("--on-failure", choice(ON_FAILURE_ACTIONS, { metavar: "ACTION" }), {
      description: message`pause (default) or revert`,
    }),
  ),
  healthTimeout: optional(
    option("--health-timeout", seconds(), {
      description: message`Time each machine has to become healthy (default 300s)`,
    }),
  ),
  cacheUrl: optional(
    option("--cache-url", string({ metavar: "URL" }), {
      description: message`Binary cache (default: the release's)`,
    }),
  ),
  soak: optional(
    option("--soak", seconds(), {
      description: message`Keep each batch soaking this long once its machines are healthy (default 0)`,
    }),
  ),
  batchSoak: optional(
    option("--batch-soak", secondsList(), {
      description: message`Soak of each batch in turn, e.g. 30m,1h (later batches: --soak)`,
    }),
  ),
  minDecided: optional(
    option("--min-decided", integer({ min: 1, metavar: "N" }), {
      description: message`Fail a batch early once N machines are decided and failures exceed the threshold`,
    }),
  ),
  maxInFlight: optional(
    option("--max-in-flight", quantity(), {
      description: message`At most this many machines deploying at once (N or P% of the batch)`,
    }),
  ),
  notBefore: optional(
    option("--not-before", timestamp(), {
      description: message`Scheduled until this RFC 3339 time, e.g. 2026-11-28T02:00:00+01:00`,
    }),
  ),
  offlineAfter: optional(
    option("--offline-after", seconds({ min: 1 }), {
      description: message`Skip machines silent longer than this when they would start, as offline`,
    }),
  ),
  supersede: option("--supersede", {
    description: message`Take target machines from other active rollouts instead of refusing`,
  }),
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
    soak_seconds: args.soak,
    batch_soak_seconds: args.batchSoak,
    min_decided: args.minDecided,
    max_in_flight: args.maxInFlight,
    not_before: args.notBefore,
    offline_after_seconds: args.offlineAfter,
    supersede: args.supersede || undefined,
  };
}
