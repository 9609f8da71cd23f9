import { describe, expect, test } from "bun:test";
import {
  decideBatch,
  evaluateMachine,
  firstFailedCheck,
  type GateEvent,
  type MachineGateInput,
} from "../../src/domain/health-gate.ts";

const PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01";
const OLD = "/nix/store/1c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01";
const START = 1_000_000;
const TIMEOUT = 60_000;

const report = (receivedAt: number, currentGeneration = PATH, success = true, message = ""): GateEvent => ({
  kind: "report",
  receivedAt,
  currentGeneration,
  success,
  message,
});
const health = (receivedAt: number, allPassed = true, failedCheck: string | null = null): GateEvent => ({
  kind: "health",
  receivedAt,
  allPassed,
  failedCheck,
});
const gate = (events: GateEvent[], now = START + 1000, overrides: Partial<MachineGateInput> = {}) =>
  evaluateMachine({ storePath: PATH, batchStartedAt: START, timeoutMs: TIMEOUT, events, now, ...overrides });

describe("one machine", () => {
  test("pending before anything arrives", () => {
    expect(gate([])).toEqual({ state: "pending" });
  });

  test("healthy: the new generation and a passing health report after the start", () => {
    expect(gate([report(START + 10), health(START + 10)])).toEqual({ state: "healthy", at: START + 10 });
  });

  test("a report in the very millisecond of the start counts", () => {
    expect(gate([report(START), health(START)])).toEqual({ state: "healthy", at: START });
  });

  test("not healthy while still on the old generation, even with passing checks", () => {
    expect(gate([report(START + 10, OLD), health(START + 10)])).toEqual({ state: "pending" });
  });

  test("healthy once the generation matches after an earlier passing check", () => {
    expect(gate([report(START + 10, OLD), health(START + 10), report(START + 20)])).toEqual({
      state: "healthy",
      at: START + 20,
    });
  });

  test("not healthy on the right generation without a passing health report", () => {
    expect(gate([report(START + 10)])).toEqual({ state: "pending" });
  });

  test("reports from before the start never count", () => {
    expect(gate([report(START - 1), health(START - 1)])).toEqual({ state: "pending" });
    expect(gate([report(START - 1, PATH, false, "boom")])).toEqual({ state: "pending" });
    expect(gate([health(START - 5, false, "nginx")])).toEqual({ state: "pending" });
  });

  test("a failed report makes it unhealthy with the agent's message", () => {
    expect(gate([report(START + 5, OLD, false, "switch-to-configuration failed")])).toEqual({
      state: "unhealthy",
      at: START + 5,
      reason: "report failed: switch-to-configuration failed",
    });
    expect(gate([report(START + 5, OLD, false)])).toMatchObject({ reason: "report failed" });
  });

  test("a failed health check makes it unhealthy naming the check", () => {
    expect(gate([report(START + 5), health(START + 5, false, "nginx")])).toEqual({
      state: "unhealthy",
      at: START + 5,
      reason: "health check nginx failed",
    });
    expect(gate([report(START + 5), health(START + 5, false)])).toMatchObject({ reason: "health check failed" });
  });

  test("the first decisive event wins: a failure then a pass stays unhealthy", () => {
    expect(gate([report(START + 5, PATH, false, "x"), report(START + 9), health(START + 9)])).toMatchObject({
      state: "unhealthy",
    });
  });

  test("the first decisive event wins: a pass then a failure stays healthy", () => {
    expect(gate([report(START + 9, PATH, false, "x"), report(START + 5), health(START + 5)])).toEqual({
      state: "healthy",
      at: START + 5,
    });
  });

  test("a failed report beats its own passing health report", () => {
    expect(gate([health(START + 5), report(START + 5, PATH, false, "x")])).toMatchObject({ state: "unhealthy" });
  });

  test("timeout: unhealthy once health_timeout has passed without a decision", () => {
    expect(gate([], START + TIMEOUT - 1)).toEqual({ state: "pending" });
    expect(gate([], START + TIMEOUT)).toEqual({ state: "unhealthy", at: START + TIMEOUT, reason: "timeout" });
    expect(gate([report(START + 10, OLD)], START + TIMEOUT + 5)).toMatchObject({ reason: "timeout" });
  });

  test("a pass received after the deadline is too late", () => {
    expect(gate([report(START + TIMEOUT), health(START + TIMEOUT)], START + TIMEOUT + 1)).toMatchObject({
      reason: "timeout",
    });
  });

  test("a decision before the deadline stands when evaluated after it", () => {
    expect(gate([report(START + 10), health(START + 10)], START + 10 * TIMEOUT)).toMatchObject({ state: "healthy" });
  });

  test("the answer is the same whatever order the events are given in", () => {
    const events = [health(START + 30), report(START + 30), report(START + 20, OLD), health(START + 20)];
    expect(gate(events)).toEqual(gate([...events].reverse()));
    expect(gate(events)).toEqual({ state: "healthy", at: START + 30 });
  });
});

describe("batch decision", () => {
  test("waits until every machine is decided", () => {
    expect(decideBatch({ undecided: 1, unhealthy: 5 }, 0)).toBe("waiting");
  });

  test("succeeds within the threshold, fails past it", () => {
    expect(decideBatch({ undecided: 0, unhealthy: 0 }, 0)).toBe("succeeded");
    expect(decideBatch({ undecided: 0, unhealthy: 3 }, 3)).toBe("succeeded");
    expect(decideBatch({ undecided: 0, unhealthy: 4 }, 3)).toBe("failed");
    expect(decideBatch({ undecided: 0, unhealthy: 1 }, 0)).toBe("failed");
  });
});

test("firstFailedCheck reads the agent's result list", () => {
  expect(
    firstFailedCheck([
      { status: "pass", check_name: "ssh", duration_ms: 1 },
      { status: "fail", check_name: "nginx", duration_ms: 2, message: "down" },
    ]),
  ).toBe("nginx");
  expect(firstFailedCheck([{ status: "pass", check_name: "ssh" }])).toBeNull();
  expect(firstFailedCheck("garbage")).toBeNull();
});
