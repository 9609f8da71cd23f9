import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouteContext } from "../context.ts";
import { recordAudit } from "../db/audit.ts";
import {
  countPermanentAdmins,
  findKeyById,
  generateRawKey,
  hashKey,
  insertFirstKey,
  insertKey,
  listKeys as listKeyRows,
  newKeyId,
  revokeKey as revokeKeyRow,
  type ApiKeyRow,
} from "../db/keys.ts";
import { creationLockOut, revocationLockOut } from "../domain/keys.ts";
import { toTimestamp } from "../domain/time.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import { bearerSecurity, errorResponses, jsonResponse, pathId, Timestamp } from "./common.ts";

const KeyRole = z.enum(["admin", "deploy", "readonly"]).openapi("KeyRole", {
  description: "readonly: every GET; deploy: readonly + releases, rollouts, notify-deploy; admin: everything",
});

// The name becomes the audit actor `apikey:<name>`; control characters (C0, DEL and C1) have no place there.
const keyNameText = () =>
  z
    .string()
    .max(64, "name must be at most 64 characters")
    .regex(/^[^\p{Cc}]*$/u, "name must not contain control characters");

export const KeyName = keyNameText().min(1, "name must not be empty").openapi({ example: "ci-deployer" });

const RawKey = z.string().openapi({
  description: "The secret, shown only in this response",
  example: "nfk-3f9a0c4e1b7d2a6f8e5c9b0d1a2f3e4c5b6a7d8e9f0a1b2c3d4e5f6a7b8c9d0e",
});

// v0.1 names the bootstrap key `admin` when the name is empty, absent or null.
const BootstrapRequest = z
  .object({
    name: keyNameText()
      .nullish()
      .openapi({ description: "Defaults to `admin` (also when empty or null)", example: "admin" }),
  })
  .openapi("BootstrapRequest");

const BootstrapResult = z
  .object({ key: RawKey, name: z.string().openapi({ example: "admin" }), role: z.literal("admin") })
  .openapi("BootstrapResult");

const CreateApiKeyRequest = z
  .object({
    name: KeyName,
    role: KeyRole,
    expires_at: z.iso
      .datetime({ offset: true, message: "expires_at must be an RFC 3339 timestamp" })
      .nullable()
      .optional()
      .openapi({
        description:
          "When the key stops working; must be in the future. Absent or null: never. An expiring admin key is refused (409) while no admin key that never expires exists",
      }),
  })
  .openapi("CreateApiKeyRequest");

const ApiKey = z
  .object({
    id: z.string().openapi({ example: "key-0b7e6f5c-2d1a-4c3b-9e8f-7a6b5c4d3e2f" }),
    name: z.string(),
    role: KeyRole,
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable().openapi({ description: "Updated at most once a minute" }),
  })
  .openapi("ApiKey");

const CreatedApiKey = z
  .object({
    id: z.string(),
    key: RawKey,
    name: z.string(),
    role: KeyRole,
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
  })
  .openapi("CreatedApiKey");

const KeyIdParams = z.object({ id: pathId("id", "key-0b7e6f5c-2d1a-4c3b-9e8f-7a6b5c4d3e2f") });

export const bootstrapKey = createRoute({
  method: "post",
  path: "/api/v1/keys/bootstrap",
  operationId: "bootstrapKey",
  tags: ["keys"],
  summary: "Create the first admin key; only while no key exists",
  description:
    "Needs no API key (with `--client-ca` the client certificate is still required). The body may be absent.",
  security: [],
  request: {
    body: {
      required: false,
      content: { "application/json": { schema: BootstrapRequest, example: { name: "admin" } } },
    },
  },
  responses: {
    200: jsonResponse(BootstrapResult, "The admin key"),
    ...errorResponses(400, 409, 413),
  },
});

export const createKey = createRoute({
  method: "post",
  path: "/api/v1/keys",
  operationId: "createKey",
  tags: ["keys"],
  summary: "Create an API key",
  security: bearerSecurity,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: CreateApiKeyRequest,
          example: { name: "ci-deployer", role: "deploy", expires_at: "2027-01-01T00:00:00Z" },
        },
      },
    },
  },
  responses: {
    201: jsonResponse(CreatedApiKey, "The new key"),
    ...errorResponses(400, 401, 403, 409, 413),
  },
});

