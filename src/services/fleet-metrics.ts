import { Gauge, type Registry } from "prom-client";
import { LIFECYCLES } from "../domain/lifecycle.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import type { FleetState } from "./fleet-state.ts";

/**
 * Registers the fleet gauges of SPEC §9. They are filled at scrape time from the in-memory
 * fleet view, so a scrape never scans the database, however large the fleet.
 */
export function registerFleetMetrics(registry: Registry, fleet: FleetState): void {
  new Gauge({
    name: "nixfleet_fleet_size",
    help: "Registered machines, whatever their lifecycle state",
    registers: [registry],
    collect() {
      this.set(fleet.fleetSize);
    },
  });
  new Gauge({
    name: "nixfleet_machines_by_lifecycle",
    help: "Registered machines per lifecycle state",
    labelNames: ["lifecycle"] as const,
    registers: [registry],
    collect() {
      const counts = fleet.countByLifecycle();
      for (const lifecycle of LIFECYCLES) this.set({ lifecycle }, counts[lifecycle]);
    },
  });
}

const LAST_SEEN = "nixfleet_machine_last_seen_timestamp_seconds";
const NEEDS_ESCAPE = /[\\"\n]/;
/** Series rendered per turn of the event loop (a few milliseconds), so a scrape does not hold up agent polls. */
const SERIES_PER_TURN = 10_000;

/**
 * The per-machine last-seen gauge (one series per machine) as Prometheus text. Rendered here
 * rather than by a prom-client Gauge: at 100 000 machines prom-client's generic label
 * formatting took ~0.5 s of every scrape, this loop a small fraction of it.
 */
export async function renderLastSeenMetric(fleet: FleetState): Promise<string> {
  let text = `# HELP ${LAST_SEEN} When the control plane last received a report from the machine (Unix seconds)\n# TYPE ${LAST_SEEN} gauge\n`;
  let rendered = 0;
  for (const [machineId, summary] of fleet.summaries()) {
    if (++rendered % SERIES_PER_TURN === 0) await yieldToEventLoop();
    if (summary.lastReportAt === null) continue;
    const label = NEEDS_ESCAPE.test(machineId) ? escapeLabelValue(machineId) : machineId;
    text += `${LAST_SEEN}{machine_id="${label}"} ${summary.lastReportAt / 1000}\n`;
  }
  return text;
}

/** Label value escaping of the exposition format: backslash, double quote and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
