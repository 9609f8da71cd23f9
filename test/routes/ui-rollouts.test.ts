// The dashboard's rollout pages and the §14 verbs as form posts, in-process: buttons by role, the
// CSRF and origin checks, each verb through its form with the API's outcome, refusals shown with
// the API's status, per-machine states and reasons, drill-down and trace paging, a large rollout
// rendered without a row per machine, the gates page and the freeze's forms.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { BATCH_MACHINES_SHOWN } from "../../src/ui/pages/rollouts.tsx";
import { BATCH_PAGE_SIZE } from "../../src/ui/pages/rollout-machines.tsx";
import { TRACE_PAGE_SIZE } from "../../src/ui/pages/rollout-trace.tsx";
import { csrfTokenOf } from "../../src/ui/session.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createRolloutApi, type RolloutApi, storePath } from "../support/rollouts.ts";

const NOW = Date.parse("2026-11-27T10:00:00Z");
const SAME_ORIGIN = { origin: "http://localhost", host: "localhost" };

let h: Harness;
let api: RolloutApi;

beforeEach(async () => {
  h = await createHarness({ startTime: NOW });
  api = await createRolloutApi(h);
});
afterEach(() => h.close());

/** A signed-in browser: its session token, and GET/POST as that browser does them. */
async function browser(key: string) {
  const login = await h.request("/ui/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...SAME_ORIGIN },
    body: new URLSearchParams({ key }).toString(),
  });
  expect(login.status).toBe(303);
  const token = /nixfleet_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]!;
  const cookie = `nixfleet_session=${token}`;
  return {
    token,
    get: (path: string) => h.request(path, { headers: { cookie } }),
    async html(path: string) {
      const res = await h.request(path, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      return res.text();
    },
    /** A form post from this site's page (the session's CSRF token unless `form` says otherwise). */
    async post(path: string, form: Record<string, string> = {}, headers: Record<string, string> = SAME_ORIGIN) {
      const res = await h.request(path, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ _csrf: csrfTokenOf(token), ...form }).toString(),
      });
      await api.executor.idle();
      return res;
    },
  };
}

