// Running the compiled executable as a command line in the end-to-end tests, and agents that
// answer its rollouts.
import { expect } from "bun:test";
import type { z } from "@hono/zod-openapi";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  stdin?: string;
}

/**
 * `cli(args)` runs `binary` with a clean CLI environment (only `XDG_CONFIG_HOME`, `HOME` and what a
 * test passes; no inherited NIXFLEET_*) and optional stdin; `json(schema, args)` runs a command
 * that must succeed with `--json` and parses its output with `schema`.
 */
export function cliRunner(binary: string, dir: string, baseEnv: Record<string, string> = {}) {
  async function cli(args: string[], options: CliOptions = {}): Promise<CliRun> {
    const env: Record<string, string | undefined> = { ...process.env, HOME: dir, ...baseEnv };
    for (const name of Object.keys(env)) if (name.startsWith("NIXFLEET_") && !(name in baseEnv)) delete env[name];
    const proc = Bun.spawn([binary, ...args], {
      cwd: dir,
      env: { ...env, ...options.env },
      stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    return { code, stdout, stderr };
  }
  async function json<T extends z.ZodType>(schema: T, args: string[], options?: CliOptions): Promise<z.infer<T>> {
    const run = await cli([...args, "--json"], options);
    expect(run.code, run.stderr).toBe(0);
    return schema.parse(JSON.parse(run.stdout)) as z.infer<T>;
  }
  return { cli, json };
}

/** A failed run's stderr is one line naming the problem. */
export function expectOneLine(run: CliRun, code: number, text: string): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toContain(text);
}

/** An agent's report to `url`: `generation` running, switched and healthy (or failing). */
export function agentReport(url: string, id: string, generation: string, success = true): Promise<Response> {
  const now = new Date().toISOString();
  return fetch(`${url}/api/v1/machines/${id}/report`, {
    method: "POST",
    body: JSON.stringify({
      machine_id: id,
      current_generation: generation,
      success,
      message: success ? "switched" : "switch failed",
      timestamp: now,
      health: success
        ? { results: [{ status: "pass", check_name: "nginx", duration_ms: 3 }], all_passed: true, timestamp: now }
        : null,
    }),
  });
}

/**
 * Until `done` settles: every machine of `ids` that is told to run something other than what it
 * reported last reports it, switched and healthy (or failing), as an agent would after a switch.
 */
export async function agents(url: string, ids: string[], done: Promise<unknown>, success = true): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  const running = new Map<string, string>();
  while (!finished) {
    for (const id of ids) {
      const desired = await fetch(`${url}/api/v1/machines/${id}/desired-generation`);
      if (desired.status !== 200) continue;
      const { hash } = (await desired.json()) as { hash: string };
      if (running.get(id) === hash) continue;
      await agentReport(url, id, hash, success);
      running.set(id, hash);
    }
    await Bun.sleep(200);
  }
}
