/** @jsxImportSource hono/jsx */
// Small pieces the pages share. Components are plain functions of the API's response types.
import type { Child } from "hono/jsx";
import { age, shortStorePath } from "../domain/format.ts";
import { countsLabel, totalOf, type StateCounts } from "../domain/rollout-progress.ts";
import type { View } from "./view.ts";

/** A state as a coloured pill; the state's name is also its CSS class (`label` replaces the text). */
export function Badge({ state, label, title }: { state: string; label?: string; title?: string }) {
  return (
    <span class={`badge ${state}`} title={title}>
      {label ?? state.replace(/_/g, " ")}
    </span>
  );
}

/** A machine's id as a link to its page. */
export function MachineLink({ id }: { id: string }) {
  return <a href={`/ui/machines/${encodeURIComponent(id)}`}>{id}</a>;
}

export function Tags({ tags }: { tags: string[] }) {
  return (
    <>
      {tags.map((tag) => (
        <span class="tag">{tag}</span>
      ))}
    </>
  );
}

/** A store path shortened, the whole path on hover. */
export function StorePath({ path }: { path: string | null | undefined }) {
  if (!path) return <span class="muted">-</span>;
  return (
    <span class="mono" title={path}>
      {shortStorePath(path)}
    </span>
  );
}

/** An RFC 3339 time as an age, the time itself on hover. */
export function Ago({ at, now, never = "-" }: { at: string | null | undefined; now: number; never?: string }) {
  if (!at) return <span class="muted">{never}</span>;
  return <time datetime={at} title={at}>{`${age(at, now)} ago`}</time>;
}

/**
 * A bar of a batch's or rollout's machines: healthy (green), unhealthy (red), deploying (blue),
 * waiting for a gate (amber), skipped or superseded (grey); the rest has not started. SVG geometry,
 * not a style attribute: the pages' policy allows no inline styles.
 */
export function Progress({ counts }: { counts: StateCounts }) {
  const total = totalOf(counts);
  const share = (n: number) => (total === 0 ? 0 : (1000 * n) / total);
  const segments: [string, number][] = [
    ["healthy", counts.healthy],
    ["unhealthy", counts.unhealthy],
    ["deploying", counts.deploying],
    ["waiting", counts.waiting],
    ["left", counts.skipped + counts.superseded],
  ];
  let x = 0;
  return (
    <svg class="progress" viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label={countsLabel(counts)}>
      {segments.map(([name, n]) => {
        const at = x;
        x += share(n);
        return n > 0 ? <rect class={name} x={at} y="0" height="10" width={share(n)} /> : null;
      })}
    </svg>
  );
}

/** `3/12 healthy, 1 unhealthy, 2 waiting (budget:db)`. */
export function ProgressLabel({ counts, reasons }: { counts: StateCounts; reasons?: [string, number][] }) {
  return <span class="progress-label">{countsLabel(counts, reasons)}</span>;
}

/** The session's CSRF token, in every form that posts. */
export function Csrf({ view }: { view: Pick<View, "csrf"> }) {
  return <input type="hidden" name="_csrf" value={view.csrf} />;
}

/** A button that posts to `action` (a verb); `fields` go along as hidden inputs. */
export function PostButton(props: {
  view: Pick<View, "csrf">;
  action: string;
  label: string;
  tone?: "primary" | "secondary" | "danger";
  fields?: Record<string, string>;
  title?: string;
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf view={props.view} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button class={`button ${props.tone ?? "secondary"}`} type="submit" title={props.title}>
        {props.label}
      </button>
    </form>
  );
}

/** A table with a header row; `empty` when there are no rows. */
export function Table(props: { head: (string | { label: string; num?: boolean })[]; empty: string; children?: Child }) {
  // One row arrives as itself, several as an array (of arrays, from `map`).
  const rows = ([props.children] as unknown[])
    .flat(3)
    .filter((row) => row !== null && row !== undefined && row !== false);
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.head.map((h) =>
              typeof h === "string" ? <th>{h}</th> : <th class={h.num ? "num" : undefined}>{h.label}</th>,
            )}
          </tr>
        </thead>
        <tbody>
          {rows.length > 0 ? (
            rows
          ) : (
            <tr>
              <td class="empty" colspan={props.head.length}>
                {props.empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
