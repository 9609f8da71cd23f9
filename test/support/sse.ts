/** One Server-Sent Events message as a client sees it (comments are kept apart). */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an event-stream response message by message (an EventSource without the reconnecting). */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  /** A read still pending from a call that timed out: the next call takes its chunk. */
  private pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> | null = null;
  /** Comment lines seen so far (without the leading colon). */
  readonly comments: string[] = [];
  ended = false;

  constructor(response: Response) {
    if (!response.body) throw new Error("response has no body");
    this.reader = response.body.getReader();
  }

  /** The next message; rejects after `timeoutMs`, resolves null when the stream ends. */
  async next(timeoutMs = 5000): Promise<SseMessage | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.takeMessage();
      if (message) return message;
      if (this.ended) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.pending ??= this.reader.read();
      const chunk = await Promise.race([
        this.pending,
        new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), remaining))),
      ]).finally(() => clearTimeout(timer));
      if (chunk === "timeout") throw new Error(`no event within ${timeoutMs} ms`);
      this.pending = null;
      if (chunk.done) this.ended = true;
      else this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next `count` messages. */
  async take(count: number, timeoutMs = 5000): Promise<SseMessage[]> {
    const messages: SseMessage[] = [];
    while (messages.length < count) {
      const message = await this.next(timeoutMs);
      if (!message) throw new Error(`stream ended after ${messages.length} of ${count} messages`);
      messages.push(message);
    }
    return messages;
  }

  /** Resolves true when no message arrives within `ms` (comments do not count). */
  async quietFor(ms: number): Promise<boolean> {
    try {
      return (await this.next(ms)) === null;
    } catch {
      return true;
    }
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }

  /** Parses one complete block off the buffer; comment-only blocks are recorded and skipped. */
  private takeMessage(): SseMessage | null {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end < 0) return null;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: SseMessage = { data: "" };
      let hasField = false;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        hasField = true;
        if (field === "id") message.id = value;
        else if (field === "event") message.event = value;
        else if (field === "data") data.push(value);
      }
      if (!hasField) continue;
      message.data = data.join("\n");
      return message;
    }
  }
}
