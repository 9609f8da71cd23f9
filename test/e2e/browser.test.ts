// The dashboard and /docs in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core),
// served by the compiled executable: every asset must come from inside it. Screenshots of the main
// pages land in a temp dir, or in docs/screenshots/ with UPDATE_SCREENSHOTS=1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { compiledBinary } from "../support/binary.ts";
import { repoRoot, startServer, type ServerProcess } from "../support/process.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env.CI)
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for the browser tests`);
  console.warn(`SKIPPED browser tests: ${CHROMIUM} is not installed (apt-get install chromium)`);
}

const dir = mkdtempSync(join(tmpdir(), "nixfleet-browser-"));
const shots = join(dir, "screenshots");
/** A store path of release `n` for a host: a nix-base32 hash derived from both, as a real one looks. */
function STORE(name: string, n: number): string {
  const digest = createHash("sha256").update(`${name}/${n}`).digest();
  const hash = Array.from(digest.subarray(0, 32), (byte) => "0123456789abcdfghijklmnpqrsvwxyz"[byte % 32]).join("");
  return `/nix/store/${hash}-nixos-system-${name}-25.05.${20260101 + n}`;
}

let server: ServerProcess;
let browser: Browser;
let admin: string;
let rolloutId: string;
let soakingId: string;

async function api(method: string, path: string, body?: unknown, key = admin) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

function report(id: string, generation: string, options: { success?: boolean; failing?: string } = {}) {
  const health = {
    results: options.failing
      ? [
          { status: "pass", check_name: "sshd", duration_ms: 4 },
          {
            status: "fail",
            check_name: options.failing,
            duration_ms: 812,
            message: `${options.failing}: connection refused on port 443`,
          },
        ]
      : [
          { status: "pass", check_name: "sshd", duration_ms: 4 },
          { status: "pass", check_name: "nginx", duration_ms: 31 },
        ],
    all_passed: !options.failing,
    timestamp: new Date().toISOString(),
  };
  return fetch(`${server.url}/api/v1/machines/${id}/report`, {
    method: "POST",
    body: JSON.stringify({
      machine_id: id,
      current_generation: generation,
      success: options.success ?? true,
      message: options.success === false ? "switch-to-configuration failed: unit nginx.service failed" : "switched",
      timestamp: new Date().toISOString(),
      tags: [],
      health,
      agent_version: "0.1.0",
      uptime_seconds: 86_400 * 3,
    }),
  });
}

/** A fleet worth looking at: web, db and edge machines in several states, two releases, a rollout mid-way. */
async function seed() {
  const bootstrap = await fetch(`${server.url}/api/v1/keys/bootstrap`, { method: "POST", body: "{}" });
  admin = ((await bootstrap.json()) as { key: string }).key;
  const web = Array.from({ length: 48 }, (_, i) => `web-${String(i + 1).padStart(2, "0")}`);
  const db = ["db-01", "db-02", "db-03"];
  const edge = Array.from({ length: 8 }, (_, i) => `edge-${String(i + 1).padStart(2, "0")}`);
  for (const id of web) await api("POST", `/api/v1/machines/${id}/register`, { tags: ["web", i18nRegion(id)] });
  for (const id of db) await api("POST", `/api/v1/machines/${id}/register`, { tags: ["db", "eu-west"] });
  for (const id of edge) await api("POST", `/api/v1/machines/${id}/register`, { tags: ["edge"], lifecycle: "pending" });
  await api("POST", "/api/v1/machines/db-03/register", { lifecycle: "maintenance", tags: ["db", "eu-west"] });
  for (const id of [...web, ...db.slice(0, 2)]) await report(id, STORE(id, 1));
  await report("db-02", STORE("db-02", 1), { failing: "postgresql" });
  await report("web-40", STORE("web-40", 1), { success: false });
  const entries = (n: number) =>
    [...web, ...db].map((hostname) => ({ hostname, store_path: STORE(hostname, n), platform: "x86_64-linux" }));
  await api("POST", "/api/v1/releases", {
    flake_ref: "github:example/fleet",
    flake_rev: "4f0c2a9d1e7b6a5f4e3d2c1b0a9f8e7d6c5b4a31",
    entries: entries(1),
  });
  const release = (await api("POST", "/api/v1/releases", {
    flake_ref: "github:example/fleet",
    flake_rev: "9b1d3e5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b",
    cache_url: "https://cache.example.com",
    entries: entries(2),
  })) as { id: string };
  const created = (await api("POST", "/api/v1/rollouts", {
    release_id: release.id,
    strategy: "staged",
    batch_sizes: ["2", "25%", "100%"],
    failure_threshold: "1",
    health_timeout: 3600,
    target: { hosts: web.slice(0, 12) },
  })) as { rollout_id: string; batches: { machine_ids: string[] }[] };
  rolloutId = created.rollout_id;
  // The canary batch passes; the next batch starts, one machine of it fails its health check.
  for (const id of created.batches[0]!.machine_ids) await report(id, STORE(id, 2));
  await waitFor(
    async () =>
      ((await api("GET", `/api/v1/rollouts/${rolloutId}`)) as { batches: { status: string }[] }).batches[1]!.status ===
      "waiting_health",
  );
  const second = created.batches[1]!.machine_ids;
  await report(second[0]!, STORE(second[0]!, 2));
  await report(second[1]!, STORE(second[1]!, 2), { failing: "nginx" });
  // A second rollout: one database machine, healthy, soaking for half an hour before it completes.
  const soaking = (await api("POST", "/api/v1/rollouts", {
    release_id: release.id,
    strategy: "all_at_once",
    soak_seconds: 1800,
    target: { hosts: ["db-01"] },
  })) as { rollout_id: string };
  soakingId = soaking.rollout_id;
  await report("db-01", STORE("db-01", 2));
  await waitFor(
    async () =>
      ((await api("GET", `/api/v1/rollouts/${soaking.rollout_id}`)) as { batches: { status: string }[] }).batches[0]!
        .status === "soaking",
  );
  await api("PUT", "/api/v1/windows/edge-nights", {
    tags: ["edge"],
    cron: ["0 2 * * 1-5"],
    duration_minutes: 120,
    timezone: "Europe/Berlin",
  });
  await api("PUT", "/api/v1/budgets/db", { tags: ["db"], max_unavailable: "1" });
}

function i18nRegion(id: string): string {
  return Number(id.slice(-2)) % 2 === 0 ? "eu-west" : "us-east";
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(100);
  }
}

/** A page in a fresh context whose requests to anything but 127.0.0.1 are refused and recorded. */
async function isolatedPage(): Promise<{ context: BrowserContext; page: Page; outside: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const outside: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    outside.push(url.href);
    return route.abort("blockedbyclient");
  });
  return { context, page: await context.newPage(), outside };
}

async function logIn(page: Page, key = admin) {
  await page.goto(`${server.url}/ui`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${server.url}/ui`);
}

