// The Bun edge's connection engine driven through its socket handlers with a stand-in socket, for
// what real sockets cannot show deterministically (the kernel merges small writes).
import { describe, expect, spyOn, test } from "bun:test";
import type { Socket } from "bun";
import { Http1Server } from "../../src/server/bun-http1.ts";

/** A socket that takes every write at once and records what happened to it. */
class FakeSocket {
  data: unknown;
  written = "";
  state: "open" | "ended" | "terminated" | "shut" = "open";
  write(bytes: Uint8Array): number {
    this.written += Buffer.from(bytes).toString("latin1");
    return bytes.length;
  }
  end(): void {
    this.state = "ended";
  }
  shutdown(): void {
    this.state = "shut";
  }
  terminate(): void {
    this.state = "terminated";
  }
}

function connect(server: Http1Server) {
  const handlers = server.handlers();
  const fake = new FakeSocket();
  const socket = fake as unknown as Socket<never>;
  handlers.open!(socket as never);
  return { fake, send: (bytes: Buffer) => handlers.data!(socket as never, bytes as never) };
}

describe("bytes pipelined while an answer is pending", () => {
  test("are kept as they come, not copied again with every piece", async () => {
    const maxBodyBytes = 2 * 1024 * 1024;
    const answer = Promise.withResolvers<Response>();
    const server = new Http1Server({
      scheme: "http",
      defaultAuthority: "cp.example",
      fetch: (request) => (new URL(request.url).pathname === "/held" ? answer.promise : new Response("next")),
      maxBodyBytes,
      timeouts: { headMs: 60_000, idleMs: 60_000 },
      maxConnections: 10,
    });
    const { fake, send } = connect(server);
    send(Buffer.from("GET /held HTTP/1.1\r\nHost: cp.example\r\n\r\n"));
    await Bun.sleep(0);
    // The next request's body arrives in 1 KiB pieces while the first is held: 2 MiB in all.
    const body = Buffer.alloc(maxBodyBytes - 1024, "a");
    const pieces = [Buffer.from(`POST /next HTTP/1.1\r\nHost: cp.example\r\nContent-Length: ${body.length}\r\n\r\n`)];
    for (let at = 0; at < body.length; at += 1024) pieces.push(body.subarray(at, at + 1024));
    const concat = spyOn(Buffer, "concat");
    for (const piece of pieces) send(piece);
    answer.resolve(new Response("held"));
    for (let waited = 0; !fake.written.includes("next") && waited < 5000; waited += 10) await Bun.sleep(10);
    const copied = concat.mock.results.reduce((sum, result) => sum + (result.value as Buffer).length, 0);
    concat.mockRestore();
    expect(fake.written).toContain("held");
    expect(fake.written).toEndWith("next");
    // Copying all that was pending with each piece copied ~2 GiB here (quadratic in the body).
    expect(copied).toBeLessThan(4 * maxBodyBytes);
  });
});
