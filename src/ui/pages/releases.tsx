/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { when } from "../../domain/format.ts";
import { Ago, StorePath, Table, Tags, MachineLink } from "../components.tsx";
import { Layout } from "../layout.tsx";
import type { View } from "../view.ts";

/** Entries a release page lists (a release may name 100 000 hosts). */
export const RELEASE_ENTRIES_SHOWN = 500;

/** `/ui/releases`: `GET /api/v1/releases`, newest first. */
export function ReleasesPage({ view, releases }: { view: View; releases: Schema<"Release">[] }) {
  return (
    <Layout view={view} section="releases" title="Releases">
      <h1>
        Releases <span class="sub">newest {releases.length}</span>
      </h1>
      <Table
        head={["Release", "Created", { label: "Hosts", num: true }, "Flake", "Revision", "By"]}
        empty="No release yet."
      >
        {releases.map((r) => (
          <tr>
            <td>
              <a class="mono" href={`/ui/releases/${encodeURIComponent(r.id)}`}>
                {r.id}
              </a>
            </td>
            <td>
              <Ago at={r.created_at} now={view.now} />
            </td>
            <td class="num">{r.host_count.toLocaleString("en-US")}</td>
            <td>{r.flake_ref ?? <span class="muted">-</span>}</td>
            <td class="mono">{r.flake_rev?.slice(0, 12) ?? "-"}</td>
            <td class="muted">{r.created_by}</td>
          </tr>
        ))}
      </Table>
    </Layout>
  );
}

/** `/ui/releases/{id}`: `GET /api/v1/releases/{id}`. */
export function ReleasePage({ view, release }: { view: View; release: Schema<"Release"> }) {
  const shown = release.entries.slice(0, RELEASE_ENTRIES_SHOWN);
  return (
    <Layout view={view} section="releases" title={release.id}>
      <h1>
        <span class="mono">{release.id}</span>{" "}
        <span class="sub">{release.host_count.toLocaleString("en-US")} hosts</span>
      </h1>
      <div class="panel">
        <dl class="facts">
          <dt>Created</dt>
          <dd>
            {when(release.created_at)} by {release.created_by}
          </dd>
          <dt>Flake</dt>
          <dd>{release.flake_ref ?? "-"}</dd>
          <dt>Revision</dt>
          <dd class="mono">{release.flake_rev ?? "-"}</dd>
          <dt>Binary cache</dt>
          <dd>{release.cache_url ?? "-"}</dd>
        </dl>
      </div>
      <h2>Entries</h2>
      <Table head={["Host", "Platform", "Store path", "Tags"]} empty="No entries.">
        {shown.map((e) => (
          <tr>
            <td>
              <MachineLink id={e.hostname} />
            </td>
            <td class="muted">{e.platform}</td>
            <td>
              <StorePath path={e.store_path} />
            </td>
            <td>
              <Tags tags={e.tags} />
            </td>
          </tr>
        ))}
      </Table>
      {release.entries.length > shown.length ? (
        <p class="note">
          The first {shown.length} of {release.entries.length.toLocaleString("en-US")} entries; the CLI's{" "}
          <code>releases show</code> lists them all.
        </p>
      ) : null}
    </Layout>
  );
}
