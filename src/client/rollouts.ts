// Reading rollouts through the typed client, as the dashboard and the CLI do. A rollout read
// answers one of two forms (`RolloutView`), chosen by `machines`: the full one (every machine of
// every batch, the default) or the brief one (`machines=none`, each batch counted); `asFull` and
// `asBrief` tell them apart for the type checker. And a batch's machines a page at a time in the
// order they need a look (by state, each state in the batch's own order).
import { ok, type FleetClient, type Schema } from "./index.ts";

type MachineStateName = Schema<"RolloutMachineStateName">;

/**
 * The brief form of a rollout read. The document can only say "one of" (`RolloutView`): the
 * form follows `machines=none`; a server that ignored it (older than the parameter) is an error.
 */
export function asBrief<T extends Schema<"RolloutView"> | Schema<"RolloutSummaryView">>(
  view: T,
): Extract<T, { batches: Schema<"BatchBrief">[] }> {
  if (!view.batches.every((b) => "state_counts" in b)) {
    throw new Error(`rollout ${view.id}: the server answered every machine, not the brief form (machines=none)`);
  }
  return view as Extract<T, { batches: Schema<"BatchBrief">[] }>;
}

/** The full form of a rollout read (the default, `machines=all`): every machine of every batch. */
export function asFull<T extends Schema<"RolloutView"> | Schema<"RolloutSummaryView">>(
  view: T,
): Extract<T, { batches: Schema<"Batch">[] }> {
  if (!view.batches.every((b) => "machine_states" in b)) {
    throw new Error(`rollout ${view.id}: the server answered the brief form, not every machine`);
  }
  return view as Extract<T, { batches: Schema<"Batch">[] }>;
}

/** One rollout, its batches counted. */
export async function getRolloutBrief(client: FleetClient, id: string): Promise<Schema<"RolloutBrief">> {
  return asBrief(
    await ok(client.GET("/api/v1/rollouts/{id}", { params: { path: { id }, query: { machines: "none" } } })),
  );
}

/** Where a listing in state order continues: after machine `after`, among those in `state`. */
export interface StateCursor {
  state: MachineStateName;
  after: string;
}

/**
 * Up to `limit` machines of a rollout (of batch `batch` when given) in `states`, state after state
 * in the order given, each in the batch's order, from `from` on; `next` is where the following
 * page starts, null when none follows. Leave out the states a batch has no machine in (its
 * `state_counts`): each state asked costs at least one request.
 */
export async function machinesInStates(
  client: FleetClient,
  id: string,
  options: { batch?: number; states: readonly MachineStateName[]; limit: number; from?: StateCursor | null },
): Promise<{ machines: Schema<"RolloutMachine">[]; next: StateCursor | null }> {
  const { batch, states, limit, from } = options;
  const found: Schema<"RolloutMachine">[] = [];
  const start = from ? Math.max(0, states.indexOf(from.state)) : 0;
  let after = from && states[start] === from.state ? from.after : undefined;
  for (const state of states.slice(start)) {
    do {
      const page = await ok(
        client.GET("/api/v1/rollouts/{id}/machines", {
          params: {
            path: { id },
            query: {
              batch: batch === undefined ? undefined : String(batch),
              state,
              after,
              limit: String(limit + 1 - found.length),
            },
          },
        }),
      );
      found.push(...page.machines);
      after = page.next_after ?? undefined;
    } while (after !== undefined && found.length <= limit);
    after = undefined;
    if (found.length > limit) break;
  }
  const last = found.length > limit ? found[limit - 1]! : null;
  return { machines: found.slice(0, limit), next: last ? { state: last.state, after: last.machine_id } : null };
}

/** Machines a page of `everyMachineIn` holds: the listing's largest. */
const LISTING_PAGE = 5000;

/** Every machine of a rollout in `states` (all when empty), batch by batch in the order they start. */
export async function everyMachineIn(
  client: FleetClient,
  id: string,
  states: readonly MachineStateName[],
): Promise<Schema<"RolloutMachine">[]> {
  const all: Schema<"RolloutMachine">[] = [];
  let after: string | undefined;
  do {
    const page = await ok(
      client.GET("/api/v1/rollouts/{id}/machines", {
        params: { path: { id }, query: { state: [...states], after, limit: String(LISTING_PAGE) } },
      }),
    );
    all.push(...page.machines);
    after = page.next_after ?? undefined;
  } while (after !== undefined);
  return all;
}
