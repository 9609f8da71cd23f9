// SPEC §9, black box: metric names, types and label sets exactly; `path` is the route template.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness.ts";
import { codeSpans, readmeTable } from "../support/readme.ts";

const STORE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text: `# TYPE` lines and samples (label values unescaped). */
function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    const body = sample[2] ?? "";
    let match: RegExpExecArray | null;
    let consumed = 0;
    while ((match = labelPattern.exec(body))) {
      labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
      consumed = labelPattern.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`malformed labels: ${JSON.stringify(line)}`);
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await createHarness();
  admin = ((await (await h.request("/api/v1/keys/bootstrap", { method: "POST" })).json()) as { key: string }).key;
});
afterAll(() => h.close());

async function scrape() {
  const res = await h.request("/metrics");
  expect(res.status).toBe(200);
  return parse(await res.text());
}

function report(machineId: string) {
  return h.request(`/api/v1/machines/${encodeURIComponent(machineId)}/report`, {
    json: {
      machine_id: machineId,
      current_generation: STORE_PATH,
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
    },
  });
}

test("every SPEC metric exists with its type and exactly its labels", async () => {
  expect((await report("web-01")).status).toBe(200);
  expect(
    (await h.request("/api/v1/machines/db-01/register", { key: admin, json: { lifecycle: "pending" } })).status,
  ).toBe(201);
  const { types, samples } = await scrape();
  expect(types.get("nixfleet_fleet_size")).toBe("gauge");
  expect(types.get("nixfleet_machines_by_lifecycle")).toBe("gauge");
  expect(types.get("nixfleet_machine_last_seen_timestamp_seconds")).toBe("gauge");
  expect(types.get("nixfleet_http_requests_total")).toBe("counter");
  expect(types.get("nixfleet_http_request_duration_seconds")).toBe("histogram");
  expect(types.has("nixfleet_rollouts_total")).toBe(true);
  expect(types.has("nixfleet_rollouts_active")).toBe(true);

  const of = (name: string) => samples.filter((s) => s.name === name);
  expect(of("nixfleet_fleet_size")).toEqual([{ name: "nixfleet_fleet_size", labels: {}, value: 2 }]);
  const byLifecycle = Object.fromEntries(
    of("nixfleet_machines_by_lifecycle").map((s) => {
      expect(Object.keys(s.labels)).toEqual(["lifecycle"]);
      return [s.labels.lifecycle, s.value];
    }),
  );
  expect(byLifecycle).toMatchObject({ active: 1, pending: 1 });
  expect(of("nixfleet_machine_last_seen_timestamp_seconds")).toEqual([
    {
      name: "nixfleet_machine_last_seen_timestamp_seconds",
      labels: { machine_id: "web-01" },
      value: Date.parse("2026-11-27T10:00:00Z") / 1000,
    },
  ]);
  for (const s of of("nixfleet_http_requests_total"))
    expect(Object.keys(s.labels).sort()).toEqual(["method", "path", "status"]);
  expect(of("nixfleet_http_requests_total")).toContainEqual({
    name: "nixfleet_http_requests_total",
    labels: { method: "POST", path: "/api/v1/machines/{id}/report", status: "200" },
    value: 1,
  });
  expect(of("nixfleet_http_request_duration_seconds_count").length).toBeGreaterThan(0);
  expect(of("nixfleet_http_request_duration_seconds_bucket").some((s) => s.labels.le === "+Inf")).toBe(true);
  for (const s of of("nixfleet_rollouts_total")) expect(Object.keys(s.labels)).toEqual(["status"]);
  expect(of("nixfleet_rollouts_active")).toEqual([{ name: "nixfleet_rollouts_active", labels: {}, value: 0 }]);
});

