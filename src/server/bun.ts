import { createServer as createHttpServer } from "node:http";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { PeerIdentity } from "../context.ts";
import { formatUrl, type ListenOptions, type RunningServer, type ServerAdapter } from "./adapter.ts";

// Agents poll every few seconds during a rollout; a connection that outlives the poll
// interval spares them a new mutual-TLS handshake on every poll.
const MTLS_KEEP_ALIVE_MS = 65_000;

/**
 * Bun edge. Plain HTTP and server-only TLS use `Bun.serve` (the fastest path). With a
 * client CA the app must learn the peer certificate's CN, which `Bun.serve` does not
 * expose (nor does `node:https` on Bun), so mTLS is served by a `node:tls` server that
 * hands its verified sockets to a `node:http` server; the CN, read once per connection,
 * reaches the app as the `peer` binding.
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
    // The app enforces the 1 MiB limit with a JSON 413; Bun's own limit must sit above it.
    maxRequestBodySize: 8 * 1024 * 1024,
    development: false,
    ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
    fetch: (request) => options.fetch(request, {}),
  });
  return {
    url: formatUrl(options.tls ? "https" : "http", options.host, server.port ?? options.port),
    stop: () => server.stop(false),
  };
}

async function listenMutualTls(options: ListenOptions): Promise<RunningServer> {
  const tls = options.tls!;
  const peers = new WeakMap<Socket, PeerIdentity>();
  // Open connections and their requests in flight, so stop() can close each once it is idle.
  const inFlight = new Map<Socket, number>();
  let stopping = false;
  const closeIfIdle = (socket: Socket) => {
    if (stopping && inFlight.get(socket) === 0) socket.end();
  };
  const http = createHttpServer(
    { keepAliveTimeout: MTLS_KEEP_ALIVE_MS },
    getRequestListener((request, env) => {
      const socket = env.incoming.socket;
      inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
      env.outgoing.once("close", () => {
        inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
        closeIfIdle(socket);
      });
      if (stopping) env.outgoing.setHeader("connection", "close");
      return options.fetch(request, { peer: peers.get(socket) ?? { commonName: null } });
    }),
  );
  // rejectUnauthorized makes the handshake itself refuse a missing, foreign or expired certificate.
  const server = createTlsServer(
    { cert: tls.cert, key: tls.key, ca: tls.clientCa!, requestCert: true, rejectUnauthorized: true },
    (socket) => {
      peers.set(socket, { commonName: commonNameOf(socket) });
      inFlight.set(socket, 0);
      socket.once("close", () => inFlight.delete(socket));
      http.emit("connection", socket);
    },
  );
  server.on("tlsClientError", (error, socket) => {
    options.onHandshakeRefused?.({ reason: error.message, remoteAddress: socket.remoteAddress ?? null });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: formatUrl("https", options.host, port),
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        server.close(() => resolve());
        for (const socket of inFlight.keys()) closeIfIdle(socket);
      }),
  };
}

function commonNameOf(socket: TLSSocket): string | null {
  const commonName = socket.getPeerCertificate().subject?.CN;
  return typeof commonName === "string" ? commonName : null;
}
