import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import type { PeerIdentity } from "../context.ts";
import {
  DEFAULT_CONNECTION_TIMEOUTS,
  formatUrl,
  type ListenOptions,
  type RunningServer,
  type ServerAdapter,
} from "./adapter.ts";
import { Http1Server } from "./bun-http1.ts";

/**
 * Bun edge: `Bun.listen` (plain TCP, TLS, or TLS verifying client certificates natively, so a
 * missing, foreign or expired one is refused at the handshake) with HTTP/1.1 served by
 * `Http1Server`. Not `Bun.serve`: on Bun 1.4.4 and 1.4.5 it closes a connection without an answer
 * when a request is pipelined behind an async handler, keeps silent connections forever, and does
 * not tell the handler whose client certificate a request came with (README, "Connections").
 */
export const bunAdapter: ServerAdapter = {
  async listen(options: ListenOptions): Promise<RunningServer> {
    const tls = options.tls;
    const server = new Http1Server({
      scheme: tls ? "https" : "http",
      defaultAuthority: "",
      fetch: options.fetch,
      maxBodyBytes: options.maxBodyBytes,
      timeouts: { ...DEFAULT_CONNECTION_TIMEOUTS, ...options.timeouts },
      maxConnections: options.maxConnections ?? connectionsWithinFileLimit(),
    });
    const handlers = server.handlers((socket, success, authorizationError) => {
      if (!tls?.clientCa) return undefined;
      if (!success || authorizationError) {
        const reason = authorizationError?.message ?? "TLS handshake failed";
        options.onHandshakeRefused?.({ reason, remoteAddress: socket.remoteAddress ?? null });
        return null;
      }
      return peerOf(socket);
    });
    const listener = Bun.listen({
      hostname: options.host,
      port: options.port,
      // A client that half-closes after its request still gets the answer.
      allowHalfOpen: true,
      ...(tls
        ? {
            tls: tls.clientCa
              ? { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
              : { cert: tls.cert, key: tls.key },
          }
        : {}),
      socket: handlers,
    });
    const url = formatUrl(tls ? "https" : "http", options.host, listener.port);
    server.options.defaultAuthority = url.slice(url.indexOf("//") + 2);
    return {
      url,
      stop: async () => {
        listener.stop(false);
        await server.stop();
      },
    };
  },
};

/**
 * The soft limit on open files (after Bun raised it at start) less a tenth, at least 64, for the
 * database, logs and the runtime's own descriptors; unlimited where /proc does not say.
 */
function connectionsWithinFileLimit(): number {
  let limits: string;
  try {
    limits = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return Infinity;
  }
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  if (!Number.isFinite(soft) || soft === 0) return Infinity;
  return Math.max(soft - Math.max(64, Math.ceil(soft / 10)), 1);
}

function peerOf(socket: Socket<unknown>): PeerIdentity {
  const commonName = socket.getPeerCertificate()?.subject?.CN;
  return { commonName: typeof commonName === "string" ? commonName : null };
}
