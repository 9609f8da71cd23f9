import { isServerInvocation, runCli } from "./cli/index.ts";
import { bunAdapter } from "./server/bun.ts";
import { run } from "./server/run.ts";

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
const serve = (flags: string[]) => run(flags, process.env, bunAdapter);
process.exit(isServerInvocation(argv) ? await serve(argv) : await runCli(argv, { env: process.env, serve }));
