import { auditEvents } from "../../src/db/schema.ts";
import { eq } from "drizzle-orm";
import type { Harness } from "./harness.ts";

/** A valid agent report body for `machineId`; fields can be overridden. */
export function reportBody(machineId: string, overrides: Record<string, unknown> = {}) {
  return {
    machine_id: machineId,
    current_generation: "/nix/store/00000000000000000000000000000000-nixos-system-a",
    success: true,
    message: "switched",
    timestamp: "2026-11-27T10:00:00Z",
    tags: [],
    health: null,
    agent_version: "0.1.0",
    uptime_seconds: 100,
    ...overrides,
  };
}

/** Path of a machine route, with the id percent-encoded as a client would send it. */
export function machinePath(machineId: string, suffix = ""): string {
  return `/api/v1/machines/${encodeURIComponent(machineId)}${suffix}`;
}

/** Posts a report for `machineId`. */
export function report(h: Harness, machineId: string, overrides: Record<string, unknown> = {}) {
  return h.request(machinePath(machineId, "/report"), { json: reportBody(machineId, overrides) });
}

/** Audit events of one action, oldest first. */
export async function auditOf(h: Harness, action: string) {
  return h.store.db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(auditEvents.id);
}
