import { afterAll, beforeAll, expect, test } from "bun:test";
import { machines, machineTags } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

// More machines than one listing page (1 000), so the full listing is streamed over several queries.
const FLEET = 2_345;
const id = (i: number) => `node-${String(i).padStart(5, "0")}`;

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await createHarness();
  key = await createTestKey(h, "readonly");
  await h.store.write(async (tx) => {
    for (let start = 0; start < FLEET; start += 500) {
      const ids = Array.from({ length: Math.min(500, FLEET - start) }, (_, k) => start + k);
      await tx
        .insert(machines)
        .values(ids.map((i) => ({ machineId: id(i), lifecycle: "active" as const, registeredAt: 0 })));
      await tx
        .insert(machineTags)
        .values(
          ids.flatMap((i) => [
            { machineId: id(i), tag: "all" },
            ...(i % 3 === 0 ? [{ machineId: id(i), tag: "third" }] : []),
          ]),
        );
    }
  });
});
afterAll(() => h.close());

async function list(query: string): Promise<{ machine_id: string; tags: string[] }[]> {
  const res = await h.request(`/api/v1/machines${query}`, { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  expect(res.headers.get("x-next-cursor")).toBeNull();
  return res.json();
}

test("without limit every machine is listed once, in id order, with its tags, across several pages", async () => {
  const all = await list("");
  expect(all.length).toBe(FLEET);
  expect(all.map((m) => m.machine_id)).toEqual(Array.from({ length: FLEET }, (_, i) => id(i)));
  expect(all[3]!.tags).toEqual(["all", "third"]);
  expect(all[4]!.tags).toEqual(["all"]);
});

test("without limit a tag filter and a cursor still apply to the whole streamed listing", async () => {
  const thirds = await list("?tag=third");
  expect(thirds.map((m) => m.machine_id)).toEqual(
    Array.from({ length: FLEET }, (_, i) => i)
      .filter((i) => i % 3 === 0)
      .map(id),
  );
  const cursor = Buffer.from(id(1_499), "utf8").toString("base64url");
  const rest = await list(`?cursor=${cursor}`);
  expect(rest.length).toBe(FLEET - 1_500);
  expect(rest[0]!.machine_id).toBe(id(1_500));
});

test("a listing that matches nothing is an empty array", async () => {
  expect(await list("?tag=nobody")).toEqual([]);
});
