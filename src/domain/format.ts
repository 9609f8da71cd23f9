// How people read times and store paths, for the CLI's tables and the dashboard alike.

/** Seconds as `45s`, `12m`, `3h`, `2d`. */
export function duration(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** How long ago an RFC 3339 time was, e.g. `45s`, `12m`, `3h`, `2d`; `-` for none. */
export function age(timestamp: string | null | undefined, now = Date.now()): string {
  if (!timestamp) return "-";
  return duration(Math.max(0, Math.round((now - Date.parse(timestamp)) / 1000)));
}

/** An RFC 3339 time shortened to the minute, `2026-11-27 10:00`; `-` for none. */
export function when(timestamp: string | null | undefined): string {
  return timestamp ? timestamp.slice(0, 16).replace("T", " ") : "-";
}

/** A store path as `0c3i5jw…-nixos-system-web-01` (where space is short); `-` for none. */
export function shortStorePath(path: string | null | undefined): string {
  if (!path) return "-";
  const match = /^\/nix\/store\/([0-9a-z]{32})-(.*)$/.exec(path);
  return match ? `${match[1]!.slice(0, 7)}…-${match[2]}` : path;
}

/**
 * An audit event's JSON detail as `batch_index=1 reason="error rate up"`: keys in the API's order,
 * text quoted only when it holds a space, quote or `=`; lists and objects as compact JSON; `-` when
 * empty. Text that is not a JSON object is shown as it is.
 */
export function eventDetail(detail: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return detail;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return detail;
  const pairs = Object.entries(parsed).map(([key, value]) => {
    const text =
      typeof value === "string"
        ? /[\s"=]/.test(value) || value === ""
          ? JSON.stringify(value)
          : value
        : JSON.stringify(value);
    return `${key}=${text}`;
  });
  return pairs.length === 0 ? "-" : pairs.join(" ");
}
