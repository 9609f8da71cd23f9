import { describe, expect, test } from "bun:test";
import {
  GateEvaluator,
  budgetLimit,
  cronProblem,
  isTimeZone,
  windowState,
  type GateSnapshot,
  type MaintenanceWindow,
} from "../../src/domain/gates.ts";
import { parseQuantity } from "../../src/domain/rollout-planning.ts";

const at = (iso: string) => Date.parse(iso);
const window = (cron: string[], durationMinutes: number, timezone = "UTC", tags: string[] = []): MaintenanceWindow => ({
  name: "w",
  tags,
  cron,
  durationMinutes,
  timezone,
});

describe("maintenance windows: is a window open at t", () => {
  const nightly = window(["0 2 * * *"], 60);

  test("open from each match for its duration, closed otherwise; when that changes", () => {
    expect(windowState(nightly, at("2026-11-27T01:59:59.999Z"))).toEqual({
      open: false,
      changesAt: at("2026-11-27T02:00:00Z"),
    });
    expect(windowState(nightly, at("2026-11-27T02:00:00Z"))).toEqual({
      open: true,
      changesAt: at("2026-11-27T03:00:00Z"),
    });
    expect(windowState(nightly, at("2026-11-27T02:59:59.999Z")).open).toBe(true);
    expect(windowState(nightly, at("2026-11-27T03:00:00Z"))).toEqual({
      open: false,
      changesAt: at("2026-11-28T02:00:00Z"),
    });
  });

  test("a window across midnight, and several expressions: open when any is", () => {
    const late = window(["0 23 * * *"], 120);
    expect(windowState(late, at("2026-11-28T00:30:00Z")).open).toBe(true);
    expect(windowState(late, at("2026-11-28T01:00:00Z")).open).toBe(false);
    const two = window(["0 2 * * 1-5", "0 14 * * 6,0"], 30);
    // 2026-11-28 is a Saturday: not at 02:00, but at 14:00.
    expect(windowState(two, at("2026-11-28T02:10:00Z")).open).toBe(false);
    expect(windowState(two, at("2026-11-28T14:10:00Z")).open).toBe(true);
    expect(windowState(two, at("2026-11-27T02:10:00Z")).open).toBe(true);
  });

  test("cron times are read in the window's time zone", () => {
    const berlin = window(["0 2 * * *"], 60, "Europe/Berlin");
    // 02:00 in Berlin in winter (CET, UTC+1) is 01:00Z.
    expect(windowState(berlin, at("2026-11-27T01:30:00Z")).open).toBe(true);
    expect(windowState(berlin, at("2026-11-27T02:30:00Z")).open).toBe(false);
    // In summer (CEST, UTC+2) it is 00:00Z.
    expect(windowState(berlin, at("2026-07-01T00:30:00Z")).open).toBe(true);
    expect(windowState(berlin, at("2026-07-01T01:30:00Z")).open).toBe(false);
  });

  test("DST spring forward: a match inside the gap opens at the first minute after it", () => {
    // 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST (01:00Z); 02:30 does not exist that day.
    const w = window(["30 2 * * *"], 60, "Europe/Berlin");
    expect(windowState(w, at("2026-03-29T00:59:00Z"))).toEqual({ open: false, changesAt: at("2026-03-29T01:00:00Z") });
    expect(windowState(w, at("2026-03-29T01:00:00Z"))).toEqual({ open: true, changesAt: at("2026-03-29T02:00:00Z") });
    // The next day 02:30 CEST is 00:30Z again.
    expect(windowState(w, at("2026-03-30T00:30:00Z")).open).toBe(true);
  });

  test("DST fall back: a match in the repeated hour opens once, at its first occurrence", () => {
    // 2026-10-25 in Berlin: 03:00 CEST falls back to 02:00 CET (01:00Z); 02:30 happens at 00:30Z and 01:30Z.
    const w = window(["30 2 * * *"], 30, "Europe/Berlin");
    expect(windowState(w, at("2026-10-25T00:45:00Z")).open).toBe(true);
    expect(windowState(w, at("2026-10-25T01:45:00Z")).open).toBe(false);
    expect(windowState(w, at("2026-10-25T01:45:00Z")).changesAt).toBe(at("2026-10-26T01:30:00Z"));
    // An hourly window keeps opening through the repeated hour.
    const hourly = window(["0 * * * *"], 10, "Europe/Berlin");
    expect(windowState(hourly, at("2026-10-25T00:05:00Z")).open).toBe(true);
    expect(windowState(hourly, at("2026-10-25T01:05:00Z")).open).toBe(true);
  });

  test("a window longer than its interval stays open", () => {
    const long = window(["0 * * * *"], 90);
    expect(windowState(long, at("2026-11-27T10:59:00Z"))).toEqual({
      open: true,
      changesAt: at("2026-11-27T11:30:00Z"),
    });
    expect(windowState(long, at("2026-11-27T11:30:00Z"))).toEqual({
      open: true,
      changesAt: at("2026-11-27T12:30:00Z"),
    });
  });
});

