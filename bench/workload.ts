// The synthetic fleet the benchmark loads and drives; bench/wrk/scenario.lua mirrors these rules.

export type Scenario = "poll" | "report" | "mix" | "bare";

/** Machine number `i` (1-based) → its id, a hostname-like `host-000042`. */
export function machineId(i: number): string {
  return `host-${String(i).padStart(6, "0")}`;
}

/** Every tenth machine has no desired generation (a poll answers 404); the rest have one. */
export function hasDesiredGeneration(i: number): boolean {
  return i % 10 !== 0;
}

/** A random machine that has a desired generation, so a poll answers 200 with a body. */
export function pickPolledMachine(machines: number): number {
  const i = 1 + Math.floor(Math.random() * machines);
  return hasDesiredGeneration(i) ? i : i - 1 || 1;
}

/** The tags a machine is seeded with; reports carry the same ones (an unchanged heartbeat). */
export function machineTags(i: number): string[] {
  return ["fleet:bench", `rack:r${String(i % 250).padStart(3, "0")}`, ["web", "db", "cache"][i % 3]!];
}

const NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";

/** A valid, per-machine Nix store path (`generation` 0 = what runs now, 1 = the next release). */
export function storePath(i: number, generation: number): string {
  let state = (i * 2654435761 + generation * 40503 + 1) >>> 0;
  let hash = "";
  for (let k = 0; k < 32; k++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    hash += NIX_BASE32[state >>> 27];
  }
  return `/nix/store/${hash}-nixos-system-${machineId(i)}-25.05.${20250101 + generation}`;
}

/** An agent's report with a passing three-check health report, as the Rust agent sends it. */
export function reportBody(id: string, timestamp: string, generation = 0): string {
  const i = Number(id.slice(5));
  return JSON.stringify({
    machine_id: id,
    current_generation: storePath(i, generation),
    success: true,
    message: "switched to generation",
    timestamp,
    tags: machineTags(i),
    health: {
      results: [
        { status: "pass", check_name: "systemd-units", duration_ms: 12 },
        { status: "pass", check_name: "http:https://localhost/health", duration_ms: 3 },
        { status: "pass", check_name: "command:check-disk", duration_ms: 41 },
      ],
      all_passed: true,
      timestamp,
    },
    agent_version: "0.1.0",
    uptime_seconds: 86400,
  });
}