test("the README's metric table lists exactly what /metrics exposes, with the types and labels", async () => {
  expect((await report("readme-01")).status).toBe(200);
  const { types, samples } = await scrape();
  const documented = readmeTable("metric").map(([name, type, labels]) => ({
    name: codeSpans(name!)[0]!,
    type: type!,
    labels: codeSpans(labels!).sort(),
  }));
  const sorted = <T>(values: T[]) => [...values].sort();
  expect(sorted(documented.map((m) => `${m.name} ${m.type}`))).toEqual(
    sorted([...types].map(([name, type]) => `${name} ${type}`)),
  );
  for (const metric of documented) {
    const series = samples.filter((s) => s.name === metric.name || s.name.startsWith(`${metric.name}_`));
    // A counter with labels shows no series before its first count.
    if (series.length === 0) continue;
    const labels = new Set(series.flatMap((s) => Object.keys(s.labels)).filter((label) => label !== "le"));
    expect({ metric: metric.name, labels: sorted([...labels]) }).toEqual({
      metric: metric.name,
      labels: metric.labels,
    });
  }
});

test("the path label is the route template, never the raw path, whatever the id or the status", async () => {
  const ids = ["metrics-a", "metrics b/ä", 'q"uote\\bs', "x".repeat(129)];
  for (const id of ids) {
    await report(id);
    await h.request(`/api/v1/machines/${encodeURIComponent(id)}/desired-generation`);
    await h.request(`/api/v1/machines/${encodeURIComponent(id)}`, { key: admin });
  }
  for (let i = 0; i < 5; i++) await h.request(`/no/such/route/${i}`);
  const { samples } = await scrape();
  const paths = new Set(samples.filter((s) => s.name === "nixfleet_http_requests_total").map((s) => s.labels.path!));
  for (const path of paths) {
    for (const id of ids) expect(path).not.toContain(id);
    expect(path).not.toContain("metrics-a");
    expect(path).not.toContain("/no/such");
  }
  expect(paths).toContain("/api/v1/machines/{id}/report");
  expect(paths).toContain("/api/v1/machines/{id}/desired-generation");
  expect(paths).toContain("/api/v1/machines/{id}");
  const statuses = samples
    .filter((s) => s.name === "nixfleet_http_requests_total" && s.labels.path === "/api/v1/machines/{id}/report")
    .map((s) => s.labels.status);
  expect(statuses).toContain("400");

  // The per-machine label shows the id itself, escaped so the exposition stays parseable.
  const seen = samples.filter((s) => s.name === "nixfleet_machine_last_seen_timestamp_seconds");
  expect(seen.map((s) => s.labels.machine_id)).toEqual(expect.arrayContaining(["metrics b/ä", 'q"uote\\bs']));
});

test("rollout gauges follow a rollout", async () => {
  await h.request("/api/v1/machines/roll-01/register", { key: admin, json: { tags: ["roll"] } });
  const release = await h.request("/api/v1/releases", {
    key: admin,
    json: { entries: [{ hostname: "roll-01", store_path: STORE_PATH, platform: "x86_64-linux" }] },
  });
  const { id } = (await release.json()) as { id: string };
  const created = await h.request("/api/v1/rollouts", {
    key: admin,
    json: { release_id: id, strategy: "all_at_once", target: { tags: ["roll"] } },
  });
  expect(created.status).toBe(201);
  const running = await scrape();
  const value = (name: string, status?: string) =>
    running.samples.find((s) => s.name === name && (status === undefined || s.labels.status === status))?.value;
  expect(value("nixfleet_rollouts_active")).toBe(1);
  expect(value("nixfleet_rollouts_total", "running")).toBe(1);

  const { rollout_id } = (await created.json()) as { rollout_id: string };
  expect((await h.request(`/api/v1/rollouts/${rollout_id}/cancel`, { method: "POST", key: admin })).status).toBe(200);
  const after = await scrape();
  expect(after.samples.find((s) => s.name === "nixfleet_rollouts_active")?.value).toBe(0);
  expect(
    after.samples.find((s) => s.name === "nixfleet_rollouts_total" && s.labels.status === "cancelled")?.value,
  ).toBe(1);
});
