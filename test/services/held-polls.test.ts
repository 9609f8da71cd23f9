import { describe, expect, test } from "bun:test";
import { HeldPolls } from "../../src/services/held-polls.ts";

describe("HeldPolls", () => {
  test("a change ends the machine's polls only; the rest wait", async () => {
    const polls = new HeldPolls();
    const a1 = polls.hold("a", 60_000);
    const a2 = polls.hold("a", 60_000);
    const b = polls.hold("b", 60_000);
    expect(polls.size).toBe(3);
    polls.changed("a");
    expect(await a1).toBe("changed");
    expect(await a2).toBe("changed");
    expect(polls.size).toBe(1);
    polls.releaseAll();
    expect(await b).toBe("released");
    expect(polls.size).toBe(0);
  });

  test("deadlines are swept by one timer: a poll expires after its wait", async () => {
    let now = 0;
    const polls = new HeldPolls(() => now);
    const short = polls.hold("a", 100);
    const long = polls.hold("a", 60_000);
    now = 500;
    expect(await short).toBe("expired");
    expect(polls.size).toBe(1);
    polls.changed("a");
    expect(await long).toBe("changed");
  });

  test("an aborted request stops being held; an already aborted one is never held", async () => {
    const polls = new HeldPolls();
    const abort = new AbortController();
    const held = polls.hold("a", 60_000, abort.signal);
    abort.abort();
    expect(await held).toBe("released");
    expect(polls.size).toBe(0);
    expect(await polls.hold("a", 60_000, abort.signal)).toBe("released");
    expect(polls.size).toBe(0);
  });
});
