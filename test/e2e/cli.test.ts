// The command line, run as operators run it: the compiled executable against a real server
// (the same executable) on a temp database. Exit codes, --json output parsed with the API's own
// schemas, the 0600 login file, and `keys recover` on the file the running server uses.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "@hono/zod-openapi";
import { FleetSummary } from "../../src/routes/fleet.ts";
import { CreatedRelease, Release, ReleaseDiff } from "../../src/routes/releases.ts";
import { CreatedRollout, Rollout, RolloutSummary } from "../../src/routes/rollouts/routes.ts";
import { compiledBinary } from "../support/binary.ts";
import { agents, cliRunner, expectOneLine } from "../support/cli.ts";
import { repoRoot, runToExit, startServer, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-cli-"));
const dbPath = join(dir, "state.db");
const configHome = join(dir, "config");
const configFile = join(configHome, "nixfleet", "control-plane.json");
const STORE_A = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const STORE_B = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05";

let binary: string;
let server: ServerProcess;
let adminKey: string;

let cli: ReturnType<typeof cliRunner>["cli"];
let json: ReturnType<typeof cliRunner>["json"];

beforeAll(async () => {
  binary = await compiledBinary();
  ({ cli, json } = cliRunner(binary, dir, { XDG_CONFIG_HOME: configHome }));
  server = await startServer([binary, "serve", "--listen", "127.0.0.1:0", "--db-path", dbPath], { cwd: dir });
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, { method: "POST", body: "{}" });
  adminKey = ((await bootstrap.json()) as { key: string }).key;
}, 120_000);

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("login", () => {
  test("reads the key from stdin, checks it against the server and saves it with mode 0600", async () => {
    const run = await cli(["login", "--url", server.url], { stdin: `${adminKey}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(configFile);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(configHome, "nixfleet")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(configFile, "utf8"))).toEqual({ url: server.url, api_key: adminKey });
  });

  test("a key the server does not know is refused (exit 3) and nothing is saved", async () => {
    const other = join(dir, "other.json");
    const run = await cli(["login", "--url", server.url, "--config", other], { stdin: `nfk-${"0".repeat(64)}\n` });
    expectOneLine(run, 3, "401");
    expect(existsSync(other)).toBe(false);
  });

  test("a login file others can read is refused with one line (exit 2)", async () => {
    chmodSync(configFile, 0o644);
    try {
      expectOneLine(await cli(["status"]), 2, "chmod 600");
    } finally {
      chmodSync(configFile, 0o600);
    }
  });

  test("the saved key is not sent to another URL", async () => {
    const other = await startServer([binary, "--listen", "127.0.0.1:0", "--db-path", join(dir, "other.db")], {
      cwd: dir,
    });
    try {
      expectOneLine(await cli(["status", "--url", other.url]), 3, "401: missing API key");
    } finally {
      other.kill();
    }
  });
});

test("logout deletes the saved login; commands then have no control plane", async () => {
  const other = join(dir, "logout.json");
  expect((await cli(["login", "--url", server.url, "--config", other], { stdin: `${adminKey}\n` })).code).toBe(0);
  expect((await cli(["status", "--config", other])).code).toBe(0);
  const out = await cli(["logout", "--config", other]);
  expect(out.code, out.stderr).toBe(0);
  expect(existsSync(other)).toBe(false);
  expectOneLine(await cli(["status", "--config", other]), 2, "no control plane configured");
});

describe("exit codes", () => {
  test("0 with a summary that parses as the API's FleetSummary", async () => {
    const summary = await json(FleetSummary, ["status"]);
    expect(summary.machines).toBe(0);
  });

  test("2 for usage errors, before anything is sent", async () => {
    expectOneLine(await cli(["machines", "frobnicate"]), 2, "frobnicate");
    expectOneLine(await cli(["machines", "list", "--limit", "many"]), 2, "--limit");
    expectOneLine(await cli(["rollouts", "create", "--release", "r", "--strategy", "canary"]), 2, "--tag or --host");
  });

  test("3 when the server refuses: unknown id (404), missing role (403), bad key (401)", async () => {
    expectOneLine(await cli(["machines", "show", "nope"]), 3, "404: machine nope not found");
    const readonly = await json(z.object({ key: z.string() }), [
      "keys",
      "create",
      "--name",
      "viewer",
      "--role",
      "readonly",
    ]);
    expectOneLine(
      await cli(["keys", "list"], { env: { NIXFLEET_URL: server.url, NIXFLEET_API_KEY: readonly.key } }),
      3,
      "403",
    );
    expectOneLine(
      await cli(["status"], { env: { NIXFLEET_URL: server.url, NIXFLEET_API_KEY: `nfk-${"1".repeat(64)}` } }),
      3,
      "401",
    );
  });

  test("4 when the control plane cannot be reached", async () => {
    expectOneLine(await cli(["status", "--url", "http://127.0.0.1:1"]), 4, "cannot reach http://127.0.0.1:1");
  });

  test("2 without any control plane configured", async () => {
    expectOneLine(await cli(["status"], { env: { XDG_CONFIG_HOME: join(dir, "empty") } }), 2, "login");
  });
});

describe("day-to-day commands", () => {
  test("machines: register, tag, move, list with filters and pages, show", async () => {
    for (const id of ["web-01", "web-02", "db-01"]) {
      expect((await cli(["machines", "register", id, "--tag", id.startsWith("web") ? "web" : "db"])).code).toBe(0);
    }
    const tags = await json(z.object({ machine_id: z.string(), tags: z.array(z.string()) }), [
      "machines",
      "tags",
      "add",
      "web-01",
      "canary",
    ]);
    expect(tags).toEqual({ machine_id: "web-01", tags: ["canary", "web"] });
    expect((await cli(["machines", "lifecycle", "db-01", "maintenance"])).code).toBe(0);
    const Machines = z.array(z.object({ machine_id: z.string(), lifecycle: z.string(), tags: z.array(z.string()) }));
    const web = await json(Machines, ["machines", "list", "--tag", "web"]);
    expect(web.map((m) => m.machine_id)).toEqual(["web-01", "web-02"]);
    const maintenance = await json(Machines, ["machines", "list", "--lifecycle", "maintenance"]);
    expect(maintenance.map((m) => m.machine_id)).toEqual(["db-01"]);
    const firstPage = await cli(["machines", "list", "--limit", "2", "--json"]);
    expect(JSON.parse(firstPage.stdout).map((m: { machine_id: string }) => m.machine_id)).toEqual(["db-01", "web-01"]);
    const cursor = /--cursor (\S+)/.exec(firstPage.stderr)?.[1];
    expect(cursor).toBeDefined();
    const secondPage = await json(Machines, ["machines", "list", "--limit", "2", "--cursor", cursor!]);
    expect(secondPage.map((m) => m.machine_id)).toEqual(["web-02"]);
    const table = await cli(["machines", "list"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^MACHINE\s+LIFECYCLE\s+STATE/);
    expect(table.stdout).toContain("db-01");
    const shown = await json(z.object({ machine_id: z.string(), registered_at: z.string() }), [
      "machines",
      "show",
      "web-02",
    ]);
    expect(shown.machine_id).toBe("web-02");
  });

  test("machines notify-deploy and clear-desired set what the agent polls; releases delete", async () => {
    const pinned = await json(z.object({ machine_id: z.string(), store_path: z.string() }), [
      "machines",
      "notify-deploy",
      "web-02",
      STORE_B,
    ]);
    expect(pinned).toEqual({ machine_id: "web-02", store_path: STORE_B });
    const poll = await fetch(`${server.url}/api/v1/machines/web-02/desired-generation`);
    expect(((await poll.json()) as { hash: string }).hash).toBe(STORE_B);
    const cleared = await cli(["machines", "clear-desired", "web-02", "--json"]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toBe("");
    expect((await fetch(`${server.url}/api/v1/machines/web-02/desired-generation`)).status).toBe(404);

    const release = await json(CreatedRelease, ["releases", "create", "--platform", "x86_64-linux"], {
      stdin: JSON.stringify({ "web-02": STORE_A }),
    });
    const deleted = await cli(["releases", "delete", release.id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(release.id);
    expectOneLine(await cli(["releases", "show", release.id]), 3, "404");
  });

  test("releases from `nix eval --json` output on stdin and from a manifest file; show, list, diff", async () => {
    const fromNixEval = await json(
      CreatedRelease,
      ["releases", "create", "--platform", "x86_64-linux", "--flake-ref", "github:example/fleet"],
      {
        stdin: JSON.stringify({ "web-01": STORE_A, "web-02": STORE_A }),
      },
    );
    expect(fromNixEval.host_count).toBe(2);
    const manifest = join(dir, "release.json");
    writeFileSync(
      manifest,
      JSON.stringify({
        flake_rev: "abc",
        entries: [
          { hostname: "web-01", store_path: STORE_B, platform: "x86_64-linux" },
          { hostname: "web-02", store_path: STORE_A, platform: "x86_64-linux" },
        ],
      }),
    );
    const fromFile = await json(CreatedRelease, ["releases", "create", manifest]);
    const shown = await json(Release, ["releases", "show", fromNixEval.id]);
    expect(shown.flake_ref).toBe("github:example/fleet");
    expect(shown.entries.map((e) => e.store_path)).toEqual([STORE_A, STORE_A]);
    const listed = await json(z.array(Release), ["releases", "list"]);
    expect(listed.map((r) => r.id)).toEqual([fromFile.id, fromNixEval.id]);
    const diff = await json(ReleaseDiff, ["releases", "diff", fromNixEval.id, fromFile.id]);
    expect(diff.changed).toEqual([{ hostname: "web-01", old_store_path: STORE_A, new_store_path: STORE_B }]);
    expect(diff.unchanged).toEqual(["web-02"]);
    expectOneLine(await cli(["releases", "create"], { stdin: JSON.stringify({ "web-01": STORE_A }) }), 2, "--platform");
    expectOneLine(await cli(["releases", "create", join(dir, "missing.json")]), 2, "missing.json");
    expectOneLine(
      await cli(["releases", "create", "--platform", "x86_64-linux"], {
        stdin: JSON.stringify({ "web-01": "/tmp/x" }),
      }),
      3,
      "400",
    );
  });

  test("rollouts: create, list, show, cancel, delete", async () => {
    const release = await json(CreatedRelease, ["releases", "create", "--platform", "x86_64-linux"], {
      stdin: JSON.stringify({ "web-01": STORE_B, "web-02": STORE_B }),
    });
    const created = await json(CreatedRollout, [
      "rollouts",
      "create",
      "--release",
      release.id,
      "--strategy",
      "canary",
      "--tag",
      "web",
      "--health-timeout",
      "600",
    ]);
    expect(created.total_machines).toBe(2);
    expect(created.batches.map((b) => b.machine_ids.length)).toEqual([1, 1]);
    const listed = await json(z.array(RolloutSummary), ["rollouts", "list", "--status", "running"]);
    expect(listed.map((r) => r.id)).toEqual([created.rollout_id]);
    const shown = await json(Rollout, ["rollouts", "show", created.rollout_id]);
    expect(shown.batches[0]!.status).toBe("waiting_health");
    const human = await cli(["rollouts", "show", created.rollout_id]);
    expect(human.stdout).toMatch(/BATCH\s+STATUS\s+MACHINES\s+HEALTHY/);
    expectOneLine(await cli(["rollouts", "delete", created.rollout_id]), 3, "409");
    const cancelled = await json(Rollout, ["rollouts", "cancel", created.rollout_id]);
    expect(cancelled.status).toBe("cancelled");
    const deleted = await cli(["rollouts", "delete", created.rollout_id, "--json"]);
    expect(deleted).toEqual({ code: 0, stdout: "", stderr: "" });
    expectOneLine(await cli(["rollouts", "show", created.rollout_id]), 3, "404");
  });

  test("keys: create prints the key alone on stdout; list; revoke", async () => {
    const run = await cli(["keys", "create", "--name", "ci", "--role", "deploy"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^nfk-[0-9a-f]{64}\n$/);
    const keys = await json(
      z.array(z.object({ id: z.string(), name: z.string(), revoked_at: z.string().nullable() })),
      ["keys", "list"],
    );
    const ci = keys.find((k) => k.name === "ci")!;
    expect((await cli(["keys", "revoke", ci.id])).code).toBe(0);
    const after = await json(z.array(z.object({ id: z.string(), revoked_at: z.string().nullable() })), [
      "keys",
      "list",
    ]);
    expect(after.find((k) => k.id === ci.id)!.revoked_at).not.toBeNull();
  });

  test("audit: list as JSON, export as CSV to a file", async () => {
    const events = await json(z.array(z.object({ actor: z.string(), action: z.string(), target: z.string() })), [
      "audit",
      "list",
      "--action",
      "register",
    ]);
    expect(events.map((e) => e.target).sort()).toEqual(["db-01", "web-01", "web-02"]);
    const file = join(dir, "audit.csv");
    const run = await cli(["audit", "export", "--action", "register", "-o", file]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines[0]).toBe("timestamp,actor,action,target,detail");
    expect(lines).toHaveLength(4);
  });
});

describe("deploy", () => {
  test("deploy --wait follows a rollout to completion: exit 0, progress on stderr, the rollout as JSON", async () => {
    for (const id of ["ci-01", "ci-02", "ci-03"])
      expect((await cli(["machines", "register", id, "--tag", "ci"])).code).toBe(0);
    const release = await json(CreatedRelease, ["releases", "create", "--platform", "x86_64-linux"], {
      stdin: JSON.stringify({ "ci-01": STORE_B, "ci-02": STORE_B, "ci-03": STORE_B }),
    });
    const deploy = cli(["deploy", "--release", release.id, "--strategy", "canary", "--tag", "ci", "--wait", "--json"]);
    await agents(server.url, ["ci-01", "ci-02", "ci-03"], deploy);
    const run = await deploy;
    expect(run.code, run.stderr).toBe(0);
    const rollout = Rollout.parse(JSON.parse(run.stdout));
    expect(rollout.status).toBe("completed");
    expect(rollout.batches.map((b) => b.status)).toEqual(["succeeded", "succeeded"]);
    // Not a terminal: each changed line once, ending with every batch done.
    expect(run.stderr).toContain(`rollout ${rollout.id}  completed  3/3 healthy`);
    expect(run.stderr).toContain("batch 1  succeeded  [####################]  2/2 healthy");
  });

  test.skipIf(!Bun.which("tmux") && !process.env.CI)(
    "deploy --wait in a terminal redraws its progress in place and exits 5 when the rollout pauses",
    async () => {
      if (!Bun.which("tmux")) throw new Error("tmux is missing: .ci/run installs it for this test");
      for (const id of ["tm-01", "tm-02"])
        expect((await cli(["machines", "register", id, "--tag", "tm"])).code).toBe(0);
      const release = await json(CreatedRelease, ["releases", "create", "--platform", "x86_64-linux"], {
        stdin: JSON.stringify({ "tm-01": STORE_B, "tm-02": STORE_B }),
      });
      const socket = `nixfleet-cli-test-${process.pid}`;
      const tmux = (...args: string[]) => runToExit(["tmux", "-L", socket, ...args]);
      const command = [
        `NIXFLEET_URL=${server.url}`,
        `NIXFLEET_API_KEY=${adminKey}`,
        binary,
        "deploy --release",
        release.id,
        "--strategy canary --tag tm --wait; echo exit=$?; sleep 60",
      ].join(" ");
      expect((await tmux("new-session", "-d", "-s", "deploy", "-x", "120", "-y", "20", command)).code).toBe(0);
      try {
        const screen = async () => (await tmux("capture-pane", "-p", "-t", "deploy")).stdout;
        let text = "";
        const failing = (async () => {
          for (let tries = 0; tries < 150 && !text.includes("exit="); tries++) {
            text = await screen();
            await Bun.sleep(200);
          }
        })();
        // The canary machine's switch fails: its batch fails and the rollout pauses (threshold 0).
        await agents(server.url, ["tm-01", "tm-02"], failing, false);
        expect(text).toContain("exit=5");
        expect(text).toMatch(/rollout r-\S+ paused \(batch 0 failed\)/);
        expect(text).toMatch(/batch 0  failed +\[x+\]  0\/1 healthy, 1 unhealthy/);
        // Redrawn in place: the final block is on screen once, not once per change.
        expect(text.match(/  batch 0 /g)).toHaveLength(1);
      } finally {
        await tmux("kill-server");
      }
    },
  );
});

describe("webhooks", () => {
  test("create shows the secret once; deliveries of a refused endpoint are listed, redelivered; delete", async () => {
    const Webhook = z.object({ id: z.string(), url: z.string(), events: z.array(z.string()) });
    const created = await json(Webhook.extend({ secret: z.string() }), [
      "webhooks",
      "create",
      "http://127.0.0.1:1/hook",
      "--event",
      "register",
    ]);
    expect(created.secret).toStartWith("whsec_");
    const listed = await json(z.array(Webhook), ["webhooks", "list"]);
    expect(listed.map((w) => w.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect((await cli(["machines", "register", "hooked-01"])).code).toBe(0);
    const Delivery = z.object({
      id: z.string(),
      action: z.string(),
      status: z.string(),
      attempts: z.array(z.unknown()),
    });
    let deliveries: z.infer<typeof Delivery>[] = [];
    for (let tries = 0; tries < 100 && deliveries.length === 0; tries++) {
      deliveries = await json(z.array(Delivery), ["webhooks", "deliveries", created.id]);
      if (deliveries.length === 0) await Bun.sleep(100);
    }
    expect(deliveries.map((d) => d.action)).toEqual(["register"]);
    const again = await json(z.array(Delivery), ["webhooks", "redeliver", created.id, deliveries[0]!.id]);
    expect(again[0]!.id).toBe(deliveries[0]!.id);
    expect((await cli(["webhooks", "delete", created.id])).code).toBe(0);
    expectOneLine(await cli(["webhooks", "deliveries", created.id]), 3, "404");
  });
});

describe("keys recover", () => {
  test("writes an admin key into the database a running server uses; it works over HTTP at once", async () => {
    const run = await cli(["keys", "recover", "--db-path", dbPath, "--name", "break-glass"]);
    expect(run.code, run.stderr).toBe(0);
    const key = run.stdout.trim();
    expect(key).toMatch(/^nfk-[0-9a-f]{64}$/);
    expect(run.stderr).toContain("system:recover");
    const keys = await fetch(`${server.url}/api/v1/keys`, { headers: { authorization: `Bearer ${key}` } });
    expect(keys.status).toBe(200);
    const recovered = ((await keys.json()) as { name: string; role: string; expires_at: string | null }[]).find(
      (k) => k.name === "break-glass",
    );
    expect(recovered).toMatchObject({ role: "admin", expires_at: null });
    const audit = await json(z.array(z.object({ actor: z.string(), action: z.string(), detail: z.string() })), [
      "audit",
      "list",
      "--actor",
      "system:recover",
    ]);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.action).toBe("key.created");
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ name: "break-glass", role: "admin" });
  });

  test("--json prints the API's CreatedApiKey shape", async () => {
    const created = await json(
      z.object({ id: z.string(), key: z.string(), name: z.string(), role: z.literal("admin"), expires_at: z.null() }),
      ["keys", "recover", "--db-path", dbPath],
    );
    expect(created.name).toBe("recovery");
  });

  test("a database another process keeps locked past the 5 s wait is exit 4 with one line", async () => {
    const locked = join(dir, "locked.db");
    // Created by another process: two SQLite libraries in one process (libSQL's, bun:sqlite's)
    // would drop each other's POSIX locks when either closes the file.
    const created = await runToExit([
      "bun",
      "-e",
      `const { openStore } = await import(${JSON.stringify(join(repoRoot, "src/db/database.ts"))}); await (await openStore(${JSON.stringify(locked)})).close();`,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const holder = new Database(locked);
    holder.exec("BEGIN IMMEDIATE");
    try {
      expectOneLine(await cli(["keys", "recover", "--db-path", locked]), 4, "database locked");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });

  test("a path with no database is refused with one line and creates nothing", async () => {
    const missing = join(dir, "nowhere", "state.db");
    expectOneLine(await cli(["keys", "recover", "--db-path", missing]), 2, missing);
    expect(existsSync(missing)).toBe(false);
    expectOneLine(await cli(["keys", "recover", "--db-path", dbPath, "--name", "bad\u0001name"]), 2, "--name");
  });
});

describe("serving and completions", () => {
  test("flags alone still serve, and --help prints the server's flags", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--db-path");
    expect(help.stdout).toContain("nixfleet-control-plane help");
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test("completion scripts for bash, zsh and fish; the binary answers completion queries", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const run = await cli(["completion", shell]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("nixfleet-control-plane");
    }
    const words = await cli(["completion", "bash", "machines", ""]);
    expect(words.stdout.split("\n")).toEqual(expect.arrayContaining(["list", "show", "register"]));
    const flags = await cli(["completion", "bash", "serve", "--"]);
    expect(flags.stdout).toContain("--db-path");
  });
});
