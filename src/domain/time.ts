const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The instant an RFC 3339 timestamp names, in epoch milliseconds, or null when the text is not
 * one (agents send chrono's spelling: `Z` or an offset, up to nine fractional digits).
 */
export function parseRfc3339(text: string): number | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [month, day, hour, minute, second] = match.slice(2, 7).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Date.parse(text.replace(" ", "T"));
  return Number.isNaN(ms) ? null : ms;
}

/** An RFC 3339 timestamp re-spelled in UTC as the API prints timestamps (`…T10:00:00.000Z`). */
export function toUtcRfc3339(text: string): string | null {
  return toTimestamp(parseRfc3339(text));
}

/** Milliseconds since the epoch → RFC 3339 UTC as the API prints timestamps (null stays null). */
export function toTimestamp(ms: number): string;
export function toTimestamp(ms: number | null): string | null;
export function toTimestamp(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
