import { databaseNow, deleteExpiredNodes, deleteNode, findLease, saveLease, upsertNode } from "../db/cluster.ts";
import type { DbOrTx, Store, Tx } from "../db/database.ts";
import {
  decideLease,
  holds,
  leaseTickMs,
  localLeaseRunsOut,
  LeaseLostError,
  nodeListedUntil,
  released,
} from "../domain/lease.ts";
import type { Logger } from "../logger.ts";

/** The one lease there is: the right to run the rollout executor, retention and webhook delivery. */
export const EXECUTOR_LEASE = "executor";

/** How this process takes part: `leader` holds the lease, `standby` may take it, `replica` never will. */
export type ClusterRole = "leader" | "standby" | "replica";

type Hook = () => void | Promise<void>;

export interface LeadershipOptions {
  store: Store;
  logger: Logger;
  /** `--node-id`. */
  nodeId: string;
  /** `--lease-seconds` in milliseconds. */
  leaseMs: number;
  /** False with `--no-executor`: heartbeats only, never takes the lease. */
  eligible: boolean;
  version: string;
  /** The database's clock (tests replace it to let a lease expire without waiting). */
  clock?: (db: DbOrTx) => Promise<number>;
  /** This process's monotonic clock in milliseconds (tests replace it). */
  monotonic?: () => number;
  /** Runs `fn` after `delayMs`, returning a cancel function (tests replace it to drive heartbeats by hand). */
  setTimer?: (fn: () => void, delayMs: number) => () => void;
}

function setTimer(fn: () => void, delayMs: number): () => void {
  const timer = setTimeout(fn, delayMs);
  return () => clearTimeout(timer);
}

/**
 * This process's membership of the cluster (SPEC §18): its heartbeat row, listed by
 * `GET /api/v1/cluster`, and the executor lease. Every third of a lease it refreshes its row in one
 * write transaction that also takes the lease when it is free or expired, or renews it when held.
 * Leader-only work starts and stops through `onLead` / `onLoseLead`, and writes through `write`,
 * which checks the fencing token inside the transaction it runs.
 */
export class Leadership {
  private token: number | null = null;
  /** Monotonic time at which the last successful renewal (or the acquisition) began. */
  private renewalStartedAt = 0;
  private readonly eligible: boolean;
  private address: string | null = null;
  private startedAt: number | null = null;
  private started = false;
  private cancelTimer: (() => void) | null = null;
  private round: Promise<void> = Promise.resolve();
  /** Hook runs, one after another: a loss never overtakes the lead it ends. */
  private transitions: Promise<void> = Promise.resolve();
  private pendingTransitions = 0;
  private readonly leadHooks: Hook[] = [];
  private readonly loseHooks: Hook[] = [];
  private readonly clock: (db: DbOrTx) => Promise<number>;
  private readonly monotonic: () => number;

  constructor(private readonly options: LeadershipOptions) {
    this.eligible = options.eligible;
    this.clock = options.clock ?? databaseNow;
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /**
   * True while this process holds the lease and, once heartbeats run, its own clock says the lease
   * cannot have run out (renewals that fail make it false until one succeeds): work that no
   * transaction can fence (a webhook's HTTP call) asks this first.
   */
  get isLeader(): boolean {
    if (this.token === null) return false;
    return !this.started || !localLeaseRunsOut(this.renewalStartedAt, this.monotonic(), this.options.leaseMs);
  }

  get role(): ClusterRole {
    if (this.token !== null) return "leader";
    return this.eligible ? "standby" : "replica";
  }

  /** The fencing token this process holds, or null. */
  get fencingToken(): number | null {
    return this.token;
  }

  /** Runs `hook` whenever this process starts to lead (after `start`). */
  onLead(hook: Hook): void {
    this.leadHooks.push(hook);
  }

  /** Runs `hook` whenever this process stops leading: lease taken by another, a fenced write refused, or shutdown. */
  onLoseLead(hook: Hook): void {
    this.loseHooks.push(hook);
  }

  /** Writes this process's row and tries the lease once; no hook runs yet. */
  async join(): Promise<void> {
    await this.heartbeat();
  }

  /**
   * Starts the heartbeats under `address` (the listen URL). When `join` took the lease, the lead
   * hooks run now, their synchronous part before this returns.
   */
  start(address: string | null = null): void {
    if (this.started) return;
    this.started = true;
    this.address = address;
    if (this.token !== null) this.transition(this.leadHooks);
    // At once, so the row carries the address from the start.
    this.schedule(0);
  }

  /**
   * Stops heartbeats, ends leader-only work, gives the lease up and removes this process's row.
   * The lose hooks run while the lease is still held, so the work they wait for (an executor step,
   * the webhook cursor's last save) commits under its token.
   */
  async stop(): Promise<void> {
    this.started = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.round;
    const token = this.token;
    if (token !== null) {
      // The leader-only services stop while the lease is still held, so what they finish on the
      // way out (a webhook attempt's outcome, an executor step) is still written.
      await this.transition(this.loseHooks);
      this.token = null;
    }
    await this.transitions;
    try {
      await this.options.store.write(async (tx) => {
        const now = await this.clock(tx);
        const lease = await findLease(tx, EXECUTOR_LEASE);
        // Given up only if still ours: another process may have taken it meanwhile.
        if (lease && holds(lease, { nodeId: this.nodeId, token })) {
          await saveLease(tx, EXECUTOR_LEASE, released(lease, now));
        }
        await deleteNode(tx, this.nodeId);
      });
      if (token !== null) this.options.logger.info("gave up the executor lease", { node_id: this.nodeId, token });
    } catch (error) {
      this.options.logger.warn("could not give up the executor lease; it expires on its own", {
        node_id: this.nodeId,
        error: String(error),
      });
    }
  }

  /** One heartbeat now (tests); resolves when it and the hooks it set off have run. */
  async tick(): Promise<void> {
    await this.round;
    this.round = this.heartbeat();
    await this.round;
    await this.transitions;
  }

  /**
   * A leader-only write transaction: first checks, in the same transaction, that this process
   * still holds the lease with its token, then runs `fn`. SQLite runs one write transaction at a
   * time, so no other process can take the lease between the check and the commit. Throws
   * `LeaseLostError` (and ends this process's lead) when the check fails; nothing is written then.
   */
  async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const token = this.token;
    const claim = { nodeId: this.nodeId, token };
    try {
      return await this.options.store.write(async (tx) => {
        const lease = await findLease(tx, EXECUTOR_LEASE);
        if (!holds(lease, claim))
          throw new LeaseLostError(this.nodeId, token, lease?.holder ?? null, lease?.token ?? null);
        return fn(tx);
      });
    } catch (error) {
      if (error instanceof LeaseLostError && token !== null) {
        this.options.logger.warn("fenced write refused", {
          node_id: this.nodeId,
          token,
          holder: error.holder,
          holder_token: error.holderToken,
        });
        this.lose(token, "fenced write refused", error.holder, error.holderToken);
      }
      throw error;
    }
  }

