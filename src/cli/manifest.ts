// The release manifests `releases create` accepts (README, "CLI"). Pure: text in, request body out.
import type { Schema } from "../client/index.ts";

type CreateReleaseRequest = Schema<"CreateReleaseRequest">;
type Entry = CreateReleaseRequest["entries"][number];

/** A manifest the CLI cannot turn into a release; the message names the entry or field. */
export class ManifestError extends Error {
  override name = "ManifestError";
}

/** Release-wide values from flags; they win over the manifest's own. */
export interface ManifestDefaults {
  flakeRef?: string | undefined;
  flakeRev?: string | undefined;
  cacheUrl?: string | undefined;
  /** For entries that name no platform. */
  platform?: string | undefined;
}

/**
 * The `POST /api/v1/releases` body for a manifest, which is one of:
 * 1. the request body itself: `{"flake_ref"?, "flake_rev"?, "cache_url"?, "entries": [...]}`;
 * 2. the entries alone: `[{"hostname", "store_path", "platform"?, "tags"?}, ...]`;
 * 3. a map from hostname to its store path or to `{"store_path", "platform"?, "tags"?}`, which is what
 *    `nix eval --json` prints for an attribute set of NixOS configurations' toplevels.
 * An entry without a platform takes `defaults.platform`; without either it is refused.
 */
export function releaseRequestFrom(text: string, defaults: ManifestDefaults = {}): CreateReleaseRequest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`the manifest is not JSON: ${(error as Error).message}`);
  }
  let request: CreateReleaseRequest;
  if (Array.isArray(manifest)) {
    request = { entries: manifest.map((entry, i) => entryFrom(entry, `entry ${i}`, defaults)) };
  } else if (isObject(manifest) && "entries" in manifest) {
    if (!Array.isArray(manifest.entries)) throw new ManifestError("the manifest's entries must be an array");
    request = {
      ...optionalText(manifest, "flake_ref"),
      ...optionalText(manifest, "flake_rev"),
      ...optionalText(manifest, "cache_url"),
      entries: manifest.entries.map((entry, i) => entryFrom(entry, `entry ${i}`, defaults)),
    };
  } else if (isObject(manifest)) {
    request = {
      entries: Object.entries(manifest).map(([hostname, value]) =>
        entryFrom(
          typeof value === "string" ? { hostname, store_path: value } : { hostname, ...asObject(value, hostname) },
          hostname,
          defaults,
        ),
      ),
    };
  } else {
    throw new ManifestError("the manifest must be an object or an array");
  }
  if (request.entries.length === 0) throw new ManifestError("the manifest has no entries");
  if (defaults.flakeRef !== undefined) request.flake_ref = defaults.flakeRef;
  if (defaults.flakeRev !== undefined) request.flake_rev = defaults.flakeRev;
  if (defaults.cacheUrl !== undefined) request.cache_url = defaults.cacheUrl;
  return request;
}

function entryFrom(value: unknown, where: string, defaults: ManifestDefaults): Entry {
  const entry = asObject(value, where);
  const hostname = entry.hostname;
  if (typeof hostname !== "string") throw new ManifestError(`${where} has no hostname`);
  if (typeof entry.store_path !== "string") throw new ManifestError(`${hostname} has no store_path`);
  const platform = typeof entry.platform === "string" ? entry.platform : defaults.platform;
  if (platform === undefined) {
    throw new ManifestError(`${hostname} has no platform: add "platform" to the manifest or pass --platform`);
  }
  if (entry.tags !== undefined && entry.tags !== null && !Array.isArray(entry.tags)) {
    throw new ManifestError(`${hostname}: tags must be an array`);
  }
  return {
    hostname,
    store_path: entry.store_path,
    platform,
    ...(Array.isArray(entry.tags) ? { tags: entry.tags as string[] } : {}),
  };
}

function optionalText(manifest: Record<string, unknown>, field: "flake_ref" | "flake_rev" | "cache_url") {
  const value = manifest[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "string") throw new ManifestError(`the manifest's ${field} must be a string`);
  return { [field]: value };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new ManifestError(`${where} must be an object`);
  return value;
}
