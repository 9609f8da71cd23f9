/** How finely wait deadlines are kept: a held poll ends at most this late. */
export const HELD_POLL_RESOLUTION_MS = 250;

/** Why a held poll ended. */
export type HeldPollOutcome = "changed" | "expired" | "released";

interface HeldPoll {
  machineId: string;
  slot: number;
  resolve: (outcome: HeldPollOutcome) => void;
}

/**
 * Agent polls held open (`?wait=`) until their machine's answer changes. A change wakes the
 * machine's polls at once; deadlines are kept in slots of `HELD_POLL_RESOLUTION_MS` swept by one
 * interval timer that runs only while polls are held, so 10 000 held polls cost no timers of their own.
 */
export class HeldPolls {
  private readonly byMachine = new Map<string, Set<HeldPoll>>();
  private readonly bySlot = new Map<number, Set<HeldPoll>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private count = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Number of polls held now. */
  get size(): number {
    return this.count;
  }

  /**
   * Holds a poll for `machineId` until its answer changes, `waitMs` pass, `signal` aborts (the
   * client went away) or `releaseAll` is called; resolves with why it ended.
   */
  hold(machineId: string, waitMs: number, signal?: AbortSignal): Promise<HeldPollOutcome> {
    if (signal?.aborted) return Promise.resolve("released");
    return new Promise((resolve) => {
      const poll: HeldPoll = {
        machineId,
        slot: Math.ceil((this.clock() + waitMs) / HELD_POLL_RESOLUTION_MS),
        resolve,
      };
      addTo(this.byMachine, machineId, poll);
      addTo(this.bySlot, poll.slot, poll);
      this.count += 1;
      this.timer ??= setInterval(() => this.expire(), HELD_POLL_RESOLUTION_MS);
      signal?.addEventListener("abort", () => this.end(poll, "released"), { once: true });
    });
  }

  /** The machine's answer changed: every poll held for it ends now. */
  changed(machineId: string): void {
    const polls = this.byMachine.get(machineId);
    if (!polls) return;
    for (const poll of polls) this.end(poll, "changed");
  }

  /** Ends every held poll (the server is stopping: it must not wait out their deadlines). */
  releaseAll(): void {
    for (const polls of this.byMachine.values()) {
      for (const poll of polls) this.end(poll, "released");
    }
  }

  private expire(): void {
    const now = Math.floor(this.clock() / HELD_POLL_RESOLUTION_MS);
    for (const [slot, polls] of this.bySlot) {
      if (slot > now) continue;
      for (const poll of polls) this.end(poll, "expired");
    }
  }

  private end(poll: HeldPoll, outcome: HeldPollOutcome): void {
    // Ended already (a change and an abort can both arrive): the first one counts.
    if (!removeFrom(this.byMachine, poll.machineId, poll)) return;
    removeFrom(this.bySlot, poll.slot, poll);
    this.count -= 1;
    if (this.count === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    poll.resolve(outcome);
  }
}

function addTo<K>(map: Map<K, Set<HeldPoll>>, key: K, poll: HeldPoll): void {
  const set = map.get(key);
  if (set) set.add(poll);
  else map.set(key, new Set([poll]));
}

function removeFrom<K>(map: Map<K, Set<HeldPoll>>, key: K, poll: HeldPoll): boolean {
  const set = map.get(key);
  if (!set?.delete(poll)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}
