import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { recordAudit, type AuditEntry } from "../../src/db/audit.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

const T0 = Date.parse("2026-11-27T10:00:00Z");

let h: Harness;
let reader: string;
beforeEach(async () => {
  h = await createHarness();
  reader = await createTestKey(h, "readonly", { name: "auditor" });
});
afterEach(() => h.close());

/** Writes `count` events one second apart starting at T0, built by `make(i)`. */
async function seed(count: number, make: (i: number) => AuditEntry): Promise<void> {
  await h.store.write(async (tx) => {
    for (let i = 0; i < count; i++) await recordAudit(tx, T0 + i * 1000, make(i));
  });
}

const entry = (i: number): AuditEntry => ({
  actor: i % 2 === 0 ? "apikey:admin" : "machine:web-01",
  action: i % 3 === 0 ? "register" : "report",
  target: `web-${String(i % 4).padStart(2, "0")}`,
  detail: { n: i },
});

async function list(query = "", key = reader) {
  const res = await h.request(`/api/v1/audit${query}`, { key });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>[] };
}

describe("GET /api/v1/audit", () => {
  test("returns events newest first with their fields", async () => {
    await seed(3, entry);
    const { status, body } = await list();
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        id: 3,
        timestamp: "2026-11-27T10:00:02.000Z",
        actor: "apikey:admin",
        action: "report",
        target: "web-02",
        detail: '{"n":2}',
      },
      {
        id: 2,
        timestamp: "2026-11-27T10:00:01.000Z",
        actor: "machine:web-01",
        action: "report",
        target: "web-01",
        detail: '{"n":1}',
      },
      {
        id: 1,
        timestamp: "2026-11-27T10:00:00.000Z",
        actor: "apikey:admin",
        action: "register",
        target: "web-00",
        detail: '{"n":0}',
      },
    ]);
  });

  test("filters by actor, action and target, combined with AND; empty values do not filter", async () => {
    await seed(24, entry);
    const byActor = await list("?actor=machine:web-01");
    expect(byActor.body).toHaveLength(12);
    expect(byActor.body.every((e) => e.actor === "machine:web-01")).toBe(true);

    const byAction = await list("?action=register");
    expect(byAction.body.map((e) => e.detail)).toEqual([21, 18, 15, 12, 9, 6, 3, 0].map((n) => `{"n":${n}}`));

    const combined = await list("?actor=apikey%3Aadmin&action=register&target=web-00");
    expect(combined.body.map((e) => e.detail)).toEqual(['{"n":12}', '{"n":0}']);

    expect((await list("?actor=&action=&target=")).body).toHaveLength(24);
    expect((await list("?target=nobody")).body).toEqual([]);
  });

  test("limit defaults to 100 and is clamped to 1..500", async () => {
    await seed(520, entry);
    expect((await list()).body).toHaveLength(100);
    expect((await list("?limit=7")).body.map((e) => e.id)).toEqual([520, 519, 518, 517, 516, 515, 514]);
    expect((await list("?limit=0")).body).toHaveLength(1);
    expect((await list("?limit=-3")).body).toHaveLength(1);
    expect((await list("?limit=501")).body).toHaveLength(500);
    expect((await list("?limit=99999999999999999999999")).body).toHaveLength(500);
  });

  test.each(["abc", "1.5", "", "1e3", "0x10"])("a non-integer limit %p is a 400 naming limit", async (limit) => {
    const { status, body } = await list(`?limit=${limit}`);
    expect(status).toBe(400);
    expect((body as unknown as { error: string }).error).toContain("limit");
  });

  test("records the API's own mutations", async () => {
    const admin = await createTestKey(h, "admin", { name: "root" });
    await h.request("/api/v1/keys", { key: admin, json: { name: "ci", role: "deploy" } });
    const { body } = await list("?action=key.created");
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({ actor: "apikey:root", action: "key.created" });
  });

  test.each(["readonly", "deploy", "admin"] as const)("a %s key may read it", async (role) => {
    const key = await createTestKey(h, role, { name: `k-${role}` });
    expect((await list("", key)).status).toBe(200);
    expect((await h.request("/api/v1/audit/export", { key })).status).toBe(200);
  });

  test("no key → 401 on both routes", async () => {
    expect((await h.request("/api/v1/audit")).status).toBe(401);
    expect((await h.request("/api/v1/audit/export")).status).toBe(401);
  });
});

describe("GET /api/v1/audit/export", () => {
  async function exportCsv(query = "") {
    const res = await h.request(`/api/v1/audit/export${query}`, { key: reader });
    expect(res.status).toBe(200);
    return { res, text: await res.text() };
  }

  test("is a CSV attachment with the header row, even when empty", async () => {
    const { res, text } = await exportCsv();
    expect(res.headers.get("content-type")).toBe("text/csv");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="audit.csv"');
    expect(text).toBe("timestamp,actor,action,target,detail\n");
  });

  test('quotes fields with , " CR or LF and guards formula triggers', async () => {
    const targets = [
      "a,b",
      'say "hi"',
      "line1\nline2",
      "cr\rhere",
      "=HYPERLINK(1)",
      "+1",
      "-1",
      "@x",
      "\tx",
      "\rx",
      "plain",
    ];
    await seed(targets.length, (i) => ({ actor: "machine:m", action: "report", target: targets[i]!, detail: "d" }));
    const { text } = await exportCsv();
    const at = (i: number) => `2026-11-27T10:00:${String(i).padStart(2, "0")}.000Z`;
    const expected = [
      `${at(10)},machine:m,report,plain,d`,
      `${at(9)},machine:m,report,"'\rx",d`,
      `${at(8)},machine:m,report,'\tx,d`,
      `${at(7)},machine:m,report,'@x,d`,
      `${at(6)},machine:m,report,'-1,d`,
      `${at(5)},machine:m,report,'+1,d`,
      `${at(4)},machine:m,report,'=HYPERLINK(1),d`,
      `${at(3)},machine:m,report,"cr\rhere",d`,
      `${at(2)},machine:m,report,"line1\nline2",d`,
      `${at(1)},machine:m,report,"say ""hi""",d`,
      `${at(0)},machine:m,report,"a,b",d`,
    ];
    expect(text).toBe(`timestamp,actor,action,target,detail\n${expected.join("\n")}\n`);
  });

  test("JSON details are quoted", async () => {
    await seed(1, () => ({
      actor: "apikey:a",
      action: "register",
      target: "m",
      detail: { lifecycle: "active", tags: ["x", "y"] },
    }));
    const { text } = await exportCsv();
    expect(text.split("\n")[1]).toBe(
      '2026-11-27T10:00:00.000Z,apikey:a,register,m,"{""lifecycle"":""active"",""tags"":[""x"",""y""]}"',
    );
  });

  test("exports every matching row across pages, newest first, with the same filters", async () => {
    await seed(1234, entry);
    const all = (await exportCsv()).text.trimEnd().split("\n");
    expect(all).toHaveLength(1235);
    const details = all.slice(1).map((line) => Number(/"\{""n"":(\d+)\}"$/.exec(line)![1]));
    expect(details).toEqual(Array.from({ length: 1234 }, (_, i) => 1233 - i));

    const filtered = (await exportCsv("?actor=machine:web-01&target=web-03")).text.trimEnd().split("\n");
    expect(filtered).toHaveLength(1 + 308);
    expect(filtered.slice(1).every((line) => /^[^,]+,machine:web-01,(register|report),web-03,/.test(line))).toBe(true);
  });
});
