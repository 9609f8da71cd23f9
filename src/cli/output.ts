// Output of the commands: `--json` prints the API's own JSON (stable: the OpenAPI document
// describes it), tables otherwise. Formatting lives here, apart from the calls.
export { age, duration, eventDetail, shortStorePath, when } from "../domain/format.ts";

/** Where a command writes: data on stdout, notes and hints on stderr (so pipes get data only). */
export interface Output {
  /** Writes to stdout and resolves once the data is handed to the OS (large pipes included). */
  out(data: string | Uint8Array): Promise<void>;
  /** One note for a person on stderr. */
  note(text: string): Promise<void>;
  /** Raw text on stderr (a progress display redraws itself there). */
  err(text: string): Promise<void>;
  /** Whether stderr is a terminal (where a display may redraw in place). */
  readonly errIsTTY: boolean;
}

/** The process's stdout and stderr. */
export const processOutput: Output = {
  out: (text) => writeFully(process.stdout, text),
  note: (text) => writeFully(process.stderr, text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => writeFully(process.stderr, text),
  get errIsTTY() {
    return Boolean(process.stderr.isTTY);
  },
};

function writeFully(stream: NodeJS.WriteStream, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (error) => (error ? reject(error) : resolve())));
}

/** `data` as the JSON the API sent (two-space indented, one trailing newline). */
export function formatJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Prints `data` as JSON with `--json`, else as `human(data)`. */
export async function present<T>(output: Output, json: boolean, data: T, human: (data: T) => string): Promise<void> {
  await output.out(json ? formatJson(data) : human(data));
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right-aligned (numbers). */
  right?: boolean;
}

/** A plain-text table: a header line, then one line per row, columns two spaces apart. */
export function table<T>(columns: Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => (columns[i]!.right ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join("\n") + "\n";
}

/** `key: value` lines with the keys aligned. */
export function fields(entries: [string, string][]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${oneLine(value)}`).join("\n") + "\n";
}

/** Control characters (newlines in an agent's message, escapes in an id) cannot break a table's lines. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === "\n" ? "⏎" : "�"));
}
