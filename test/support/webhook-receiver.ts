import { createHmac, timingSafeEqual } from "node:crypto";

/** A request a test receiver got. */
export interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * An HTTP receiver on 127.0.0.1 (port 0) for webhook tests. `answer` decides each response
 * (default 200 "ok"); every request is recorded, and `concurrent` tracks how many were open at once.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  maxConcurrent = 0;
  private open = 0;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(
    public answer: (request: Received, index: number) => Response | Promise<Response> = () => new Response("ok"),
  ) {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: async (request) => {
        this.open += 1;
        this.maxConcurrent = Math.max(this.maxConcurrent, this.open);
        try {
          const received = {
            headers: Object.fromEntries(request.headers.entries()),
            body: await request.text(),
            at: Date.now(),
          };
          this.received.push(received);
          return await this.answer(received, this.received.length - 1);
        } finally {
          this.open -= 1;
        }
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}/hook`;
  }

  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.received.length} of ${count} webhook requests arrived`);
      await Bun.sleep(10);
    }
    return this.received;
  }

  stop(): void {
    this.server.stop(true);
  }
}

/**
 * An independent implementation of the Standard Webhooks verification (node:crypto, written from
 * the specification, not the library the server signs with): the signature is
 * `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), the key being the base64-decoded
 * secret without `whsec_`, or for a secret of other text its UTF-8 bytes; the header may list
 * several, space-separated.
 */
export function verifyStandardWebhook(secret: string, headers: Record<string, string>, body: string): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  const key = secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret, "utf8");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