const names = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(3, "0")}`);

/** `n` web machines (reported a second ago) and a rollout of a release to them. */
async function rollout(n: number, options: Record<string, unknown> = {}) {
  const ids = names("web", n);
  await api.machines(ids, ["web"], NOW - 1000);
  const created = await api.createOk({
    release_id: await api.release(ids),
    strategy: "staged",
    batch_sizes: ["2", "100%"],
    target: { tags: ["web"] },
    ...options,
  });
  return { id: created.rollout_id, batches: created.batches.map((b) => b.machine_ids), ids };
}

/** The rows of a rendered batch section or table: machine → [state, reason]. */
function rows(html: string): Record<string, [string, string]> {
  const found: Record<string, [string, string]> = {};
  for (const match of html.matchAll(
    /<tr data-machine="([^"]+)">.*?<span class="badge ([a-z_]+)"[^>]*>.*?<\/span><\/td><td class="wrap">(.*?)<\/td>/gs,
  )) {
    found[match[1]!] = [match[2]!, match[3]!];
  }
  return found;
}

describe("buttons by role", () => {
  test("a deploy key gets the verbs that apply now; a readonly key gets none, and no Skip", async () => {
    const { id } = await rollout(4);
    const deploy = await browser(api.keys.deploy);
    const page = await deploy.html(`/ui/rollouts/${id}`);
    expect(page).toContain(`action="/ui/rollouts/${id}/pause"`);
    expect(page).toContain(`action="/ui/rollouts/${id}/cancel"`);
    expect(page).toContain(`href="/ui/rollouts/${id}/abort"`);
    // Batch 0 is waiting for health with undecided machines: promote only with force, asked first.
    expect(page).toContain(`href="/ui/rollouts/${id}/promote"`);
    expect(page).not.toContain(`action="/ui/rollouts/${id}/promote"`);
    expect(page).not.toContain(`action="/ui/rollouts/${id}/resume"`);
    expect(page).toContain("/skip");
    const viewer = await browser(api.keys.readonly);
    const readonly = await viewer.html(`/ui/rollouts/${id}`);
    expect(readonly).not.toContain('method="post" action="/ui/rollouts/');
    expect(readonly).not.toContain("/abort");
    expect(readonly).not.toContain("/skip");
    expect(Object.keys(rows(readonly))).toHaveLength(4);
  });
});

describe("forged posts", () => {
  test("without the session's token, with another session's, or from another origin: 403 and nothing changes", async () => {
    const { id } = await rollout(4);
    const deploy = await browser(api.keys.deploy);
    const other = await browser(api.keys.deploy);
    const attempts = [
      await deploy.post(`/ui/rollouts/${id}/pause`, { _csrf: "" }),
      await deploy.post(`/ui/rollouts/${id}/abort`, { _csrf: csrfTokenOf(other.token) }),
      await deploy.post(`/ui/rollouts/${id}/cancel`, {}, { origin: "https://evil.example", host: "localhost" }),
      await deploy.post(`/ui/rollouts/${id}/machines/web-001/skip`, { _csrf: "forged" }),
      await deploy.post("/ui/gates/freeze", { _csrf: "forged", reason: "x" }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toContain("CSRF");
    }
    expect((await api.get(id)).status).toBe("running");
    expect((await (await h.request("/api/v1/freeze", { key: api.keys.readonly })).json()).frozen).toBe(false);
  });

  test("a readonly key's post with a valid token is refused by the API: 403 with its sentence", async () => {
    const { id } = await rollout(4);
    const viewer = await browser(api.keys.readonly);
    const res = await viewer.post(`/ui/rollouts/${id}/pause`, { reason: "x" });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('class="alert"');
    expect(html).toContain("403: API key viewer has role readonly; this call needs deploy");
    expect((await api.get(id)).status).toBe("running");
  });
});

describe("the verbs through their forms", () => {
  test("pause with a reason, then resume: back to the rollout's page, which says what happened", async () => {
    const { id } = await rollout(4);
    const deploy = await browser(api.keys.deploy);
    const paused = await deploy.post(`/ui/rollouts/${id}/pause`, { reason: "error rate up" });
    expect(paused.status).toBe(303);
    expect(paused.headers.get("location")).toBe(`/ui/rollouts/${id}?done=pause`);
    expect(await api.get(id)).toMatchObject({ status: "paused", pause_reason: "error rate up" });
    const page = await deploy.html(`/ui/rollouts/${id}?done=pause`);
    expect(page).toContain('<p class="notice">Paused');
    expect(page).toContain("paused: error rate up");
    // Its recent events read as key=value pairs, not the audit log's JSON.
    expect(page).toContain("batch_index=0 reason=&quot;error rate up&quot;");
    expect(page).not.toContain("{&quot;batch_index&quot;");
    expect(page).toContain(`action="/ui/rollouts/${id}/resume"`);
    expect((await deploy.post(`/ui/rollouts/${id}/resume`)).status).toBe(303);
    expect((await api.get(id)).status).toBe("running");
    const audit = await (await h.request("/api/v1/audit?action=rollout.paused", { key: api.keys.admin })).json();
    expect(audit[0]).toMatchObject({ actor: "apikey:ci", target: id });
  });

  test("a refused verb shows the rollout's page with the API's 409 and sentence", async () => {
    const { id } = await rollout(4);
    const deploy = await browser(api.keys.deploy);
    const res = await deploy.post(`/ui/rollouts/${id}/retry`);
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain(`409: rollout ${id} is running, not paused`);
    expect(html).toContain('id="rollout-progress"');
    expect((await deploy.post("/ui/rollouts/r-nope/pause")).status).toBe(404);
  });

  test("promote: plain once the batch is decided and soaking, forced from its confirmation page", async () => {
    const { id, batches } = await rollout(6, { soak_seconds: 600 });
    const deploy = await browser(api.keys.deploy);
    // Forced: batch 0's two machines are undecided; the confirmation page says so, its form skips them.
    const confirm = await deploy.html(`/ui/rollouts/${id}/promote`);
    expect(confirm).toContain("<strong>2</strong> undecided machines");
    expect(confirm).toContain('name="force" value="true"');
    expect((await deploy.post(`/ui/rollouts/${id}/promote`, { force: "true" })).status).toBe(303);
    const forced = await api.get(id);
    expect(forced.batches[0]!.status).toBe("succeeded");
    for (const m of batches[0]!)
      expect(forced.batches[0]!.machine_states[m]).toMatchObject({ state: "skipped", reason: "promoted" });
    // Plain: batch 1 decided healthy, soaking; the button ends the soak.
    for (const m of batches[1]!) await api.report(m);
    expect((await api.get(id)).batches[1]!.status).toBe("soaking");
    const page = await deploy.html(`/ui/rollouts/${id}`);
    expect(page).toContain(`action="/ui/rollouts/${id}/promote"`);
    expect(page).toMatch(/Soaking: <strong>10m 00s left<\/strong> of 10m 00s/);
    expect((await deploy.post(`/ui/rollouts/${id}/promote`)).status).toBe(303);
    expect((await api.get(id)).status).toBe("completed");
  });

  test("retry after a failed batch; abort from its confirmation page reverts what the rollout changed", async () => {
    const { id, batches } = await rollout(4);
    const deploy = await browser(api.keys.deploy);
    await api.report(batches[0]![0]!, "failed-check");
    await api.report(batches[0]![1]!);
    expect((await api.get(id)).status).toBe("paused");
    const paused = await deploy.html(`/ui/rollouts/${id}`);
    expect(paused).toContain(`action="/ui/rollouts/${id}/retry"`);
    expect(paused).not.toContain(`href="/ui/rollouts/${id}/promote"`);
    expect((await deploy.post(`/ui/rollouts/${id}/retry`)).status).toBe(303);
    expect((await api.get(id)).status).toBe("running");
    const confirm = await deploy.html(`/ui/rollouts/${id}/abort`);
    expect(confirm).toContain("<strong>2</strong> now");
    expect((await deploy.post(`/ui/rollouts/${id}/abort`, { reason: "bad release" })).status).toBe(303);
    expect((await api.get(id)).status).toBe("aborted");
    // Its machines desire what they ran before it (their last reported generation) again.
    expect((await api.desired(batches[0]![0]!)).hash).toBe(storePath(batches[0]![0]!, 0));
    const finished = await deploy.html(`/ui/rollouts/${id}`);
    expect(finished).not.toContain('class="verbs"');
    expect(finished).not.toContain("data-refresh-url");
  });

  test("skip a machine from its batch's page, back to that page; cancel", async () => {
    const { id, batches } = await rollout(6);
    const deploy = await browser(api.keys.deploy);
    const machine = batches[0]![0]!;
    const back = `/ui/rollouts/${id}/batches/0?state=deploying`;
    const res = await deploy.post(`/ui/rollouts/${id}/machines/${machine}/skip`, { back, reason: "disk broken" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${back}&done=skip`);
    expect((await api.get(id)).batches[0]!.machine_states[machine]).toMatchObject({
      state: "skipped",
      reason: "disk broken",
    });
    // A `back` elsewhere is not followed: the rollout's page instead.
    const other = batches[0]![1]!;
    const elsewhere = await deploy.post(`/ui/rollouts/${id}/machines/${other}/skip`, { back: "https://evil.example/" });
    expect(elsewhere.headers.get("location")).toBe(`/ui/rollouts/${id}?done=skip`);
    expect((await deploy.post(`/ui/rollouts/${id}/cancel`)).status).toBe(303);
    expect((await api.get(id)).status).toBe("cancelled");
  });
});

