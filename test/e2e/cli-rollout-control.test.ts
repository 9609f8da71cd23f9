// Rollout control (SPEC §14) from the command line: the compiled executable against a real server
// (the same executable) on a temp database. The verbs and the trace, the §14.2 options, budgets,
// windows and the freeze, per-machine states and reasons in `rollouts show` and in `deploy --wait`'s
// progress, and `deploy --wait`'s exit codes for paused (5), failed (6) and aborted (7).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "@hono/zod-openapi";
import { FleetSummary } from "../../src/routes/fleet.ts";
import { Budget, Freeze, MaintenanceWindow } from "../../src/routes/gates.ts";
import { CreatedRelease } from "../../src/routes/releases.ts";
import { CreatedRollout, Rollout, RolloutTrace } from "../../src/routes/rollouts/routes.ts";
import { compiledBinary } from "../support/binary.ts";
import { agents, cliRunner, expectOneLine, type CliRun } from "../support/cli.ts";
import { runToExit, startServer, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-cli-control-"));
const NEXT = (host: string) => `/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-${host}-25.05`;

let binary: string;
let server: ServerProcess;
let cli: ReturnType<typeof cliRunner>["cli"];
let json: ReturnType<typeof cliRunner>["json"];

beforeAll(async () => {
  binary = await compiledBinary();
  server = await startServer([binary, "serve", "--listen", "127.0.0.1:0", "--db-path", join(dir, "state.db")], {
    cwd: dir,
  });
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, { method: "POST", body: "{}" });
  const adminKey = ((await bootstrap.json()) as { key: string }).key;
  ({ cli, json } = cliRunner(binary, dir, { NIXFLEET_URL: server.url, NIXFLEET_API_KEY: adminKey }));
}, 120_000);

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** `n` machines `<prefix>-1…` tagged `prefix`, and a release to their next generation; its id. */
async function fleet(prefix: string, n: number): Promise<{ ids: string[]; release: string }> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  for (const id of ids) expect((await cli(["machines", "register", id, "--tag", prefix])).code).toBe(0);
  const release = await json(CreatedRelease, ["releases", "create", "--platform", "x86_64-linux"], {
    stdin: JSON.stringify(Object.fromEntries(ids.map((id) => [id, NEXT(id)]))),
  });
  return { ids, release: release.id };
}

const show = (id: string) => json(Rollout, ["rollouts", "show", id]);
/** `rollouts create` of `release` over the machines tagged `tag`, with the further `options`. */
const createArgs = (release: string, strategy: string, tag: string, ...options: string[]) => [
  "rollouts",
  "create",
  "--release",
  release,
  "--strategy",
  strategy,
  "--tag",
  tag,
  ...options,
];

