import type { Schema } from "../../client/index.ts";
import { duration, table } from "../output.ts";
import { freezeLine } from "./gates.ts";

type Summary = Schema<"FleetSummary">;

const STATES = ["ok", "error", "unknown"] as const;

/** `status`: the freeze if any, machines by lifecycle × system state, the agents to look at, rollouts. */
export function fleetSummary(summary: Summary, freeze: Schema<"Freeze"> | null = null): string {
  const lifecycles = Object.keys(summary.by_lifecycle) as (keyof Summary["by_lifecycle"])[];
  const rows = [
    ...lifecycles.map((lifecycle) => ({
      label: lifecycle,
      counts: summary.by_lifecycle_and_state[lifecycle],
      total: summary.by_lifecycle[lifecycle],
    })),
    { label: "total", counts: summary.by_system_state, total: summary.machines },
  ];
  const matrix = table(
    [
      { header: "LIFECYCLE", value: (r: (typeof rows)[number]) => r.label },
      ...STATES.map((state) => ({
        header: state.toUpperCase(),
        value: (r: (typeof rows)[number]) => String(r.counts[state]),
        right: true,
      })),
      { header: "TOTAL", value: (r) => String(r.total), right: true },
    ],
    rows,
  );
  const rolloutCounts = Object.entries(summary.rollouts.by_status)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${n}`)
    .join(", ");
  return [
    ...(freeze?.frozen ? [freezeLine(freeze).trimEnd(), ""] : []),
    `${summary.machines} machines · ${summary.stale} stale (silent over ${duration(summary.stale_after_seconds)}) · ${summary.behind_desired} behind their desired generation`,
    "",
    matrix.trimEnd(),
    "",
    `rollouts: ${summary.rollouts.active} active${rolloutCounts ? ` (${rolloutCounts})` : ""}`,
    "",
  ].join("\n");
}
