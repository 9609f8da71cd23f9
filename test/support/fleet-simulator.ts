// A simulated fleet: one loop per machine doing what a nixfleet agent does over HTTP — poll
// `desired-generation`, "apply" it after a delay, report the outcome — with a configurable
// health outcome per machine, so rollouts can be driven end to end against a real server.
// The agents talk through the typed client, like any script would.
import { createFleetClient, type FleetClient, type Schema } from "../../src/client/index.ts";

/**
 * How a simulated machine behaves once it has something to deploy:
 * - `healthy`: switches and reports success with passing health checks;
 * - `failing-report`: the switch fails; reports success=false and stays on its generation;
 * - `failing-health`: switches, but a health check fails;
 * - `silent`: switches and never reports.
 */
export type AgentOutcome = "healthy" | "failing-report" | "failing-health" | "silent";

export interface SimulatedMachineSpec {
  id: string;
  tags?: string[];
  outcome?: AgentOutcome;
  /** Milliseconds between learning a new generation and running it. */
  applyDelayMs?: number;
  /** What the machine runs before any deploy. */
  initialGeneration?: string;
}

export interface FleetSimulatorOptions {
  baseUrl: string;
  machines: SimulatedMachineSpec[];
  /** Milliseconds between polls of `desired-generation`. */
  pollIntervalMs?: number;
  /** Milliseconds between unchanged reports (agents report periodically, not only after a switch). */
  heartbeatMs?: number;
  /** Default apply delay for machines that do not set one. */
  applyDelayMs?: number;
}

/** What one simulated machine has seen and done. */
export interface SimulatedMachineState {
  id: string;
  tags: string[];
  outcome: AgentOutcome;
  applyDelayMs: number;
  currentGeneration: string;
  /** Every store path it was told to run, with the (local) time it first saw it. */
  received: { hash: string; at: number }[];
  reports: number;
}

/** Drives simulated agents against a control plane until stopped. */
export class FleetSimulator {
  private client: FleetClient;
  private readonly machines = new Map<string, SimulatedMachineState & { lastReportAt: number }>();
  private readonly pollIntervalMs: number;
  private readonly heartbeatMs: number;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(options: FleetSimulatorOptions) {
    this.client = createFleetClient({ baseUrl: options.baseUrl });
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.heartbeatMs = options.heartbeatMs ?? 500;
    for (const spec of options.machines) {
      this.machines.set(spec.id, {
        id: spec.id,
        tags: spec.tags ?? [],
        outcome: spec.outcome ?? "healthy",
        applyDelayMs: spec.applyDelayMs ?? options.applyDelayMs ?? 20,
        currentGeneration: spec.initialGeneration ?? `/nix/store/${"0".repeat(32)}-nixos-system-${spec.id}-initial`,
        received: [],
        reports: 0,
        lastReportAt: 0,
      });
    }
  }

  /** Each machine sends a first report, which registers it (active, with its tags). */
  async register(): Promise<void> {
    await Promise.all([...this.machines.values()].map((m) => this.report(m, true)));
  }

  /** Starts every machine's poll loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [...this.machines.values()].map((m) => this.loop(m));
  }

  /** Stops the loops and waits for them to finish their current step. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Points the agents at another server URL (a restarted control plane). */
  setBaseUrl(url: string): void {
    this.client = createFleetClient({ baseUrl: url });
  }

  setOutcome(machineId: string, outcome: AgentOutcome): void {
    this.get(machineId).outcome = outcome;
  }

  setApplyDelay(machineId: string, ms: number): void {
    this.get(machineId).applyDelayMs = ms;
  }

  /** A snapshot of one machine. */
  machine(machineId: string): SimulatedMachineState {
    const { lastReportAt: _, ...state } = this.get(machineId);
    return { ...state, received: [...state.received] };
  }

  private get(machineId: string) {
    const machine = this.machines.get(machineId);
    if (!machine) throw new Error(`no simulated machine ${machineId}`);
    return machine;
  }

  private async loop(machine: SimulatedMachineState & { lastReportAt: number }): Promise<void> {
    let reportedFor: string | null = null;
    while (this.running) {
      try {
        const desired = await this.pollDesired(machine.id);
        if (desired !== null) {
          if (!machine.received.some((r) => r.hash === desired))
            machine.received.push({ hash: desired, at: Date.now() });
          if (desired !== machine.currentGeneration && machine.outcome !== "failing-report") {
            await Bun.sleep(machine.applyDelayMs);
            machine.currentGeneration = desired;
          }
        }
        const due = Date.now() - machine.lastReportAt >= this.heartbeatMs;
        if (machine.outcome !== "silent" && (reportedFor !== desired || due)) {
          await this.report(machine, false);
          reportedFor = desired;
        }
      } catch {
        // The control plane is unreachable (restarting): try again on the next poll.
      }
      await Bun.sleep(this.pollIntervalMs);
    }
  }

  private async pollDesired(machineId: string): Promise<string | null> {
    const { data, response } = await this.client.GET("/api/v1/machines/{id}/desired-generation", {
      params: { path: { id: machineId } },
    });
    if (response.status === 404) return null;
    if (!data) throw new Error(`desired-generation answered ${response.status}`);
    return data.hash;
  }

  private async report(machine: SimulatedMachineState & { lastReportAt: number }, first: boolean): Promise<void> {
    const outcome = first ? "healthy" : machine.outcome;
    const now = new Date().toISOString();
    const failedCheck = { status: "fail", check_name: "http", duration_ms: 4, message: "connection refused" } as const;
    const body: Schema<"AgentReport"> = {
      machine_id: machine.id,
      current_generation: machine.currentGeneration,
      success: outcome !== "failing-report",
      message: outcome === "failing-report" ? "switch-to-configuration failed" : "ok",
      timestamp: now,
      tags: machine.tags,
      health: {
        results: [
          { status: "pass", check_name: "ssh", duration_ms: 2 },
          outcome === "failing-health" ? failedCheck : { status: "pass", check_name: "http", duration_ms: 4 },
        ],
        all_passed: outcome !== "failing-health",
        timestamp: now,
      },
      agent_version: "0.1.0-sim",
      uptime_seconds: 1000,
    };
    const { response } = await this.client.POST("/api/v1/machines/{id}/report", {
      params: { path: { id: machine.id } },
      body,
    });
    if (!response.ok) throw new Error(`report answered ${response.status}`);
    machine.reports += 1;
    machine.lastReportAt = Date.now();
  }
}
