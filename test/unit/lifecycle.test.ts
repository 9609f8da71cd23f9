import { describe, expect, test } from "bun:test";
import { canTransition, LIFECYCLES, lifecycleAfterReport, type Lifecycle } from "../../src/domain/lifecycle.ts";
import { applyReport, isValidTag, normalizeTags, secondsSince, systemState } from "../../src/domain/machines.ts";

// Rows: from; columns: to, in LIFECYCLES order (pending, provisioning, active, maintenance, decommissioned).
const MATRIX: Record<Lifecycle, [boolean, boolean, boolean, boolean, boolean]> = {
  pending: [false, true, true, false, true],
  provisioning: [true, false, true, false, false],
  active: [false, false, false, true, true],
  maintenance: [false, false, true, false, true],
  decommissioned: [false, false, false, false, false],
};

describe("lifecycle transitions", () => {
  for (const from of LIFECYCLES) {
    for (const [i, to] of LIFECYCLES.entries()) {
      const allowed = MATRIX[from][i] === true;
      test(`${from} → ${to} is ${allowed ? "allowed" : "refused"}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
  }

  test("the matrix covers all 25 pairs, 9 of them allowed", () => {
    const pairs = LIFECYCLES.flatMap((from) => LIFECYCLES.map((to) => canTransition(from, to)));
    expect(pairs).toHaveLength(25);
    expect(pairs.filter(Boolean)).toHaveLength(9);
  });

  test("a report activates unknown, pending and provisioning machines only", () => {
    expect(lifecycleAfterReport(null)).toBe("active");
    expect(lifecycleAfterReport("pending")).toBe("active");
    expect(lifecycleAfterReport("provisioning")).toBe("active");
    expect(lifecycleAfterReport("active")).toBe("active");
    expect(lifecycleAfterReport("maintenance")).toBe("maintenance");
    expect(lifecycleAfterReport("decommissioned")).toBe("decommissioned");
  });
});

describe("tags", () => {
  test("valid tags are 1-64 characters of [A-Za-z0-9._:-]", () => {
    for (const tag of ["web", "eu-west-1", "env:prod", "a.b_c", "x".repeat(64)]) expect(isValidTag(tag)).toBe(true);
    for (const tag of ["", "x".repeat(65), "a b", "a/b", "é", 'a"b', "a,b"]) expect(isValidTag(tag)).toBe(false);
  });

  test("normalized tags are unique and sorted", () => {
    expect(normalizeTags(["b", "a", "b"])).toEqual(["a", "b"]);
  });
});

describe("system state and report age", () => {
  test("unknown before any report, ok or error after", () => {
    expect(systemState({ lastReportAt: null, lastSuccess: null, lastHealthPassed: null })).toBe("unknown");
    expect(systemState({ lastReportAt: 1, lastSuccess: true, lastHealthPassed: null })).toBe("ok");
    expect(systemState({ lastReportAt: 1, lastSuccess: true, lastHealthPassed: true })).toBe("ok");
    expect(systemState({ lastReportAt: 1, lastSuccess: true, lastHealthPassed: false })).toBe("error");
    expect(systemState({ lastReportAt: 1, lastSuccess: false, lastHealthPassed: true })).toBe("error");
  });

  test("seconds since the last report are whole and never negative", () => {
    expect(secondsSince(null, 10_000)).toBeNull();
    expect(secondsSince(1_000, 3_999)).toBe(2);
    expect(secondsSince(5_000, 1_000)).toBe(0);
  });
});

describe("applyReport", () => {
  const report = { currentGeneration: "/nix/store/a", success: true, tags: [] as string[] };
  const stored = { lifecycle: "active" as const, currentGeneration: "/nix/store/a", lastSuccess: true, tags: ["web"] };

  test("registers an unknown machine as active", () => {
    const outcome = applyReport(null, { ...report, tags: ["web"] });
    expect(outcome.next).toEqual({
      lifecycle: "active",
      currentGeneration: "/nix/store/a",
      lastSuccess: true,
      tags: ["web"],
    });
    expect(outcome.changes).toEqual(["registered", "generation", "tags"]);
  });

  test("an unchanged heartbeat changes nothing", () => {
    const outcome = applyReport(stored, report);
    expect(outcome.changes).toEqual([]);
    expect(outcome.tagsChanged).toBe(false);
    expect(outcome.next.tags).toEqual(["web"]);
  });

  test("same tags in another order are not a change; different ones replace", () => {
    expect(applyReport({ ...stored, tags: ["a", "b"] }, { ...report, tags: ["b", "a"] }).changes).toEqual([]);
    const outcome = applyReport(stored, { ...report, tags: ["db"] });
    expect(outcome.changes).toEqual(["tags"]);
    expect(outcome.next.tags).toEqual(["db"]);
  });

  test("new generation, success flip and activation are changes", () => {
    expect(applyReport(stored, { ...report, currentGeneration: "/nix/store/b" }).changes).toEqual(["generation"]);
    expect(applyReport(stored, { ...report, success: false }).changes).toEqual(["success"]);
    expect(applyReport({ ...stored, lifecycle: "pending" }, report).changes).toEqual(["activated"]);
  });

  test("a decommissioned machine stays decommissioned", () => {
    expect(applyReport({ ...stored, lifecycle: "decommissioned" }, report).next.lifecycle).toBe("decommissioned");
  });
});
