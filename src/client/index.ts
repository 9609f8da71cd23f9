// A typed client for the control plane's REST API. Every path, parameter, body and response type
// comes from schema.d.ts, which `bun run client` generates from openapi.json; nothing here is
// written by hand but the wiring. Runtime-neutral: it only needs `fetch`.
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.d.ts";

export type { components, operations, paths } from "./schema.d.ts";

/** A named schema of the API document, e.g. `Schema<"Machine">` or `Schema<"Rollout">`. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** PEM strings for HTTPS: `ca` trusts the control plane's certificate; `cert` + `key` present a client certificate (mutual TLS). */
export interface FleetClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface FleetClientOptions {
  /** Where the control plane listens, e.g. `https://fleet.example.com:8443`. */
  baseUrl: string;
  /** An `nfk-…` API key, sent as `Authorization: Bearer`; agent routes and bootstrap need none. */
  apiKey?: string;
  /** Passed to `fetch` as its `tls` option, which Bun's fetch understands. */
  tls?: FleetClientTls;
  /** Replaces `globalThis.fetch`, e.g. a Deno fetch bound to a `Deno.createHttpClient` for mutual TLS. */
  fetch?: (request: Request, init?: RequestInit) => Promise<Response>;
}

/** The openapi-fetch client for the control plane's paths: `client.GET("/api/v1/machines")`, ... */
export type FleetClient = Client<paths>;

/** Creates a typed client for one control plane. */
export function createFleetClient(options: FleetClientOptions): FleetClient {
  const send = options.fetch ?? ((request: Request, init?: RequestInit) => globalThis.fetch(request, init));
  // `tls` is not in the DOM's RequestInit; runtimes without it ignore the extra key.
  const init = options.tls ? ({ tls: options.tls } as RequestInit) : undefined;
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    fetch: (request) => send(request, init),
  });
}

/** A call the control plane answered with an error status; `message` is its `{"error"}` sentence. */
export class FleetApiError extends Error {
  override name = "FleetApiError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The data of a successful call, or a thrown {@link FleetApiError}:
 * `const machines = await ok(client.GET("/api/v1/machines"))`.
 */
export async function ok<Data, Failure>(
  call: Promise<{ data?: Data; error?: Failure; response: Response }>,
): Promise<Data> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const message =
      typeof error === "object" && error !== null && "error" in error && typeof error.error === "string"
        ? error.error
        : `${response.status} ${response.statusText}`;
    throw new FleetApiError(response.status, message);
  }
  return data as Data;
}
