import type { Socket, SocketHandler } from "bun";
import { STATUS_CODES } from "node:http";
import type { Bindings, PeerIdentity } from "../context.ts";
import type { ConnectionTimeouts, FetchHandler } from "./adapter.ts";
import {
  canStartRequest,
  ChunkedBodyDecoder,
  HttpFramingError,
  MAX_HEAD_BYTES,
  findHeadEnd,
  parseRequestHead,
  skipEmptyLines,
  type RequestHead,
} from "./http1-parser.ts";

// HTTP/1.1 served over Bun sockets. Bun.serve answers nothing to requests pipelined behind an
// async handler (it closes the connection; still so on Bun 1.4.5) and never drops a connection
// that stays silent, before or after a TLS handshake, nor one that sends its head a byte at a time.
// This serves each connection's requests one at a time in arrival order, with a deadline for
// every phase of the connection (README, "Connections").

/** A body must keep arriving at this rate on average (after the head timeout's grace), or the connection is dropped. */
const MIN_BODY_BYTES_PER_SECOND = 4 * 1024;
/** At shutdown, how long a held response (long-poll, event stream) has to be ended by the app before it is cut. */
const HELD_RESPONSE_GRACE_MS = 1000;
const NO_BYTES = Buffer.alloc(0);
/** The methods the app's routes use, as `OPTIONS *` answers them. */
const SERVER_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const STATUSES_WITHOUT_BODY = new Set([204, 304]);
// Framing is the edge's: the app's own values of these would contradict it.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "date"]);

export interface Http1Options {
  scheme: "http" | "https";
  /** The URL authority of HTTP/1.0 requests that name no Host: the listening address, set once listening. */
  defaultAuthority: string;
  fetch: FetchHandler;
  /** Bodies up to this size are read; a larger declared one is handed to the app unread (it answers 413). */
  maxBodyBytes: number;
  timeouts: ConnectionTimeouts;
  /**
   * Past this many connections a new one makes room by closing the oldest that has no request
   * in progress, so the process never runs out of file descriptors (where the kernel would keep
   * new connections waiting, legitimate ones included).
   */
  maxConnections: number;
}

/** The socket handlers of a listener serving HTTP/1.1, and the connections it holds. */
export class Http1Server {
  readonly connections = new Set<Connection>();
  private stopping = false;
  private allClosed: PromiseWithResolvers<void> | null = null;

  constructor(readonly options: Http1Options) {}

  /** True once `stop` was called: connections then close without lingering. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Socket handlers for `Bun.listen`. With TLS, `acceptHandshake` judges each completed handshake:
   * the peer identity to hand the app, or null to close the connection.
   */
  handlers(
    acceptHandshake: (
      socket: Socket<Connection>,
      success: boolean,
      authorizationError: Error | null,
    ) => PeerIdentity | undefined | null = () => undefined,
  ): SocketHandler<Connection> {
    return {
      open: (socket) => {
        const connection = new Connection(socket, this);
        socket.data = connection;
        this.connections.add(connection);
        if (this.stopping) connection.drop();
        else if (this.connections.size > this.options.maxConnections) this.makeRoom(connection);
      },
      handshake: (socket, success, authorizationError) => {
        if (socket.data.dropped) return;
        const peer = acceptHandshake(socket, success, authorizationError);
        if (peer === null) socket.data.drop();
        else if (peer) socket.data.identified(peer);
      },
      data: (socket, chunk) => socket.data.received(chunk),
      drain: (socket) => socket.data.drained(),
      end: (socket) => socket.data.peerEnded(),
      close: (socket) => socket.data?.closed(),
      error: () => {},
    };
  }

  private makeRoom(newcomer: Connection): void {
    for (const connection of this.connections) {
      if (connection !== newcomer && connection.unused) {
        connection.drop();
        return;
      }
    }
    newcomer.drop();
  }

  /** Called by a connection once its socket closed. */
  forget(connection: Connection): void {
    this.connections.delete(connection);
    if (this.connections.size === 0) this.allClosed?.resolve();
  }

