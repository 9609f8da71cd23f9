import type { Schema } from "../../client/index.ts";
import { fields, shortStorePath, table, when } from "../output.ts";

type Release = Schema<"Release">;

/** `releases list`. */
export function releaseTable(releases: Release[]): string {
  return table(
    [
      { header: "RELEASE", value: (r) => r.id },
      { header: "CREATED", value: (r) => when(r.created_at) },
      { header: "HOSTS", value: (r) => String(r.host_count), right: true },
      { header: "FLAKE", value: (r) => [r.flake_ref, r.flake_rev?.slice(0, 12)].filter(Boolean).join(" @ ") || "-" },
      { header: "BY", value: (r) => r.created_by },
    ],
    releases,
  );
}

/** `releases show`: the release, then its entries. */
export function releaseDetail(r: Release): string {
  return (
    fields([
      ["release", r.id],
      ["created", `${when(r.created_at)} by ${r.created_by}`],
      ["flake", r.flake_ref ?? "-"],
      ["revision", r.flake_rev ?? "-"],
      ["cache", r.cache_url ?? "-"],
      ["hosts", String(r.host_count)],
    ]) +
    "\n" +
    table(
      [
        { header: "HOST", value: (e) => e.hostname },
        { header: "PLATFORM", value: (e) => e.platform },
        { header: "STORE PATH", value: (e) => e.store_path },
        { header: "TAGS", value: (e) => e.tags.join(",") },
      ],
      r.entries,
    )
  );
}

/** `releases diff`: one line per host that differs, then the count of those that do not. */
export function releaseDiff(diff: Schema<"ReleaseDiff">): string {
  const lines = [
    ...diff.added.map((host) => `+ ${host}`),
    ...diff.removed.map((host) => `- ${host}`),
    ...diff.changed.map(
      (c) => `~ ${c.hostname}  ${shortStorePath(c.old_store_path)} → ${shortStorePath(c.new_store_path)}`,
    ),
  ];
  lines.push(
    `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged.length} unchanged`,
  );
  return `${lines.join("\n")}\n`;
}

export function createdReleaseLine(created: Schema<"CreatedRelease">): string {
  return `${created.id} (${created.host_count} hosts)\n`;
}
