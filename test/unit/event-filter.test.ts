import { describe, expect, test } from "bun:test";
import { ACTION_PATTERN, actionMatches, matchesEvent } from "../../src/domain/event-filter.ts";

describe("action patterns", () => {
  test("valid: names, prefix wildcards, *; anything else is refused", () => {
    for (const ok of ["register", "rollout.paused", "rollout.*", "machine.deploying", "a.b.c.*", "*", "key-x.y_z"]) {
      expect(ACTION_PATTERN.test(ok)).toBe(true);
    }
    for (const bad of ["", "rollout.", ".x", "rollout.*.x", "roll*", "*.paused", "a b", "a[b]", "a?b", "**"]) {
      expect(ACTION_PATTERN.test(bad)).toBe(false);
    }
  });

  test.each([
    ["*", "anything", true],
    ["rollout.*", "rollout.paused", true],
    ["rollout.*", "rollout.a.b", true],
    ["rollout.*", "rollout", false],
    ["rollout.*", "rollouts.paused", false],
    ["batch.failed", "batch.failed", true],
    ["batch.failed", "batch.failed2", false],
  ])("%s against %s → %p", (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe("matchesEvent", () => {
  const event = { action: "machine.healthy", target: "web-01", rolloutId: "r-1" };
  test("absent fields do not filter; present ones must all match; any action pattern may", () => {
    expect(matchesEvent({}, event)).toBe(true);
    expect(matchesEvent({ rolloutId: "r-1", machineId: "web-01", actions: ["x", "machine.*"] }, event)).toBe(true);
    expect(matchesEvent({ rolloutId: "r-2" }, event)).toBe(false);
    expect(matchesEvent({ machineId: "web-02" }, event)).toBe(false);
    expect(matchesEvent({ actions: ["rollout.*"] }, event)).toBe(false);
    expect(matchesEvent({ rolloutId: "r-1" }, { ...event, rolloutId: null })).toBe(false);
    expect(matchesEvent({ actions: [] }, event)).toBe(true);
  });
});
