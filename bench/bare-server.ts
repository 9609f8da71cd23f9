// The ceiling for scenario (d): a bare Bun.serve answering every request with a fixed poll body.
// Run as its own process; prints the port it listens on as `{"port":N}`.
const body = JSON.stringify({
  hash: "/nix/store/0c0q3s9y9v0a5p2hx4yh9mmhq8l1ln4w-nixos-system-host-000001-25.05.20250101",
  cache_url: null,
  poll_hint: null,
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  development: false,
  fetch: () => new Response(body, { headers: { "content-type": "application/json" } }),
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(true);
  process.exit(0);
});
