import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { getRequestListener } from "@hono/node-server";
import { formatUrl, type ListenOptions, type RunningServer, type ServerAdapter } from "./adapter.ts";

/**
 * Bun edge. Plain HTTP and server-only TLS use `Bun.serve` (the fastest path). With a
 * client CA the handler must learn the peer certificate's CN, which `Bun.serve` does not
 * expose, so mTLS is served by `node:https` (Bun-native) and the CN is passed as a binding.
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
  const listener = getRequestListener((request, env) => {
    const certificate = (env.incoming.socket as TLSSocket).getPeerCertificate();
    const commonName = certificate?.subject?.CN;
    return options.fetch(request, { peer: { commonName: typeof commonName === "string" ? commonName : null } });
  });
  const server = createHttpsServer(
    { cert: tls.cert, key: tls.key, ca: tls.clientCa!, requestCert: true, rejectUnauthorized: true },
    listener,
  );
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
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
