/** @jsxImportSource hono/jsx */
import type { Schema } from "../../client/index.ts";
import { when } from "../../domain/format.ts";
import { Ago, Badge, StorePath, Table, Tags, MachineLink } from "../components.tsx";
import { Layout } from "../layout.tsx";
import type { View } from "../view.ts";

/** Machines on one page of `/ui/machines`. */
export const MACHINE_PAGE_SIZE = 50;

export const LIFECYCLE_CHOICES = ["pending", "provisioning", "active", "maintenance", "decommissioned"] as const;
export const STATE_CHOICES = ["ok", "error", "unknown"] as const;

/** The list's filters as the page's query string has them. */
export interface MachineFilters {
  tags: string[];
  lifecycle: string;
  state: string;
  cursor: string;
}

function Select(props: { name: string; label: string; value: string; choices: readonly string[] }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">any</option>
        {props.choices.map((choice) => (
          <option value={choice} selected={choice === props.value}>
            {choice}
          </option>
        ))}
      </select>
    </label>
  );
}

/** `/ui/machines`: one keyset page of `GET /api/v1/machines` with its filters. */
export function MachinesPage(props: {
  view: View;
  filters: MachineFilters;
  machines: Schema<"Machine">[];
  next: string | null;
}) {
  const { view, filters, machines, next } = props;
  const query = (cursor: string | null) => {
    const params = new URLSearchParams();
    if (filters.tags.length > 0) params.set("tag", filters.tags.join(","));
    if (filters.lifecycle) params.set("lifecycle", filters.lifecycle);
    if (filters.state) params.set("state", filters.state);
    if (cursor) params.set("cursor", cursor);
    const text = params.toString();
    return text ? `/ui/machines?${text}` : "/ui/machines";
  };
  return (
    <Layout view={view} section="machines" title="Machines">
      <h1>Machines</h1>
      <form class="panel filters" method="get" action="/ui/machines">
        <label>
          Tags
          <input name="tag" value={filters.tags.join(",")} placeholder="web,eu-west" />
        </label>
        <Select name="lifecycle" label="Lifecycle" value={filters.lifecycle} choices={LIFECYCLE_CHOICES} />
        <Select name="state" label="System state" value={filters.state} choices={STATE_CHOICES} />
        <button class="button" type="submit">
          Filter
        </button>
        <a class="button secondary" href="/ui/machines">
          Clear
        </a>
      </form>
      <Table
        head={["Machine", "Lifecycle", "State", "Last report", "Current", "Desired", "Agent", "Tags"]}
        empty="No machine matches these filters."
      >
        {machines.map((m) => (
          <tr>
            <td>
              <MachineLink id={m.machine_id} />
            </td>
            <td>
              <Badge state={m.lifecycle} />
            </td>
            <td>
              <Badge state={m.system_state} />
            </td>
            <td>
              <Ago at={m.last_report} now={view.now} never="never" />
            </td>
            <td>
              <StorePath path={m.current_generation} />
            </td>
            <td>
              {m.desired_generation && m.desired_generation === m.current_generation ? (
                <span class="muted" title={m.desired_generation}>
                  = current
                </span>
              ) : (
                <StorePath path={m.desired_generation} />
              )}
            </td>
            <td class="muted">{m.agent_version || "-"}</td>
            <td>
              <Tags tags={m.tags} />
            </td>
          </tr>
        ))}
      </Table>
      <div class="pager">
        <span>
          {machines.length > 0
            ? `${machines[0]!.machine_id} … ${machines.at(-1)!.machine_id} (${machines.length} on this page)`
            : ""}
        </span>
        <span>
          {filters.cursor ? <a href={query(null)}>« First page</a> : null}
          {filters.cursor && next ? " · " : null}
          {next ? <a href={query(next)}>Next page »</a> : null}
        </span>
      </div>
    </Layout>
  );
}

/** `/ui/machines/{id}`: `GET /api/v1/machines/{id}`. */
export function MachinePage({ view, machine }: { view: View; machine: Schema<"MachineDetail"> }) {
  const health = machine.latest_health_report;
  return (
    <Layout view={view} section="machines" title={machine.machine_id}>
      <h1>
        {machine.machine_id} <Badge state={machine.lifecycle} /> <Badge state={machine.system_state} />
      </h1>
      <div class="columns">
        <div class="panel">
          <dl class="facts">
            <dt>Current generation</dt>
            <dd class="mono">{machine.current_generation || "-"}</dd>
            <dt>Desired generation</dt>
            <dd class="mono">{machine.desired_generation ?? "-"}</dd>
            <dt>Last report</dt>
            <dd>
              <Ago at={machine.last_report} now={view.now} never="never" />
            </dd>
            <dt>Agent</dt>
            <dd>{machine.agent_version || "-"}</dd>
            <dt>Uptime</dt>
            <dd>{machine.uptime_seconds ? `${Math.floor(machine.uptime_seconds / 3600)} h` : "-"}</dd>
            <dt>Registered</dt>
            <dd>{when(machine.registered_at)}</dd>
            <dt>Tags</dt>
            <dd>{machine.tags.length > 0 ? <Tags tags={machine.tags} /> : <span class="muted">none</span>}</dd>
          </dl>
        </div>
        <div>
          <h2 class="section-head">
            Health checks{" "}
            {health ? (
              <span class="muted">
                {health.all_passed ? "all passed" : "failing"}, <Ago at={health.received_at} now={view.now} />
              </span>
            ) : null}
          </h2>
          <Table head={["Check", "Status", { label: "ms", num: true }, "Message"]} empty="No health report yet.">
            {(health?.results ?? []).map((r) => (
              <tr>
                <td>{r.check_name}</td>
                <td>
                  <Badge state={r.status === "pass" ? "ok" : "error"} label={r.status} />
                </td>
                <td class="num">{r.duration_ms}</td>
                <td class="wrap">{r.status === "fail" ? r.message : ""}</td>
              </tr>
            ))}
          </Table>
        </div>
      </div>
      <h2>Recent reports</h2>
      <Table head={["Received", "Result", "Generation", "Agent", "Message"]} empty="No report yet.">
        {machine.recent_reports.map((r) => (
          <tr>
            <td>
              <Ago at={r.received_at} now={view.now} />
            </td>
            <td>
              <Badge state={r.success ? "ok" : "error"} label={r.success ? "success" : "failed"} />
            </td>
            <td>
              <StorePath path={r.current_generation} />
            </td>
            <td class="muted">{r.agent_version ?? "-"}</td>
            <td class="wrap">{r.message}</td>
          </tr>
        ))}
      </Table>
    </Layout>
  );
}
