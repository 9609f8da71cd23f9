// Reading a Server-Sent Events stream (the API's rollout stream) in the CLI.

/** The events that arrived together: their count and the last one's id (for `Last-Event-ID`). */
export interface EventBurst {
  events: number;
  lastId: string | undefined;
}

/**
 * Reads an SSE body and yields once per chunk that completed at least one event, so a burst
 * (a rollout's history on connect, a batch's transitions) costs the reader one refresh. Comments
 * (`: heartbeat`) are not events.
 */
export async function* eventBursts(body: ReadableStream<Uint8Array>): AsyncGenerator<EventBurst> {
  const decoder = new TextDecoder();
  let pending = "";
  let hasData = false;
  // SSE's "last event ID buffer": set by an `id:` line, but an event's id counts only once the
  // event is complete (a stream cut in the middle of it must resume before it).
  let idBuffer: string | undefined;
  let lastId: string | undefined;
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    let events = 0;
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line === "") {
        if (hasData) {
          events += 1;
          lastId = idBuffer;
        }
        hasData = false;
      } else if (line.startsWith("data:")) hasData = true;
      else if (line.startsWith("id:")) idBuffer = line.slice(3).trim();
    }
    if (events > 0) yield { events, lastId };
  }
}
