import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { recordAudit } from "../../src/db/audit.ts";
import { openStore, type Store } from "../../src/db/database.ts";
import { silentLogger } from "../../src/logger.ts";
import { ChangeFeed, FEED_PAGE_SIZE, type FeedFollower } from "../../src/services/change-feed.ts";
import { EventStreams } from "../../src/services/event-streams.ts";
import { ReportIngest } from "../../src/services/report-ingest.ts";
import { createHarness, type Harness } from "../support/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

async function emit(store: Store, ...targets: string[]): Promise<void> {
  await store.write((tx) =>
    recordAudit(
      tx,
      Date.now(),
      ...targets.map((target) => ({ actor: "test", action: "register" as const, target, detail: {} })),
    ),
  );
}

/** Takes events from a follower until `count` have come (heartbeats skipped). */
async function take(follower: FeedFollower, count: number): Promise<string[]> {
  const targets: string[] = [];
  while (targets.length < count) {
    const item = await follower.next();
    if (item === null) throw new Error(`ended after ${targets.length} events`);
    if (item !== "heartbeat") targets.push(...item.map((e) => e.target));
  }
  return targets;
}

describe("ChangeFeed", () => {
  test("events another process commits to the same database arrive through the timer", async () => {
    const feed = new ChangeFeed(h.store.db, silentLogger, 20);
    await feed.load();
    feed.start();
    const other = await openStore(h.dbPath);
    try {
      const follower = feed.follow({ after: feed.position, maxQueued: 100, onOverflow: "drop" });
      // Written through another connection: this feed is not told of the commit.
      await emit(other, "from-elsewhere");
      expect(await take(follower, 1)).toEqual(["from-elsewhere"]);
    } finally {
      await feed.stop();
      await other.close();
    }
  });

  test("a backlog another process committed at once is read a page per turn of the event loop", async () => {
    const feed = new ChangeFeed(h.store.db, silentLogger, 60_000);
    await feed.load();
    const start = feed.position;
    const other = await openStore(h.dbPath);
    // The feed's position as each turn of the event loop sees it.
    const seen = new Set<number>();
    let ticking = true;
    const tick = () => {
      seen.add(feed.position);
      if (ticking) setImmediate(tick);
    };
    try {
      await emit(other, ...Array.from({ length: 3 * FEED_PAGE_SIZE + 1 }, (_, i) => `m-${i}`));
      tick();
      feed.committed();
      for (let i = 0; i < 200 && feed.position < start + 3 * FEED_PAGE_SIZE + 1; i++) await Bun.sleep(5);
      expect(feed.position).toBe(start + 3 * FEED_PAGE_SIZE + 1);
      // Four pages, the event loop free after each (agents' polls are answered in between).
      for (let page = 1; page <= 3; page++) expect(seen).toContain(start + page * FEED_PAGE_SIZE);
    } finally {
      ticking = false;
      await feed.stop();
      await other.close();
    }
  });

  test("a follower far behind catches up a page per turn of the event loop", async () => {
    const feed = h.controlPlane.deps.feed;
    const start = feed.position;
    const targets = Array.from({ length: 3 * FEED_PAGE_SIZE + 1 }, (_, i) => `m-${i}`);
    await emit(h.store, ...targets);
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    tick();
    try {
      // As a stream resuming from an old Last-Event-ID does.
      const follower = feed.follow({ after: start, maxQueued: 10_000, onOverflow: "drop" });
      const turnsOfPages: number[] = [];
      let received = 0;
      while (received < targets.length) {
        const item = await follower.next();
        if (item === null) throw new Error("ended");
        if (item === "heartbeat") continue;
        turnsOfPages.push(turn);
        received += item.length;
      }
      follower.close();
      expect(turnsOfPages).toHaveLength(4);
      expect(new Set(turnsOfPages).size).toBe(4);
    } finally {
      ticking = false;
    }
  });

  test("a follower that falls behind under the rewind policy reads the rest from the database: nothing lost or doubled", async () => {
    const feed = h.controlPlane.deps.feed;
    const follower = feed.follow({ after: feed.position, maxQueued: 10, onOverflow: "rewind" });
    await emit(h.store, "first");
    expect(await take(follower, 1)).toEqual(["first"]);
    const targets = Array.from({ length: 700 }, (_, i) => `m-${i}`);
    await emit(h.store, ...targets);
    await Bun.sleep(100);
    expect(await take(follower, 700)).toEqual(targets);
    follower.close();
  });

  test("a follower under the drop policy ends, and says so", async () => {
    const feed = h.controlPlane.deps.feed;
    // The process's own view follower follows the feed too.
    const others = feed.followerCount;
    const follower = feed.follow({ after: feed.position, maxQueued: 10, onOverflow: "drop" });
    let ended = false;
    follower.onEnd = () => (ended = true);
    await emit(h.store, "first");
    expect(await take(follower, 1)).toEqual(["first"]);
    await emit(h.store, ...Array.from({ length: 20 }, (_, i) => `m-${i}`));
    for (let i = 0; i < 100 && !ended; i++) await Bun.sleep(5);
    expect(ended).toBe(true);
    expect(await follower.next()).toBeNull();
    expect(feed.followerCount).toBe(others);
  });
});

describe("EventStreams", () => {
  test("an idle stream gets a heartbeat every interval; one timer for all, stopped when none is open", async () => {
    const streams = new EventStreams(h.controlPlane.deps.feed, { heartbeatMs: 20, maxQueued: 10 });
    const a = streams.subscribe({}, h.controlPlane.deps.feed.position);
    const b = streams.subscribe({}, h.controlPlane.deps.feed.position);
    expect(await a.next()).toBe("heartbeat");
    expect(await b.next()).toBe("heartbeat");
    expect(await a.next()).toBe("heartbeat");
    streams.release(a);
    streams.release(b);
    expect(streams.size).toBe(0);
    expect(await a.next()).toBeNull();
  });
});

test("only a commit that wrote audit events cues the feed to read: a report batch that changed nothing does not", async () => {
  const { feed, store } = h.controlPlane.deps;
  let cues = 0;
  const cue = feed.committed.bind(feed);
  feed.committed = () => {
    cues++;
    cue();
  };
  const report = (id: string) => ({
    machineId: id,
    currentGeneration: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05",
    success: true,
    message: "switched",
    agentTimestamp: "2026-11-27T10:00:00Z",
    reportedAt: "2026-11-27T10:00:00.000Z",
    tags: [],
    health: null,
    agentVersion: "0.1.0",
    uptimeSeconds: 1,
  });
  const ingest = new ReportIngest(h.controlPlane.deps);
  await ingest.submit(report("web-01"));
  expect(cues).toBe(1);
  await ingest.submit(report("web-01"));
  await store.write(async () => undefined);
  expect(cues).toBe(1);
  await emit(store, "web-02");
  expect(cues).toBe(2);
});
