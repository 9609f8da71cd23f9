// The health gate of a rollout batch, as a pure function of what the machines reported
// (by server receive time) and the clock.
//
// Precedence: a machine is decided by the first decisive event after it started deploying, in
// receive order, and stays decided. A failed report or failed health check decides
// "unhealthy" even if a passing report follows; a pass decides "healthy" and a later failure
// is no longer the batch's concern (a soaking batch looks again, see `soakFailure`); the timeout
// is itself an event at start + health_timeout, so anything received after it does not count.
// Events received in the same millisecond as the start count as after it: a machine's start
// moves past any report of it committed before in that millisecond, so such an event cannot
// predate it.

/** A report as the gate sees it. */
export interface GateReport {
  kind: "report";
  receivedAt: number;
  currentGeneration: string;
  success: boolean;
  message: string;
}

/** A health report as the gate sees it. */
export interface GateHealthReport {
  kind: "health";
  receivedAt: number;
  allPassed: boolean;
  /** Name of the first failing check, when the agent listed one. */
  failedCheck: string | null;
}

export type GateEvent = GateReport | GateHealthReport;

export type MachineHealth =
  { state: "pending" } | { state: "healthy"; at: number } | { state: "unhealthy"; at: number; reason: string };

export const TIMEOUT_REASON = "timeout";

export interface MachineGateInput {
  /** The store path the release assigns to the machine. */
  storePath: string;
  /** When the machine started deploying (its current attempt), ms: its batch's start unless gates held it. */
  batchStartedAt: number;
  /** health_timeout in ms. */
  timeoutMs: number;
  /** The machine's reports and health reports; order does not matter, older ones are ignored. */
  events: readonly GateEvent[];
  now: number;
}

/** Decides one machine of a waiting batch: healthy, unhealthy (with a reason) or still pending. */
export function evaluateMachine(input: MachineGateInput): MachineHealth {
  const deadline = input.batchStartedAt + input.timeoutMs;
  const events = input.events
    .filter((e) => e.receivedAt >= input.batchStartedAt && e.receivedAt < deadline)
    // A report and its health report arrive together: the report (and its generation) first.
    .sort((a, b) => a.receivedAt - b.receivedAt || (a.kind === b.kind ? 0 : a.kind === "report" ? -1 : 1));

  let generation: string | null = null;
  let healthPassed = false;
  for (const event of events) {
    if (event.kind === "report") {
      generation = event.currentGeneration;
      if (!event.success) return { state: "unhealthy", at: event.receivedAt, reason: reportFailure(event.message) };
    } else if (!event.allPassed) {
      return { state: "unhealthy", at: event.receivedAt, reason: checkFailure(event) };
    } else {
      healthPassed = true;
    }
    if (healthPassed && generation === input.storePath) return { state: "healthy", at: event.receivedAt };
  }
  if (input.now >= deadline) return { state: "unhealthy", at: deadline, reason: TIMEOUT_REASON };
  return { state: "pending" };
}

/**
 * A healthy machine of a soaking batch (SPEC §14.2): the first failure (a report with
 * success=false or a failed health check) received in [since, until), or null.
 */
export function soakFailure(
  events: readonly GateEvent[],
  since: number,
  until: number,
): { at: number; reason: string } | null {
  let first: { at: number; reason: string } | null = null;
  for (const event of events) {
    if (event.receivedAt < since || event.receivedAt >= until) continue;
    if (first !== null && event.receivedAt >= first.at) continue;
    if (event.kind === "report" && !event.success)
      first = { at: event.receivedAt, reason: reportFailure(event.message) };
    if (event.kind === "health" && !event.allPassed) first = { at: event.receivedAt, reason: checkFailure(event) };
  }
  return first;
}

function checkFailure(event: GateHealthReport): string {
  return event.failedCheck === null ? "health check failed" : `health check ${event.failedCheck} failed`;
}

function reportFailure(message: string): string {
  return message === "" ? "report failed" : `report failed: ${message}`;
}

export type BatchOutcome = "waiting" | "succeeded" | "failed";

/** A batch is decided once every machine is: succeeded while the unhealthy count stays within the threshold. */
export function decideBatch(counts: { undecided: number; unhealthy: number }, allowedFailures: number): BatchOutcome {
  if (counts.undecided > 0) return "waiting";
  return counts.unhealthy <= allowedFailures ? "succeeded" : "failed";
}

/** The first failing check's name in an agent's health results (the JSON the agent sent). */
export function firstFailedCheck(results: unknown): string | null {
  if (!Array.isArray(results)) return null;
  for (const result of results) {
    if (result && typeof result === "object" && (result as { status?: unknown }).status === "fail") {
      const name = (result as { check_name?: unknown }).check_name;
      return typeof name === "string" ? name : null;
    }
  }
  return null;
}
