/** @jsxImportSource hono/jsx */
// Small pieces the pages share. Components are plain functions of the API's response types.
import type { Child } from "hono/jsx";
import type { Schema } from "../client/index.ts";
import { age, shortStorePath } from "../domain/format.ts";

/** A state as a coloured pill; the state's name is also its CSS class (`label` replaces the text). */
export function Badge({ state, label, title }: { state: string; label?: string; title?: string }) {
  return (
    <span class={`badge ${state}`} title={title}>
      {label ?? state.replace(/_/g, " ")}
    </span>
  );
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

export interface Counts {
  healthy: number;
  unhealthy: number;
  pending: number;
}

/** How many machines are healthy, unhealthy and not decided yet, from a batch's `machine_health`. */
export function healthCounts(batches: Pick<Schema<"Batch">, "machine_health">[]): Counts {
  const counts = { healthy: 0, unhealthy: 0, pending: 0 };
  for (const batch of batches) {
    for (const health of Object.values(batch.machine_health)) {
      counts[typeof health === "object" ? "unhealthy" : health] += 1;
    }
  }
  return counts;
}

/**
 * A bar of healthy (green) and unhealthy (red) machines over the whole; the rest is still open.
 * SVG geometry, not a style attribute: the pages' policy allows no inline styles.
 */
export function Progress({ counts }: { counts: Counts }) {
  const total = counts.healthy + counts.unhealthy + counts.pending;
  const share = (n: number) => (total === 0 ? 0 : (1000 * n) / total);
  return (
    <svg
      class="progress"
      viewBox="0 0 1000 10"
      preserveAspectRatio="none"
      role="img"
      aria-label={`${counts.healthy} healthy, ${counts.unhealthy} unhealthy, ${counts.pending} pending of ${total}`}
    >
      <rect class="healthy" x="0" y="0" height="10" width={share(counts.healthy)} />
      <rect class="unhealthy" x={share(counts.healthy)} y="0" height="10" width={share(counts.unhealthy)} />
    </svg>
  );
}

export function ProgressLabel({ counts }: { counts: Counts }) {
  const total = counts.healthy + counts.unhealthy + counts.pending;
  return (
    <span class="progress-label">
      {counts.healthy}/{total} healthy
      {counts.unhealthy > 0 ? `, ${counts.unhealthy} unhealthy` : ""}
    </span>
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
