import { describe, expect, test } from "bun:test";
import {
  decideLease,
  holds,
  leaseTickMs,
  LeaseLostError,
  localLeaseRunsOut,
  nodeListedUntil,
  released,
  type LeaseState,
} from "../../src/domain/lease.ts";

const LEASE = 5000;
const NOW = 1_000_000;
const heldBy = (holder: string | null, token: number, expiresAt: number): LeaseState => ({
  holder,
  token,
  acquiredAt: 900_000,
  expiresAt,
});

describe("decideLease", () => {
  test("a lease nobody ever took is acquired with token 1", () => {
    expect(decideLease(null, { nodeId: "a", token: null }, NOW, LEASE)).toEqual({
      kind: "acquire",
      lease: { holder: "a", token: 1, acquiredAt: NOW, expiresAt: NOW + LEASE },
    });
  });

  test.each([
    ["given up on a clean shutdown", heldBy(null, 4, NOW - 1)],
    ["expired just now", heldBy("b", 4, NOW)],
    ["expired long ago", heldBy("b", 4, NOW - 60_000)],
    ["held by this very node id in an earlier life, expired", heldBy("a", 4, NOW - 1)],
  ])("a lease %s is acquired with the next token", (_, row) => {
    expect(decideLease(row, { nodeId: "a", token: null }, NOW, LEASE)).toEqual({
      kind: "acquire",
      lease: { holder: "a", token: 5, acquiredAt: NOW, expiresAt: NOW + LEASE },
    });
  });

  test.each([
    ["another node", heldBy("b", 4, NOW + 1)],
    // A restarted process with a fixed --node-id cannot tell its dead predecessor from a live twin.
    ["the same node id without the token (an earlier life, or a twin)", heldBy("a", 4, NOW + 1)],
  ])("an unexpired lease held by %s is waited for", (_, row) => {
    expect(decideLease(row, { nodeId: "a", token: null }, NOW, LEASE)).toEqual({
      kind: "wait",
      holder: row.holder!,
      expiresAt: NOW + 1,
    });
  });

  test("the holder renews: a new expiry, same token and acquisition time", () => {
    expect(decideLease(heldBy("a", 4, NOW + 100), { nodeId: "a", token: 4 }, NOW, LEASE)).toEqual({
      kind: "renew",
      lease: { holder: "a", token: 4, acquiredAt: 900_000, expiresAt: NOW + LEASE },
    });
  });

  test("the holder renews even past the expiry while nobody took the lease since", () => {
    expect(decideLease(heldBy("a", 4, NOW - 10_000), { nodeId: "a", token: 4 }, NOW, LEASE).kind).toBe("renew");
  });

  test.each([
    ["taken by another node", heldBy("b", 5, NOW + LEASE), "b", 5],
    ["given up", heldBy(null, 4, NOW), null, 4],
    ["re-taken under the same node id (a twin, or after a restart)", heldBy("a", 5, NOW + LEASE), "a", 5],
    ["gone from the database", null, null, 0],
  ])("a holder whose lease was %s has lost it", (_, row, holder, token) => {
    expect(decideLease(row, { nodeId: "a", token: 4 }, NOW, LEASE)).toEqual({ kind: "lost", holder, token });
  });
});

describe("holds: the fencing check", () => {
  test("only the holder with its own token passes", () => {
    const row = heldBy("a", 4, NOW);
    expect(holds(row, { nodeId: "a", token: 4 })).toBe(true);
    expect(holds(row, { nodeId: "a", token: 3 })).toBe(false);
    expect(holds(row, { nodeId: "b", token: 4 })).toBe(false);
    expect(holds(row, { nodeId: "a", token: null })).toBe(false);
    expect(holds(null, { nodeId: "a", token: 4 })).toBe(false);
    expect(holds(heldBy(null, 4, NOW), { nodeId: "a", token: 4 })).toBe(false);
  });

  test("the check ignores expiry: an expired lease nobody took since still fences nobody out wrongly", () => {
    expect(holds(heldBy("a", 4, NOW - 60_000), { nodeId: "a", token: 4 })).toBe(true);
  });
});

describe("timing", () => {
  test("released: free at once, the token kept for the next term to raise", () => {
    expect(released(heldBy("a", 4, NOW + LEASE), NOW)).toEqual(heldBy(null, 4, NOW));
    const next = decideLease(released(heldBy("a", 4, NOW + LEASE), NOW), { nodeId: "b", token: null }, NOW, LEASE);
    expect(next).toMatchObject({ kind: "acquire", lease: { holder: "b", token: 5 } });
  });

  test("renewals and retries come every third of the lease, so a takeover fits in twice the lease", () => {
    expect(leaseTickMs(5000)).toBe(1666);
    expect(leaseTickMs(1000)).toBe(333);
    // Dead right after a renewal: expired one lease later, taken at most one tick after that.
    expect(LEASE + leaseTickMs(LEASE)).toBeLessThan(2 * LEASE);
  });

  test("a holder's own clock runs its lease out one lease after its last renewal began", () => {
    expect(localLeaseRunsOut(100, 100 + LEASE - 1, LEASE)).toBe(false);
    expect(localLeaseRunsOut(100, 100 + LEASE, LEASE)).toBe(true);
  });

  test("a node is listed for two lease times after its last heartbeat", () => {
    expect(nodeListedUntil(NOW, LEASE)).toBe(NOW + 2 * LEASE);
  });
});

test("LeaseLostError names the node, its token and the holder now", () => {
  expect(new LeaseLostError("a", 4, "b", 5).message).toBe(
    "node a no longer holds the executor lease (its token 4; now held by b, token 5)",
  );
  expect(new LeaseLostError("a", 4, null, 4).message).toBe(
    "node a no longer holds the executor lease (its token 4; now free, token 4)",
  );
  expect(new LeaseLostError("a", null, "b", 5).message).toBe("node a does not hold the executor lease");
});