  private schedule(delayMs = leaseTickMs(this.options.leaseMs)): void {
    if (!this.started) return;
    this.cancelTimer = (this.options.setTimer ?? setTimer)(() => {
      this.round = this.heartbeat().finally(() => this.schedule());
    }, delayMs);
  }

  /** Refreshes this process's row and takes, renews or loses the lease, in one transaction. */
  private async heartbeat(): Promise<void> {
    const began = this.monotonic();
    const claim = { nodeId: this.nodeId, token: this.token };
    const leaseMs = this.options.leaseMs;
    let outcome;
    try {
      outcome = await this.options.store.write(async (tx) => {
        const now = await this.clock(tx);
        this.startedAt ??= now;
        await deleteExpiredNodes(tx, now);
        await upsertNode(tx, {
          nodeId: this.nodeId,
          address: this.address,
          version: this.options.version,
          eligible: this.eligible,
          startedAt: this.startedAt,
          lastSeenAt: now,
          expiresAt: nodeListedUntil(now, leaseMs),
        });
        if (!this.eligible && claim.token === null) return null;
        const decision = decideLease(await findLease(tx, EXECUTOR_LEASE), claim, now, leaseMs);
        if (decision.kind === "acquire" || decision.kind === "renew")
          await saveLease(tx, EXECUTOR_LEASE, decision.lease);
        return decision;
      });
    } catch (error) {
      this.options.logger.warn("cluster heartbeat failed", { node_id: this.nodeId, error: String(error) });
      // Past a lease time without a renewal, `isLeader` is already false; the lead itself ends only
      // when a renewal or a fenced write finds another holder: until someone else takes the lease
      // nobody else can write, and when someone does, the token check refuses this process.
      if (claim.token !== null && localLeaseRunsOut(this.renewalStartedAt, this.monotonic(), leaseMs)) {
        this.options.logger.warn("executor lease renewal overdue", { node_id: this.nodeId, token: claim.token });
      }
      return;
    }
    if (outcome === null || this.token !== claim.token) return;
    switch (outcome.kind) {
      case "acquire":
        this.token = outcome.lease.token;
        this.renewalStartedAt = began;
        // At start-up the `listening` line says so (its `role`).
        if (!this.started) return;
        this.options.logger.info("took the executor lease", { node_id: this.nodeId, token: this.token });
        this.transition(this.leadHooks);
        return;
      case "renew":
        this.renewalStartedAt = began;
        return;
      case "lost":
        this.lose(claim.token!, "another process holds the lease", outcome.holder, outcome.token);
        return;
      case "wait":
        return;
    }
  }

  /** Ends this process's lead (once per term) and runs the lose hooks. */
  private lose(token: number, reason: string, holder: string | null, holderToken: number | null): void {
    if (this.token !== token) return;
    this.token = null;
    this.options.logger.warn("lost the executor lease", {
      node_id: this.nodeId,
      token,
      reason,
      holder,
      holder_token: holderToken,
    });
    if (this.started) this.transition(this.loseHooks);
  }

  /** Runs `hooks` after any earlier transition; when none is running, the first hook's synchronous part runs now. */
  private transition(hooks: Hook[]): Promise<void> {
    const run = async () => {
      for (const hook of hooks) {
        try {
          await hook();
        } catch (error) {
          this.options.logger.error("leadership hook failed", { node_id: this.nodeId, error: String(error) });
        }
      }
    };
    const done = () => {
      this.pendingTransitions -= 1;
    };
    this.transitions = (this.pendingTransitions === 0 ? run() : this.transitions.then(run)).finally(done);
    this.pendingTransitions += 1;
    return this.transitions;
  }
}
