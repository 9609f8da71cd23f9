// Scale paths against the running control plane: /metrics, listing every machine (whole and
// paginated), and creating a rollout over the whole fleet.
import { memoryOf } from "./processes.ts";
import type { SeededFleet } from "./seed.ts";

export interface ScaleFigures {
  metrics: { medianMs: number; maxMs: number; bytes: number; series: number } | null;
  listAll: { ms: number; machines: number; bytes: number; rssGrowthMiB: number } | null;
  listPaged: { ms: number; machines: number; pages: number; pageSize: number } | null;
  rolloutCreate: { ms: number; machines: number; batches: number; status: number } | null;
}

interface ScaleOptions {
  url: string;
  dbPath: string;
  fleet: SeededFleet;
  pid: number;
  log: (line: string) => void;
}

async function timed(request: () => Promise<Response>): Promise<{ ms: number; response: Response; body: string }> {
  const started = performance.now();
  const response = await request();
  const body = await response.text();
  return { ms: performance.now() - started, response, body };
}

const PAGE_SIZE = 1000;
const METRICS_SAMPLES = 5;

/** Measures every scale path; a route that is not there (404/405) leaves its figure null. */
export async function measureScalePaths(options: ScaleOptions): Promise<{ figures: ScaleFigures; lines: string[] }> {
  const { url, fleet, log } = options;
  const auth = { authorization: `Bearer ${fleet.adminKey}` };
  const figures: ScaleFigures = { metrics: null, listAll: null, listPaged: null, rolloutCreate: null };

  const samples: number[] = [];
  let last = { bytes: 0, series: 0 };
  for (let i = 0; i < METRICS_SAMPLES; i++) {
    const { ms, response, body } = await timed(() => fetch(`${url}/metrics`));
    if (response.status !== 200) break;
    samples.push(ms);
    last = { bytes: body.length, series: body.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length };
  }
  if (samples.length > 0) {
    samples.sort((a, b) => a - b);
    figures.metrics = { medianMs: samples[samples.length >> 1]!, maxMs: samples[samples.length - 1]!, ...last };
    log(`/metrics: ${figures.metrics.medianMs.toFixed(0)} ms, ${figures.metrics.series} series`);
  }

  const rssBefore = memoryOf(options.pid).rssMiB;
  const all = await timed(() => fetch(`${url}/api/v1/machines`, { headers: auth }));
  if (all.response.status === 200) {
    const machines = (JSON.parse(all.body) as unknown[]).length;
    figures.listAll = {
      ms: all.ms,
      machines,
      bytes: all.body.length,
      rssGrowthMiB: memoryOf(options.pid).rssMiB - rssBefore,
    };
    log(`GET /api/v1/machines: ${machines} machines in ${all.ms.toFixed(0)} ms`);
  }

  const pagedStart = performance.now();
  let pages = 0;
  let listed = 0;
  let next: string | null = `${url}/api/v1/machines?limit=${PAGE_SIZE}`;
  while (next !== null && pages <= fleet.machines / PAGE_SIZE + 1) {
    const response: Response = await fetch(next, { headers: auth });
    if (response.status !== 200) break;
    const page = (await response.json()) as unknown[];
    // A server without pagination answers the whole fleet at once: no paginated figure then.
    if (page.length > PAGE_SIZE) break;
    pages++;
    listed += page.length;
    const cursor = response.headers.get("x-next-cursor");
    next = cursor ? `${url}/api/v1/machines?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}` : null;
  }
  if (next === null && listed === fleet.machines) {
    figures.listPaged = { ms: performance.now() - pagedStart, machines: listed, pages, pageSize: PAGE_SIZE };
    log(`paginated listing: ${pages} pages in ${figures.listPaged.ms.toFixed(0)} ms`);
  }

  const create = await timed(() =>
    fetch(`${url}/api/v1/rollouts`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        release_id: fleet.releaseId,
        strategy: "staged",
        batch_sizes: ["1%", "10%", "100%"],
        failure_threshold: "5%",
        target: { tags: ["fleet:bench"] },
      }),
    }),
  );
  if (create.response.status === 201) {
    const body = JSON.parse(create.body) as { total_machines: number; batches: unknown[] };
    figures.rolloutCreate = {
      ms: create.ms,
      machines: body.total_machines,
      batches: body.batches.length,
      status: create.response.status,
    };
    log(`rollout over ${body.total_machines} machines created in ${create.ms.toFixed(0)} ms`);
  } else if (create.response.status !== 404 && create.response.status !== 405) {
    log(`rollout creation answered ${create.response.status}: ${create.body.slice(0, 200)}`);
  }

  const na = "— (route not available)";
  const lines = [
    "| scale path | value |",
    "|---|---:|",
    `| GET /metrics, ${fleet.machines} machines (median of ${METRICS_SAMPLES} / max) | ${
      figures.metrics
        ? `${figures.metrics.medianMs.toFixed(0)} / ${figures.metrics.maxMs.toFixed(0)} ms, ${figures.metrics.series} series, ${(figures.metrics.bytes / 2 ** 20).toFixed(1)} MiB`
        : na
    } |`,
    `| GET /api/v1/machines, all at once | ${
      figures.listAll
        ? `${figures.listAll.ms.toFixed(0)} ms, ${figures.listAll.machines} machines, ${(figures.listAll.bytes / 2 ** 20).toFixed(1)} MiB, RSS +${figures.listAll.rssGrowthMiB.toFixed(0)} MiB`
        : na
    } |`,
    `| GET /api/v1/machines, limit=${PAGE_SIZE} pages | ${
      figures.listPaged ? `${figures.listPaged.ms.toFixed(0)} ms for ${figures.listPaged.pages} pages` : na
    } |`,
    `| POST /api/v1/rollouts over the fleet | ${
      figures.rolloutCreate
        ? `${figures.rolloutCreate.ms.toFixed(0)} ms, ${figures.rolloutCreate.machines} machines, ${figures.rolloutCreate.batches} batches`
        : na
    } |`,
  ];
  return { figures, lines };
}
