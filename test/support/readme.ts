// The README's Markdown tables, read by tests that keep the README true of the code.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const readmeText = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");

/** The rows of the README table whose header row starts with `| <firstHeader>`, as cell texts. */
export function readmeTable(firstHeader: string): string[][] {
  const lines = readmeText.split("\n");
  const start = lines.findIndex((line) => new RegExp(`^\\|\\s*${firstHeader}\\s*\\|`).test(line));
  if (start === -1) throw new Error(`README has no table starting with the column "${firstHeader}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The `code spans` of a table cell. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
}
