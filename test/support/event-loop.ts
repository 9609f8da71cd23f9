/**
 * Runs `work` and counts the turns of the event loop that other work got meanwhile: none (or
 * one, at the end) when `work` holds the loop from start to finish.
 */
export async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const other = (async () => {
    while (running) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await other;
  }
  return turns;
}