describe("rollouts create: the §14.2 options", () => {
  test("are sent as given (durations in any unit) and shown; malformed ones are usage errors, before anything is sent", async () => {
    const { release } = await fleet("opt", 3);
    const created = await json(
      CreatedRollout,
      createArgs(
        release,
        "staged",
        "opt",
        "--batch-sizes",
        "1,100%",
        "--soak",
        "10m",
        "--batch-soak",
        "30s,1h",
        "--min-decided",
        "2",
        "--max-in-flight",
        "50%",
        "--not-before",
        "2099-01-01T02:00:00+01:00",
        "--offline-after",
        "15m",
        "--health-timeout",
        "2h",
      ),
    );
    const rollout = await show(created.rollout_id);
    expect(rollout).toMatchObject({
      status: "scheduled",
      soak_seconds: 600,
      batch_soak_seconds: [30, 3600],
      min_decided: 2,
      max_in_flight: "50%",
      not_before: "2099-01-01T01:00:00.000Z",
      offline_after_seconds: 900,
      health_timeout: 7200,
      supersede: false,
      blocked_by: ["not_before"],
    });
    const human = (await cli(["rollouts", "show", created.rollout_id])).stdout;
    expect(human).toContain("blocked by: not_before");
    expect(human).toContain("options:    soak 10m, batch soaks 30s,60m, min decided 2, max in flight 50%");
    // The other verbs wait for it to start; cancel applies.
    expectOneLine(await cli(["rollouts", "pause", created.rollout_id]), 3, "409");
    expect((await json(Rollout, ["rollouts", "cancel", created.rollout_id])).status).toBe("cancelled");

    const base = createArgs(release, "canary", "opt");
    expectOneLine(await cli([...base, "--soak", "10x"]), 2, "--soak");
    expectOneLine(await cli([...base, "--batch-soak", "1m,soon"]), 2, "--batch-soak");
    expectOneLine(await cli([...base, "--max-in-flight", "half"]), 2, "--max-in-flight");
    expectOneLine(await cli([...base, "--max-in-flight", "150%"]), 2, "more than 100%");
    expectOneLine(await cli([...base, "--not-before", "tomorrow"]), 2, "--not-before");
    expectOneLine(await cli([...base, "--offline-after", "0"]), 2, "--offline-after");
    expectOneLine(await cli([...base, "--min-decided", "0"]), 2, "--min-decided");
  });

  test("--supersede takes machines from another active rollout", async () => {
    const { release } = await fleet("sup", 2);
    const first = await json(CreatedRollout, createArgs(release, "all_at_once", "sup"));
    const again = createArgs(release, "all_at_once", "sup");
    expectOneLine(await cli(again), 3, "409");
    const second = await json(CreatedRollout, [...again, "--supersede"]);
    const taken = await show(first.rollout_id);
    expect(Object.values(taken.batches[0]!.machine_states).map((m) => m.state)).toEqual(["superseded", "superseded"]);
    expect((await cli(["rollouts", "abort", second.rollout_id])).code).toBe(0);
  });
});

