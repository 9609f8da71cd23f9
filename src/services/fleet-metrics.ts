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
  new Gauge({
    name: "nixfleet_machine_last_seen_timestamp_seconds",
    help: "When the control plane last received a report from the machine (Unix seconds)",
    labelNames: ["machine_id"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [machineId, summary] of fleet.summaries()) {
        if (summary.lastReportAt !== null) this.set({ machine_id: machineId }, summary.lastReportAt / 1000);
      }
    },
  });
}