  /**
   * Closes idle connections at once and the others after their current response; a held
   * response (keepOpen) that the app has not ended within HELD_RESPONSE_GRACE_MS is cut. Resolves
   * when every connection is closed.
   */
  stop(): Promise<void> {
    this.stopping = true;
    this.allClosed ??= Promise.withResolvers<void>();
    for (const connection of this.connections) connection.shutdown();
    if (this.connections.size === 0) this.allClosed.resolve();
    const cut = setTimeout(() => {
      for (const connection of this.connections) if (connection.held) connection.drop();
    }, HELD_RESPONSE_GRACE_MS);
    void this.allClosed.promise.then(() => clearTimeout(cut));
    return this.allClosed.promise;
  }
}

/**
 * `closing`: the last answer is out and the sending side shut; what the client still sends is read
 * and thrown away until it closes too (or for the head timeout), see `end`.
 */
type Phase = "head" | "body" | "busy" | "idle" | "closing";
type BodyRead = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>["read"]>>;
interface Exchange {
  head: RequestHead;
  body: Uint8Array<ArrayBuffer> | null;
}

/** One client connection: its unparsed bytes, the request being read, the exchange in progress. */
class Connection {
  private phase: Phase = "head";
  private pending: Buffer = NO_BYTES;
  /**
   * Bytes that arrived while an answer was pending, kept as they came and joined to `pending` once:
   * joining each piece as it comes would copy everything before it again (quadratic in what a
   * client pipelines: 2 GiB of copying for a 2 MiB body sent in 1 KiB pieces).
   */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private head: RequestHead | null = null;
  private fixedBody: Buffer<ArrayBuffer> | null = null;
  private fixedBodyReceived = 0;
  private chunkedBody: ChunkedBodyDecoder | null = null;
  private headStartedAt = Date.now();
  private bodyStartedAt = 0;
  private closeAfterResponse = false;
  private peerFinished = false;
  private isClosed = false;
  private pumping = false;
  private bindings: Bindings;
  private current: {
    abort: AbortController;
    held: boolean;
    reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | null;
  } | null = null;
  private readonly unsent: Uint8Array[] = [];
  private waitingForDrain: PromiseWithResolvers<void> | null = null;
  private deadline: number | null = null;
  private timer: Timer | null = null;
  private timerAt = 0;

  constructor(
    private readonly socket: Socket<Connection>,
    private readonly server: Http1Server,
  ) {
    this.bindings = { keepOpen: () => this.keepOpen() };
    // Covers the TLS handshake too: with a handshake handler, `open` fires on connect.
    this.setDeadline(Date.now() + server.options.timeouts.headMs);
  }

  identified(peer: PeerIdentity): void {
    this.bindings = { peer, keepOpen: this.bindings.keepOpen };
  }

  received(chunk: Buffer): void {
    if (this.isClosed || this.phase === "closing") return;
    if (this.phase === "busy") {
      // Pipelined bytes wait for the exchange in progress, within what one more request may hold.
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
      if (this.pending.length + this.queuedBytes > MAX_HEAD_BYTES + this.server.options.maxBodyBytes) this.drop();
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.phase === "idle") {
      this.phase = "head";
      this.headStartedAt = Date.now();
    }
    void this.pump();
  }

  drained(): void {
    this.flush();
  }

