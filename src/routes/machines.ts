import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv, RouteContext } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import type { Db, Tx } from "../db/database.ts";
import {
  clearDesiredGeneration,
  findMachine,
  getMachineListing,
  latestHealthReport,
  listMachines,
  machineTagList,
  recentReports,
  replaceTags,
  setDesiredGeneration,
  setLifecycle,
  upsertRegistration,
  type MachineFilter,
  type MachineListing,
} from "../db/machines.ts";
import { canTransition, LIFECYCLES } from "../domain/lifecycle.ts";
import { normalizeTags, sameTags, secondsSince, SYSTEM_STATES, systemState, TAG_PATTERN } from "../domain/machines.ts";
import { capText, hasControlCharacter } from "../domain/text.ts";
import { parseRfc3339, toTimestamp, toUtcRfc3339 } from "../domain/time.ts";
import { badRequest, conflict, describeZodError, notFound } from "../errors.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import type { Logger } from "../logger.ts";
import { NOTHING_DESIRED_ETAG, type DesiredAnswer } from "../services/fleet-state.ts";
import { ReportIngest } from "../services/report-ingest.ts";
import {
  agentText,
  bearerSecurity,
  clampedLimitQuery,
  CONTROL_CHARACTERS_REFUSED,
  errorResponses,
  ErrorSchema,
  identifier,
  jsonBody,
  jsonContent,
  jsonResponse,
  MachineIdParams,
  pathId,
  readJsonBody,
  repeatedEnum,
  Timestamp,
} from "./common.ts";

/** How many of a machine's newest reports its detail view shows. */
export const RECENT_REPORTS = 10;

const MAX_TAGS = 256;

/** Longest `?wait=` of a desired-generation poll, in seconds. */
export const MAX_POLL_WAIT_SECONDS = 300;

const Lifecycle = z.enum(LIFECYCLES).openapi("Lifecycle");

const Tag = z
  .string()
  .regex(TAG_PATTERN, "a tag is 1-64 characters of letters, digits, '.', '_', ':' or '-'")
  .openapi({ example: "web" });

const TagList = z.array(Tag).max(MAX_TAGS, `at most ${MAX_TAGS} tags`);

// Agents send the tags of their NixOS configuration, which v0.1 never restricted: a report is
// not refused over a tag the admin routes would not accept, only over one no tag can be.
const AgentTag = identifier(`a tag ${CONTROL_CHARACTERS_REFUSED}`)
  .min(1, "a tag must not be empty")
  .max(128, "a tag is at most 128 characters");

const AgentTimestamp = z
  .string()
  .max(64)
  .refine((text) => parseRfc3339(text) !== null, "must be an RFC 3339 timestamp, e.g. 2026-11-27T10:00:00Z")
  .openapi({ description: "The agent's clock, RFC 3339", example: "2026-11-27T10:00:00Z" });

const MachineStatus = z
  .object({
    machine_id: z.string().openapi({ example: "web-01" }),
    current_generation: z.string().openapi({
      description: "Store path from the last report; empty before the first report",
      example: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05",
    }),
    desired_generation: z.string().nullable().openapi({ description: "Store path the machine should run" }),
    agent_version: z.string().openapi({ description: "Empty before the first report", example: "0.1.0" }),
    system_state: z.enum(SYSTEM_STATES).openapi({
      description:
        "ok: last report succeeded and its health checks (if any) passed; error: they did not; unknown: no report yet",
    }),
    uptime_seconds: z.int().openapi({ example: 86400 }),
    last_report: Timestamp.nullable(),
    lifecycle: Lifecycle,
    tags: z.array(z.string()),
    seconds_since_last_report: z.int().nullable(),
  })
  .openapi("Machine");

/** Characters of a health result's `check_name` or `message` that are stored; longer text is cut in the middle. */
export const HEALTH_TEXT_CAP = 16_384;
/** Characters of `agent_version` that are stored. */
const AGENT_VERSION_CAP = 128;

