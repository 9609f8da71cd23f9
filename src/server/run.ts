import { MAX_BODY_BYTES } from "../app.ts";
import { ConfigError, USAGE, VERSION, parseCli } from "../config.ts";
import { createControlPlane } from "../control-plane.ts";
import { DatabaseOpenError, openStore } from "../db/database.ts";
import { createLogger } from "../logger.ts";
import type { ServerAdapter } from "./adapter.ts";
import { readTlsMaterial } from "./tls.ts";

/** Where the server's `--help` points for the command line the same executable is. */
const COMMANDS_HINT =
  "With a command first it is the command line instead: nixfleet-control-plane help (login, status, machines, releases, rollouts, keys, audit, …)";

/**
 * Runs the control plane until SIGTERM/SIGINT. Configuration problems print one line
 * on stderr and return a non-zero exit code before anything listens.
 */
export async function run(
  argv: string[],
  env: Record<string, string | undefined>,
  adapter: ServerAdapter,
): Promise<number> {
  const logger = createLogger();
  let request;
  try {
    request = parseCli(argv, env);
  } catch (error) {
    return fail(error);
  }
  if (request.kind === "help") {
    process.stdout.write(`${USAGE}\n\n${COMMANDS_HINT}\n`);
    return 0;
  }
  if (request.kind === "version") {
    process.stdout.write(`nixfleet-control-plane ${VERSION}\n`);
    return 0;
  }
  const { config } = request;
  const stop = awaitStopSignal();

  let store;
  let tls;
  try {
    tls = readTlsMaterial(config);
    store = await openStore(config.dbPath, config.dbAuthToken ?? undefined, { logger });
  } catch (error) {
    return fail(error);
  }

  let controlPlane;
  try {
    controlPlane = await createControlPlane({ store, logger, config, cluster: config, mtls: Boolean(tls?.clientCa) });
  } catch (error) {
    await store.close();
    return fail(error);
  }
  if (stop.received) {
    await store.close();
    return 0;
  }
  let server;
  try {
    server = await adapter.listen({
      host: config.listen.host,
      port: config.listen.port,
      tls,
      fetch: (req, bindings) => controlPlane.app.fetch(req, bindings),
      maxBodyBytes: config.maxReleaseBodyMib * MAX_BODY_BYTES,
      onHandshakeRefused: ({ reason, remoteAddress }) =>
        logger.warn("TLS handshake refused", { reason, remote_address: remoteAddress }),
    });
  } catch (error) {
    await store.close();
    return fail(
      new ConfigError(`cannot listen on ${config.listen.host}:${config.listen.port}: ${(error as Error).message}`),
    );
  }
  controlPlane.start(server.url);
  logger.info("listening", {
    url: server.url,
    db: config.dbPath,
    tls: Boolean(tls),
    mtls: Boolean(tls?.clientCa),
    node_id: config.nodeId,
    role: controlPlane.deps.leadership.role,
  });
  if (tls && !tls.clientCa) {
    logger.warn("TLS without --client-ca: agent routes are not authenticated; any client can act as any machine");
  }

  const signal = await stop.signal;
  logger.info("shutting down", { signal });
  const stopped = server.stop();
  // After the listener closed: held polls and event streams end now instead of at their deadlines.
  controlPlane.endLongLivedRequests();
  await stopped;
  await controlPlane.stop();
  await store.close();
  logger.info("stopped");
  return 0;
}

/**
 * Catches SIGTERM/SIGINT from the start: a signal that lands between the start-up log
 * line and a later handler installation would otherwise kill the process uncleanly.
 */
function awaitStopSignal(): { signal: Promise<string>; readonly received: boolean } {
  let received = false;
  const signal = new Promise<string>((resolve) => {
    const onSignal = (name: string) => {
      received = true;
      resolve(name);
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  });
  return {
    signal,
    get received() {
      return received;
    },
  };
}

function fail(error: unknown): number {
  if (error instanceof ConfigError || error instanceof DatabaseOpenError) {
    process.stderr.write(`nixfleet-control-plane: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`nixfleet-control-plane: ${(error as Error).message ?? String(error)}\n`);
  return 1;
}
