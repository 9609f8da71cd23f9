import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath, report } from "../support/machines.ts";

// Machine ids are any string of 1-128 characters without C0 control characters (SPEC §2); agents
// send their hostname, but nothing stops spaces, quotes, slashes, DEL or unicode, and every
// output must stay well-formed.
const IDS = [
  "web 01",
  'quote"d',
  "back\\slash",
  "sl/ash",
  "per%cent",
  "del\u007fete",
  "c1\u0085nel",
  "ünïcødé-✓-🚀",
  "=cmd|' /C calc'!A0",
  "<script>alert(1)</script>",
  "?query&x=1#frag",
  "dots..and~tilde",
];

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await createHarness();
  admin = await createTestKey(h, "admin");
});
afterAll(() => h.close());

const STORE_PATH = "/nix/store/33333333333333333333333333333333-nixos-system-x";

test.each(IDS.map((id) => [JSON.stringify(id), id]))("id %s round-trips through every machine route", async (_, id) => {
  const ok = async (res: Response, status: number) => {
    expect(res.status).toBe(status);
    return status === 204 ? null : ((await res.json()) as Record<string, unknown>);
  };
  expect(await ok(await h.request(machinePath(id, "/register"), { key: admin, json: { tags: ["t"] } }), 201)).toEqual({
    machine_id: id,
    lifecycle: "active",
  });
  expect(await ok(await report(h, id, { tags: ["t", "u"] }), 200)).toEqual({ machine_id: id, lifecycle: "active" });
  expect(
    await ok(
      await h.request(machinePath(id, "/lifecycle"), {
        method: "PATCH",
        key: admin,
        json: { lifecycle: "maintenance" },
      }),
      200,
    ),
  ).toEqual({ machine_id: id, lifecycle: "maintenance" });
  expect(
    await ok(await h.request(machinePath(id, "/tags"), { method: "POST", key: admin, json: { tags: ["v"] } }), 200),
  ).toEqual({
    machine_id: id,
    tags: ["t", "u", "v"],
  });
  expect(await ok(await h.request(machinePath(id, "/tags/u"), { method: "DELETE", key: admin }), 200)).toEqual({
    machine_id: id,
    tags: ["t", "v"],
  });
  expect(
    await ok(await h.request(machinePath(id, "/tags"), { method: "PUT", key: admin, json: { tags: ["w"] } }), 200),
  ).toEqual({
    machine_id: id,
    tags: ["w"],
  });
  expect(
    await ok(await h.request(machinePath(id, "/notify-deploy"), { key: admin, json: { store_path: STORE_PATH } }), 200),
  ).toEqual({
    machine_id: id,
    store_path: STORE_PATH,
  });
  expect(await ok(await h.request(machinePath(id, "/desired-generation")), 200)).toEqual({
    hash: STORE_PATH,
    cache_url: null,
    poll_hint: null,
  });
  const detail = await ok(await h.request(machinePath(id), { key: admin }), 200);
  expect(detail).toMatchObject({
    machine_id: id,
    lifecycle: "maintenance",
    tags: ["w"],
    desired_generation: STORE_PATH,
  });
  await ok(await h.request(machinePath(id, "/desired-generation"), { method: "DELETE", key: admin }), 204);
  expect(await ok(await h.request(machinePath(id, "/desired-generation")), 404)).toEqual({
    error: `no desired generation for machine ${id}`,
  });
  const list = (await (await h.request("/api/v1/machines?tag=w", { key: admin })).json()) as { machine_id: string }[];
  expect(list.map((m) => m.machine_id)).toContain(id);
  expect(await ok(await h.request(machinePath(`${id}-missing`), { key: admin }), 404)).toEqual({
    error: `machine ${id}-missing not found`,
  });
});

test("a body machine_id that differs only in encoding is still refused", async () => {
  const res = await h.request(machinePath("a b", "/report"), {
    json: {
      machine_id: "a%20b",
      current_generation: "",
      success: true,
      message: "",
      timestamp: "2026-11-27T10:00:00Z",
    },
  });
  expect(res.status).toBe(400);
});

test("/metrics stays well-formed with every id as a label value", async () => {
  const text = await (await h.request("/metrics")).text();
  const samples = text.split("\n").filter((line) => line.startsWith("nixfleet_machine_last_seen_timestamp_seconds{"));
  const label = /^nixfleet_machine_last_seen_timestamp_seconds\{machine_id="((?:[^"\\\n]|\\["\\n])*)"\} [0-9.e+]+$/;
  const seen = samples.map((line) => {
    const match = label.exec(line);
    expect(match).not.toBeNull();
    return match![1]!.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
  });
  expect(seen.sort()).toEqual([...IDS].sort());
});
