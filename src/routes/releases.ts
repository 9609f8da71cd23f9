import { randomUUID } from "node:crypto";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import {
  deleteRelease,
  getRelease,
  insertRelease,
  listReleases,
  releaseExists,
  releaseHasRollouts,
  type ReleaseEntryRecord,
  type ReleaseRecord,
} from "../db/releases.ts";
import { diffReleases } from "../domain/release-diff.ts";
import { EXAMPLE_STORE_PATH, STORE_PATH_PATTERN, isStorePath } from "../domain/store-path.ts";
import { toTimestamp } from "../domain/time.ts";
import { badRequest, conflict, describeZodError, notFound } from "../errors.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import {
  bearerSecurity,
  CONTROL_CHARACTERS_REFUSED,
  errorResponses,
  identifier,
  jsonBody,
  jsonResponse,
  limitQuery,
  pathId,
  readJsonBody,
  Timestamp,
} from "./common.ts";

export const MAX_RELEASE_ENTRIES = 100_000;
/**
 * Entries checked per turn of the event loop when a release is created (a few milliseconds of
 * work): a 100 000-entry manifest is validated in chunks with agent polls answered in between.
 */
const ENTRIES_PER_TURN = 2000;
const LIST_DEFAULT_LIMIT = 20;
const LIST_MAX_LIMIT = 500;
const EXAMPLE_RELEASE_ID = "rel-6f1c2b4e-9a51-4c3e-8f4d-2a7b9c0d1e2f";

/** The store-path rule (SPEC §6, kept by §13), as the API documents it. */
const STORE_PATH_RULE =
  "A top-level Nix store path: `/nix/store/`, 32 characters of Nix's base-32 alphabet (`0-9a-z` without `e o u t`), `-`, and a name of 1–211 characters of `A-Z a-z 0-9 + - . _ ? =` not starting with `.` — what `nix build` prints. Anything else is refused with 400 naming the entry, so a typo or a truncated path is never deployed to a fleet.";

const Hostname = identifier()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .openapi({ example: "web-01" });

// Entry tags come from the fleet's flake, as the agents' do, and v0.1 never restricted them.
const Tag = identifier(`a tag ${CONTROL_CHARACTERS_REFUSED}`)
  .min(1, "a tag must not be empty")
  .max(128, "a tag is at most 128 characters")
  .openapi({ example: "prod" });

// A flake reference, a revision and a URL never hold control characters: refused, not altered.
const optionalText = (max: number, example: string) =>
  identifier()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => value ?? null)
    .openapi({ example });

const ReleaseEntryInput = z
  .object({
    hostname: Hostname,
    store_path: z
      .string()
      .max(1024, "must be at most 1024 characters")
      .openapi({ pattern: STORE_PATH_PATTERN, description: STORE_PATH_RULE, example: EXAMPLE_STORE_PATH }),
    platform: identifier()
      .min(1, "must not be empty")
      .max(64, "must be at most 64 characters")
      .openapi({ example: "x86_64-linux" }),
    tags: z
      .array(Tag)
      .nullish()
      .transform((tags) => tags ?? []),
  })
  .openapi("ReleaseEntryInput");

const entryList = <T extends z.ZodType>(entry: T) =>
  z.array(entry).min(1, "must not be empty").max(MAX_RELEASE_ENTRIES, `at most ${MAX_RELEASE_ENTRIES} entries`);