const cappedDescription = (cap: number) =>
  `Any length is accepted (NUL is stored as U+FFFD); longer than ${cap} characters, the first and last ${cap / 2} are stored around a marker \`[… N characters cut …]\``;

/** Agent text of any length, stored at most `cap` characters plus the truncation marker. */
const cappedAgentText = (cap: number) => agentText().transform((text) => capText(text, cap));

const HealthCheckResult = z
  .discriminatedUnion("status", [
    z.object({
      status: z.literal("pass"),
      check_name: cappedAgentText(HEALTH_TEXT_CAP).openapi({ description: cappedDescription(HEALTH_TEXT_CAP) }),
      duration_ms: z.int().nonnegative(),
    }),
    z.object({
      status: z.literal("fail"),
      check_name: cappedAgentText(HEALTH_TEXT_CAP).openapi({ description: cappedDescription(HEALTH_TEXT_CAP) }),
      duration_ms: z.int().nonnegative(),
      message: cappedAgentText(HEALTH_TEXT_CAP).openapi({ description: cappedDescription(HEALTH_TEXT_CAP) }),
    }),
  ])
  .openapi("HealthCheckResult");

// Unnamed: `.nullish()` on a named schema would make the component itself nullable.
const AgentHealthReport = z.object({
  results: z.array(HealthCheckResult),
  all_passed: z.boolean(),
  timestamp: AgentTimestamp,
});

const AgentReport = z
  .object({
    machine_id: identifier().min(1).max(128, "machine_id must be at most 128 characters"),
    current_generation: agentText(z.string().max(512, "current_generation must be at most 512 characters")),
    success: z.boolean(),
    message: agentText(z.string().max(4096, "message must be at most 4096 characters")),
    timestamp: AgentTimestamp,
    tags: z.array(AgentTag).max(MAX_TAGS, `at most ${MAX_TAGS} tags`).optional(),
    health: AgentHealthReport.nullish(),
    agent_version: cappedAgentText(AGENT_VERSION_CAP)
      .optional()
      .openapi({ description: cappedDescription(AGENT_VERSION_CAP) }),
    uptime_seconds: z.int().nonnegative().optional(),
  })
  .openapi("AgentReport", {
    example: {
      machine_id: "web-01",
      current_generation: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05",
      success: true,
      message: "switched",
      timestamp: "2026-11-27T10:00:00Z",
      tags: ["web", "prod"],
      health: {
        results: [{ status: "pass", check_name: "nginx", duration_ms: 12 }],
        all_passed: true,
        timestamp: "2026-11-27T10:00:05Z",
      },
      agent_version: "0.1.0",
      uptime_seconds: 86400,
    },
  });

const ReportAccepted = z
  .object({ machine_id: z.string(), lifecycle: Lifecycle })
  .openapi("ReportAccepted", { description: "The report is stored; the machine's lifecycle after it" });

const DesiredGeneration = z
  .object({
    hash: z.string().openapi({ description: "Store path to switch to" }),
    cache_url: z.string().nullable(),
    poll_hint: z.int().nullable().openapi({ description: "Seconds between polls; 5 during an active rollout" }),
  })
  .openapi("DesiredGeneration");

const StoredReport = z
  .object({
    current_generation: z.string(),
    success: z.boolean(),
    message: z.string(),
    timestamp: z.string().openapi({ description: "The agent's clock, as sent" }),
    received_at: Timestamp,
    agent_version: z.string().nullable(),
    uptime_seconds: z.int().nullable(),
  })
  .openapi("StoredReport");

const StoredHealthReport = z
  .object({
    all_passed: z.boolean(),
    results: z.array(HealthCheckResult),
    timestamp: z.string().openapi({ description: "The agent's clock, as sent" }),
    received_at: Timestamp,
  })
  .openapi("StoredHealthReport");

const MachineDetail = MachineStatus.extend({
  registered_at: Timestamp,
  latest_health_report: z.union([StoredHealthReport, z.null()]),
  recent_reports: z.array(StoredReport).openapi({ description: `The newest ${RECENT_REPORTS} reports, newest first` }),
}).openapi("MachineDetail");

