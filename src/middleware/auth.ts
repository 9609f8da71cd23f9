import { createMiddleware } from "hono/factory";
import type { AppDeps, AppEnv, Role, RouteContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import { findKeyByHash, hashKey, isWellFormedKey, touchKey } from "../db/keys.ts";
import { errorLogFields } from "../db/unavailable.ts";

const RANK: Record<Role, number> = { readonly: 0, deploy: 1, admin: 2 };
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/**
 * Builds `requireRole(role)`: the API-key check of admin routes. No, unknown, revoked or
 * expired key → 401; a key below `role` → 403. Sets `actor` (`apikey:<name>`) and `role`.
 * `last_used_at` is written at most once a minute per key, off the request path.
 */
export function apiKeyAuth(deps: AppDeps): RouteContext["requireRole"] {
  const lastUsedWritten = new Map<string, number>();
  return (role) =>
    createMiddleware<AppEnv>(async function requireApiKey(c, next) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
      const rawKey = match[1]!;
      // Only keys of the issued shape are worth a database lookup.
      if (!isWellFormedKey(rawKey)) throw new ApiError("unauthorized", "malformed API key: expected nfk-<64 hex>");
      const key = await findKeyByHash(deps.store.db, hashKey(rawKey));
      const now = deps.now();
      if (!key) throw new ApiError("unauthorized", "unknown API key");
      if (key.revokedAt !== null) throw new ApiError("unauthorized", "API key has been revoked");
      if (key.expiresAt !== null && key.expiresAt <= now) throw new ApiError("unauthorized", "API key has expired");
      if (RANK[key.role] < RANK[role]) {
        throw new ApiError("forbidden", `API key ${key.name} has role ${key.role}; this call needs ${role}`);
      }
      c.set("actor", `apikey:${key.name}`);
      c.set("role", key.role);
      if (now - (lastUsedWritten.get(key.id) ?? 0) >= LAST_USED_WRITE_INTERVAL_MS) {
        lastUsedWritten.set(key.id, now);
        deps.store
          .write((tx) => touchKey(tx, key.id, now))
          .catch((error: unknown) => {
            deps.logger.warn("could not record key use", { key_id: key.id, ...errorLogFields(error) });
          });
      }
      await next();
    });
}

/**
 * Agent routes: with mTLS on, the client certificate's CN must be the machine id in the
 * path, so one machine's certificate cannot speak for another. Sets `actor` to `machine:<id>`.
 */
export function agentAuth(deps: AppDeps) {
  return createMiddleware<AppEnv>(async function requireMachineCertificate(c, next) {
    const machineId = c.req.param("id") ?? "";
    if (deps.mtls) {
      const commonName = c.env?.peer?.commonName ?? null;
      if (commonName !== machineId) {
        throw new ApiError(
          "forbidden",
          commonName === null
            ? "client certificate has no common name"
            : `client certificate is for ${commonName}, not ${machineId}`,
        );
      }
    }
    c.set("actor", `machine:${machineId}`);
    await next();
  });
}