  peerEnded(): void {
    this.peerFinished = true;
    if (this.phase === "closing") {
      this.close();
      return;
    }
    // A client that hangs up on a held poll or stream is gone: the app learns it from the
    // request's signal. Other requests half-closed after sending are still answered.
    if (this.held || (this.phase !== "busy" && !this.pumping)) this.drop();
  }

  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const current = this.current;
    if (current) {
      current.abort.abort();
      current.reader?.cancel().catch(() => {});
    }
    this.waitingForDrain?.resolve();
    this.server.forget(this);
  }

  /** Closes at once, without an answer. */
  drop(): void {
    if (this.isClosed) return;
    // Marked closed first: terminating a TLS socket mid-handshake reports a failed handshake.
    this.closed();
    this.socket.terminate();
  }

  /** True once the socket is closed or being closed by this side. */
  get dropped(): boolean {
    return this.isClosed;
  }

  /** True while no request is in progress: nothing of one received, nothing being answered. */
  get unused(): boolean {
    return this.phase === "idle" || this.phase === "closing" || (this.phase === "head" && this.pending.length === 0);
  }

  /** True while answering a request whose response is held open (keepOpen). */
  get held(): boolean {
    return this.current?.held ?? false;
  }

  /** Stops the connection for a server shutdown: a request already started is answered first. */
  shutdown(): void {
    const started =
      this.phase === "busy" || this.phase === "body" || (this.phase === "head" && this.pending.length > 0);
    if (started) this.closeAfterResponse = true;
    else this.drop();
  }

  /** Marks the exchange in progress held open. Any request of it counts: middleware may have swapped `c.req.raw`. */
  private keepOpen(): void {
    if (this.current) this.current.held = true;
  }

  /** Serves every complete request in the buffer, one after the other. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const exchange = this.takeRequest();
        if (exchange === null) break;
        await this.serve(exchange.head, exchange.body);
        // The next request waits until this answer is out: a client that does not read it is
        // dropped by the stall deadline, not served more.
        if (this.unsent.length > 0) await this.drainWrites();
        if (this.isClosed) return;
        if (this.queued.length > 0) {
          this.pending = Buffer.concat([this.pending, ...this.queued]);
          this.queued = [];
          this.queuedBytes = 0;
        }
        if (this.closeAfterResponse || exchange.head.close || (this.peerFinished && this.pending.length === 0)) {
          this.end();
          return;
        }
        // The next request's head counts from now, even when its bytes came pipelined earlier.
        this.phase = this.pending.length === 0 ? "idle" : "head";
        this.headStartedAt = Date.now();
      }
      if (this.isClosed) return;
      if (this.peerFinished) {
        this.drop();
        return;
      }
      this.setDeadlineForPhase();
    } catch (error) {
      this.failed(error);
    } finally {
      this.pumping = false;
    }
  }

  private setDeadlineForPhase(): void {
    const { headMs, idleMs } = this.server.options.timeouts;
    if (this.phase === "idle") this.setDeadline(Date.now() + idleMs);
    else if (this.phase === "head") this.setDeadline(this.headStartedAt + headMs);
    else if (this.phase === "body") {
      const received = this.fixedBody ? this.fixedBodyReceived : (this.chunkedBody?.size ?? 0);
      this.setDeadline(this.bodyStartedAt + headMs + (received * 1000) / MIN_BODY_BYTES_PER_SECOND);
    }
  }

  /** The next complete request in `pending`, or null while it is incomplete. Throws HttpFramingError. */
  private takeRequest(): Exchange | null {
    if (this.head === null) {
      const skipped = skipEmptyLines(this.pending, 0);
      if (skipped > 0) this.pending = this.pending.subarray(skipped);
      // Garbage (such as a TLS handshake on the plain port) is refused at once, not at the deadline.
      if (this.pending.length > 0 && !canStartRequest(this.pending)) {
        throw new HttpFramingError(400, "malformed request line");
      }
      const end = findHeadEnd(this.pending, 0);
      if (end === -1) {
        if (this.pending.length > MAX_HEAD_BYTES) throw headTooLarge(this.pending);
        if (this.pending.length > 0) this.phase = "head";
        return null;
      }
      if (end > MAX_HEAD_BYTES) throw headTooLarge(this.pending);
      const head = parseRequestHead(this.pending.toString("latin1", 0, end));
      this.pending = end === this.pending.length ? NO_BYTES : this.pending.subarray(end);
      this.head = head;
      this.bodyStartedAt = Date.now();
      if (head.contentLength !== null && head.contentLength > this.server.options.maxBodyBytes) {
        // Unread: the app answers 413 from the declared length, and the connection closes after.
        this.closeAfterResponse = true;
        return this.complete(null);
      }
      if (head.chunked) this.chunkedBody = new ChunkedBodyDecoder(this.server.options.maxBodyBytes);
      else if (head.contentLength) this.fixedBody = Buffer.allocUnsafe(head.contentLength);
      else return this.complete(null);
      this.phase = "body";
      if (head.expectContinue && head.version === "HTTP/1.1" && this.pending.length === 0) {
        this.write(Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1"));
      }
    }
    if (this.fixedBody) {
      const take = Math.min(this.fixedBody.length - this.fixedBodyReceived, this.pending.length);
      this.pending.copy(this.fixedBody, this.fixedBodyReceived, 0, take);
      this.fixedBodyReceived += take;
      this.pending = take === this.pending.length ? NO_BYTES : this.pending.subarray(take);
      if (this.fixedBodyReceived < this.fixedBody.length) return null;
      const body = this.fixedBody;
      this.fixedBody = null;
      this.fixedBodyReceived = 0;
      return this.complete(body);
    }
    const decoder = this.chunkedBody!;
    this.pending = this.pending.subarray(decoder.feed(this.pending));
    if (decoder.overLimit) {
      // The rest of the body stays unread: the app answers 413, and the connection closes after.
      this.closeAfterResponse = true;
    } else if (!decoder.done) return null;
    this.chunkedBody = null;
    return this.complete(decoder.body());
  }

  private complete(body: Uint8Array<ArrayBuffer> | null): Exchange {
    const head = this.head!;
    this.head = null;
    this.phase = "busy";
    this.deadline = null;
    return { head, body };
  }

  private async serve(head: RequestHead, body: Uint8Array<ArrayBuffer> | null): Promise<void> {
    if (head.target === "*") {
      // OPTIONS * asks about the server, not a resource (RFC 9110 §9.3.7): no route can take it.
      // Health checks send it (HAProxy's documentation of `option httpchk`).
      await this.respond(new Response(null, { headers: { allow: SERVER_METHODS } }), head);
      return;
    }
    const abort = new AbortController();
    let request: Request;
    try {
      const url = requestUrl(head, this.server.options);
      request = new Request(url, {
        method: head.method,
        headers: head.headers,
        signal: abort.signal,
        ...(head.method === "GET" || head.method === "HEAD" ? {} : requestBody(head, body)),
      });
    } catch {
      throw new HttpFramingError(400, "malformed request target or host");
    }
    this.current = { abort, held: false, reader: null };
    let response: Response;
    try {
      // Bun's Request renames methods it does not know to GET and upper-cases lower-case ones
      // (`delete` becomes DELETE), but methods are case-sensitive: serving either as another
      // method would act on a request that a proxy's method rules let through as harmless.
      response =
        request.method === head.method
          ? await this.server.options.fetch(request, this.bindings)
          : Response.json(
              { error: `method ${head.method} is unknown to this server (methods are case-sensitive)` },
              { status: 501 },
            );
    } catch {
      response = Response.json({ error: "internal server error" }, { status: 500 });
    }
    try {
      await this.respond(response, head);
    } catch {
      // A response body that failed half-way cannot be framed any more: the client sees it cut.
      this.drop();
    } finally {
      this.current = null;
    }
  }

  private async respond(response: Response, head: RequestHead): Promise<void> {
    const status = response.status;
    const bodyless = head.method === "HEAD" || STATUSES_WITHOUT_BODY.has(status) || status < 200;
    let lines = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\ndate: ${httpDate()}\r\n`;
    for (const [name, value] of response.headers) {
      if (!HOP_BY_HOP.has(name) || (name === "content-length" && head.method === "HEAD")) {
        lines += `${name}: ${value}\r\n`;
      }
    }
    const closing = head.close || this.closeAfterResponse;
    const connection = closing
      ? "connection: close\r\n"
      : head.version === "HTTP/1.0"
        ? "connection: keep-alive\r\n"
        : "";
    if (bodyless || response.body === null) {
      if (response.body !== null) await response.body.cancel().catch(() => {});
      const length = bodyless ? "" : "content-length: 0\r\n";
      this.write(Buffer.from(`${lines}${length}${connection}\r\n`, "latin1"));
      return;
    }
    const reader = response.body.getReader();
    this.current!.reader = reader;
    // A body at hand (a string, bytes) is read within a tick and sent with its length; anything
    // else is a stream, whose head goes out at once (an event stream may stay quiet for a while).
    const reads: Promise<BodyRead>[] = [reader.read()];
    const first = await readWithoutBlocking(reads[0]!);
    if (first !== undefined) {
      reads.shift();
      if (first.done) {
        this.write(Buffer.from(`${lines}content-length: 0\r\n${connection}\r\n`, "latin1"));
        return;
      }
      const second = reader.read();
      const next = await readWithoutBlocking(second);
      if (next?.done) {
        const payload = toBytes(first.value);
        const headText = `${lines}content-length: ${payload.length}\r\n${connection}\r\n`;
        const message = Buffer.allocUnsafe(headText.length + payload.length);
        message.write(headText, 0, "latin1");
        message.set(payload, headText.length);
        this.write(message);
        return;
      }
      reads.push(Promise.resolve(first), second);
    }
    // A stream: chunked to HTTP/1.1 clients; an HTTP/1.0 client reads until the connection closes.
    const chunked = head.version === "HTTP/1.1";
    if (!chunked) this.closeAfterResponse = true;
    const framing = chunked ? "transfer-encoding: chunked\r\n" : "connection: close\r\n";
    this.write(Buffer.from(`${lines}${framing}${chunked ? connection : ""}\r\n`, "latin1"));
    for (;;) {
      const chunk = await (reads.shift() ?? reader.read());
      if (chunk.done || this.isClosed) break;
      this.writeBodyChunk(toBytes(chunk.value), chunked);
      // A reader that does not keep up holds the stream back rather than filling memory.
      await this.drainWrites();
    }
    if (chunked && !this.isClosed) this.write(Buffer.from("0\r\n\r\n", "latin1"));
  }

  private writeBodyChunk(bytes: Uint8Array, chunked: boolean): void {
    if (bytes.length === 0) return;
    if (!chunked) {
      this.write(bytes);
      return;
    }
    // One write per chunk: an event stream sends many small ones.
    const size = `${bytes.length.toString(16)}\r\n`;
    const framed = Buffer.allocUnsafe(size.length + bytes.length + 2);
    framed.write(size, 0, "latin1");
    framed.set(bytes, size.length);
    framed.write("\r\n", size.length + bytes.length, "latin1");
    this.write(framed);
  }

  /** Writes what the socket takes now and queues the rest for `drain`, in order. */
  private write(bytes: Uint8Array): void {
    if (this.isClosed) return;
    if (this.unsent.length > 0) {
      this.unsent.push(bytes);
      return;
    }
    const written = Math.max(this.socket.write(bytes), 0);
    if (written < bytes.length) {
      this.unsent.push(bytes.subarray(written));
      this.setStallDeadline();
    }
  }

  private flush(): void {
    while (this.unsent.length > 0 && !this.isClosed) {
      const bytes = this.unsent[0]!;
      const written = Math.max(this.socket.write(bytes), 0);
      if (written < bytes.length) {
        this.unsent[0] = bytes.subarray(written);
        if (written > 0) this.setStallDeadline();
        return;
      }
      this.unsent.shift();
    }
    if (this.phase === "busy" && !this.isClosed) this.deadline = null;
    this.waitingForDrain?.resolve();
    this.waitingForDrain = null;
  }

  /** A client that reads nothing of a response for the idle timeout is dropped. */
  private setStallDeadline(): void {
    this.deadline = null;
    this.setDeadline(Date.now() + this.server.options.timeouts.idleMs);
  }

  private drainWrites(): Promise<void> {
    if (this.unsent.length === 0 || this.isClosed) return Promise.resolve();
    this.waitingForDrain ??= Promise.withResolvers<void>();
    return this.waitingForDrain.promise;
  }

  /**
   * Closes once the answer is out. A client may still be sending (a body left unread, requests
   * pipelined behind a `Connection: close`): closing the socket on unread bytes makes the kernel
   * send a reset, which discards the answer at the client before it reads it. So only the sending
   * side is shut here, and what arrives is thrown away until the client closes, for at most the head
   * timeout (RFC 9112 §9.6), as nginx's lingering close does. Not while the server stops.
   */
  private end(): void {
    if (this.isClosed) return;
    if (this.unsent.length > 0) {
      void this.drainWrites().then(() => this.end());
      return;
    }
    if (this.peerFinished || this.server.isStopping) {
      this.close();
      return;
    }
    this.phase = "closing";
    this.pending = NO_BYTES;
    this.socket.shutdown();
    this.setDeadline(Date.now() + this.server.options.timeouts.headMs);
  }

  private close(): void {
    this.socket.end();
    this.closed();
  }

  /** Answers a request the framing refused, then closes; anything else unexpected just closes. */
  private failed(error: unknown): void {
    if (this.isClosed) return;
    if (!(error instanceof HttpFramingError) || this.current !== null) {
      this.drop();
      return;
    }
    const body = JSON.stringify({ error: error.message });
    this.write(
      Buffer.from(
        `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\ndate: ${httpDate()}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        "latin1",
      ),
    );
    this.phase = "busy";
    this.end();
  }

  private setDeadline(at: number): void {
    this.deadline = at;
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(at - Date.now(), 0));
  }

  private onTimer(): void {
    this.timer = null;
    if (this.isClosed || this.deadline === null) return;
    const now = Date.now();
    if (now < this.deadline) {
      this.setDeadline(this.deadline);
      return;
    }
    this.expired();
  }

  private expired(): void {
    if (this.phase === "idle") this.end();
    else if (this.phase === "closing") this.drop();
    else if (this.phase === "busy") this.drop();
    else if (this.pending.length > 0 || this.head !== null)
      this.failed(new HttpFramingError(408, "request not received in time"));
    else this.drop();
  }
}

