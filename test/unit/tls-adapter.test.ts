// The Bun edge under mutual TLS, in-process: peer identity per connection, bodies larger than a
// socket buffer in both directions, refused handshakes reported.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bindings } from "../../src/context.ts";
import type { RunningServer } from "../../src/server/adapter.ts";
import { bunAdapter } from "../../src/server/bun.ts";

const repoRoot = join(import.meta.dir, "..", "..");

const dir = mkdtempSync(join(tmpdir(), "nixfleet-mtls-edge-"));
const pem = (name: string) => readFileSync(join(dir, name), "utf8");
let server: RunningServer;
const refusals: string[] = [];

/** An HTTPS client presenting `name`'s certificate, keeping its connections alive. */
function agentFor(name: string): Agent {
  return new Agent({ keepAlive: true, ca: pem("ca.pem"), cert: pem(`${name}.pem`), key: pem(`${name}-key.pem`) });
}

function send(agent: Agent, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { agent, method: body === undefined ? "GET" : "POST" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const certs = Bun.spawnSync(["bun", "scripts/certs.ts", "--out", dir, "--machines", "web-01,web-02"], {
    cwd: repoRoot,
  });
  if (certs.exitCode !== 0) throw new Error(certs.stderr.toString());
  server = await bunAdapter.listen({
    host: "127.0.0.1",
    port: 0,
    tls: { cert: pem("server.pem"), key: pem("server-key.pem"), clientCa: pem("ca.pem") },
    maxBodyBytes: 1024 * 1024,
    fetch: async (req: Request, bindings: Bindings) => {
      const url = new URL(req.url);
      if (url.pathname === "/echo") return new Response(await req.text());
      if (url.pathname === "/big") return new Response("x".repeat(Number(url.searchParams.get("bytes"))));
      return Response.json({ url: req.url, peer: bindings.peer });
    },
    onHandshakeRefused: ({ reason }) => refusals.push(reason),
  });
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("mutual TLS on the Bun edge", () => {
  test("each connection carries its own certificate's CN, and the app sees the https URL", async () => {
    const web01 = agentFor("web-01");
    const web02 = agentFor("web-02");
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => send(i % 2 === 0 ? web01 : web02, `/who?i=${i}`)),
    );
    replies.forEach((reply, i) => {
      expect(reply.status).toBe(200);
      const body = JSON.parse(reply.body) as { url: string; peer: { commonName: string } };
      expect(body.peer).toEqual({ commonName: i % 2 === 0 ? "web-01" : "web-02" });
      expect(body.url).toBe(`${server.url}/who?i=${i}`);
    });
    web01.destroy();
    web02.destroy();
  });

  test("bodies larger than a socket buffer pass intact both ways", async () => {
    const agent = agentFor("web-01");
    const upload = "0123456789abcdef".repeat(64 * 1024);
    expect(await send(agent, "/echo", upload)).toEqual({ status: 200, body: upload });
    const download = await send(agent, "/big?bytes=8000000");
    expect(download.status).toBe(200);
    expect(download.body.length).toBe(8_000_000);
    agent.destroy();
  });

  test("a refused handshake is reported with its reason", async () => {
    const before = refusals.length;
    const anonymous = new Agent({ ca: pem("ca.pem") });
    await expect(send(anonymous, "/who")).rejects.toThrow();
    await Bun.sleep(50);
    expect(refusals.slice(before)).toEqual([expect.stringMatching(/certificate/i)]);
  });
});
