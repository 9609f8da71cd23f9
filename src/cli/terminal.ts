import type { Input } from "./command.ts";
import { usageError } from "./exit.ts";

/** The process's stdin. */
export const processInput: Input = {
  get isTTY() {
    return Boolean(process.stdin.isTTY);
  },
  async readAll() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString("utf8");
  },
  readSecret(prompt) {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    return new Promise((resolve, reject) => {
      let typed = "";
      const finish = (outcome: () => void) => {
        stdin.off("data", onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write("\n");
        outcome();
      };
      const onData = (chunk: Buffer) => {
        for (const character of chunk.toString("utf8")) {
          if (character === "\r" || character === "\n") return finish(() => resolve(typed));
          if (character === "\u0003" || character === "\u0004") return finish(() => reject(usageError("cancelled")));
          typed = character === "\u007f" || character === "\b" ? typed.slice(0, -1) : typed + character;
        }
      };
      stdin.on("data", onData);
    });
  },
};