describe("the verbs", () => {
  test("pause with a reason, what show says then, promote (--force), skip, abort; refusals are exit 3", async () => {
    const { release } = await fleet("verb", 4);
    const { rollout_id: id, batches } = await json(
      CreatedRollout,
      createArgs(release, "staged", "verb", "--batch-sizes", "2,100%", "--max-in-flight", "1"),
    );
    const paused = await json(Rollout, ["rollouts", "pause", id, "--reason", "error rate up"]);
    expect(paused).toMatchObject({ status: "paused", pause_reason: "error rate up", blocked_by: ["paused"] });
    const verb = (await cli(["rollouts", "resume", id])).stdout;
    expect(verb).toContain("status:     running");
    expect(verb).toMatch(/progress: +0\/4 healthy, 1 deploying, 1 waiting \(max_in_flight\)/);
    expect(verb).toContain("blocked by: max_in_flight");
    expect((await cli(["rollouts", "pause", id, "--reason", "error rate up"])).code).toBe(0);

    // show: what holds the rollout, each batch's states, every machine with something to explain.
    const human = (await cli(["rollouts", "show", id])).stdout;
    expect(human).toContain("status:     paused by an operator: error rate up");
    expect(human).toContain("blocked by: paused");
    expect(human).toMatch(
      /BATCH\s+STATUS\s+MACHINES\s+HEALTHY\s+UNHEALTHY\s+DEPLOYING\s+WAITING\s+PENDING\s+SKIPPED\s+SUPERSEDED\s+SOAK/,
    );
    const machineLine = (m: string) => human.split("\n").find((line) => line.includes(` ${m} `)) ?? "";
    const states = await show(id);
    const held = batches[0]!.machine_ids.find((m) => states.batches[0]!.machine_states[m]!.state === "waiting")!;
    expect(machineLine(held)).toMatch(/^ +0 +verb-\d +waiting +paused/);
    expect(human).toContain("2 others not listed; --state picks");
    const pending = (await cli(["rollouts", "show", id, "--state", "pending"])).stdout;
    for (const m of batches[1]!.machine_ids) expect(pending).toMatch(new RegExp(` ${m} +pending `));

    expectOneLine(await cli(["rollouts", "retry", id]), 3, "without a failed batch");
    expectOneLine(await cli(["rollouts", "promote", id]), 3, "promote with force");
    const skipped = await json(Rollout, ["rollouts", "skip", id, held, "--reason", "disk broken"]);
    expect(skipped.batches[0]!.machine_states[held]).toMatchObject({ state: "skipped", reason: "disk broken" });
    const promoted = await json(Rollout, ["rollouts", "promote", id, "--force"]);
    expect(promoted.status).toBe("running");
    expect(promoted.batches[0]!.status).toBe("succeeded");
    const aborted = await json(Rollout, ["rollouts", "abort", id, "--reason", "bad release"]);
    expect(aborted.status).toBe("aborted");
    expectOneLine(await cli(["rollouts", "abort", id]), 3, `rollout ${id} is aborted`);
    expectOneLine(await cli(["rollouts", "skip", id, "nope"]), 3, "404");

    // The trace: every transition in order, a page at a time or all of them, one machine's.
    const page = await json(RolloutTrace, ["rollouts", "trace", id, "--limit", "3"]);
    expect(page.events.map((e) => e.action)).toEqual(["rollout.created", "batch.deploying", expect.any(String)]);
    expect(page.next_after).toBe(page.events[2]!.id);
    const note = await cli(["rollouts", "trace", id, "--limit", "3"]);
    expect(note.stderr).toContain(`more events follow: add --after ${page.next_after}`);
    expect(note.stdout.split("\n")[0]).toMatch(/^EVENT\s+TIME\s+ACTION\s+MACHINE\s+BATCH\s+REASON\s+ACTOR$/);
    const all = await json(RolloutTrace, ["rollouts", "trace", id, "--all", "--limit", "2"]);
    expect(all.next_after).toBeNull();
    expect(all.events.map((e) => e.action)).toContain("rollout.aborted");
    const mine = await json(RolloutTrace, ["rollouts", "trace", id, "--all", "--machine", held]);
    expect(mine.events.map((e) => [e.action, e.reason])).toEqual([
      ["machine.waiting", "max_in_flight"],
      ["machine.waiting", "paused"],
      ["machine.waiting", "max_in_flight"],
      ["machine.waiting", "paused"],
      ["machine.skipped", "disk broken"],
    ]);
  });
});