const RegisterMachineRequest = z
  .object({
    lifecycle: Lifecycle.optional().openapi({ description: "Default active" }),
    tags: TagList.optional().openapi({ description: "When non-empty, replaces the machine's tags" }),
  })
  .openapi("RegisterMachineRequest", { example: { lifecycle: "pending", tags: ["web", "prod"] } });

const MachineLifecycleBody = z
  .object({ machine_id: z.string(), lifecycle: Lifecycle })
  .openapi("MachineLifecycle", { example: { machine_id: "web-01", lifecycle: "active" } });

const UpdateLifecycleRequest = z
  .object({ lifecycle: Lifecycle })
  .openapi("UpdateLifecycleRequest", { example: { lifecycle: "maintenance" } });

const TagsRequest = z.object({ tags: TagList }).openapi("TagsRequest", { example: { tags: ["web", "eu-west"] } });

const MachineTags = z
  .object({ machine_id: z.string(), tags: z.array(z.string()) })
  .openapi("MachineTags", { example: { machine_id: "web-01", tags: ["eu-west", "web"] } });

const NotifyDeployRequest = z
  .object({
    store_path: identifier()
      .min(1, "store_path must not be empty")
      .max(512, "store_path must be at most 512 characters")
      .openapi({ description: "Any store path (not checked beyond 1–512 characters without control characters)" }),
  })
  .openapi("NotifyDeployRequest", {
    example: { store_path: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-25.05" },
  });

const NotifyDeployResponse = z
  .object({ machine_id: z.string(), store_path: z.string() })
  .openapi("NotifyDeployResponse");

/** Largest page of `GET /api/v1/machines?limit=`. */
export const MACHINE_PAGE_MAX = 10_000;

/** Page cursors are the last id of the previous page, base64url-encoded so any id fits in a header. */
const encodeCursor = (machineId: string) => Buffer.from(machineId, "utf8").toString("base64url");

const ListMachinesQuery = z.object({
  limit: clampedLimitQuery(
    MACHINE_PAGE_MAX,
    undefined,
    `Page size; without it every machine is returned. Values outside 1–${MACHINE_PAGE_MAX} are clamped`,
    "1000",
  ),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "cursor must be the X-Next-Cursor value of the previous page")
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "The previous page's `X-Next-Cursor`" })
    .transform((value) => (value === undefined ? null : Buffer.from(value, "base64url").toString("utf8"))),
  tag: z
    .union([z.string(), z.array(z.string())])
    .refine((tags) => [tags].flat().every((tag) => !hasControlCharacter(tag)), CONTROL_CHARACTERS_REFUSED)
    .optional()
    .openapi({
      param: { name: "tag", in: "query", style: "form", explode: true },
      description: "Repeat to require several tags (AND)",
      example: "web",
    }),
  lifecycle: repeatedEnum("lifecycle", LIFECYCLES, "Only machines in this lifecycle state; repeat for any of several"),
  state: repeatedEnum("state", SYSTEM_STATES, "Only machines with this `system_state`; repeat for any of several"),
});

const MachineTagParams = z.object({
  id: pathId("id", "web-01"),
  tag: Tag.openapi({ param: { name: "tag", in: "path" }, example: "web" }),
});

