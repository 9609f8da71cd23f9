import type { Subprocess } from "bun";
import { connect } from "node:net";

export const repoRoot = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** A control-plane process started by a test, with its stderr collected line by line. */
export interface ServerProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** The URL from the start-up log line. */
  url: string;
  /** Every stderr line so far (the process logs JSON lines there). */
  stderrLines: string[];
  /** Resolves with the exit code once the process has exited and its stderr is drained. */
  exited: Promise<number>;
  /** SIGKILLs the process if it is still running (for afterAll). */
  kill(): void;
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** How long to wait for the start-up log line. */
  timeoutMs?: number;
}

/** Starts `cmd` and waits for its `listening` log line; throws with its stderr if it exits or stalls first. */
export async function startServer(cmd: string[], options: SpawnOptions = {}): Promise<ServerProcess> {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderrLines: string[] = [];
  let waiting = true;
  let onLine = (): void => {};
  const drained = (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of proc.stderr) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      stderrLines.push(...lines);
      onLine();
    }
    if (pending !== "") stderrLines.push(pending);
    onLine();
  })();
  const exited = Promise.all([proc.exited, drained]).then(([code]) => code);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`no start-up line within ${options.timeoutMs ?? 15000} ms`),
      options.timeoutMs ?? 15000,
    );
    const fail = (why: string) => {
      waiting = false;
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(new Error(`${cmd.join(" ")}: ${why}\n${stderrLines.join("\n")}`));
    };
    onLine = () => {
      for (const line of stderrLines) {
        const entry = tryParse(line);
        if (entry?.msg === "listening" && typeof entry.url === "string") {
          clearTimeout(timer);
          waiting = false;
          onLine = () => {};
          resolve(entry.url);
          return;
        }
      }
    };
    void exited.then((code) => {
      if (waiting) fail(`exited with ${code} before listening`);
    });
  });

  return {
    proc,
    url,
    stderrLines,
    exited,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}

/** Runs `cmd` to completion (for configurations that must be refused). */
export async function runToExit(
  cmd: string[],
  options: SpawnOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 15000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Parses one log line; null when it is not a JSON object. */
export function tryParse(line: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** GET `path` on a running server and return status and body text. */
export async function get(url: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: await res.text() };
}

/** Starts the server as the SPEC says users do: `bun run start -- --listen 127.0.0.1:0 --db-path <dbPath> …`. */
export function startFromSource(
  dbPath: string,
  extraArgs: string[] = [],
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  return startServer(
    ["bun", "run", "start", "--", "--listen", "127.0.0.1:0", "--db-path", dbPath, ...extraArgs],
    options,
  );
}

/** Starts one control plane of a cluster on `dbPath` (a file or a libSQL server URL) as node `nodeId`. */
export function startNode(
  dbPath: string,
  nodeId: string,
  extraArgs: string[] = [],
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  return startServer(
    ["bun", "src/main.ts", "--listen", "127.0.0.1:0", "--db-path", dbPath, "--node-id", nodeId, ...extraArgs],
    options,
  );
}

/** Polls `check` every 50 ms until it returns something other than undefined; throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** The parsed JSON log lines of `server` whose `msg` is `msg`. */
export function logsOf(server: ServerProcess, msg: string): Record<string, unknown>[] {
  return server.stderrLines.map(tryParse).filter((entry): entry is Record<string, unknown> => entry?.msg === msg);
}

/** Sends `text` in one write on a new connection to `url`; resolves with everything received once the server closes it. */
export function rawExchange(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

/** Agent reports for `machineIds` as raw HTTP/1.1 requests, the last asking to close the connection. */
export function pipelinedReports(machineIds: string[], body: (id: string) => unknown): string {
  return machineIds
    .map((id, i) => {
      const json = JSON.stringify(body(id));
      const close = i === machineIds.length - 1 ? "Connection: close\r\n" : "";
      return (
        `POST /api/v1/machines/${id}/report HTTP/1.1\r\nHost: cp\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\n${close}\r\n${json}`
      );
    })
    .join("");
}