describe("gates", () => {
  test("budgets, windows and the freeze: set, list, delete; status shows a freeze", async () => {
    const budget = await json(Budget, ["budgets", "set", "db", "--tag", "db", "--max-unavailable", "10%"]);
    expect(budget).toMatchObject({ name: "db", tags: ["db"], max_unavailable: "10%", in_flight: 0 });
    expect((await json(z.array(Budget), ["budgets", "list"])).map((b) => b.name)).toEqual(["db"]);
    expect((await cli(["budgets", "list"])).stdout).toMatch(/^BUDGET\s+TAGS\s+MAX UNAVAILABLE\s+LIMIT\s+IN FLIGHT/);
    expectOneLine(await cli(["budgets", "set", "db", "--max-unavailable", "lots"]), 2, "--max-unavailable");
    expect(await cli(["budgets", "delete", "db"])).toEqual({ code: 0, stdout: "db: deleted\n", stderr: "" });
    expectOneLine(await cli(["budgets", "delete", "db"]), 3, "404");

    const window = await json(MaintenanceWindow, [
      "windows",
      "set",
      "nights",
      "--tag",
      "db",
      "--cron",
      "0 2 * * 1-5",
      "--cron",
      "0 4 * * 0,6",
      "--duration-minutes",
      "90",
      "--timezone",
      "Europe/Berlin",
    ]);
    expect(window).toMatchObject({
      cron: ["0 2 * * 1-5", "0 4 * * 0,6"],
      duration_minutes: 90,
      timezone: "Europe/Berlin",
    });
    expect((await cli(["windows", "list"])).stdout).toMatch(
      /nights\s+db\s+0 2 \* \* 1-5 \| 0 4 \* \* 0,6\s+90\s+Europe\/Berlin\s+(open until|closed, opens)/,
    );
    expectOneLine(
      await cli(["windows", "set", "bad", "--cron", "61 * * * *", "--duration-minutes", "5"]),
      3,
      "cron[0]",
    );
    expect((await cli(["windows", "delete", "nights"])).code).toBe(0);

    expect(await json(Freeze, ["freeze", "show"])).toMatchObject({ frozen: false });
    const frozen = await json(Freeze, ["freeze", "set", "incident 42"]);
    expect(frozen).toMatchObject({ frozen: true, reason: "incident 42", set_by: "apikey:admin" });
    const status = await cli(["status"]);
    expect(status.stdout.split("\n")[0]).toMatch(
      /^FROZEN since \d{4}-\d\d-\d\d \d\d:\d\d UTC by apikey:admin: incident 42$/,
    );
    FleetSummary.parse(JSON.parse((await cli(["status", "--json"])).stdout));
    expect((await cli(["freeze", "show"])).stdout).toContain("FROZEN");
    expect(await json(Freeze, ["freeze", "clear"])).toMatchObject({ frozen: false });
    expect((await cli(["status"])).stdout).not.toContain("FROZEN");
  });
});