describe("states, reasons and scale", () => {
  test("waiting machines show their gate; the rollout shows what blocks it", async () => {
    const { id, batches } = await rollout(6, { batch_sizes: ["100%"], max_in_flight: "2" });
    const page = await (await browser(api.keys.readonly)).html(`/ui/rollouts/${id}`);
    const states = rows(page);
    expect(Object.values(states).filter(([state]) => state === "deploying")).toHaveLength(2);
    expect(
      Object.values(states).filter(([state, reason]) => state === "waiting" && reason === "max_in_flight"),
    ).toHaveLength(4);
    expect(page).toContain('<span class="chip gate">max_in_flight</span>');
    expect(page).toContain("4 waiting (max_in_flight)");
    expect(batches).toHaveLength(1);
  });

  test("a large rollout lists only its current batch's first machines, the batch page all of them in pages", async () => {
    const { id } = await rollout(1200, { batch_sizes: ["50%", "100%"] });
    const viewer = await browser(api.keys.readonly);
    const page = await viewer.html(`/ui/rollouts/${id}`);
    expect(page.match(/<tr data-machine=/g)).toHaveLength(BATCH_MACHINES_SHOWN);
    expect(page).toContain(`The first ${BATCH_MACHINES_SHOWN} of 600 machines.`);
    expect(page).toContain(`href="/ui/rollouts/${id}/batches/1">All 600 machines of batch 1`);
    const first = await viewer.html(`/ui/rollouts/${id}/batches/1`);
    expect(first.match(/<tr data-machine=/g)).toHaveLength(BATCH_PAGE_SIZE);
    expect(first).toContain("1–100 of 600");
    expect(first).not.toContain("First page");
    // Page after page through the Next links: every machine once, the last page says so.
    let last = first;
    const seen = new Set(Object.keys(rows(first)));
    for (let page = 2; page <= 6; page++) {
      const next = /<a href="([^"]+)">Next page »<\/a>/.exec(last)![1]!.replaceAll("&amp;", "&");
      last = await viewer.html(next);
      for (const machine of Object.keys(rows(last))) seen.add(machine);
      expect(last).toContain(`${(page - 1) * 100 + 1}–${page * 100} of 600`);
      expect(last).toContain(`href="/ui/rollouts/${id}/batches/1">« First page`);
    }
    expect(seen.size).toBe(600);
    expect(last).not.toContain("Next page");
    const deploying = await viewer.html(`/ui/rollouts/${id}/batches/0?state=deploying`);
    expect(Object.values(rows(deploying)).every(([state]) => state === "deploying")).toBe(true);
    expect((await viewer.get(`/ui/rollouts/${id}/batches/7`)).status).toBe(404);
    // The progress region says how often it may be re-rendered: a read of every machine each time.
    expect(page).toContain('data-refresh-min-ms="200"');
  });

  test("the trace, a page at a time", async () => {
    const { id } = await rollout(300, { batch_sizes: ["100%"] });
    const viewer = await browser(api.keys.readonly);
    const first = await viewer.html(`/ui/rollouts/${id}/trace`);
    expect(first.match(/<tr>/g)!.length).toBe(TRACE_PAGE_SIZE + 1);
    const next = /href="\/ui\/rollouts\/[^"]+\/trace\?after=(\d+)"/.exec(first)![1]!;
    const second = await viewer.html(`/ui/rollouts/${id}/trace?after=${next}`);
    expect(second).toContain(`Events after #${next}`);
    expect(second).toContain("machine.deploying");
    expect(second).toContain("« First page");
  });
});