export const CreateReleaseRequest = z
  .object({
    flake_ref: optionalText(1024, "github:example/fleet"),
    flake_rev: optionalText(1024, "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
    cache_url: optionalText(2048, "https://cache.example.com"),
    entries: entryList(ReleaseEntryInput),
  })
  .openapi("CreateReleaseRequest", {
    example: {
      flake_ref: "github:example/fleet",
      flake_rev: "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
      cache_url: "https://cache.example.com",
      entries: [{ hostname: "web-01", store_path: EXAMPLE_STORE_PATH, platform: "x86_64-linux", tags: ["web"] }],
    },
  });

/** The request checked down to its list of entries, which are then checked a chunk at a time. */
const CreateReleaseOutline = CreateReleaseRequest.extend({ entries: entryList(z.unknown()) });

export const CreatedRelease = z
  .object({
    id: z.string().openapi({ example: EXAMPLE_RELEASE_ID }),
    host_count: z.number().int().openapi({ example: 1 }),
  })
  .openapi("CreatedRelease");

export const ReleaseEntry = z
  .object({
    hostname: z.string().openapi({ example: "web-01" }),
    store_path: z.string().openapi({ example: EXAMPLE_STORE_PATH }),
    platform: z.string().openapi({ example: "x86_64-linux" }),
    tags: z.array(z.string()).openapi({ example: ["web"] }),
  })
  .openapi("ReleaseEntry");

export const Release = z
  .object({
    id: z.string().openapi({ example: EXAMPLE_RELEASE_ID }),
    flake_ref: z.string().nullable().openapi({ example: "github:example/fleet" }),
    flake_rev: z.string().nullable().openapi({ example: "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39" }),
    cache_url: z.string().nullable().openapi({ example: "https://cache.example.com" }),
    host_count: z.number().int().openapi({ example: 1 }),
    entries: z.array(ReleaseEntry),
    created_at: Timestamp,
    created_by: z.string().openapi({ example: "apikey:ci" }),
  })
  .openapi("Release");

export const ReleaseDiff = z
  .object({
    added: z.array(z.string()).openapi({ description: "Hostnames only in the second release", example: ["web-03"] }),
    removed: z.array(z.string()).openapi({ description: "Hostnames only in the first release", example: ["web-00"] }),
    changed: z.array(
      z
        .object({
          hostname: z.string().openapi({ example: "web-01" }),
          old_store_path: z.string().openapi({ example: EXAMPLE_STORE_PATH }),
          new_store_path: z
            .string()
            .openapi({ example: "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-01-24.11" }),
        })
        .openapi("ReleaseDiffChange"),
    ),
    unchanged: z.array(z.string()).openapi({ example: ["db-01"] }),
  })
  .openapi("ReleaseDiff");

const ListReleasesQuery = z.object({
  limit: limitQuery(LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT),
  host: identifier()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .optional()
    .openapi({
      param: { name: "host", in: "query" },
      description: "Only releases with an entry for this hostname",
      example: "web-01",
    }),
});

const ReleaseIdParams = z.object({ id: pathId("id", EXAMPLE_RELEASE_ID) });
const ReleaseDiffParams = z.object({ a: pathId("a", EXAMPLE_RELEASE_ID), b: pathId("b", EXAMPLE_RELEASE_ID) });

export const createReleaseRoute = createRoute({
  method: "post",
  path: "/api/v1/releases",
  operationId: "createRelease",
  tags: ["releases"],
  summary: "Publish a release: an immutable manifest of host → Nix store path (deploy role)",
  security: bearerSecurity,
  request: { body: jsonBody(CreateReleaseRequest) },
  responses: {
    201: jsonResponse(CreatedRelease, "The release was created"),
    ...errorResponses(400, 401, 403, 413),
  },
});

export const listReleasesRoute = createRoute({
  method: "get",
  path: "/api/v1/releases",
  operationId: "listReleases",
  tags: ["releases"],
  summary: "Releases, newest first",
  security: bearerSecurity,
  request: { query: ListReleasesQuery },
  responses: {
    200: jsonResponse(z.array(Release), "The releases with their entries"),
    ...errorResponses(400, 401, 403),
  },
});

export const getReleaseRoute = createRoute({
  method: "get",
  path: "/api/v1/releases/{id}",
  operationId: "getRelease",
  tags: ["releases"],
  summary: "One release with its entries",
  security: bearerSecurity,
  request: { params: ReleaseIdParams },
  responses: {
    200: jsonResponse(Release, "The release"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const diffReleasesRoute = createRoute({
  method: "get",
  path: "/api/v1/releases/{a}/diff/{b}",
  operationId: "diffReleases",
  tags: ["releases"],
  summary: "What changes going from release `a` to release `b`, per hostname",
  security: bearerSecurity,
  request: { params: ReleaseDiffParams },
  responses: {
    200: jsonResponse(ReleaseDiff, "Hostnames added, removed, changed and unchanged, each sorted"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export const deleteReleaseRoute = createRoute({
  method: "delete",
  path: "/api/v1/releases/{id}",
  operationId: "deleteRelease",
  tags: ["releases"],
  summary: "Delete a release no rollout references (admin role)",
  security: bearerSecurity,
  request: { params: ReleaseIdParams },
  responses: {
    204: { description: "The release and its entries were deleted" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

function toReleaseResponse(release: ReleaseRecord): z.infer<typeof Release> {
  return {
    id: release.id,
    flake_ref: release.flakeRef,
    flake_rev: release.flakeRev,
    cache_url: release.cacheUrl,
    host_count: release.hostCount,
    entries: release.entries.map((entry) => ({
      hostname: entry.hostname,
      store_path: entry.storePath,
      platform: entry.platform,
      tags: entry.tags,
    })),
    created_at: toTimestamp(release.createdAt),
    created_by: release.createdBy,
  };
}

/**
 * The manifest's entries checked as the route's schema and the release rules say, in chunks that
 * yield to the event loop: every entry against the schema first, then duplicate hostnames and
 * store paths, so a 400 names the same entry and field as one validation of the whole body would.
 */
async function validEntries(raw: unknown[]): Promise<ReleaseEntryRecord[]> {
  const entries: ReleaseEntryRecord[] = [];
  for (let start = 0; start < raw.length; start += ENTRIES_PER_TURN) {
    if (start > 0) await yieldToEventLoop();
    for (let index = start; index < Math.min(start + ENTRIES_PER_TURN, raw.length); index++) {
      const parsed = ReleaseEntryInput.safeParse(raw[index]);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ["entries", index, ...issue.path] }));
        throw badRequest(describeZodError(new z.ZodError(issues), "json"));
      }
      const { hostname, store_path, platform, tags } = parsed.data;
      entries.push({ hostname, storePath: store_path, platform, tags });
    }
  }
  const seen = new Set<string>();
  for (let start = 0; start < entries.length; start += ENTRIES_PER_TURN) {
    await yieldToEventLoop();
    for (let index = start; index < Math.min(start + ENTRIES_PER_TURN, entries.length); index++) {
      const entry = entries[index]!;
      const host = JSON.stringify(entry.hostname);
      if (seen.has(entry.hostname)) throw badRequest(`entries.${index}.hostname: duplicate hostname ${host}`);
      seen.add(entry.hostname);
      if (!isStorePath(entry.storePath)) {
        throw badRequest(
          `entries.${index}.store_path: ${JSON.stringify(entry.storePath)} for host ${host} is not a Nix store path (/nix/store/<32 nix-base32 chars>-<name>)`,
        );
      }
    }
  }
  return entries;
}

/** Registers the release routes: create, list, get, diff, delete. */
export function registerReleaseRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  // Documented like every route, but validated in the handler: the validator middleware would
  // check a 100 000-entry manifest in one go, holding up every agent poll meanwhile.
  app.openAPIRegistry.registerPath(createReleaseRoute);
  app.post("/api/v1/releases", requireRole("deploy"), async (c) => {
    const outline = CreateReleaseOutline.safeParse(await readJsonBody(c, { inTurns: true }));
    if (!outline.success) throw badRequest(describeZodError(outline.error, "json"));
    const body = outline.data;
    const entries = await validEntries(body.entries);
    const id = `rel-${randomUUID()}`;
    const actor = c.get("actor");
    await deps.store.write(async (tx) => {
      const now = deps.now();
      await insertRelease(tx, {
        id,
        flakeRef: body.flake_ref,
        flakeRev: body.flake_rev,
        cacheUrl: body.cache_url,
        createdAt: now,
        createdBy: actor,
        entries,
      });
      await recordAudit(tx, now, {
        actor,
        action: "create_release",
        target: id,
        detail: { host_count: entries.length, flake_ref: body.flake_ref },
      });
    });
    return c.json({ id, host_count: entries.length }, 201);
  });

  app.openapi({ ...listReleasesRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const query = c.req.valid("query");
    const found = await listReleases(deps.store.db, { limit: query.limit, host: query.host });
    return c.json(found.map(toReleaseResponse), 200);
  });

  app.openapi({ ...getReleaseRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { id } = c.req.valid("param");
    const release = await getRelease(deps.store.db, id);
    if (!release) throw notFound(`release ${id} not found`);
    return c.json(toReleaseResponse(release), 200);
  });

  app.openapi({ ...diffReleasesRoute, middleware: [requireRole("readonly")] }, async (c) => {
    const { a, b } = c.req.valid("param");
    const [from, to] = await Promise.all([getRelease(deps.store.db, a), getRelease(deps.store.db, b)]);
    if (!from) throw notFound(`release ${a} not found`);
    if (!to) throw notFound(`release ${b} not found`);
    const diff = diffReleases(from.entries, to.entries);
    return c.json(
      {
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed.map((change) => ({
          hostname: change.hostname,
          old_store_path: change.oldStorePath,
          new_store_path: change.newStorePath,
        })),
        unchanged: diff.unchanged,
      },
      200,
    );
  });

  app.openapi({ ...deleteReleaseRoute, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const actor = c.get("actor");
    await deps.store.write(async (tx) => {
      if (!(await releaseExists(tx, id))) throw notFound(`release ${id} not found`);
      if (await releaseHasRollouts(tx, id)) throw conflict(`release ${id} is referenced by a rollout`);
      await deleteRelease(tx, id);
      await recordAudit(tx, deps.now(), { actor, action: "delete_release", target: id, detail: {} });
    });
    return c.body(null, 204);
  });
}
