// SPEC §13 "Connections" against the real process, with its default deadlines: silent connections
// under a 1 024-descriptor limit keep no agent out, pipelined agent reports are each stored and
// answered, and HTTP/1.0 health checks without Host are routed (issue 14, items 4, 6 and 8).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reportBody } from "../support/machines.ts";
import { pipelinedReports, rawExchange, repoRoot, startServer, type ServerProcess } from "../support/process.ts";

const dir = mkdtempSync(join(tmpdir(), "nixfleet-connection-limits-"));
const pem = (name: string) => readFileSync(join(dir, name), "utf8");
const servers: ServerProcess[] = [];

beforeAll(() => {
  const certs = Bun.spawnSync(["bun", "scripts/certs.ts", "--out", dir, "--machines", "web-01"], { cwd: repoRoot });
  if (certs.exitCode !== 0) throw new Error(certs.stderr.toString());
});

afterAll(() => {
  for (const server of servers) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the server under a shell's `ulimit -n`, as a service manager's LimitNOFILE would. */
async function start(args: string[], fileLimit?: number): Promise<ServerProcess> {
  const db = mkdtempSync(join(dir, "db-"));
  const command = ["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", join(db, "state.db"), ...args];
  const server = await startServer(
    fileLimit === undefined
      ? command
      : ["sh", "-c", `ulimit -n ${fileLimit} && exec ${command.map((arg) => `'${arg}'`).join(" ")}`],
  );
  servers.push(server);
  return server;
}

describe("the real process", () => {
  test("1 100 silent connections under a 1 024-descriptor limit keep no agent out, and are all dropped", async () => {
    const server = await start(
      [
        "--tls-cert",
        join(dir, "server.pem"),
        "--tls-key",
        join(dir, "server-key.pem"),
        "--client-ca",
        join(dir, "ca.pem"),
      ],
      1024,
    );
    const { port } = new URL(server.url);
    let closedByServer = 0;
    const silent: Socket[] = await Promise.all(
      Array.from(
        { length: 1100 },
        () =>
          new Promise<Socket>((resolve) => {
            // Some are refused the moment they are accepted, to make room: connected, then reset.
            const socket = connect(Number(port), "127.0.0.1", () => resolve(socket));
            socket.on("error", () => {});
            socket.on("close", () => {
              closedByServer++;
              resolve(socket);
            });
          }),
      ),
    );
    // A legitimate agent, with its certificate, on a new connection.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const poll = request(
        new URL("/health", server.url),
        { agent: false, ca: pem("ca.pem"), cert: pem("web-01.pem"), key: pem("web-01-key.pem"), timeout: 20_000 },
        (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      poll.on("timeout", () => poll.destroy(new Error("no answer within 20 s")));
      poll.on("error", reject);
      poll.end();
    });
    expect(answer).toEqual({ status: 200, body: "ok" });
    // The rest are dropped by the default 10 s head deadline (the oldest ones made room earlier).
    for (let waited = 0; closedByServer < silent.length && waited < 60_000; waited += 100) await Bun.sleep(100);
    expect(closedByServer).toBe(silent.length);
    // Connections this side dropped are not reported as refused handshakes.
    expect(server.stderrLines.filter((line) => line.includes("TLS handshake refused"))).toEqual([]);
  }, 90_000);

  test("agent reports pipelined in one write are each answered, in order, and each stored", async () => {
    const server = await start([]);
    const machines = ["pipe-01", "pipe-02", "pipe-03"];
    const received = await rawExchange(
      server.url,
      pipelinedReports(machines, (id) => reportBody(id, { message: `report of ${id}` })),
    );
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200"]);
    const db = createClient({ url: `file:${dbPathOf(server)}` });
    try {
      const rows = await db.execute("SELECT machine_id, message FROM reports ORDER BY id");
      expect(rows.rows.map((row) => [row.machine_id, row.message])).toEqual(
        machines.map((id) => [id, `report of ${id}`]),
      );
    } finally {
      db.close();
    }
  });

  test("GET /health HTTP/1.0 without Host, as HAProxy's httpchk sends it, answers ok", async () => {
    const server = await start([]);
    const received = await rawExchange(server.url, "GET /health HTTP/1.0\r\n\r\n");
    expect(received).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(received).toEndWith("\r\n\r\nok");
  });
});

/** The database path a server was started with (the argument after --db-path). */
function dbPathOf(server: ServerProcess): string {
  const line = server.stderrLines
    .map((text) => JSON.parse(text) as { msg?: string; db?: string })
    .find((entry) => entry.msg === "listening");
  return line!.db!;
}
