// SPEC §13 "Connections" on the Bun edge, over real sockets: deadlines for the TLS handshake, the
// request head, the body and keep-alive waits (lowered here through the adapter's options),
// pipelining, HTTP/1.0 without Host, held responses (keepOpen). The default deadlines and the
// file-descriptor limit are tested against the real process in connection-limits.test.ts. The
// tests that wait for a deadline run concurrently, each on its own connections.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";
import type { Bindings } from "../../src/context.ts";
import type { RunningServer } from "../../src/server/adapter.ts";
import { bunAdapter } from "../../src/server/bun.ts";
import { repoRoot } from "../support/process.ts";

// The deadlines of the "strict" servers; the "lenient" ones keep the defaults, so that a slow
// handshake on a loaded host cannot fail a test about something else.
const HEAD_MS = 1000;
const IDLE_MS = 1500;
// Bounds on waits that must end by a deadline above; generous, since the host is shared.
const BOUND_MS = 8000;

const dir = mkdtempSync(join(tmpdir(), "nixfleet-connections-"));
const pem = (name: string) => readFileSync(join(dir, name), "utf8");
const stored: string[] = [];
const shuttingDown = Promise.withResolvers<void>();
/** The `id` of each /held request whose client went away while it was held. */
const abortedHeld: string[] = [];
type Kind = "plain" | "tls" | "mtls";
const KINDS = ["plain", "tls", "mtls"] as const;
const strict = {} as Record<Kind, RunningServer>;
const lenient = {} as Record<Kind, RunningServer>;

/** The test app: dummy routes that await before answering, hold their response, or stream. */
async function testApp(request: Request, bindings: Bindings): Promise<Response> {
  const url = new URL(request.url);
  const delay = Number(url.searchParams.get("delay") ?? 0);
  switch (url.pathname) {
    case "/store": {
      const body = await request.text();
      await Bun.sleep(delay);
      stored.push(body);
      return Response.json({ stored: body });
    }
    case "/limited":
      // As the app's body limit: judged from the declared length, the body left unread.
      if (Number(request.headers.get("content-length")) > 1024 * 1024) {
        return Response.json({ error: "request body exceeds 1 MiB" }, { status: 413 });
      }
      return Response.json({ length: (await request.arrayBuffer()).byteLength });
    case "/held":
      bindings.keepOpen?.(request);
      await Promise.race([
        Bun.sleep(delay),
        new Promise((resolve) => request.signal.addEventListener("abort", resolve, { once: true })),
      ]);
      if (request.signal.aborted) abortedHeld.push(url.searchParams.get("id") ?? "");
      return new Response("held answer");
    case "/held-until-shutdown":
      // As the control plane ends its held polls once the listener is stopping.
      bindings.keepOpen?.(request);
      await shuttingDown.promise;
      return new Response("ended by shutdown");
    case "/stream": {
      bindings.keepOpen?.(request);
      const parts = Number(url.searchParams.get("parts"));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await Bun.sleep(delay);
          controller.enqueue(new TextEncoder().encode(`part ${sent}\n`));
          if (++sent === parts) controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/plain" } });
    }
    case "/no-content":
      return new Response("dropped", { status: 204 });
    case "/not-modified":
      return new Response(null, { status: 304, headers: { etag: '"e1"', "content-length": "42" } });
    case "/cookies": {
      const headers = new Headers({ "content-length": "999", connection: "close" });
      headers.append("set-cookie", "a=1; Path=/");
      headers.append("set-cookie", "b=2; Path=/");
      return new Response("c", { headers });
    }
    case "/big":
      return new Response("x".repeat(Number(url.searchParams.get("bytes"))));
    default:
      return Response.json({
        method: request.method,
        url: request.url,
        peer: bindings.peer ?? null,
        body: await request.text(),
      });
  }
}

