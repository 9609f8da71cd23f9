/**
 * The rules of the executor lease (SPEC §18): who may take it, when its holder renews it, when a
 * holder must consider it lost. Pure: the caller reads the lease row and the database's clock in
 * one write transaction, asks `decideLease`, and applies the answer in that same transaction, so
 * two processes can never both take it (SQLite serializes write transactions).
 *
 * Clocks: every time here is the database's clock, read in the transaction (one host's clock for
 * a local file, the server's for a libSQL server), so processes on several hosts need not agree on
 * the time of day. A holder also measures with its own monotonic clock how long ago its last
 * successful renewal began, and stops counting itself leader once that reaches the lease time
 * (`localLeaseRunsOut`): this assumes only that clocks run at about the same rate. Safety never
 * depends on either: a leader-only write checks the fencing token in its own transaction.
 */

/** The lease row as stored; `holder` null means given up. */
export interface LeaseState {
  holder: string | null;
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

/** What this process knows of its own claim: its node id and the token it holds, if any. */
export interface LeaseClaim {
  nodeId: string;
  token: number | null;
}

export type LeaseDecision =
  /** Take the lease (absent, given up or expired) with a new token. */
  | { kind: "acquire"; lease: LeaseState }
  /** We hold it: push its expiry on. */
  | { kind: "renew"; lease: LeaseState }
  /** We believed we held it, but another acquisition happened since (or it was taken away). */
  | { kind: "lost"; holder: string | null; token: number }
  /** Another process holds it and it has not expired. */
  | { kind: "wait"; holder: string; expiresAt: number };

/** Default lease time (`--lease-seconds`). */
export const DEFAULT_LEASE_SECONDS = 5;

/**
 * How often a holder renews and a waiting process retries: a third of the lease, so a holder has
 * two more tries before it runs out, and a successor takes over at most a third of a lease after
 * the expiry (well within the SPEC's 2 × lease).
 */
export function leaseTickMs(leaseMs: number): number {
  return Math.max(1, Math.floor(leaseMs / 3));
}

/**
 * The decision for `claim` given the stored row (null: never taken) at database time `now`.
 * A holder keeps its lease even past the expiry as long as nobody has taken it since (its token
 * is still the row's): nobody else can have written with a newer token in between.
 */
export function decideLease(row: LeaseState | null, claim: LeaseClaim, now: number, leaseMs: number): LeaseDecision {
  if (claim.token !== null) {
    if (row !== null && holds(row, claim)) {
      return { kind: "renew", lease: { ...row, expiresAt: now + leaseMs } };
    }
    return { kind: "lost", holder: row?.holder ?? null, token: row?.token ?? 0 };
  }
  if (row === null) return { kind: "acquire", lease: newTerm(0, claim.nodeId, now, leaseMs) };
  if (row.holder === null || row.expiresAt <= now) {
    return { kind: "acquire", lease: newTerm(row.token, claim.nodeId, now, leaseMs) };
  }
  return { kind: "wait", holder: row.holder, expiresAt: row.expiresAt };
}

/** True when `claim` holds the lease as stored: the fencing check of every leader-only write. */
export function holds(row: LeaseState | null, claim: LeaseClaim): boolean {
  return row !== null && claim.token !== null && row.holder === claim.nodeId && row.token === claim.token;
}

/** The row after its holder gives it up (clean shutdown): free at once, the token kept for the next term to raise. */
export function released(row: LeaseState, now: number): LeaseState {
  return { ...row, holder: null, expiresAt: now };
}

/**
 * True once a holder can no longer be sure it still holds the lease by its own clock: its last
 * successful renewal began `leaseMs` or more ago (`renewalStartedAt` and `now` on its monotonic
 * clock). The stored expiry is at least that far from when the renewal began, so until then no
 * other process may have taken it.
 */
export function localLeaseRunsOut(renewalStartedAt: number, now: number, leaseMs: number): boolean {
  return now - renewalStartedAt >= leaseMs;
}

/**
 * When a node stops being listed in `GET /api/v1/cluster`: two of its lease times after its last
 * heartbeat (it heartbeats every third of one), the same bound the SPEC sets for a takeover.
 */
export function nodeListedUntil(lastSeenAt: number, leaseMs: number): number {
  return lastSeenAt + 2 * leaseMs;
}

function newTerm(previousToken: number, nodeId: string, now: number, leaseMs: number): LeaseState {
  return { holder: nodeId, token: previousToken + 1, acquiredAt: now, expiresAt: now + leaseMs };
}

/**
 * A leader-only write refused because this process no longer holds the lease with the token it
 * acquired: another process has taken over (or this one never led). Nothing of the write happened.
 */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
  constructor(
    readonly nodeId: string,
    /** The token this process wrote with; null when it did not lead. */
    readonly token: number | null,
    /** Who holds the lease now, and with which token (null holder: nobody). */
    readonly holder: string | null,
    readonly holderToken: number | null,
  ) {
    super(
      token === null
        ? `node ${nodeId} does not hold the executor lease`
        : `node ${nodeId} no longer holds the executor lease (its token ${token}; now ${holder === null ? "free" : `held by ${holder}`}, token ${holderToken ?? 0})`,
    );
  }
}
