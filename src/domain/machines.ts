import type { Lifecycle } from "./lifecycle.ts";
import { lifecycleAfterReport } from "./lifecycle.ts";

/** Tag spelling: 1–64 characters of letters, digits and `. _ : -`. */
export const TAG_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** True when `tag` is a well-formed tag. */
export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** Tags as the API shows and stores them: de-duplicated and sorted. */
export function normalizeTags(tags: Iterable<string>): string[] {
  return [...new Set(tags)].sort();
}

/** True when two tag sets hold the same tags, ignoring order and duplicates. */
export function sameTags(a: Iterable<string>, b: Iterable<string>): boolean {
  const left = normalizeTags(a);
  const right = normalizeTags(b);
  return left.length === right.length && left.every((tag, i) => tag === right[i]);
}

export const SYSTEM_STATES = ["ok", "error", "unknown"] as const;

export type SystemState = (typeof SYSTEM_STATES)[number];

/** `ok` when the last report succeeded and its health (if it carried any) passed, `error` when not, `unknown` before any report. */
export function systemState(machine: {
  lastReportAt: number | null;
  lastSuccess: boolean | null;
  lastHealthPassed: boolean | null;
}): SystemState {
  if (machine.lastReportAt === null || machine.lastSuccess === null) return "unknown";
  return machine.lastSuccess && machine.lastHealthPassed !== false ? "ok" : "error";
}

/** Whole seconds since the last report (never negative), or null before any report. */
export function secondsSince(lastReportAt: number | null, now: number): number | null {
  return lastReportAt === null ? null : Math.max(0, Math.floor((now - lastReportAt) / 1000));
}

/** The parts of a stored machine a report can change. */
export interface MachineSnapshot {
  lifecycle: Lifecycle;
  currentGeneration: string | null;
  lastSuccess: boolean | null;
  tags: string[];
}

/** The parts of an agent report that decide what changes. */
export interface ReportFacts {
  currentGeneration: string;
  success: boolean;
  tags: string[];
}

export type ReportChange = "registered" | "activated" | "generation" | "success" | "tags";

/** What a report does to a machine: its next state, and the changes worth an audit event. */
export interface ReportOutcome {
  next: MachineSnapshot;
  /** True when the stored tags must be replaced by `next.tags`. */
  tagsChanged: boolean;
  changes: ReportChange[];
}

/**
 * Applies one report to a machine (null = not registered yet): unknown machines register as
 * active, pending/provisioning become active, non-empty reported tags replace differing ones.
 * Decommissioned machines stay decommissioned.
 */
export function applyReport(machine: MachineSnapshot | null, report: ReportFacts): ReportOutcome {
  const changes: ReportChange[] = [];
  const lifecycle = lifecycleAfterReport(machine?.lifecycle ?? null);
  if (machine === null) changes.push("registered");
  else if (lifecycle !== machine.lifecycle) changes.push("activated");
  if (machine?.currentGeneration !== report.currentGeneration) changes.push("generation");
  if (machine !== null && machine.lastSuccess !== null && machine.lastSuccess !== report.success) {
    changes.push("success");
  }
  const previousTags = machine?.tags ?? [];
  const tagsChanged = report.tags.length > 0 && !sameTags(previousTags, report.tags);
  if (tagsChanged) changes.push("tags");
  return {
    next: {
      lifecycle,
      currentGeneration: report.currentGeneration,
      lastSuccess: report.success,
      tags: tagsChanged ? normalizeTags(report.tags) : previousTags,
    },
    tagsChanged,
    changes,
  };
}