describe("window and budget validation", () => {
  const now = at("2026-11-27T10:00:00Z");
  test("5-field expressions only, valid values, one that matches some time", () => {
    expect(cronProblem("0 2 * * 1-5", "UTC", now)).toBeNull();
    expect(cronProblem("*/15 22-23,0-5 * * *", "Europe/Berlin", now)).toBeNull();
    expect(cronProblem("0 0 2 * * *", "UTC", now)).toContain("not a 5-field cron expression");
    expect(cronProblem("@daily", "UTC", now)).toContain("not a 5-field cron expression");
    expect(cronProblem("", "UTC", now)).toContain("not a 5-field cron expression");
    expect(cronProblem("61 2 * * *", "UTC", now)).toContain("minute");
    expect(cronProblem("0 0 30 2 *", "UTC", now)).toContain("never matches");
  });

  test("IANA time zones", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("America/New_York")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });

  test("a budget is N, or ceil(p%) of the machines having its tags", () => {
    const q = (text: string) => (parseQuantity(text) as { ok: true; value: never }).value;
    expect(budgetLimit(q("3"), 100)).toBe(3);
    expect(budgetLimit(q("10%"), 95)).toBe(10);
    expect(budgetLimit(q("0"), 95)).toBe(0);
  });
});

describe("the gate evaluator", () => {
  const now = at("2026-11-27T10:00:00Z");
  const query = { paused: false, notBefore: null, tags: ["db", "eu"], inFlight: 0, maxInFlight: Infinity };
  const gates = (overrides: Partial<GateSnapshot>): GateSnapshot => ({
    freeze: null,
    budgets: [],
    windows: [],
    ...overrides,
  });

  test("no gates: every machine may start", () => {
    expect(new GateEvaluator(gates({}), now, new Map()).check(query)).toEqual({
      reason: null,
      budgets: [],
      changesAt: null,
    });
  });

  test("reasons in precedence order: paused, not_before, freeze, window, budget, max_in_flight", () => {
    const all = gates({
      freeze: "incident",
      budgets: [{ name: "db", tags: ["db"], limit: 0 }],
      windows: [{ ...window(["0 3 * * *"], 10), name: "night", tags: ["db"] }],
    });
    const evaluator = new GateEvaluator(all, now, new Map());
    expect(evaluator.check({ ...query, paused: true }).reason).toBe("paused");
    expect(evaluator.check({ ...query, notBefore: now + 1 }).reason).toBe("not_before");
    expect(evaluator.check(query).reason).toBe("freeze");
    const noFreeze = new GateEvaluator({ ...all, freeze: null }, now, new Map());
    expect(noFreeze.check(query)).toEqual({
      reason: "window:night",
      budgets: ["db"],
      changesAt: at("2026-11-28T03:00:00Z"),
    });
    const noWindow = new GateEvaluator({ ...all, freeze: null, windows: [] }, now, new Map());
    expect(noWindow.check(query).reason).toBe("budget:db");
    const onlyOwn = new GateEvaluator(gates({}), now, new Map());
    expect(onlyOwn.check({ ...query, inFlight: 2, maxInFlight: 2 }).reason).toBe("max_in_flight");
  });

  test("windows apply to machines having all their tags; one open window is enough; the soonest closed one is named", () => {
    const windows = [
      { ...window(["0 11 * * *"], 10), name: "later", tags: ["db"] },
      { ...window(["30 10 * * *"], 10), name: "sooner", tags: ["db"] },
      { ...window(["0 0 * * *"], 10), name: "other", tags: ["web"] },
    ];
    const evaluator = new GateEvaluator(gates({ windows }), now, new Map());
    expect(evaluator.check(query).reason).toBe("window:sooner");
    expect(evaluator.check({ ...query, tags: ["cache"] }).reason).toBeNull();
    const open = [...windows, { ...window(["0 10 * * *"], 10), name: "now", tags: ["eu"] }];
    expect(new GateEvaluator(gates({ windows: open }), now, new Map()).check(query).reason).toBeNull();
  });

  test("budgets count machines already in flight everywhere plus those started in this step", () => {
    const budgets = [
      { name: "db", tags: ["db"], limit: 3 },
      { name: "eu", tags: ["eu"], limit: 10 },
    ];
    const evaluator = new GateEvaluator(gates({ budgets }), now, new Map([["db", 2]]));
    const first = evaluator.check(query);
    expect(first).toMatchObject({ reason: null, budgets: ["db", "eu"] });
    evaluator.started(first.budgets);
    expect(evaluator.check(query).reason).toBe("budget:db");
    evaluator.stopped(["db"]);
    expect(evaluator.check(query).reason).toBeNull();
    expect(evaluator.check({ ...query, tags: ["eu"] })).toMatchObject({ reason: null, budgets: ["eu"] });
  });
});
