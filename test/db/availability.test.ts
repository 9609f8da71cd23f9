import { expect, test } from "bun:test";
import { DatabaseAvailability, LOCK_REPORTED_AFTER_MS } from "../../src/db/availability.ts";
import { asDatabaseUnavailable, DatabaseUnavailableError } from "../../src/db/unavailable.ts";
import { createLogger } from "../../src/logger.ts";

const busy = () => Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
const full = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An availability whose probe write fails while `state.failing` says so; its log lines are kept. */
function fixture(writeWaitMs = 400) {
  const state = { failing: null as (() => Error) | null, probes: 0 };
  const logs: Record<string, unknown>[] = [];
  const availability = new DatabaseAvailability(
    {
      classify: asDatabaseUnavailable,
      read: async () => {},
      write: async () => {
        state.probes++;
        if (state.failing) throw state.failing();
      },
    },
    createLogger({ write: (line) => void logs.push(JSON.parse(line)) }),
    { writeWaitMs, writeStaleMs: 200 },
  );
  return { availability, state, logs };
}

test("a write that found the lock taken waits without running its work, then runs once the lock is free", async () => {
  const { availability, state } = fixture(5000);
  state.failing = busy;
  let attempts = 0;
  let worked = 0;
  const write = availability.run(async (began) => {
    attempts++;
    if (attempts === 1) throw busy(); // BEGIN met the lock
    began();
    worked++;
    return "committed";
  });
  await sleep(50);
  expect(worked).toBe(0);
  state.failing = null;
  expect(await write).toBe("committed");
  expect(worked).toBe(1);
});

test("a write is refused with the trouble once its bounded wait is over; the writes queued behind it wait their own", async () => {
  const { availability, state } = fixture(300);
  state.failing = busy;
  const first = availability.run(async () => {
    throw busy();
  });
  const second = availability.run(async (began) => {
    began();
    return "never";
  });
  const refused = await first.catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(DatabaseUnavailableError);
  expect(refused).toMatchObject({ trouble: "database locked", sqliteCode: "SQLITE_BUSY" });
  expect((refused as Error).message).toBe("database locked (SQLITE_BUSY)");
  await expect(second).rejects.toMatchObject({ trouble: "database locked" });
});

test("a transaction that failed after it began is never run again", async () => {
  const { availability } = fixture();
  let runs = 0;
  const write = availability.run(async (began) => {
    began();
    runs++;
    throw full();
  });
  await expect(write).rejects.toMatchObject({ trouble: "disk full", sqliteCode: "SQLITE_FULL" });
  expect(runs).toBe(1);
});

test("other failures pass through untouched and leave the database available", async () => {
  const { availability } = fixture();
  const error = new Error("not found");
  await expect(availability.run(async () => Promise.reject(error))).rejects.toBe(error);
  expect(await availability.health()).toEqual({ ok: true });
});

test("health: a full disk at once, a lock only once held a while; one log line when unavailable, one when back", async () => {
  const { availability, state, logs } = fixture(5000);
  state.failing = busy;
  const waiting = availability.run(async () => {
    if (state.failing) throw busy();
    return "done";
  });
  await sleep(20);
  expect(await availability.health()).toEqual({ ok: true });
  await sleep(LOCK_REPORTED_AFTER_MS + 300);
  expect(await availability.health()).toEqual({ ok: false, reason: "database locked" });
  state.failing = null;
  expect(await waiting).toBe("done");
  expect(await availability.health()).toEqual({ ok: true });
  expect(logs.map((entry) => [entry.msg, entry.trouble, entry.sqlite_code])).toEqual([
    ["database unavailable: writes wait for it, then get 503", "database locked", "SQLITE_BUSY"],
    ["database available again", "database locked", "SQLITE_BUSY"],
  ]);

  state.failing = full;
  await availability
    .run(async (began) => {
      began();
      throw full();
    })
    .catch(() => undefined);
  expect(await availability.health()).toEqual({ ok: false, reason: "disk full" });
  state.failing = null;
  for (let i = 0; i < 100 && !(await availability.health()).ok; i++) await sleep(20);
  expect(await availability.health()).toEqual({ ok: true });
});

test("while the database is unavailable it is probed with backing off, not hammered", async () => {
  const { availability, state } = fixture(5000);
  state.failing = busy;
  const waiting = availability.run(async () => {
    if (state.failing) throw busy();
  });
  await sleep(1000);
  // 10, 20, 40, 80, 160, then every 250 ms: a handful in a second.
  expect(state.probes).toBeGreaterThanOrEqual(3);
  expect(state.probes).toBeLessThanOrEqual(10);
  state.failing = null;
  await waiting;
  availability.close();
});

test("health reads the database on each check, and says why it cannot", async () => {
  const availability = new DatabaseAvailability(
    {
      classify: asDatabaseUnavailable,
      read: async () => {
        throw new Error("The client is closed\nmore detail");
      },
      write: async () => {},
    },
    createLogger({ write: () => {} }),
  );
  expect(await availability.health()).toEqual({ ok: false, reason: "database unavailable: The client is closed" });
});

test("health has a probe write made when no write has succeeded for a while, and reports what it found", async () => {
  const { availability, state } = fixture(5000);
  expect(await availability.health()).toEqual({ ok: true });
  expect(state.probes).toBe(0); // a write is recent: the store just opened
  state.failing = () => Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY" });
  await sleep(250);
  expect(await availability.health()).toEqual({ ok: false, reason: "database read-only" });
  expect(state.probes).toBe(1);
  // While it is unavailable the background probe, not each health check, tries again.
  for (let i = 0; i < 5; i++) await availability.health();
  expect(state.probes).toBeLessThanOrEqual(3);
  state.failing = null;
  for (let i = 0; i < 100 && !(await availability.health()).ok; i++) await sleep(20);
  expect(await availability.health()).toEqual({ ok: true });
  availability.close();
});
