import { formatUrl, type ListenOptions, type RunningServer, type ServerAdapter } from "./adapter.ts";

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
declare const Deno: {
  serve(
    options: { hostname: string; port: number; cert?: string; key?: string; onListen?: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
};

/**
 * Deno edge: `Deno.serve` for HTTP and server-only TLS (mTLS peer identity is served by the Bun
 * edge). `Deno.serve` answers pipelined requests in order and routes HTTP/1.0 without Host, but
 * offers no connection deadlines and no socket to enforce them on: `timeouts`, `maxConnections`
 * and `keepOpen` have no effect here (README, "Connections").
 */
export const denoAdapter: ServerAdapter = {
  async listen(options: ListenOptions): Promise<RunningServer> {
    if (options.tls?.clientCa) throw new Error("--client-ca is supported on the Bun runtime only");
    const server = Deno.serve(
      {
        hostname: options.host,
        port: options.port,
        ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
        onListen: () => {},
      },
      (request) => options.fetch(request, {}),
    );
    return {
      url: formatUrl(options.tls ? "https" : "http", options.host, server.addr.port),
      stop: () => server.shutdown(),
    };
  },
};