export const getDesiredGeneration = createRoute({
  method: "get",
  path: "/api/v1/machines/{id}/desired-generation",
  operationId: "getDesiredGeneration",
  tags: ["agent"],
  security: [],
  summary: "What the machine should run (agent poll)",
  description:
    'Every answer carries an `ETag` (a digest of the body; the 404 has `"none"`). With `If-None-Match` naming the current one the answer is 304. With `?wait=` and `If-None-Match` the request is held until the answer changes (then 200, or 404 when the desired generation was cleared) or the wait ends (304). Without either the answer is v0.1\'s.',
  request: {
    params: MachineIdParams,
    query: z.object({
      wait: z
        .string()
        .optional()
        .openapi({
          param: { name: "wait", in: "query" },
          description: `With If-None-Match: hold the request up to this many seconds (0–${MAX_POLL_WAIT_SECONDS}) for the answer to change`,
          example: "60",
        }),
    }),
    headers: z.object({
      "if-none-match": z
        .string()
        .optional()
        .openapi({
          param: { name: "if-none-match", in: "header" },
          description: "The ETag of the answer the agent has",
          example: '"q3bnY0n0GmBqLJlqP2T8aA"',
        }),
    }),
  },
  responses: {
    200: {
      ...jsonResponse(DesiredGeneration, "The desired generation"),
      headers: z.object({ ETag: z.string().openapi({ description: "Digest of this body" }) }),
    },
    304: {
      description: "Unchanged since the If-None-Match ETag (after the wait, when one was asked)",
      headers: z.object({ ETag: z.string() }),
    },
    ...errorResponses(400, 403),
    404: {
      description: 'Nothing desired for this machine; `ETag: "none"`',
      content: jsonContent(ErrorSchema),
      headers: z.object({ ETag: z.string().openapi({ example: '"none"' }) }),
    },
  },
});

export const reportStatus = createRoute({
  method: "post",
  path: "/api/v1/machines/{id}/report",
  operationId: "reportStatus",
  tags: ["agent"],
  security: [],
  summary: "Agent status report; registers unknown machines",
  request: { params: MachineIdParams, body: jsonBody(AgentReport) },
  responses: {
    200: jsonResponse(ReportAccepted, "Stored"),
    ...errorResponses(400, 403, 413),
  },
});

export const listMachinesRoute = createRoute({
  method: "get",
  path: "/api/v1/machines",
  operationId: "listMachines",
  tags: ["machines"],
  summary: "List machines (optionally filtered by tags, lifecycle and system state), all at once or in pages",
  security: bearerSecurity,
  request: { query: ListMachinesQuery },
  responses: {
    200: {
      ...jsonResponse(z.array(MachineStatus), "Machines ordered by id"),
      headers: z.object({
        "X-Next-Cursor": z.string().optional().openapi({
          description: "With `limit`: present when more machines follow; pass it as `cursor` for the next page",
        }),
      }),
    },
    ...errorResponses(400, 401, 403),
  },
});

