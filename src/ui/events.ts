/**
 * An event stream with each event's `event:` line removed, so a browser's `EventSource` gets every
 * event as a plain message: it delivers named events only to listeners of that name, and a page
 * that re-renders on any change cannot list every action in advance. `id:` and `data:` lines,
 * comments and blank lines pass unchanged, so `Last-Event-ID` resumption still works.
 */
export function withoutEventNames(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  const keep = (lines: string[]) => lines.filter((line) => !line.startsWith("event:")).join("\n");
  return new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      if (lines.length > 0) controller.enqueue(encoder.encode(`${keep(lines)}\n`));
    },
    flush(controller) {
      pending += decoder.decode();
      if (pending !== "") controller.enqueue(encoder.encode(keep([pending])));
    },
  });
}
