// `bun bench/report-input.ts`: what the agent report route costs in JavaScript before SQLite —
// reading the body, the text boundary (src/middleware/json-body.ts), validation and building a
// batch's statements — measured in-process so that the database and the network do not drown it.
// The store runs every statement of a batch against nothing (the batch's machines read as
// unknown), so each figure is the route's own work per report: this process's CPU time (user +
// system, steadier than wall time on a shared host) per report. Reports go in bursts of 64, as
// group commit sees them under load; the median of the rounds is printed.
import { parseArgs } from "node:util";
import { createHarness } from "../test/support/harness.ts";
import { reportBody } from "../test/support/machines.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    reports: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
  },
});
const perRound = Number(values.reports);
const rounds = Number(values.rounds);
const BURST = 64;

const HEALTH = {
  results: [
    { status: "pass", check_name: "nginx", duration_ms: 12 },
    { status: "pass", check_name: "postgresql", duration_ms: 30 },
    { status: "fail", check_name: "disk", duration_ms: 3, message: "/var is 91 % full" },
  ],
  all_passed: false,
  timestamp: "2026-11-27T10:00:05Z",
};

const SCENARIOS: { name: string; body: (id: string) => Record<string, unknown> }[] = [
  {
    name: "heartbeat with a three-check health report (the bench's report)",
    body: (id) => reportBody(id, { tags: ["web", "prod", "eu"], health: HEALTH }),
  },
  {
    name: "lone surrogates in the message and a tag",
    body: (id) => reportBody(id, { message: "bad \ud800 text", tags: ["web", "\udc00"], health: HEALTH }),
  },
];

const h = await createHarness();
// Every statement against nothing: the batch's read says no machine exists yet.
h.store.writeStatements = (fn) =>
  fn({
    run: async () => {},
    values: async <T extends unknown[]>() => [[JSON.stringify({ machines: [], lastReportId: 0 })]] as unknown as T[],
    recordAudit: async () => {},
  });

async function round(body: (id: string) => Record<string, unknown>): Promise<number> {
  const texts = Array.from({ length: BURST }, (_, i) => JSON.stringify(body(`web-${i}`)));
  const started = process.cpuUsage();
  for (let sent = 0; sent < perRound; sent += BURST) {
    const answers = await Promise.all(
      texts.map((text, i) =>
        h.controlPlane.app.request(`/api/v1/machines/web-${i}/report`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
          body: text,
        }),
      ),
    );
    for (const answer of answers)
      if (answer.status !== 200) throw new Error(`report answered ${answer.status}: ${await answer.text()}`);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / perRound;
}

console.log(`report route before SQLite, in-process, ${perRound} reports per round, median of ${rounds} rounds`);
console.log("| report | CPU µs per report (median) | min | max |");
console.log("|---|---:|---:|---:|");
for (const scenario of SCENARIOS) {
  await round(scenario.body);
  const figures: number[] = [];
  for (let i = 0; i < rounds; i++) figures.push(await round(scenario.body));
  figures.sort((a, b) => a - b);
  const median = figures[Math.floor(figures.length / 2)]!;
  console.log(
    `| ${scenario.name} | ${median.toFixed(1)} | ${figures[0]!.toFixed(1)} | ${figures.at(-1)!.toFixed(1)} |`,
  );
}
await h.close();