export const getMachineRoute = createRoute({
  method: "get",
  path: "/api/v1/machines/{id}",
  operationId: "getMachine",
  tags: ["machines"],
  summary: "One machine with its latest health report and recent reports",
  security: bearerSecurity,
  request: { params: MachineIdParams },
  responses: {
    200: jsonResponse(MachineDetail, "The machine"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const registerMachineRoute = createRoute({
  method: "post",
  path: "/api/v1/machines/{id}/register",
  operationId: "registerMachine",
  tags: ["machines"],
  summary: "Register a machine (or re-register: sets its lifecycle and tags)",
  security: bearerSecurity,
  request: {
    params: MachineIdParams,
    body: jsonBody(RegisterMachineRequest, false),
  },
  responses: {
    201: jsonResponse(MachineLifecycleBody, "Registered"),
    ...errorResponses(400, 401, 403, 413),
  },
});

export const updateLifecycleRoute = createRoute({
  method: "patch",
  path: "/api/v1/machines/{id}/lifecycle",
  operationId: "updateMachineLifecycle",
  tags: ["machines"],
  summary: "Move a machine to another lifecycle state (allowed transitions only)",
  security: bearerSecurity,
  request: { params: MachineIdParams, body: jsonBody(UpdateLifecycleRequest) },
  responses: {
    200: jsonResponse(MachineLifecycleBody, "Moved"),
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

export const replaceTagsRoute = createRoute({
  method: "put",
  path: "/api/v1/machines/{id}/tags",
  operationId: "replaceMachineTags",
  tags: ["machines"],
  summary: "Replace a machine's tags",
  security: bearerSecurity,
  request: { params: MachineIdParams, body: jsonBody(TagsRequest) },
  responses: {
    200: jsonResponse(MachineTags, "The machine's tags"),
    ...errorResponses(400, 401, 403, 404, 413),
  },
});

export const addTagsRoute = createRoute({
  method: "post",
  path: "/api/v1/machines/{id}/tags",
  operationId: "addMachineTags",
  tags: ["machines"],
  summary: "Add tags to a machine",
  security: bearerSecurity,
  request: { params: MachineIdParams, body: jsonBody(TagsRequest) },
  responses: {
    200: jsonResponse(MachineTags, "The machine's tags"),
    ...errorResponses(400, 401, 403, 404, 413),
  },
});

export const removeTagRoute = createRoute({
  method: "delete",
  path: "/api/v1/machines/{id}/tags/{tag}",
  operationId: "removeMachineTag",
  tags: ["machines"],
  summary: "Remove one tag from a machine (absent tags are fine)",
  security: bearerSecurity,
  request: { params: MachineTagParams },
  responses: {
    200: jsonResponse(MachineTags, "The machine's tags"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const clearDesiredGenerationRoute = createRoute({
  method: "delete",
  path: "/api/v1/machines/{id}/desired-generation",
  operationId: "clearDesiredGeneration",
  tags: ["machines"],
  summary: "Clear what the machine should run (its agent then gets 404)",
  security: bearerSecurity,
  request: { params: MachineIdParams },
  responses: {
    204: { description: "Cleared" },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const notifyDeployRoute = createRoute({
  method: "post",
  path: "/api/v1/machines/{id}/notify-deploy",
  operationId: "notifyDeploy",
  tags: ["machines"],
  summary: "Record an out-of-band deploy: sets the machine's desired generation",
  security: bearerSecurity,
  request: { params: MachineIdParams, body: jsonBody(NotifyDeployRequest) },
  responses: {
    200: jsonResponse(NotifyDeployResponse, "Desired generation set (an unknown machine is registered as active)"),
    ...errorResponses(400, 401, 403, 413),
  },
});

/** Machines read per query (a few milliseconds) when many are listed. */
const LISTING_PAGE_SIZE = 1000;

/**
 * Machines after `after` (or all), at most `max`, one page of the database per turn of the event
 * loop, so listing a whole fleet does not hold up agent polls.
 */
async function* listingPages(
  db: Db,
  filter: Omit<MachineFilter, "limit" | "after">,
  after: string | null,
  max = Infinity,
): AsyncGenerator<MachineListing[]> {
  for (let remaining = max; remaining > 0;) {
    const limit = Math.min(LISTING_PAGE_SIZE, remaining);
    const page = await listMachines(db, { ...filter, after, limit });
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    remaining -= page.length;
    after = page[page.length - 1]!.machineId;
    await yieldToEventLoop();
  }
}

/**
 * A JSON array response streamed page by page, so listing a 100 000-machine fleet never holds
 * the whole fleet (rows, objects and JSON text) in memory at once. A database failure after the
 * first bytes can only cut the stream short; it is logged.
 */
function streamJsonArray<T, U>(pages: AsyncGenerator<T[]>, render: (item: T) => U, logger: Logger): Response {
  const encoder = new TextEncoder();
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await pages.next();
        if (next.done) {
          controller.enqueue(encoder.encode(first ? "[]" : "]"));
          controller.close();
          return;
        }
        const items = JSON.stringify(next.value.map(render));
        controller.enqueue(encoder.encode(`${first ? "[" : ","}${items.slice(1, -1)}`));
        first = false;
      } catch (error) {
        logger.error("machine listing failed while streaming", { error: String(error) });
        controller.error(error);
      }
    },
    cancel() {
      void pages.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}

function toMachineStatus(m: MachineListing, now: number): z.infer<typeof MachineStatus> {
  return {
    machine_id: m.machineId,
    current_generation: m.currentGeneration ?? "",
    desired_generation: m.desiredGeneration,
    agent_version: m.agentVersion ?? "",
    system_state: systemState(m),
    uptime_seconds: m.uptimeSeconds ?? 0,
    // v0.1 shows the agent's own report time here; the age below is by the server's clock.
    last_report: m.lastReportTimestamp ?? toTimestamp(m.lastReportAt),
    lifecycle: m.lifecycle,
    tags: m.tags,
    seconds_since_last_report: secondsSince(m.lastReportAt, now),
  };
}

const machineNotFound = (machineId: string) => notFound(`machine ${machineId} not found`);

/** `?wait=` as whole seconds (absent = 0), or the 400 message naming the parameter. */
function parseWaitSeconds(value: string | undefined): number | string {
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,6}$/.test(value) || Number(value) > MAX_POLL_WAIT_SECONDS) {
    return `wait: must be whole seconds from 0 to ${MAX_POLL_WAIT_SECONDS}`;
  }
  return Number(value);
}

/** True when an `If-None-Match` value names `etag` (weak comparison, lists and `*` as RFC 9110 has them). */
function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === etag) return true;
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim();
    if (tag === "*") return etag !== NOTHING_DESIRED_ETAG;
    return (tag.startsWith("W/") ? tag.slice(2) : tag) === etag;
  });
}

/** The agent's answer: 200 with the desired generation, or v0.1's 404; both carry their ETag. */
function desiredResponse(c: Context<AppEnv>, id: string, answer: DesiredAnswer | null): Response {
  if (!answer) {
    return c.json({ error: `no desired generation for machine ${id}` }, 404, { ETag: NOTHING_DESIRED_ETAG });
  }
  return c.json(answer.body, 200, { ETag: answer.etag });
}

function notModified(c: Context<AppEnv>, answer: DesiredAnswer | null): Response {
  return c.body(null, 304, { ETag: answer?.etag ?? NOTHING_DESIRED_ETAG });
}

/** Registers the agent protocol and the machine admin routes. */
export function registerMachineRoutes(
  app: OpenAPIHono<AppEnv>,
  { deps, requireRole, requireMachine }: RouteContext,
): void {
  const ingest = new ReportIngest(deps);

  // The agent poll is most of the traffic: documented like every route, but its one parameter
  // is checked synchronously here instead of by the (async, costlier) validator middleware.
  app.openAPIRegistry.registerPath(getDesiredGeneration);
  app.get("/api/v1/machines/:id/desired-generation", requireMachine, (c) => {
    const params = MachineIdParams.safeParse({ id: c.req.param("id") });
    if (!params.success) return c.json({ error: describeZodError(params.error, "param") }, 400);
    const { id } = params.data;
    // v0.1 agents send no query string: only a URL with one is parsed for `wait`.
    let waitSeconds = 0;
    if (c.req.raw.url.includes("?")) {
      const wait = parseWaitSeconds(c.req.query("wait"));
      if (typeof wait === "string") return c.json({ error: wait }, 400);
      waitSeconds = wait;
    }
    const ifNoneMatch = c.req.header("if-none-match");
    const answer = deps.fleet.desiredAnswer(id);
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, answer?.etag ?? NOTHING_DESIRED_ETAG)) {
      return waitSeconds > 0 ? holdPoll(c, id, ifNoneMatch, waitSeconds * 1000) : notModified(c, answer);
    }
    return desiredResponse(c, id, answer);
  });

  /**
   * Holds a poll whose client already has the current answer until the answer changes or the
   * wait ends (304). A change back to what the client has (A → B → A) keeps it waiting.
   */
  const holdPoll = async (c: Context<AppEnv>, id: string, ifNoneMatch: string, waitMs: number) => {
    c.env?.keepOpen?.(c.req.raw);
    const deadline = performance.now() + waitMs;
    for (;;) {
      const outcome = await deps.heldPolls.hold(id, deadline - performance.now(), c.req.raw.signal);
      const answer = deps.fleet.desiredAnswer(id);
      if (!etagMatches(ifNoneMatch, answer?.etag ?? NOTHING_DESIRED_ETAG)) return desiredResponse(c, id, answer);
      if (outcome !== "changed" || performance.now() >= deadline) return notModified(c, answer);
    }
  };

  // Reports are the other hot agent route: the same checks as the validator middleware would
  // make (malformed JSON, the declared schemas), done in the handler with one synchronous parse.
  app.openAPIRegistry.registerPath(reportStatus);
  app.post("/api/v1/machines/:id/report", requireMachine, async (c) => {
    const params = MachineIdParams.safeParse({ id: c.req.param("id") });
    if (!params.success) return c.json({ error: describeZodError(params.error, "param") }, 400);
    const { id } = params.data;
    const parsed = AgentReport.safeParse(await readJsonBody(c));
    if (!parsed.success) return c.json({ error: describeZodError(parsed.error, "json") }, 400);
    const body = parsed.data;
    if (body.machine_id !== id) throw badRequest(`machine_id ${body.machine_id} does not match the path's ${id}`);
    const stored = await ingest.submit({
      machineId: id,
      currentGeneration: body.current_generation,
      success: body.success,
      message: body.message,
      agentTimestamp: body.timestamp,
      reportedAt: toUtcRfc3339(body.timestamp)!,
      tags: body.tags ?? [],
      health: body.health
        ? { results: body.health.results, allPassed: body.health.all_passed, agentTimestamp: body.health.timestamp }
        : null,
      agentVersion: body.agent_version ?? "",
      uptimeSeconds: body.uptime_seconds ?? 0,
    });
    return c.json({ machine_id: id, lifecycle: stored.lifecycle }, 200);
  });

  app.openapi({ ...listMachinesRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { tag, limit, cursor, lifecycle, state } = c.req.valid("query");
    const filter = {
      tags: tag === undefined ? [] : Array.isArray(tag) ? tag : [tag],
      lifecycles: lifecycle,
      states: state,
    };
    const now = deps.now();
    if (limit === undefined) {
      const pages = listingPages(deps.store.db, filter, cursor);
      // The same array c.json would send, streamed: the typed-response check cannot see into a stream.
      return streamJsonArray(pages, (m) => toMachineStatus(m, now), deps.logger) as never;
    }
    const machines: MachineListing[] = [];
    for await (const page of listingPages(deps.store.db, filter, cursor, limit + 1)) machines.push(...page);
    if (machines.length > limit) {
      machines.length = limit;
      c.header("X-Next-Cursor", encodeCursor(machines[limit - 1]!.machineId));
    }
    return c.json(
      machines.map((m) => toMachineStatus(m, now)),
      200,
    );
  });

  app.openapi({ ...getMachineRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { id } = c.req.valid("param");
    const machine = await getMachineListing(deps.store.db, id);
    if (!machine) throw machineNotFound(id);
    const [health, reports] = await Promise.all([
      latestHealthReport(deps.store.db, id),
      recentReports(deps.store.db, id, RECENT_REPORTS),
    ]);
    return c.json(
      {
        ...toMachineStatus(machine, deps.now()),
        registered_at: toTimestamp(machine.registeredAt),
        latest_health_report: health
          ? {
              all_passed: health.allPassed,
              results: JSON.parse(health.results) as z.infer<typeof HealthCheckResult>[],
              timestamp: health.agentTimestamp,
              received_at: toTimestamp(health.receivedAt),
            }
          : null,
        recent_reports: reports.map((r) => ({
          current_generation: r.currentGeneration,
          success: r.success,
          message: r.message,
          timestamp: r.agentTimestamp,
          received_at: toTimestamp(r.receivedAt),
          agent_version: r.agentVersion,
          uptime_seconds: r.uptimeSeconds,
        })),
      },
      200,
    );
  });

  app.openapi({ ...registerMachineRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const body = (c.req.valid("json") as z.infer<typeof RegisterMachineRequest> | undefined) ?? {};
    const lifecycle = body.lifecycle ?? "active";
    const tags = body.tags ?? [];
    const now = deps.now();
    const result = await deps.store.write(async (tx) => {
      const registered = await upsertRegistration(tx, id, lifecycle, now);
      if (tags.length > 0) await replaceTags(tx, id, tags);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "register",
        target: id,
        detail: { lifecycle, ...(tags.length > 0 ? { tags: normalizeTags(tags) } : {}), new: registered.created },
      });
      return registered;
    });
    deps.fleet.recordMachine(id, result.lifecycle);
    return c.json({ machine_id: id, lifecycle: result.lifecycle }, 201);
  });

  app.openapi({ ...updateLifecycleRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { lifecycle } = c.req.valid("json");
    const now = deps.now();
    await deps.store.write(async (tx) => {
      const machine = await findMachine(tx, id);
      if (!machine) throw machineNotFound(id);
      if (!canTransition(machine.lifecycle, lifecycle)) {
        throw conflict(`machine ${id} cannot go from ${machine.lifecycle} to ${lifecycle}`);
      }
      await setLifecycle(tx, id, lifecycle);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "update_lifecycle",
        target: id,
        detail: { from: machine.lifecycle, to: lifecycle },
      });
    });
    deps.fleet.recordMachine(id, lifecycle);
    return c.json({ machine_id: id, lifecycle }, 200);
  });

  /** Applies `change` to the machine's tags in one transaction with its audit event; 404 for unknown machines. */
  const updateTags = async (c: Context<AppEnv>, id: string, change: (before: string[]) => string[]) => {
    const now = deps.now();
    const tags = await deps.store.write(async (tx: Tx) => {
      if (!(await findMachine(tx, id))) throw machineNotFound(id);
      const before = await machineTagList(tx, id);
      const after = normalizeTags(change(before));
      if (!sameTags(before, after)) await replaceTags(tx, id, after);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "tags.updated",
        target: id,
        detail: { before, after },
      });
      return after;
    });
    return { machine_id: id, tags };
  };

  app.openapi({ ...replaceTagsRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { tags } = c.req.valid("json");
    return c.json(await updateTags(c, id, () => tags), 200);
  });

  app.openapi({ ...addTagsRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { tags } = c.req.valid("json");
    return c.json(await updateTags(c, id, (before) => [...before, ...tags]), 200);
  });

  app.openapi({ ...removeTagRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id, tag } = c.req.valid("param");
    return c.json(await updateTags(c, id, (before) => before.filter((t) => t !== tag)), 200);
  });

  app.openapi({ ...clearDesiredGenerationRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const now = deps.now();
    await deps.store.write(async (tx) => {
      if (!(await findMachine(tx, id))) throw machineNotFound(id);
      const previous = await clearDesiredGeneration(tx, id);
      await recordAudit(tx, now, { actor: c.get("actor"), action: "clear_desired", target: id, detail: { previous } });
    });
    deps.fleet.setDesired(id, null);
    return c.body(null, 204);
  });

  app.openapi({ ...notifyDeployRoute, middleware: [requireRole("deploy")] }, async (c) => {
    const { id } = c.req.valid("param");
    const { store_path } = c.req.valid("json");
    const actor = c.get("actor");
    const now = deps.now();
    // v0.1 accepts a deploy to a machine that has not reported yet (`nixfleet deploy --ssh`
    // runs before the agent does) and tracks it as active from then on; so do we.
    const registered = await deps.store.write(async (tx) => {
      const { created } = await upsertRegistration(tx, id, undefined, now);
      await setDesiredGeneration(tx, {
        machineId: id,
        storePath: store_path,
        cacheUrl: null,
        setAt: now,
        setBy: actor,
      });
      await recordAudit(tx, now, { actor, action: "notify_deploy", target: id, detail: { store_path } });
      return created;
    });
    if (registered) deps.fleet.recordMachine(id, "active");
    deps.fleet.setDesired(id, { storePath: store_path, cacheUrl: null });
    return c.json({ machine_id: id, store_path }, 200);
  });
}
