import { isServerInvocation } from "./cli/dispatch.ts";

// `bun run start` runs this file as a child of the runner, which forwards SIGTERM and
// SIGINT but cannot forward SIGKILL. If the runner dies, stop as if it had sent SIGTERM
// rather than live on as an orphan that still holds the port and the database.
if (process.env.npm_lifecycle_event === "start") {
  const runner = process.ppid;
  setInterval(() => {
    if (process.ppid !== runner) process.kill(process.pid, "SIGTERM");
  }, 250).unref();
}

const argv = process.argv.slice(2);
// Each side loads only its own modules: a command starts without the server's (libSQL, the routes).
const serve = async (flags: string[]) => {
  const [{ run }, { bunAdapter }] = await Promise.all([import("./server/run.ts"), import("./server/bun.ts")]);
  return run(flags, process.env, bunAdapter);
};
const command = async () => (await import("./cli/index.ts")).runCli(argv, { env: process.env, serve });
process.exit(isServerInvocation(argv) ? await serve(argv) : await command());
