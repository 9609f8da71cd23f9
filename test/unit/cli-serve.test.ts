// `serve` hands the server's flags to the server as it was given them, boolean flags included.
import { expect, test } from "bun:test";
import { runCli } from "../../src/cli/index.ts";
import { parseCli } from "../../src/config.ts";

/** The flags `serve …` passes on, or the exit code when it refused them itself. */
async function servedFlags(argv: string[]): Promise<string[] | number> {
  let passed: string[] | undefined;
  const code = await runCli(["serve", ...argv], {
    env: {},
    serve: async (flags) => {
      passed = flags;
      return 0;
    },
    context: { output: { out: async () => {}, note: async () => {}, err: async () => {}, errIsTTY: false } },
  });
  return passed ?? code;
}

test("serve --no-executor runs a replica: the flag reaches the server without a value", async () => {
  const flags = await servedFlags(["--listen", "127.0.0.1:0", "--db-path", "/tmp/x.db", "--no-executor"]);
  expect(flags).toEqual(["--listen", "127.0.0.1:0", "--db-path", "/tmp/x.db", "--no-executor"]);
  const request = parseCli(flags as string[], {});
  expect(request.kind === "run" && request.config.executor).toBe(false);
});

test("serve without --no-executor may lead; every valued flag is passed on", async () => {
  const flags = await servedFlags(["--node-id", "cp-1", "--lease-seconds", "7", "--listen", "127.0.0.1:0"]);
  const request = parseCli(flags as string[], {});
  expect(request.kind).toBe("run");
  if (request.kind !== "run") return;
  expect(request.config).toMatchObject({ nodeId: "cp-1", leaseSeconds: 7, executor: true });
  expect(request.config.listen).toEqual({ host: "127.0.0.1", port: 0 });
});