/** A raw client connection collecting everything the server sends. */
class RawClient {
  text = "";
  readonly closed: Promise<void>;
  isClosed = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (this.text += chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  /** Opens a connection; with `handshake`, a TLS one presenting web-01's certificate (mTLS) or none. */
  static async open(server: RunningServer, kind: Kind, options: { handshake?: boolean } = {}): Promise<RawClient> {
    const { port } = new URL(server.url);
    if (kind === "plain" || options.handshake === false) {
      const socket = connectTcp(Number(port), "127.0.0.1");
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      return new RawClient(socket);
    }
    const socket = connectTls({
      host: "127.0.0.1",
      port: Number(port),
      ca: pem("ca.pem"),
      ...(kind === "mtls" ? { cert: pem("web-01.pem"), key: pem("web-01-key.pem") } : {}),
    });
    await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
    return new RawClient(socket);
  }

  send(text: string): void {
    this.socket.write(Buffer.from(text, "latin1"));
  }

  /** Waits until `predicate` holds of what arrived, or fails after BOUND_MS. */
  async waitFor(predicate: (text: string) => boolean, what: string): Promise<void> {
    const start = Date.now();
    while (!predicate(this.text)) {
      if (Date.now() - start > BOUND_MS)
        throw new Error(`no ${what} within ${BOUND_MS} ms; got ${JSON.stringify(this.text)}`);
      await Bun.sleep(10);
    }
  }

  async waitClosed(): Promise<void> {
    const bound = Bun.sleep(BOUND_MS).then(() => {
      throw new Error(`still open after ${BOUND_MS} ms; got ${JSON.stringify(this.text)}`);
    });
    await Promise.race([this.closed, bound]);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The responses in `text`, in order (bodies framed by Content-Length or chunked). */
function responses(text: string): { status: number; headers: Record<string, string>; body: string }[] {
  const parsed = [];
  let rest = text;
  while (rest.length > 0) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd === -1) break;
    const [statusLine, ...fields] = rest.slice(0, headEnd).split("\r\n");
    const headers = Object.fromEntries(
      fields.map((field) => [
        field.slice(0, field.indexOf(":")).toLowerCase(),
        field.slice(field.indexOf(":") + 1).trim(),
      ]),
    );
    rest = rest.slice(headEnd + 4);
    let body = "";
    if (headers["transfer-encoding"] === "chunked") {
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, lineEnd), 16);
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers["content-length"] ?? (statusLine!.includes(" 100 ") ? 0 : rest.length));
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    parsed.push({ status: Number(statusLine!.split(" ")[1]), headers, body });
  }
  return parsed;
}

const post = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\nHost: cp.example\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

beforeAll(async () => {
  const certs = Bun.spawnSync(["bun", "scripts/certs.ts", "--out", dir, "--machines", "web-01"], { cwd: repoRoot });
  if (certs.exitCode !== 0) throw new Error(certs.stderr.toString());
  const tls = { cert: pem("server.pem"), key: pem("server-key.pem") };
  for (const kind of KINDS) {
    for (const [servers, timeouts] of [
      [strict, { headMs: HEAD_MS, idleMs: IDLE_MS }],
      [lenient, {}],
    ] as const) {
      servers[kind] = await bunAdapter.listen({
        host: "127.0.0.1",
        port: 0,
        tls: kind === "plain" ? null : { ...tls, clientCa: kind === "mtls" ? pem("ca.pem") : null },
        fetch: testApp,
        maxBodyBytes: 1024 * 1024,
        timeouts,
      });
    }
  }
});

