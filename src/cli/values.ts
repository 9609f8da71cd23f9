// Value parsers for options whose text the CLI checks before anything is sent: a bad value is a
// usage error (exit 2) naming the option, not a 400 from the server.
import { message, text as plainText, type NonEmptyString, type ValueParser } from "@optique/core";
import { parseQuantity } from "../domain/rollout-planning.ts";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from `600`, `90s`, `10m`, `2h` or `1d`, within `min`…`max`. */
export function seconds(
  options: { metavar?: NonEmptyString; min?: number; max?: number } = {},
): ValueParser<"sync", number> {
  const { metavar = "DURATION", min = 0, max = 365 * 86400 } = options;
  return {
    mode: "sync",
    metavar,
    placeholder: 0,
    parse(input) {
      const match = /^(\d{1,9})([smhd]?)$/.exec(input.trim());
      if (!match) return { success: false, error: message`${input} is not a duration (600, 90s, 10m, 2h, 1d)` };
      const value = Number(match[1]) * UNIT_SECONDS[match[2] || "s"]!;
      if (value < min || value > max) {
        return { success: false, error: message`${input} is not between ${String(min)} and ${String(max)} seconds` };
      }
      return { success: true, value };
    },
    format: (value) => String(value),
  };
}

/** A comma-separated list of durations (`--batch-soak 10m,1h`), each as `seconds` reads it. */
export function secondsList(): ValueParser<"sync", number[]> {
  const one = seconds();
  return {
    mode: "sync",
    metavar: "DURATIONS",
    placeholder: [],
    parse(input) {
      const values: number[] = [];
      for (const part of input.split(",")) {
        const parsed = one.parse(part);
        if (!parsed.success) return parsed;
        values.push(parsed.value);
      }
      return { success: true, value: values };
    },
    format: (value) => value.join(","),
  };
}

/** `N` machines or `p%` (what budgets, `max_in_flight` and thresholds take). */
export function quantity(metavar: NonEmptyString = "N|P%"): ValueParser<"sync", string> {
  return {
    mode: "sync",
    metavar,
    placeholder: "1",
    parse(input) {
      const text = input.trim();
      const parsed = parseQuantity(text);
      if (!parsed.ok) return { success: false, error: message`${plainText(parsed.error)}` };
      return { success: true, value: text };
    },
    format: (value) => value,
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** An RFC 3339 time with its offset, e.g. `2026-11-28T02:00:00+01:00`. */
export function timestamp(): ValueParser<"sync", string> {
  return {
    mode: "sync",
    metavar: "TIME",
    placeholder: "1970-01-01T00:00:00Z",
    parse(input) {
      if (!RFC3339.test(input) || Number.isNaN(Date.parse(input))) {
        return { success: false, error: message`${input} is not an RFC 3339 time (e.g. 2026-11-28T02:00:00+01:00)` };
      }
      return { success: true, value: input };
    },
    format: (value) => value,
  };
}