export const listKeys = createRoute({
  method: "get",
  path: "/api/v1/keys",
  operationId: "listKeys",
  tags: ["keys"],
  summary: "List API keys (without their secrets)",
  security: bearerSecurity,
  responses: {
    200: jsonResponse(z.array(ApiKey), "Every key, oldest first"),
    ...errorResponses(401, 403),
  },
});

export const revokeKey = createRoute({
  method: "delete",
  path: "/api/v1/keys/{id}",
  operationId: "revokeKey",
  tags: ["keys"],
  summary: "Revoke an API key; refused when no admin key that never expires would remain",
  security: bearerSecurity,
  request: { params: KeyIdParams },
  responses: {
    204: { description: "Revoked (or already revoked): the key is refused from now on" },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

function toApiKey(row: ApiKeyRow): z.infer<typeof ApiKey> {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    created_at: toTimestamp(row.createdAt),
    expires_at: toTimestamp(row.expiresAt),
    revoked_at: toTimestamp(row.revokedAt),
    last_used_at: toTimestamp(row.lastUsedAt),
  };
}

/** Registers bootstrap, create, list and revoke of API keys. */
export function registerKeyRoutes(app: OpenAPIHono<AppEnv>, { deps, requireRole }: RouteContext): void {
  app.openapi(bootstrapKey, async (c) => {
    const name = c.req.valid("json").name || "admin";
    const rawKey = generateRawKey();
    const id = newKeyId();
    const now = deps.now();
    const won = await deps.store.write(async (tx) => {
      const inserted = await insertFirstKey(tx, {
        id,
        name,
        role: "admin",
        keyHash: hashKey(rawKey),
        createdAt: now,
        expiresAt: null,
      });
      if (inserted) {
        await recordAudit(tx, now, {
          actor: "system:bootstrap",
          action: "bootstrap",
          target: id,
          detail: { name, role: "admin" },
        });
      }
      return inserted;
    });
    if (!won) throw conflict("API keys already exist; bootstrap only works on a server without keys");
    return c.json({ key: rawKey, name, role: "admin" as const }, 200);
  });

  app.openapi({ ...createKey, middleware: [requireRole("admin")] }, async (c) => {
    const body = c.req.valid("json");
    const now = deps.now();
    const expiresAt = body.expires_at == null ? null : Date.parse(body.expires_at);
    if (expiresAt !== null && expiresAt <= now) throw badRequest("expires_at must be in the future");
    const rawKey = generateRawKey();
    const row = await deps.store.write(async (tx) => {
      const lockOut = creationLockOut({ role: body.role, expiresAt }, await countPermanentAdmins(tx));
      if (lockOut !== null) throw conflict(lockOut);
      const inserted = await insertKey(tx, {
        id: newKeyId(),
        name: body.name,
        role: body.role,
        keyHash: hashKey(rawKey),
        createdAt: now,
        expiresAt,
      });
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "key.created",
        target: inserted.id,
        detail: { name: inserted.name, role: inserted.role, expires_at: toTimestamp(expiresAt) },
      });
      return inserted;
    });
    return c.json(
      {
        id: row.id,
        key: rawKey,
        name: row.name,
        role: row.role,
        created_at: toTimestamp(row.createdAt),
        expires_at: toTimestamp(row.expiresAt),
      },
      201,
    );
  });

  app.openapi({ ...listKeys, middleware: [requireRole("admin")] }, async (c) => {
    const rows = await listKeyRows(deps.store.db);
    return c.json(rows.map(toApiKey), 200);
  });

  app.openapi({ ...revokeKey, middleware: [requireRole("admin")] }, async (c) => {
    const { id } = c.req.valid("param");
    const now = deps.now();
    await deps.store.write(async (tx) => {
      const key = await findKeyById(tx, id);
      if (!key) throw notFound(`API key ${id} not found`);
      if (key.revokedAt !== null) return;
      const lockOut = revocationLockOut(key, await countPermanentAdmins(tx, id));
      if (lockOut !== null) throw conflict(lockOut);
      await revokeKeyRow(tx, id, now);
      await recordAudit(tx, now, {
        actor: c.get("actor"),
        action: "key.revoked",
        target: id,
        detail: { name: key.name, role: key.role },
      });
    });
    return c.body(null, 204);
  });
}
