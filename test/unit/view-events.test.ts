import { describe, expect, test } from "bun:test";
import { foreignRanges, viewChanges, type ViewEvent } from "../../src/domain/view-events.ts";

let nextId = 1;
const event = (action: string, target: string, rolloutId: string | null = null): ViewEvent => ({
  id: nextId++,
  action,
  target,
  rolloutId,
});

describe("viewChanges", () => {
  test("machine events outside rollouts name their machine; the rest of the log does not", () => {
    const changes = viewChanges([
      event("register", "m-1"),
      event("update_lifecycle", "m-2"),
      event("notify_deploy", "m-3"),
      event("clear_desired", "m-4"),
      event("report", "m-5"),
      event("tags.updated", "m-6"),
      event("key.created", "key-1"),
      event("create_release", "rel-1"),
      event("webhook.created", "wh-1"),
      event("session.created", "s-1"),
    ]);
    expect([...changes.machines.keys()].sort()).toEqual(["m-1", "m-2", "m-3", "m-4", "m-5"]);
    expect([...changes.machines.values()].every((rollouts) => rollouts.size === 0)).toBe(true);
    expect([changes.memberships.size, changes.allMemberships, changes.lastGateEvent, changes.rollouts.size]).toEqual([
      0,
      false,
      null,
      0,
    ]);
  });

  test("a machine's transition inside a rollout names the machine and the rollout, with its newest event id", () => {
    const first = event("machine.deploying", "m-1", "r-1");
    const second = event("machine.reverted", "m-2", "r-1");
    const changes = viewChanges([first, second, event("batch.deploying", "r-2", "r-2")]);
    expect(changes.machines).toEqual(
      new Map([
        ["m-1", new Set(["r-1"])],
        ["m-2", new Set(["r-1"])],
      ]),
    );
    expect(changes.rollouts).toEqual(
      new Map([
        ["r-1", second.id],
        ["r-2", second.id + 1],
      ]),
    );
    expect(changes.memberships.size).toBe(0);
  });

  test("a rollout beginning or ending asks for its machines' membership again; its other transitions do not", () => {
    for (const action of [
      "rollout.created",
      "rollout.completed",
      "rollout.failed",
      "rollout.aborted",
      "rollout.cancelled",
    ]) {
      const changes = viewChanges([event(action, "r-1", "r-1")]);
      expect([[...changes.memberships], changes.allMemberships]).toEqual([["r-1"], false]);
    }
    for (const action of ["rollout.paused", "rollout.resumed", "batch.succeeded", "rollout.deleted"]) {
      expect(viewChanges([event(action, "r-1", "r-1")]).memberships.size).toBe(0);
    }
  });

  test("a discarded creation, whose machines are listed nowhere any more, asks for every membership again", () => {
    expect(viewChanges([event("rollout.discarded", "r-1", "r-1")]).allMemberships).toBe(true);
  });

  test("budgets, windows and the freeze are gates", () => {
    for (const action of [
      "budget.updated",
      "budget.deleted",
      "window.updated",
      "window.deleted",
      "freeze.set",
      "freeze.cleared",
    ]) {
      const gate = event(action, "x");
      expect(viewChanges([event("register", "m-1"), gate]).lastGateEvent).toBe(gate.id);
    }
    expect(viewChanges([event("register", "m-1")]).lastGateEvent).toBeNull();
  });
});

describe("foreignRanges", () => {
  test("nothing of its own: the whole way", () => {
    expect(foreignRanges(10, 20, [])).toEqual([[11, 20]]);
  });

  test("its own ranges are cut out, wherever they lie", () => {
    expect(
      foreignRanges(10, 30, [
        [5, 12],
        [15, 16],
        [20, 20],
        [29, 40],
      ]),
    ).toEqual([
      [13, 14],
      [17, 19],
      [21, 28],
    ]);
  });

  test("nothing new, or all of it its own: nothing to read", () => {
    expect(foreignRanges(10, 10, [])).toEqual([]);
    expect(foreignRanges(10, 20, [[11, 20]])).toEqual([]);
    expect(
      foreignRanges(10, 20, [
        [11, 14],
        [15, 25],
      ]),
    ).toEqual([]);
  });

  test("ranges after the end are ignored", () => {
    expect(foreignRanges(0, 5, [[8, 9]])).toEqual([[1, 5]]);
  });
});