async function screenshot(page: Page, name: string, fullPage = true) {
  mkdirSync(shots, { recursive: true });
  const file = join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  expect(statSync(file).size).toBeGreaterThan(10_000);
  if (process.env.UPDATE_SCREENSHOTS) {
    mkdirSync(join(repoRoot, "docs", "screenshots"), { recursive: true });
    copyFileSync(file, join(repoRoot, "docs", "screenshots", `${name}.png`));
  }
}

beforeAll(async () => {
  if (!available) return;
  const binary = await compiledBinary();
  server = await startServer([binary, "--listen", "127.0.0.1:0", "--db-path", join(dir, "state.db")], { cwd: dir });
  await seed();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    // playwright gives each launch a fresh --user-data-dir of its own (it refuses one in args).
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!available)("dashboard in Chromium", () => {
  test("a wrong key is refused; the right one opens the fleet overview with the API's counts", async () => {
    const { context, page, outside } = await isolatedPage();
    await page.goto(`${server.url}/ui`);
    expect(page.url()).toBe(`${server.url}/ui/login`);
    await screenshot(page, "login");
    await page.getByLabel("API key").fill(`nfk-${"0".repeat(64)}`);
    await page.getByRole("button", { name: "Log in" }).click();
    expect(await page.locator(".alert").textContent()).toBe("Unknown, revoked or expired API key.");
    await logIn(page);
    const summary = (await api("GET", "/api/v1/fleet/summary")) as {
      machines: number;
      by_system_state: { error: number };
    };
    const card = (label: string) =>
      page.locator(".card", { has: page.locator(".label", { hasText: label }) }).locator(".value");
    expect(await card("Machines").textContent()).toBe(String(summary.machines));
    expect(await card("Error").textContent()).toBe(String(summary.by_system_state.error));
    const cookie = (await context.cookies()).find((c) => c.name === "nixfleet_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(cookie.value).not.toContain(admin.slice(4, 20));
    await screenshot(page, "overview");
    expect(outside).toEqual([]);
    await context.close();
  });

  test("machines: filter by state, page through, open one with its health checks", async () => {
    const { context, page, outside } = await isolatedPage();
    await logIn(page);
    await page.goto(`${server.url}/ui/machines`);
    expect(await page.locator("tbody tr").count()).toBe(50);
    await screenshot(page, "machines");
    await page.getByRole("link", { name: "Next page »" }).click();
    expect(await page.locator("tbody tr").count()).toBe(9);
    await page.goto(`${server.url}/ui/machines`);
    await page.getByLabel("System state").selectOption("error");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/state=error/);
    const ids = await page.locator("tbody tr td:first-child").allTextContents();
    const listed = (await api("GET", "/api/v1/machines?state=error")) as { machine_id: string }[];
    expect(ids).toEqual(listed.map((m) => m.machine_id));
    expect(ids).toEqual(expect.arrayContaining(["db-02", "web-40"]));
    await page.getByRole("link", { name: "db-02" }).click();
    expect(await page.locator("td.wrap", { hasText: "postgresql: connection refused on port 443" }).count()).toBe(1);
    await screenshot(page, "machine");
    expect(outside).toEqual([]);
    await context.close();
  });

  test("a rollout shows each batch's progress and each machine's state and reason, and moves without a reload", async () => {
    const { context, page, outside } = await isolatedPage();
    await logIn(page);
    await page.goto(`${server.url}/ui/rollouts`);
    await screenshot(page, "rollouts");
    await page.getByRole("link", { name: soakingId }).click();
    expect(await page.locator("#rollout-progress .soak").textContent()).toMatch(/Soaking: 29m \d\ds left of 30m 00s/);
    await screenshot(page, "rollout-soak", false);
    await page.goBack();
    await page.getByRole("link", { name: rolloutId }).click();
    await page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}`);
    const batches = page.locator("#rollout-progress section.batch[data-batch]");
    expect(await batches.count()).toBe(3);
    expect(await batches.nth(0).locator(".badge").first().textContent()).toBe("succeeded");
    expect(await batches.nth(1).locator(".badge").first().textContent()).toBe("waiting health");
    const unhealthy = batches.nth(1).locator("tr", { has: page.locator(".badge.unhealthy") });
    expect(await unhealthy.count()).toBe(1);
    expect(await unhealthy.locator("td.wrap").textContent()).toContain("nginx");

    // A budget lets two web machines deploy at once. The waiting batch's last machine turns
    // healthy: its batch is decided (one unhealthy is within the threshold of 1), succeeds, and the
    // next batch starts, two of its seven machines deploying and five waiting for the budget. The
    // page follows from the rollout's event stream without navigating; its fallback re-render
    // comes every 30 s, later than the 15 s these waits allow, so only the stream can move it in time.
    await api("PUT", "/api/v1/budgets/web", { tags: ["web"], max_unavailable: "2" });
    const rollout = (await api("GET", `/api/v1/rollouts/${rolloutId}`)) as {
      batches: { machine_ids: string[]; machine_health: Record<string, unknown> }[];
    };
    const waiting = rollout.batches[1]!.machine_ids.find((id) => rollout.batches[1]!.machine_health[id] === "pending")!;
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    // A reason typed meanwhile survives the re-renders.
    await page.getByLabel("Pause reason").fill("error rate up in eu-west");
    await report(waiting, STORE(waiting, 2));
    await page
      .locator(`#rollout-progress tr[data-machine="${waiting}"] .badge.healthy`)
      .waitFor({ state: "attached", timeout: 15_000 });
    await page
      .locator('#rollout-progress section.batch[data-batch="1"] .batch-head .badge.succeeded')
      .waitFor({ state: "attached", timeout: 15_000 });
    const third = page.locator('#rollout-progress section.batch[data-batch="2"]');
    await third.locator(".batch-head .badge.waiting_health").waitFor({ state: "attached", timeout: 15_000 });
    // Each waiting machine says why: the budget, which also shows as what blocks the rollout.
    const held = third.locator("tr", { has: page.locator(".badge.waiting") });
    await held.first().waitFor({ state: "attached", timeout: 15_000 });
    expect(await held.count()).toBe(5);
    expect(await held.first().locator("td.wrap").textContent()).toBe("budget:web");
    expect(await page.locator("#rollout-progress .blocked .chip").allTextContents()).toEqual(["budget:web"]);
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    expect(await page.getByLabel("Pause reason").inputValue()).toBe("error rate up in eu-west");
    await page.getByLabel("Pause reason").fill("");
    await page.getByLabel("Pause reason").blur();
    await screenshot(page, "rollout");

    // Pause with the button (and a reason); the rollout's page says so, then Resume.
    await page.getByLabel("Pause reason").fill("error rate up in eu-west");
    await page.getByRole("button", { name: "Pause", exact: true }).click();
    await page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}?done=pause`);
    expect(await page.locator("#rollout-progress .rollout-head .badge").first().textContent()).toBe("paused");
    expect(await page.locator("#rollout-progress .blocked .chip").allTextContents()).toContain(
      "paused: error rate up in eu-west",
    );
    expect(((await api("GET", `/api/v1/rollouts/${rolloutId}`)) as { status: string }).status).toBe("paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}?done=resume`);
    expect(await page.locator("#rollout-progress .rollout-head .badge").first().textContent()).toBe("running");

    // Every transition, a page at a time.
    await page.getByRole("link", { name: "every transition (trace) »" }).click();
    await page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}/trace`);
    expect(await page.locator("tbody tr", { hasText: "machine.waiting" }).count()).toBeGreaterThan(0);
    await screenshot(page, "trace");
    expect(outside).toEqual([]);
    await context.close();
  });

  test("abort asks first; a readonly key sees the rollout without any button", async () => {
    const { context, page } = await isolatedPage();
    const viewer = (await api("POST", "/api/v1/keys", { name: "auditor", role: "readonly" })) as { key: string };
    await logIn(page, viewer.key);
    await page.goto(`${server.url}/ui/rollouts/${rolloutId}`);
    expect(await page.locator("#rollout-progress .verbs").count()).toBe(0);
    expect(await page.locator("#rollout-progress button").count()).toBe(0);
    await context.close();

    const admin = await isolatedPage();
    await logIn(admin.page);
    await admin.page.goto(`${server.url}/ui/rollouts/${rolloutId}`);
    await admin.page.getByRole("link", { name: "Abort…" }).click();
    await admin.page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}/abort`);
    await screenshot(admin.page, "abort", false);
    await admin.page.getByRole("link", { name: "Keep the rollout" }).click();
    await admin.page.waitForURL(`${server.url}/ui/rollouts/${rolloutId}`);
    expect(((await api("GET", `/api/v1/rollouts/${rolloutId}`)) as { status: string }).status).toBe("running");
    await admin.context.close();
  });

  test("gates: budgets, windows and the freeze, which an admin sets and lifts from the page", async () => {
    const { context, page, outside } = await isolatedPage();
    await logIn(page);
    await page.getByRole("link", { name: "Gates" }).click();
    await page.waitForURL(`${server.url}/ui/gates`);
    expect(await page.locator("#budget-web td").nth(4).textContent()).toBe("2");
    expect(await page.locator("#window-edge-nights .badge").textContent()).toMatch(/^(open|closed)$/);
    await page.getByLabel("Freeze reason").fill("incident 42: payment errors");
    await page.getByRole("button", { name: "Freeze the fleet" }).click();
    await page.waitForURL(`${server.url}/ui/gates`);
    expect(await page.locator(".banner.frozen").textContent()).toContain("incident 42: payment errors");
    expect(((await api("GET", "/api/v1/freeze")) as { frozen: boolean }).frozen).toBe(true);
    await screenshot(page, "gates");
    await page.goto(`${server.url}/ui`);
    expect(await page.locator(".banner.frozen").count()).toBe(1);
    await page.goto(`${server.url}/ui/gates`);
    await page.getByRole("button", { name: "Lift the freeze" }).click();
    await page.waitForURL(`${server.url}/ui/gates`);
    expect(await page.locator(".banner.frozen").count()).toBe(0);
    expect(((await api("GET", "/api/v1/freeze")) as { frozen: boolean }).frozen).toBe(false);
    expect(outside).toEqual([]);
    await context.close();
  });

  test("logging out ends the session; a revoked key ends it too", async () => {
    const { context, page } = await isolatedPage();
    await logIn(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${server.url}/ui/login`);
    await page.goto(`${server.url}/ui/machines`);
    expect(page.url()).toBe(`${server.url}/ui/login`);

    const viewer = (await api("POST", "/api/v1/keys", { name: "viewer", role: "readonly" })) as {
      id: string;
      key: string;
    };
    await logIn(page, viewer.key);
    await api("DELETE", `/api/v1/keys/${viewer.id}`);
    await page.goto(`${server.url}/ui/machines`);
    expect(page.url()).toBe(`${server.url}/ui/login`);
    await context.close();
  });
});

describe.skipIf(!available)("/docs in Chromium", () => {
  test("renders the API's operations with every request outside 127.0.0.1 refused, and tries none", async () => {
    const { context, page, outside } = await isolatedPage();
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    // What the page must show comes from the document it renders.
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { summary: string }>>;
    };
    await page.goto(`${server.url}/docs`);
    await page.getByText(doc.paths["/health"]!.get!.summary).first().waitFor({ timeout: 20_000 });
    // Operations are listed group by group; opening one shows its operations.
    await page.getByRole("button", { name: "Open Group - machines" }).click();
    await page.getByText(doc.paths["/api/v1/machines"]!.get!.summary).first().waitFor({ timeout: 20_000 });
    // The reference is one long page: its first screen shows what it is.
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "docs", false);
    expect(outside).toEqual([]);
    expect(failures).toEqual([]);
    await context.close();
  });
});