afterAll(async () => {
  await Promise.all([...Object.values(strict), ...Object.values(lenient)].map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("deadlines on every listener (plain, TLS, mTLS)", () => {
  test.concurrent(
    "a connection that never starts a TLS handshake or a request, or sends none after it, is dropped",
    async () => {
      const silent = await Promise.all([
        ...KINDS.map((kind) => RawClient.open(strict[kind], kind, { handshake: false })),
        RawClient.open(strict.tls, "tls"),
        RawClient.open(strict.mtls, "mtls"),
      ]);
      await Promise.all(silent.map((client) => client.waitClosed()));
      expect(silent.map((client) => client.text)).toEqual(["", "", "", "", ""]);
    },
  );

  test.concurrent("a head sent a byte at a time is cut off with 408 before it is complete", async () => {
    const head = `GET /slow HTTP/1.1\r\nHost: cp.example\r\nX-Padding: ${"p".repeat(200)}\r\n\r\n`;
    const outcomes = await Promise.all(
      KINDS.map(async (kind) => {
        const client = await RawClient.open(strict[kind], kind);
        let sent = 0;
        while (!client.isClosed && sent < head.length) {
          client.send(head[sent++]!);
          await Bun.sleep(20);
        }
        await client.waitClosed();
        return { complete: sent === head.length, statuses: responses(client.text).map((response) => response.status) };
      }),
    );
    expect(outcomes).toEqual(KINDS.map(() => ({ complete: false, statuses: [408] })));
  });

  test.concurrent("a body that stops arriving is cut off with 408", async () => {
    const answers = await Promise.all(
      KINDS.map(async (kind) => {
        const client = await RawClient.open(strict[kind], kind);
        client.send(`POST /store HTTP/1.1\r\nHost: cp.example\r\nContent-Length: 100\r\n\r\nonly part`);
        await client.waitClosed();
        return responses(client.text).map((response) => [response.status, JSON.parse(response.body)]);
      }),
    );
    expect(answers).toEqual(KINDS.map(() => [[408, { error: "request not received in time" }]]));
    expect(stored).not.toContain("only part");
  });

  test.concurrent("an idle keep-alive connection is closed after the idle timeout, one in use is not", async () => {
    const outcomes = await Promise.all(
      KINDS.map(async (kind) => {
        const client = await RawClient.open(strict[kind], kind);
        // Requests spaced closer than the idle timeout keep the connection, for longer than it in total.
        for (let i = 0; i < 3; i++) {
          client.send(`GET /who?i=${i} HTTP/1.1\r\nHost: cp.example\r\n\r\n`);
          await client.waitFor((text) => responses(text).length === i + 1, `answer ${i}`);
          await Bun.sleep(IDLE_MS / 2);
        }
        const openAfterUse = !client.isClosed;
        await client.waitClosed();
        return { openAfterUse, statuses: responses(client.text).map((response) => response.status) };
      }),
    );
    expect(outcomes).toEqual(KINDS.map(() => ({ openAfterUse: true, statuses: [200, 200, 200] })));
  });
});

describe.each(KINDS)("%s listener", (kind) => {
  test("POSTs pipelined in one write are each stored and answered, in order", async () => {
    const client = await RawClient.open(lenient[kind], kind);
    const bodies = ["first", "second", "third", "fourth"].map((word) => `${kind}-${word}`);
    // The first waits longest, so an out-of-order answer would show.
    client.send(bodies.map((body, i) => post(`/store?delay=${(bodies.length - i) * 20}`, body)).join(""));
    await client.waitFor((text) => responses(text).length === bodies.length, "four answers");
    expect(responses(client.text).map((response) => JSON.parse(response.body))).toEqual(
      bodies.map((body) => ({ stored: body })),
    );
    expect(stored.filter((body) => body.startsWith(`${kind}-`))).toEqual(bodies);
    client.close();
  });

  test("a pipelined request split mid-head across writes is answered after the one before", async () => {
    const client = await RawClient.open(lenient[kind], kind);
    const second = `GET /second HTTP/1.1\r\nHost: cp.example\r\n\r\n`;
    client.send(`GET /held?delay=100 HTTP/1.1\r\nHost: cp.example\r\n\r\n${second.slice(0, 10)}`);
    await Bun.sleep(20);
    client.send(second.slice(10));
    await client.waitFor((text) => responses(text).length === 2, "two answers");
    const [held, next] = responses(client.text);
    expect(held!.body).toBe("held answer");
    expect(JSON.parse(next!.body).url).toEndWith("/second");
    client.close();
  });

  test("HTTP/1.0 without Host is routed by its path, with the listening address as authority", async () => {
    const client = await RawClient.open(lenient[kind], kind);
    client.send("GET /health HTTP/1.0\r\n\r\n");
    await client.waitClosed();
    const [response] = responses(client.text);
    expect(response!.status).toBe(200);
    expect(JSON.parse(response!.body).url).toBe(`${lenient[kind].url}/health`);
    expect(response!.headers.connection).toBe("close");
  });

  test("the peer identity is the client certificate's under mTLS only", async () => {
    const client = await RawClient.open(lenient[kind], kind);
    client.send("GET /who HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await client.waitFor((text) => responses(text).length === 1, "an answer");
    expect(JSON.parse(responses(client.text)[0]!.body).peer).toEqual(kind === "mtls" ? { commonName: "web-01" } : null);
    client.close();
  });
});

test("under mTLS a resumed TLS session (as agents' TLS stacks resume) still names its client certificate", async () => {
  const { port } = new URL(lenient.mtls.url);
  const ask = (session: Buffer | undefined) =>
    new Promise<{ reused: boolean; session: Buffer | undefined; peer: unknown }>((resolve, reject) => {
      const socket = connectTls({
        host: "127.0.0.1",
        port: Number(port),
        ca: pem("ca.pem"),
        cert: pem("web-01.pem"),
        key: pem("web-01-key.pem"),
        session,
      });
      let text = "";
      let reused = false;
      let ticket: Buffer | undefined;
      socket.on("session", (value: Buffer) => (ticket = value));
      socket.once("secureConnect", () => {
        reused = socket.isSessionReused();
        socket.write("GET /who HTTP/1.1\r\nHost: cp.example\r\nConnection: close\r\n\r\n");
      });
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.once("error", reject);
      socket.once("close", () => resolve({ reused, session: ticket, peer: JSON.parse(responses(text)[0]!.body).peer }));
    });
  const first = await ask(undefined);
  const resumed = await ask(first.session);
  expect([first.reused, first.peer, resumed.reused, resumed.peer]).toEqual([
    false,
    { commonName: "web-01" },
    true,
    { commonName: "web-01" },
  ]);
});

describe("held and streamed responses (keepOpen)", () => {
  test("a client that hangs up on a held response aborts its request; a half-closed plain one is still answered", async () => {
    const held = await RawClient.open(lenient.plain, "plain");
    held.send("GET /held?delay=60000&id=gone HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await Bun.sleep(100);
    held.socket.end();
    const halfClosed = await RawClient.open(lenient.plain, "plain");
    halfClosed.socket.end(post("/store?delay=100", "after half-close"));
    await Promise.all([held.waitClosed(), halfClosed.waitClosed()]);
    for (let waited = 0; !abortedHeld.includes("gone") && waited < BOUND_MS; waited += 10) await Bun.sleep(10);
    expect(abortedHeld).toContain("gone");
    expect(responses(halfClosed.text).map((response) => response.body)).toEqual([
      JSON.stringify({ stored: "after half-close" }),
    ]);
  });

  test("a stream's head goes out at once, before its first chunk", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send("GET /stream?parts=1&delay=5000 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await client.waitFor((text) => text.includes("\r\n\r\n"), "the head");
    expect(client.text).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(client.text).toContain("transfer-encoding: chunked\r\n");
    expect(client.text).toEndWith("\r\n\r\n");
    client.close();
  });

  test.concurrent("a held response and a stream with gaps longer than the idle timeout arrive whole", async () => {
    const held = await RawClient.open(strict.mtls, "mtls");
    held.send(`GET /held?delay=${IDLE_MS + HEAD_MS} HTTP/1.1\r\nHost: cp.example\r\n\r\n`);
    const stream = await RawClient.open(strict.plain, "plain");
    stream.send(`GET /stream?parts=2&delay=${IDLE_MS + 200} HTTP/1.1\r\nHost: cp.example\r\n\r\n`);
    await Promise.all([
      held.waitFor((text) => responses(text).length === 1, "the held answer"),
      stream.waitFor((text) => text.endsWith("0\r\n\r\n"), "the end of the stream"),
    ]);
    expect(responses(held.text)[0]!.body).toBe("held answer");
    expect(responses(stream.text)[0]!.body).toBe("part 0\npart 1\n");
    expect([held.isClosed, stream.isClosed]).toEqual([false, false]);
    held.close();
    stream.close();
  });

  test("stopping the server answers requests in progress and held ones the app ends, and cuts the rest", async () => {
    const server = await bunAdapter.listen({
      host: "127.0.0.1",
      port: 0,
      tls: null,
      fetch: testApp,
      maxBodyBytes: 1024,
      timeouts: { headMs: HEAD_MS, idleMs: IDLE_MS },
    });
    const open = () => RawClient.open(server, "plain");
    const idle = await open();
    const forgotten = await open();
    forgotten.send("GET /held?delay=60000 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    const ended = await open();
    ended.send("GET /held-until-shutdown HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    const working = await open();
    working.send(post("/store?delay=300", "during shutdown"));
    await Bun.sleep(100);
    const stopped = server.stop();
    shuttingDown.resolve();
    await stopped;
    await Promise.all([idle, forgotten, ended, working].map((client) => client.waitClosed()));
    expect(idle.text).toBe("");
    expect(forgotten.text).toBe("");
    const answers = [ended, working].map((client) =>
      responses(client.text).map((response) => [response.status, response.headers.connection, response.body]),
    );
    expect(answers).toEqual([
      [[200, "close", "ended by shutdown"]],
      [[200, "close", JSON.stringify({ stored: "during shutdown" })]],
    ]);
  });
});

describe("the connection cap", () => {
  test("past it, a newcomer closes the oldest connection without a request in progress, or is closed itself", async () => {
    const server = await bunAdapter.listen({
      host: "127.0.0.1",
      port: 0,
      tls: null,
      fetch: testApp,
      maxBodyBytes: 1024,
      maxConnections: 2,
    });
    const open = () => RawClient.open(server, "plain");
    const busy = await open();
    busy.send("GET /held?delay=60000 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    const silent = await open();
    await Bun.sleep(100);
    const agent = await open();
    agent.send("GET /held?delay=10 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await silent.waitClosed();
    await agent.waitFor((text) => responses(text).length === 1, "the agent's answer");
    expect(responses(agent.text)[0]!.body).toBe("held answer");
    // Both connections now carry requests in progress: a newcomer finds no room.
    agent.send("GET /held?delay=60000 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await Bun.sleep(100);
    const late = await open();
    await late.waitClosed();
    expect([busy.isClosed, agent.isClosed, late.text]).toEqual([false, false, ""]);
    busy.close();
    agent.close();
    await server.stop();
  });
});

describe("framing at the edge", () => {
  test("a chunked body is decoded for the app", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send(
      "POST /echo HTTP/1.1\r\nHost: cp.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    );
    await client.waitFor((text) => responses(text).length === 1, "an answer");
    expect(JSON.parse(responses(client.text)[0]!.body).body).toBe("abcde");
    client.close();
  });

  test("Expect: 100-continue gets its interim answer before the body is sent", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send("POST /echo HTTP/1.1\r\nHost: cp.example\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    await client.waitFor((text) => text.startsWith("HTTP/1.1 100 Continue\r\n\r\n"), "100 Continue");
    client.send("hello");
    await client.waitFor((text) => responses(text).length === 2, "the final answer");
    expect(JSON.parse(responses(client.text)[1]!.body).body).toBe("hello");
    client.close();
  });

  test("raw bytes past ASCII in the target are read as UTF-8 and percent-encoded, as Bun.serve did", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send(`GET /m/${Buffer.from("héllo").toString("latin1")}?q=\xff HTTP/1.1\r\nHost: cp.example\r\n\r\n`);
    await client.waitFor((text) => responses(text).length === 1, "an answer");
    expect(JSON.parse(responses(client.text)[0]!.body).url).toBe("http://cp.example/m/h%C3%A9llo?q=%EF%BF%BD");
    client.close();
  });

  test("a malformed head gets a JSON 400 naming the problem, then the connection closes", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send(
      "POST /store HTTP/1.1\r\nHost: cp.example\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
    );
    await client.waitClosed();
    const [response] = responses(client.text);
    expect(response!.status).toBe(400);
    expect(JSON.parse(response!.body)).toEqual({ error: "both transfer-encoding and content-length" });
  });

  test("a method the runtime would rename (unknown, or a known one in lower case) is 501, not served as another", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    // Bun's Request turns FROB and TRACK into GET and delete into DELETE: methods are case-sensitive.
    client.send(
      ["FROB /who", "delete /who", "TRACK /who", "PURGE /who", "GET /after"]
        .map((line) => `${line} HTTP/1.1\r\nHost: cp.example\r\n\r\n`)
        .join(""),
    );
    await client.waitFor((text) => responses(text).length === 5, "five answers");
    expect(responses(client.text).map((response) => [response.status, JSON.parse(response.body)])).toEqual([
      [501, { error: "method FROB is unknown to this server (methods are case-sensitive)" }],
      [501, { error: "method delete is unknown to this server (methods are case-sensitive)" }],
      [501, { error: "method TRACK is unknown to this server (methods are case-sensitive)" }],
      [200, expect.objectContaining({ method: "PURGE" })],
      [200, expect.objectContaining({ method: "GET", url: "http://cp.example/after" })],
    ]);
    client.close();
  });

  test("OPTIONS * (HAProxy's documented health check) is answered by the edge, and the connection stays usable", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send("OPTIONS * HTTP/1.1\r\nHost: cp.example\r\n\r\nGET /after HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await client.waitFor((text) => responses(text).length === 2, "two answers");
    const [options, after] = responses(client.text);
    expect([options!.status, options!.headers.allow, options!.headers["content-length"], options!.body]).toEqual([
      200,
      "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
      "0",
      "",
    ]);
    expect(JSON.parse(after!.body).url).toBe("http://cp.example/after");
    client.close();
  });

  test("a client that sends its whole over-limit body before reading gets the 413, not a reset", async () => {
    const outcomes = await Promise.all(
      KINDS.map(async (kind) => {
        const client = await RawClient.open(lenient[kind], kind);
        // Reading nothing until the body is sent, as Python's http.client does: had the server
        // closed with the body unread, the kernel's reset would discard the answer unread here.
        client.socket.pause();
        const body = Buffer.alloc(8 * 1024 * 1024, "a");
        const head = `POST /limited HTTP/1.1\r\nHost: cp.example\r\nContent-Length: ${body.length}\r\n\r\n`;
        const sent = await new Promise<boolean>((resolve) =>
          client.socket.write(Buffer.concat([Buffer.from(head), body]), (error) => resolve(!error)),
        );
        client.socket.resume();
        await client.waitClosed();
        return {
          sent,
          answers: responses(client.text).map((response) => [response.status, response.headers.connection]),
        };
      }),
    );
    expect(outcomes).toEqual(KINDS.map(() => ({ sent: true, answers: [[413, "close"]] })));
  });

  test("a head over 16 KiB gets 431", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send(`GET / HTTP/1.1\r\nHost: cp.example\r\nX-Big: ${"b".repeat(17 * 1024)}\r\n\r\n`);
    await client.waitClosed();
    expect(responses(client.text)[0]!.status).toBe(431);
  });

  test("bytes that cannot start a request (a TLS handshake on the plain port) get 400 at once, not after the head deadline", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    // The start of a TLS ClientHello: no line end, so only the deadline would end the wait.
    client.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await client.waitClosed();
    expect(responses(client.text).map((response) => [response.status, JSON.parse(response.body).error])).toEqual([
      [400, "malformed request line"],
    ]);
  });

  test("a request line over 16 KiB gets 414 (RFC 9112 §3), whether or not its end has arrived", async () => {
    const statuses = await Promise.all(
      ["\r\nHost: cp.example\r\n\r\n", ""].map(async (rest) => {
        const client = await RawClient.open(lenient.plain, "plain");
        client.send(`GET /${"t".repeat(17 * 1024)} HTTP/1.1${rest}`);
        await client.waitClosed();
        return responses(client.text).map((response) => [response.status, JSON.parse(response.body).error]);
      }),
    );
    expect(statuses).toEqual([[[414, "request target too long"]], [[414, "request target too long"]]]);
  });

  test("HEAD gets the headers without a body, and the connection stays usable", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send("HEAD /who HTTP/1.1\r\nHost: cp.example\r\n\r\nGET /after HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await client.waitFor((text) => text.includes('"/after') || text.includes("/after"), "the second answer");
    const head = client.text.slice(0, client.text.indexOf("\r\n\r\n") + 4);
    expect(head).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(client.text.slice(head.length)).toStartWith("HTTP/1.1 200 OK\r\n");
    client.close();
  });

  test("204 and 304 carry no body and no length, Set-Cookie stays one field per cookie, and the edge frames and dates every answer", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send(
      ["/no-content", "/not-modified", "/cookies", "/after"]
        .map((path) => `GET ${path} HTTP/1.1\r\nHost: cp.example\r\n\r\n`)
        .join(""),
    );
    await client.waitFor((text) => text.includes("/after"), "the last answer");
    // No body here holds "HTTP/1.1 ", so each answer starts where the next status line does.
    const answers = client.text.split(/(?=HTTP\/1\.1 \d{3} )/);
    const heads = answers.map((answer) => answer.slice(0, answer.indexOf("\r\n\r\n")));
    const fields = (head: string) => head.split("\r\n").slice(1);
    expect(heads.map((head) => head.split("\r\n")[0])).toEqual([
      "HTTP/1.1 204 No Content",
      "HTTP/1.1 304 Not Modified",
      "HTTP/1.1 200 OK",
      "HTTP/1.1 200 OK",
    ]);
    for (const head of heads) expect(fields(head).filter((field) => /^date: .+ GMT$/.test(field))).toHaveLength(1);
    expect(fields(heads[0]!).filter((field) => !field.startsWith("date:"))).toEqual([]);
    expect(fields(heads[1]!).filter((field) => !field.startsWith("date:"))).toEqual(['etag: "e1"']);
    // The app's own Content-Length and Connection are the edge's to decide.
    expect(fields(heads[2]!).filter((field) => !field.startsWith("date:"))).toEqual([
      "set-cookie: a=1; Path=/",
      "set-cookie: b=2; Path=/",
      "content-length: 1",
    ]);
    expect(answers.map((answer, i) => answer.slice(heads[i]!.length + 4, heads[i]!.length + 5))).toEqual([
      "",
      "",
      "c",
      "{",
    ]);
    expect(client.isClosed).toBe(false);
    client.close();
  });

  test("a stream to an HTTP/1.0 client is delimited by closing the connection", async () => {
    const client = await RawClient.open(lenient.plain, "plain");
    client.send("GET /stream?parts=2&delay=10 HTTP/1.0\r\n\r\n");
    await client.waitClosed();
    expect(client.text).not.toContain("transfer-encoding");
    expect(client.text).toEndWith("\r\n\r\npart 0\npart 1\n");
  });

  test.concurrent("a client that reads nothing of a large response is dropped after the idle timeout", async () => {
    const client = await RawClient.open(strict.plain, "plain");
    client.socket.pause();
    client.send("GET /big?bytes=67108864 HTTP/1.1\r\nHost: cp.example\r\n\r\n");
    await Bun.sleep(IDLE_MS + 1000);
    // Reading again gets what the kernel still held, then the end: the rest was dropped.
    client.socket.resume();
    await client.waitClosed();
    expect(client.text.length).toBeLessThan(64 * 1024 * 1024);
  });
});
