/**
 * Lets the event loop serve what is waiting (agent polls above all) before going on. The SQLite
 * driver runs synchronously and its promises resolve at once, so a loop of awaited queries never
 * gives other requests a turn by itself: bulk work calls this between chunks.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
