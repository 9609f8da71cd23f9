import { afterEach, expect, test } from "bun:test";
import { createControlPlane } from "../../src/control-plane.ts";
import { machines } from "../../src/db/schema.ts";
import { silentLogger } from "../../src/logger.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";
import { machinePath, report } from "../support/machines.ts";

let h: Harness;
afterEach(() => h.close());

const metrics = async (harness: Harness) => (await harness.request("/metrics")).text();
const sample = (text: string, series: string) =>
  text
    .split("\n")
    .find((line) => line.startsWith(`${series} `))
    ?.slice(series.length + 1);

test("fleet size and machines by lifecycle follow registrations, reports and lifecycle changes", async () => {
  h = await createHarness();
  const admin = await createTestKey(h, "admin");
  let text = await metrics(h);
  expect(sample(text, "nixfleet_fleet_size")).toBe("0");
  expect(sample(text, 'nixfleet_machines_by_lifecycle{lifecycle="active"}')).toBe("0");

  await h.request(machinePath("a", "/register"), { key: admin, json: { lifecycle: "pending" } });
  await h.request(machinePath("b", "/register"), { key: admin, json: { lifecycle: "provisioning" } });
  await h.request(machinePath("c", "/register"), { key: admin, json: {} });
  await report(h, "d");
  await report(h, "a");
  await h.request(machinePath("c", "/lifecycle"), {
    method: "PATCH",
    key: admin,
    json: { lifecycle: "decommissioned" },
  });

  text = await metrics(h);
  expect(sample(text, "nixfleet_fleet_size")).toBe("4");
  const byLifecycle = {
    pending: "0",
    provisioning: "1",
    active: "2",
    maintenance: "0",
    decommissioned: "1",
  };
  for (const [lifecycle, count] of Object.entries(byLifecycle)) {
    expect(sample(text, `nixfleet_machines_by_lifecycle{lifecycle="${lifecycle}"}`)).toBe(count);
  }
});

test("last-seen timestamps are the receive time in seconds, only for machines that reported", async () => {
  h = await createHarness({ startTime: Date.parse("2026-11-27T10:00:00Z") });
  const admin = await createTestKey(h, "admin");
  await h.request(machinePath("silent", "/register"), { key: admin, json: {} });
  await report(h, "web-01");
  h.advance(1500);
  await report(h, "web-02");
  const text = await metrics(h);
  expect(sample(text, 'nixfleet_machine_last_seen_timestamp_seconds{machine_id="web-01"}')).toBe("1795773600");
  expect(sample(text, 'nixfleet_machine_last_seen_timestamp_seconds{machine_id="web-02"}')).toBe("1795773601.5");
  expect(text).not.toContain('machine_id="silent"');
});

test("per-machine series are absent when perMachineMetrics is off", async () => {
  h = await createHarness({ perMachineMetrics: false });
  await report(h, "web-01");
  const text = await metrics(h);
  expect(text).not.toContain("nixfleet_machine_last_seen_timestamp_seconds");
  expect(sample(text, "nixfleet_fleet_size")).toBe("1");
});

/** /metrics of a second control plane started on the harness's database, as after a restart. */
async function metricsAfterRestart(): Promise<string> {
  const restarted = await createControlPlane({
    store: h.store,
    logger: silentLogger,
    config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
    mtls: false,
  });
  return (await restarted.app.request("/metrics")).text();
}

test("label values with quotes, backslashes and newlines are escaped", async () => {
  h = await createHarness();
  await report(h, 'a"b\\c');
  // Ids with a newline are refused since SPEC §13, but a database written by an earlier version
  // may hold one: the control plane loads it at start.
  await h.store.write((tx) =>
    tx.insert(machines).values({ machineId: "old\nid", lifecycle: "active", registeredAt: 1, lastReportAt: 5000 }),
  );
  const text = await metricsAfterRestart();
  expect(text).toContain('nixfleet_machine_last_seen_timestamp_seconds{machine_id="a\\"b\\\\c"} ');
  expect(text).toContain('nixfleet_machine_last_seen_timestamp_seconds{machine_id="old\\nid"} 5\n');
  for (const line of text.split("\n")) expect(line === "" || /^(#|nixfleet_)/.test(line)).toBe(true);
});

test("a restarted control plane rebuilds the counts from the database", async () => {
  h = await createHarness();
  const admin = await createTestKey(h, "admin");
  await h.request(machinePath("m1", "/register"), { key: admin, json: { lifecycle: "maintenance" } });
  await report(h, "m2");
  const text = await metricsAfterRestart();
  expect(sample(text, "nixfleet_fleet_size")).toBe("2");
  expect(sample(text, 'nixfleet_machines_by_lifecycle{lifecycle="maintenance"}')).toBe("1");
  expect(sample(text, 'nixfleet_machines_by_lifecycle{lifecycle="active"}')).toBe("1");
  expect(text).toContain('nixfleet_machine_last_seen_timestamp_seconds{machine_id="m2"}');
});