describe("gates", () => {
  test("budgets and windows read-only for all; the freeze set and lifted by admin keys, refused to others", async () => {
    for (const [path, body] of [
      ["/api/v1/budgets/web", { tags: ["web"], max_unavailable: "10%" }],
      ["/api/v1/windows/nights", { tags: ["db"], cron: ["0 2 * * *"], duration_minutes: 60 }],
    ] as const) {
      expect((await h.request(path, { method: "PUT", json: body, key: api.keys.admin })).status).toBe(200);
    }
    const deploy = await browser(api.keys.deploy);
    const page = await deploy.html("/ui/gates");
    expect(page).toContain('id="budget-web"');
    expect(page).toContain('id="window-nights"');
    expect(page).not.toContain('action="/ui/gates/freeze"');
    const refused = await deploy.post("/ui/gates/freeze", { reason: "mine" });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("403: API key ci has role deploy; this call needs admin");

    const admin = await browser(api.keys.admin);
    expect(await admin.html("/ui/gates")).toContain('action="/ui/gates/freeze"');
    const frozen = await admin.post("/ui/gates/freeze", { reason: "incident 42" });
    expect(frozen.headers.get("location")).toBe("/ui/gates");
    for (const path of ["/ui", "/ui/machines", "/ui/rollouts"]) {
      expect(await deploy.html(path)).toContain("incident 42");
    }
    expect(await deploy.html("/ui")).toContain('class="banner frozen"');
    expect((await admin.post("/ui/gates/freeze", { reason: "" })).status).toBe(400);
    expect((await admin.post("/ui/gates/unfreeze")).status).toBe(303);
    expect(await deploy.html("/ui")).not.toContain('class="banner frozen"');
  });
});
