import type { Tx } from "../db/database.ts";
import { gateEventsSince } from "../db/rollouts.ts";
import { dueMachines, wantsReports, type RolloutEvent, type StepContext } from "../domain/rollout-machine.ts";
import type { FleetState } from "./fleet-state.ts";
import type { GateState } from "./gate-state.ts";
import { PAGE, type Indexed } from "./rollout-loading.ts";

/** Whether a tick has reports to judge: machines due, reported ones the rollout wants, freshly loaded ones it still wants. */
export function hasReportsToJudge(entry: Indexed, reported: readonly string[], now: number): boolean {
  if (dueMachines(entry.state, now, 1).length > 0) return true;
  if (reported.some((id) => wantsReports(entry.state, id))) return true;
  for (const id of entry.toJudge) {
    if (wantsReports(entry.state, id)) return true;
    entry.toJudge.delete(id);
  }
  return false;
}

/** A tick with the reports of the machines to judge: those that reported, those due, those never judged. */
export async function tickEvent(
  tx: Tx,
  entry: Indexed,
  now: number,
  reported: readonly string[],
): Promise<RolloutEvent> {
  const ids = new Set(dueMachines(entry.state, now, PAGE));
  for (const id of reported) if (wantsReports(entry.state, id)) ids.add(id);
  for (const id of entry.toJudge) {
    if (ids.size >= PAGE) break;
    entry.toJudge.delete(id);
    if (wantsReports(entry.state, id)) ids.add(id);
  }
  if (ids.size === 0) return { kind: "tick" };
  const machines = [...ids].map((id) => entry.machines.get(id)!);
  const since = Math.min(...machines.map((m) => m.deployStartedAt ?? now));
  return { kind: "tick", reports: await gateEventsSince(tx, [...ids], since) };
}

/**
 * What the state machine is told for one step of `entry`: the gates now, each machine's newest
 * report (the agents' view or `recent`, whichever is later) and tags, and how many machines it
 * may change (`maxChanges`).
 */
export function stepContext(
  entry: Indexed,
  now: number,
  recent: ReadonlyMap<string, number>,
  deps: { gates: GateState; fleet: FleetState; maxChanges: number },
): StepContext {
  return {
    now,
    gates: deps.gates.snapshot(),
    budgetInFlight: deps.gates.budgetInFlight(),
    facts: (id) => {
      const known = deps.fleet.machine(id)?.lastReportAt ?? null;
      const latest = recent.get(id);
      return {
        lastReportAt: latest !== undefined && (known === null || latest > known) ? latest : known,
        tags: entry.tags.get(id) ?? [],
      };
    },
    maxChanges: deps.maxChanges,
  };
}
