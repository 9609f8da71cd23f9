// Entry point under Deno: `deno run -A src/main.deno.ts --listen ... --db-path ...`.
import { denoAdapter } from "./server/deno.ts";
import { run } from "./server/run.ts";

process.exit(await run(process.argv.slice(2), process.env, denoAdapter));
