import type { Bindings } from "../context.ts";
import type { TlsMaterial } from "./tls.ts";

/** How long a connection may take over each phase before it is dropped (SPEC §13 "Connections"). */
export interface ConnectionTimeouts {
  /** From connecting (or from the first byte of a later request) to a complete request head, TLS handshake included. */
  headMs: number;
  /** How long a keep-alive connection may wait for its next request. */
  idleMs: number;
}

export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = { headMs: 10_000, idleMs: 65_000 };

export type FetchHandler = (request: Request, bindings: Bindings) => Response | Promise<Response>;

export interface ListenOptions {
  host: string;
  port: number;
  tls: TlsMaterial | null;
  fetch: FetchHandler;
  /** The largest body the app accepts on any route; the runtime's own limit must not be lower. */
  maxBodyBytes: number;
  /** Lowered by tests; the defaults are DEFAULT_CONNECTION_TIMEOUTS. */
  timeouts?: Partial<ConnectionTimeouts>;
  /** Lowered by tests; by default the runtime derives it from the process's file-descriptor limit. */
  maxConnections?: number;
  /** Told about each TLS handshake the server refused (with a client CA: no, foreign or expired certificate). */
  onHandshakeRefused?: (refusal: { reason: string; remoteAddress: string | null }) => void;
}

export interface RunningServer {
  /** The URL clients reach, with the real port when 0 was asked. */
  url: string;
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  stop(): Promise<void>;
}

/** The runtime-specific edge: how a runtime listens and hands requests to the app. */
export interface ServerAdapter {
  listen(options: ListenOptions): Promise<RunningServer>;
}

/** `http://host:port/` with IPv6 literals bracketed. */
export function formatUrl(scheme: "http" | "https", host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
