import type { Schema } from "../../client/index.ts";
import { age, fields, shortStorePath, table, when } from "../output.ts";

type Machine = Schema<"Machine">;

/** `machines list`: one line per machine. */
export function machineTable(machines: Machine[]): string {
  return table(
    [
      { header: "MACHINE", value: (m) => m.machine_id },
      { header: "LIFECYCLE", value: (m) => m.lifecycle },
      { header: "STATE", value: (m) => m.system_state },
      { header: "SEEN", value: (m) => (m.seconds_since_last_report === null ? "never" : `${age(m.last_report)}`) },
      { header: "CURRENT", value: (m) => shortStorePath(m.current_generation) },
      { header: "DESIRED", value: (m) => desiredColumn(m) },
      { header: "TAGS", value: (m) => m.tags.join(",") },
    ],
    machines,
  );
}

function desiredColumn(m: Machine): string {
  if (!m.desired_generation) return "-";
  return m.desired_generation === m.current_generation ? "=" : shortStorePath(m.desired_generation);
}

/** `machines show`: the machine, its latest health checks and recent reports. */
export function machineDetail(m: Schema<"MachineDetail">): string {
  const parts = [
    fields([
      ["machine", m.machine_id],
      ["lifecycle", m.lifecycle],
      ["system state", m.system_state],
      ["tags", m.tags.join(", ") || "-"],
      ["current", m.current_generation || "-"],
      ["desired", m.desired_generation ?? "-"],
      ["agent", m.agent_version || "-"],
      ["uptime", m.uptime_seconds ? `${m.uptime_seconds}s` : "-"],
      ["last report", m.last_report ? `${when(m.last_report)} (${age(m.last_report)} ago)` : "never"],
      ["registered", when(m.registered_at)],
    ]),
  ];
  const health = m.latest_health_report;
  if (health) {
    parts.push(
      `\nhealth checks (${health.all_passed ? "all passed" : "failing"}, ${when(health.received_at)}):\n` +
        table(
          [
            { header: "CHECK", value: (r) => r.check_name },
            { header: "STATUS", value: (r) => r.status },
            { header: "MS", value: (r) => String(r.duration_ms), right: true },
            { header: "MESSAGE", value: (r) => (r.status === "fail" ? r.message : "") },
          ],
          health.results,
        ),
    );
  }
  if (m.recent_reports.length > 0) {
    parts.push(
      "\nrecent reports:\n" +
        table(
          [
            { header: "RECEIVED", value: (r) => when(r.received_at) },
            { header: "OK", value: (r) => (r.success ? "yes" : "no") },
            { header: "GENERATION", value: (r) => shortStorePath(r.current_generation) },
            { header: "MESSAGE", value: (r) => r.message },
          ],
          m.recent_reports,
        ),
    );
  }
  return parts.join("");
}

/** What a machine mutation answered, one line. */
export function machineLifecycleLine(body: Schema<"MachineLifecycle">): string {
  return `${body.machine_id}: ${body.lifecycle}\n`;
}

export function machineTagsLine(body: Schema<"MachineTags">): string {
  return `${body.machine_id}: ${body.tags.join(", ") || "(no tags)"}\n`;
}