/** 414 when the request line alone is past the limit (RFC 9112 §3), else 431. */
function headTooLarge(pending: Buffer): HttpFramingError {
  const lineEnd = pending.indexOf(0x0a);
  return lineEnd === -1 || lineEnd > MAX_HEAD_BYTES
    ? new HttpFramingError(414, "request target too long")
    : new HttpFramingError(431, "request head too large");
}

const NON_ASCII = /[\x80-\xff]/;

function requestUrl(head: RequestHead, options: Http1Options): string {
  // Raw bytes past ASCII are read as UTF-8 (invalid ones as U+FFFD) and percent-encoded by the
  // URL parser, as Bun.serve does; the head was decoded as latin1, one char per byte.
  const target = NON_ASCII.test(head.target) ? Buffer.from(head.target, "latin1").toString("utf8") : head.target;
  if (target.startsWith("/")) return `${options.scheme}://${head.host ?? options.defaultAuthority}${target}`;
  const absolute = new URL(target);
  return `${options.scheme}://${absolute.host}${absolute.pathname}${absolute.search}`;
}

function requestBody(head: RequestHead, body: Uint8Array<ArrayBuffer> | null): RequestInit {
  if (body !== null) return { body };
  if (head.contentLength === null || head.contentLength === 0) return {};
  // Declared over the limit and left unread: the app judges the declared length and answers 413.
  return { body: new ReadableStream({ start: (controller) => controller.close() }), duplex: "half" } as RequestInit;
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return Buffer.from(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("response body chunk is not bytes");
}

/** The read's result if the stream had it at hand (a buffered body), else undefined (as @hono/node-server decides). */
function readWithoutBlocking<T>(read: Promise<T>): Promise<T | undefined> {
  return Promise.race([read, Promise.resolve().then(() => Promise.resolve(undefined))]);
}

let dateText = "";
let dateSecond = 0;
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