describe("deploy --wait", () => {
  /** Starts `deploy --wait` for `prefix`'s fleet with `options`; resolves when it exits. */
  async function deploy(
    prefix: string,
    n: number,
    options: string[],
  ): Promise<{ ids: string[]; run: Promise<CliRun> }> {
    const { ids, release } = await fleet(prefix, n);
    const run = cli(["deploy", "--release", release, "--tag", prefix, "--wait", ...options]);
    return { ids, run };
  }

  /** The id of the one active rollout of `prefix`'s machines, once it exists. */
  async function rolloutOf(prefix: string): Promise<string> {
    for (let tries = 0; tries < 100; tries++) {
      const listed = await json(z.array(Rollout.omit({ events: true })), ["rollouts", "list"]);
      const found = listed.find((r) => r.batches[0]?.machine_ids[0]?.startsWith(`${prefix}-`));
      if (found) return found.id;
      await Bun.sleep(100);
    }
    throw new Error(`no rollout of ${prefix}`);
  }

  test("a failed batch that reverts: exit 6; the log shows waiting reasons and the unhealthy machine", async () => {
    const { ids, run } = await deploy("rev", 3, [
      "--strategy",
      "all_at_once",
      "--on-failure",
      "revert",
      "--max-in-flight",
      "1",
    ]);
    await agents(server.url, ids, run, false);
    const result = await run;
    expect(result.code, result.stderr).toBe(6);
    expect(result.stdout).toMatch(/^rollout r-\S+ failed\n$/);
    expect(result.stderr).toMatch(
      /batch 0  waiting_health  \[>+-+\]  0\/3 healthy, 1 deploying, 2 waiting \(max_in_flight\)/,
    );
    expect(result.stderr).toMatch(/\n    rev-\d  unhealthy  report failed: switch failed\n/);
  });

  test("an operator's pause: exit 5 with the reason; an abort: exit 7", async () => {
    const paused = await deploy("pau", 2, ["--strategy", "all_at_once", "--json"]);
    const pausedId = await rolloutOf("pau");
    expect((await cli(["rollouts", "pause", pausedId, "--reason", "looks wrong"])).code).toBe(0);
    const result = await paused.run;
    expect(result.code, result.stderr).toBe(5);
    expect(Rollout.parse(JSON.parse(result.stdout))).toMatchObject({ status: "paused", pause_reason: "looks wrong" });
    expect(result.stderr).toContain("paused by an operator: looks wrong");
    expect((await cli(["rollouts", "abort", pausedId])).code).toBe(0);

    const aborted = await deploy("abo", 2, ["--strategy", "all_at_once"]);
    expect((await cli(["rollouts", "abort", await rolloutOf("abo"), "--reason", "bad release"])).code).toBe(0);
    const stopped = await aborted.run;
    expect(stopped.code, stopped.stderr).toBe(7);
    expect(stopped.stdout).toMatch(/^rollout r-\S+ aborted\n$/);
  });

  test.skipIf(!Bun.which("tmux") && !process.env.CI)(
    "in a terminal a soaking batch counts down in place until promoted; then exit 0",
    async () => {
      if (!Bun.which("tmux")) throw new Error("tmux is missing: .ci/run installs it for this test");
      const { ids, release } = await fleet("soak", 2);
      const socket = `nixfleet-cli-soak-${process.pid}`;
      const tmux = (...args: string[]) => runToExit(["tmux", "-L", socket, ...args]);
      const command = [
        `NIXFLEET_URL=${server.url}`,
        `NIXFLEET_API_KEY=${(await cli(["keys", "create", "--name", "soaker", "--role", "deploy"])).stdout.trim()}`,
        binary,
        "deploy --release",
        release,
        "--strategy all_at_once --tag soak --soak 10m --wait; echo exit=$?; sleep 60",
      ].join(" ");
      expect((await tmux("new-session", "-d", "-s", "soak", "-x", "140", "-y", "20", command)).code).toBe(0);
      try {
        const screen = async () => (await tmux("capture-pane", "-p", "-t", "soak")).stdout;
        const until = async (pattern: RegExp) => {
          for (let tries = 0; tries < 150; tries++) {
            const text = await screen();
            const match = pattern.exec(text);
            if (match) return { text, match };
            await Bun.sleep(200);
          }
          throw new Error(`not on screen: ${pattern}\n${await screen()}`);
        };
        const done = until(/soak (9m \d\ds) left/);
        await agents(server.url, ids, done);
        const first = await done;
        expect(first.text).toMatch(/batch 0  soaking  \[#{20}\]  2\/2 healthy · soak 9m \d\ds left/);
        // A second later the same line shows less time left, redrawn in place (one batch line on screen).
        const later = await until(new RegExp(`soak (?!${first.match[1]})9m \\d\\ds left`));
        expect(later.text.match(/  batch 0 /g)).toHaveLength(1);
        expect((await cli(["rollouts", "promote", await rolloutOf("soak")])).code).toBe(0);
        const end = await until(/exit=\d/);
        expect(end.text).toContain("exit=0");
        expect(end.text).toMatch(/rollout r-\S+ completed/);
      } finally {
        await tmux("kill-server");
      }
    },
  );
});

describe("completions", () => {
  test("come from the parsers: the new commands, verbs and options complete", async () => {
    const words = async (...args: string[]) => (await cli(["completion", "bash", ...args])).stdout.split("\n");
    expect(await words("")).toEqual(expect.arrayContaining(["budgets", "windows", "freeze", "deploy"]));
    expect(await words("rollouts", "")).toEqual(
      expect.arrayContaining(["trace", "pause", "resume", "promote", "abort", "retry", "skip", "cancel"]),
    );
    expect(await words("freeze", "")).toEqual(expect.arrayContaining(["show", "set", "clear"]));
    expect(await words("deploy", "--")).toEqual(
      expect.arrayContaining([
        "--soak",
        "--batch-soak",
        "--min-decided",
        "--max-in-flight",
        "--not-before",
        "--offline-after",
        "--supersede",
      ]),
    );
    expect(await words("rollouts", "show", "--state", "")).toEqual(expect.arrayContaining(["waiting", "skipped"]));
  });
});
