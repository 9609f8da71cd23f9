import type { Server, Socket, TCPSocketListener } from "bun";
import { formatUrl, type ListenOptions, type RunningServer, type ServerAdapter } from "./adapter.ts";

// The app answers oversize bodies with a JSON 413, judging by Content-Length before reading and
// cutting chunked bodies off at its limit. Bun's own 413 has an empty body, so its limit sits far
// above the app's: it only guards against bodies the app would never see.
const BODY_LIMIT_MARGIN_BYTES = 1024 * 1024 * 1024;
// Agents poll every few seconds during a rollout; a connection that outlives the poll
// interval spares them a new mutual-TLS handshake on every poll.
const MTLS_IDLE_TIMEOUT_SECONDS = 65;

/**
 * Bun edge. Plain HTTP and server-only TLS use `Bun.serve`. With a client CA the app must
 * learn the peer certificate's CN, which neither `Bun.serve` nor `node:https` on Bun
 * exposes; see `listenMutualTls`.
 */
export const bunAdapter: ServerAdapter = {
  listen(options) {
    return options.tls?.clientCa ? listenMutualTls(options) : listenBunServe(options);
  },
};

async function listenBunServe(options: ListenOptions): Promise<RunningServer> {
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    maxRequestBodySize: options.maxBodyBytes + BODY_LIMIT_MARGIN_BYTES,
    development: false,
    ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
    fetch: (request, server) => options.fetch(request, { keepOpen: () => server.timeout(request, 0) }),
  });
  return {
    url: formatUrl(options.tls ? "https" : "http", options.host, server.port ?? options.port),
    stop: () => server.stop(false),
  };
}

/**
 * mTLS: `Bun.listen` terminates TLS and verifies the client certificate (natively, so the
 * handshake refuses a missing, foreign or expired one), reads the CN once per connection,
 * and relays the connection's bytes to an internal `Bun.serve` on a loopback port. The
 * relay's local port tells that server which peer a request came from (`requestIP`).
 * Measured, this costs about 1.5× the CPU per request of server-only TLS on `Bun.serve`,
 * against 3–4× for `node:tls` handing sockets to `node:http` (README, "TLS and certificates").
 */
async function listenMutualTls(options: ListenOptions): Promise<RunningServer> {
  const tls = options.tls!;
  // Relay local port → peer CN, for relays whose upstream connection is open.
  const peers = new Map<number, string | null>();
  const internal = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: options.maxBodyBytes + BODY_LIMIT_MARGIN_BYTES,
    idleTimeout: MTLS_IDLE_TIMEOUT_SECONDS,
    development: false,
    fetch: (request, server) => {
      const address = server.requestIP(request);
      const commonName = address?.address === "127.0.0.1" ? peers.get(address.port) : undefined;
      // Only relays reach this port legitimately; anything else on the host is turned away.
      if (commonName === undefined) return new Response(null, { status: 421 });
      // The relay speaks plain HTTP to this server; the client spoke HTTPS (same Host header).
      return options.fetch(new Request(`https${request.url.slice("http".length)}`, request), {
        peer: { commonName },
        keepOpen: () => server.timeout(request, 0),
      });
    },
  });
  let listener: TCPSocketListener<Relay>;
  try {
    listener = Bun.listen<Relay>({
      hostname: options.host,
      port: options.port,
      tls: { cert: tls.cert, key: tls.key, ca: tls.clientCa!, requestCert: true, rejectUnauthorized: true },
      socket: {
        open(client) {
          client.data = { upstream: null, toUpstream: [], toClient: [], closed: false };
        },
        handshake(client, success, authorizationError) {
          if (!success || authorizationError) {
            const reason = authorizationError?.message ?? "TLS handshake failed";
            options.onHandshakeRefused?.({ reason, remoteAddress: client.remoteAddress ?? null });
            client.terminate();
            return;
          }
          openUpstream(client, internal, commonNameOf(client), peers);
        },
        data(client, chunk) {
          const relay = client.data;
          if (relay.upstream) send(relay.upstream, relay.toUpstream, chunk);
          else relay.toUpstream.push(new Uint8Array(chunk));
        },
        drain(client) {
          flush(client, client.data.toClient);
        },
        close(client) {
          client.data.closed = true;
          client.data.upstream?.end();
        },
        error() {},
      },
    });
  } catch (error) {
    internal.stop(true);
    throw error;
  }
  return {
    url: formatUrl("https", options.host, listener.port),
    stop: async () => {
      listener.stop(false);
      // In-flight requests finish; idle connections close, and their relays with them.
      await internal.stop(false);
    },
  };
}

/** One client connection's relay: the upstream to the internal server and bytes waiting on backpressure. */
interface Relay {
  upstream: Socket<null> | null;
  toUpstream: Uint8Array[];
  toClient: Uint8Array[];
  closed: boolean;
}

function openUpstream(
  client: Socket<Relay>,
  internal: Server<undefined>,
  commonName: string | null,
  peers: Map<number, string | null>,
): void {
  const relay = client.data;
  let localPort = 0;
  Bun.connect<null>({
    hostname: "127.0.0.1",
    port: internal.port!,
    socket: {
      open(upstream) {
        if (relay.closed) {
          upstream.end();
          return;
        }
        localPort = upstream.localPort;
        peers.set(localPort, commonName);
        relay.upstream = upstream;
        flush(upstream, relay.toUpstream);
      },
      data(_upstream, chunk) {
        send(client, relay.toClient, chunk);
      },
      drain(upstream) {
        flush(upstream, relay.toUpstream);
      },
      close() {
        peers.delete(localPort);
        client.end();
      },
      error() {},
    },
  }).catch(() => client.terminate());
}

/** Writes `chunk` after anything already queued; what the socket does not take waits for `drain`. */
function send(socket: Socket<unknown>, queue: Uint8Array[], chunk: Uint8Array): void {
  if (queue.length > 0) {
    queue.push(new Uint8Array(chunk));
    return;
  }
  const written = Math.max(socket.write(chunk), 0);
  if (written < chunk.byteLength) queue.push(new Uint8Array(chunk.subarray(written)));
}

function flush(socket: Socket<unknown>, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    const chunk = queue[0]!;
    const written = Math.max(socket.write(chunk), 0);
    if (written < chunk.byteLength) {
      queue[0] = chunk.subarray(written);
      return;
    }
    queue.shift();
  }
}

function commonNameOf(socket: Socket<Relay>): string | null {
  const commonName = socket.getPeerCertificate()?.subject?.CN;
  return typeof commonName === "string" ? commonName : null;
}
