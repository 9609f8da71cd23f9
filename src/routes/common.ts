import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../context.ts";
import { WITHOUT_CONTROL_CHARACTERS, withoutNul } from "../domain/text.ts";
import { parseJsonInTurns } from "../event-loop.ts";

/** The body of every error response. */
export const ErrorSchema = z
  .object({ error: z.string().openapi({ example: "machine web-01 not found" }) })
  .openapi("Error");

const ERROR_DESCRIPTIONS = {
  400: "Malformed request: the message names the field",
  401: "Missing, unknown, revoked or expired API key",
  403: "The API key lacks the role, or the client certificate is for another machine",
  404: "Unknown resource",
  409: "Conflicts with the current state",
  413: "Request body over the limit: 1 MiB (release creation: --max-release-body-mib)",
} as const;

export type ErrorStatusCode = keyof typeof ERROR_DESCRIPTIONS;

/** A JSON media-type map of `schema`, for a route's request body or response `content`. */
export const jsonContent = <T>(schema: T) => ({ "application/json": { schema } });

/** A route response answered with JSON of `schema`. */
export const jsonResponse = <T>(schema: T, description: string) => ({ description, content: jsonContent(schema) });

/** A route's JSON request body of `schema` (required unless said otherwise). */
export const jsonBody = <T>(schema: T, required = true) => ({ required, content: jsonContent(schema) });

/** Declares the given error statuses with the shared Error schema, for a route's `responses`. */
export function errorResponses<S extends ErrorStatusCode>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, jsonResponse(ErrorSchema, ERROR_DESCRIPTIONS[status])]),
  ) as unknown as {
    [K in S]: { description: string; content: { "application/json": { schema: typeof ErrorSchema } } };
  };
}

export const CONTROL_CHARACTERS_REFUSED = "must not contain NUL or other control characters (U+0000–U+001F)";

/**
 * A string that names something (machine id, hostname, tag, platform, ...): one holding NUL or
 * another C0 control character is a 400 naming the field (SPEC §13): SQLite would cut text off
 * at a NUL on the way back (`a\0b` read as `a`), and a name is not a place for line breaks or
 * terminal escapes.
 */
export const identifier = (message = CONTROL_CHARACTERS_REFUSED) =>
  z.string().regex(WITHOUT_CONTROL_CHARACTERS, message);

/**
 * Agent free text (report message, health check name and message, agent version): never refused
 * for what it holds; each NUL becomes U+FFFD so nothing after it is lost (SPEC §13).
 */
export const agentText = (text: z.ZodString = z.string()) => text.transform(withoutNul);

/**
 * Path ids (machine, rollout, release, key): 1–128 characters without control characters,
 * anything else is a 400.
 */
export const pathId = (name: string, example: string) =>
  // The error names the parameter already ("id: must be …"), as for every other field.
  identifier(CONTROL_CHARACTERS_REFUSED)
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .openapi({ param: { name, in: "path" }, example });

export const MachineIdParams = z.object({ id: pathId("id", "web-01") });

/** RFC 3339 UTC timestamp as the API prints it. */
export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-27T10:00:00.000Z" });

/** Security requirement for routes that take an API key. */
export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * A `limit` query parameter: an integer (anything else is a 400), clamped to 1..`max`,
 * `whenAbsent` when the client leaves it out.
 */
export const clampedLimitQuery = <A>(max: number, whenAbsent: A, description: string, example: string) =>
  z
    .string()
    .regex(/^[+-]?\d+$/, "limit must be an integer")
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description, example })
    .transform((value) => (value === undefined ? whenAbsent : Math.min(max, Math.max(1, Number(value)))));

/** A query parameter that may repeat, each value one of `values`; absent is the empty list. */
export const repeatedEnum = <const V extends readonly [string, ...string[]]>(
  name: string,
  values: V,
  description: string,
) =>
  z
    .union([z.enum(values), z.array(z.enum(values))])
    .optional()
    .openapi({ param: { name, in: "query", style: "form", explode: true }, description, example: values[0] })
    .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]));

/** A `limit` query parameter with a default: `fallback` when absent. */
export const limitQuery = (fallback: number, max: number) =>
  clampedLimitQuery(
    max,
    fallback,
    `How many to return, ${fallback} by default; values outside 1–${max} are clamped`,
    String(fallback),
  );

/**
 * The request's JSON body as the validator middleware would read it (middleware/json-body.ts has
 * labelled every body JSON by then): no body at all is the empty object, unparseable JSON a 400.
 * For routes that validate in their handler (the hot report path, large release manifests);
 * `inTurns` parses a large body a piece per turn of the event loop (see parseJsonInTurns).
 */
export async function readJsonBody(c: Context<AppEnv>, options: { inTurns?: boolean } = {}): Promise<unknown> {
  if (c.req.raw.body === null) return {};
  try {
    return options.inTurns ? await parseJsonInTurns(await c.req.text()) : await c.req.json();
  } catch {
    throw new HTTPException(400, { message: "Malformed JSON in request body" });
  }
}
