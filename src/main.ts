import { bunAdapter } from "./server/bun.ts";
import { run } from "./server/run.ts";

process.exit(await run(process.argv.slice(2), process.env, bunAdapter));
