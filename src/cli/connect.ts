import { readFileSync } from "node:fs";
import { createFleetClient, type FleetClient, type FleetClientTls } from "../client/index.ts";
import { CliError, EXIT, usageError } from "./exit.ts";
import type { Connection } from "./settings.ts";

/** How long one call may take before the CLI gives up on the control plane. */
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * The typed client for a connection; a control plane that cannot be reached is exit code 4. Each
 * call must finish within `timeoutMs` (null: no limit, for event streams that stay open).
 */
export function connect(connection: Connection, { timeoutMs = REQUEST_TIMEOUT_MS as number | null } = {}): FleetClient {
  let url: URL;
  try {
    url = new URL(connection.url);
  } catch {
    throw usageError(`${connection.url} is not a URL (e.g. https://fleet.example.com:8443)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`${connection.url}: the control plane's URL starts with http:// or https://`);
  }
  const tls: FleetClientTls = {};
  if (connection.caFile) tls.ca = readPem(connection.caFile, "CA certificate");
  if (connection.clientCertFile) tls.cert = readPem(connection.clientCertFile, "client certificate");
  if (connection.clientKeyFile) tls.key = readPem(connection.clientKeyFile, "client key");
  if (Boolean(tls.cert) !== Boolean(tls.key))
    throw usageError("a client certificate needs its key, and a key its certificate");
  return createFleetClient({
    baseUrl: connection.url,
    apiKey: connection.apiKey,
    tls: Object.keys(tls).length > 0 ? tls : undefined,
    fetch: async (request, init) => {
      try {
        return await globalThis.fetch(
          request,
          timeoutMs === null ? init : { ...init, signal: AbortSignal.timeout(timeoutMs) },
        );
      } catch (error) {
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        throw new CliError(EXIT.unavailable, `cannot reach ${url.origin}: ${reason}`);
      }
    },
  });
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw usageError(
      `cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
