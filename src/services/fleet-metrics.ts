import { Gauge, type Registry } from "prom-client";
import { LIFECYCLES } from "../domain/lifecycle.ts";
import type { FleetState } from "./fleet-state.ts";

/**
 * Registers the fleet gauges of SPEC §9. They are filled at scrape time from the in-memory
 * fleet view, so a scrape never scans the database, however large the fleet.
 */
export function registerFleetMetrics(
  registry: Registry,
  fleet: FleetState,
  options: { perMachineMetrics: boolean },
): void {
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
  if (!options.perMachineMetrics) return;
  new LastSeenGauge(fleet, registry);
}

/**
 * One series per machine. Values are handed to the registry straight from the fleet view:
 * a plain Gauge would re-hash 100 000 label sets on every scrape. Label escaping stays
 * prom-client's (at render time).
 */
class LastSeenGauge extends Gauge<"machine_id"> {
  constructor(
    private readonly fleet: FleetState,
    registry: Registry,
  ) {
    super({
      name: "nixfleet_machine_last_seen_timestamp_seconds",
      help: "When the control plane last received a report from the machine (Unix seconds)",
      labelNames: ["machine_id"],
      registers: [registry],
    });
  }

  override async get() {
    const values = [];
    for (const [machineId, summary] of this.fleet.summaries()) {
      if (summary.lastReportAt !== null)
        values.push({ labels: { machine_id: machineId }, value: summary.lastReportAt / 1000 });
    }
    const metric = await super.get();
    return { ...metric, values };
  }
}
