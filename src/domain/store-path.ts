// Nix's own rules (libstore's StorePath): the hash part is 32 characters of Nix's base-32
// alphabet (no e, o, u, t), the name part 1–211 characters of [A-Za-z0-9+-._?=] and not
// starting with a dot.

/** The directory every store path lives in. */
export const STORE_DIR = "/nix/store";

/** Nix's base-32 alphabet. */
export const NIX_BASE32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

export const STORE_PATH_HASH_LENGTH = 32;

/** Nix refuses longer names (its MaxPathLen). */
export const STORE_PATH_NAME_MAX_LENGTH = 211;

/** Anchored pattern of a store path, as documented in the API schema. */
export const STORE_PATH_PATTERN = `^/nix/store/[${NIX_BASE32_ALPHABET}]{${STORE_PATH_HASH_LENGTH}}-[A-Za-z0-9+\\-_?=][A-Za-z0-9+\\-._?=]{0,${STORE_PATH_NAME_MAX_LENGTH - 1}}$`;

const STORE_PATH_REGEX = new RegExp(STORE_PATH_PATTERN);

/** Example path for documentation and tests. */
export const EXAMPLE_STORE_PATH = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";

/** A store path split into its parts. */
export interface StorePath {
  hash: string;
  name: string;
}

/** Splits a top-level store path (`/nix/store/<hash>-<name>`) into hash and name; null when it is not one. */
export function parseStorePath(path: string): StorePath | null {
  if (!STORE_PATH_REGEX.test(path)) return null;
  const base = path.slice(STORE_DIR.length + 1);
  return { hash: base.slice(0, STORE_PATH_HASH_LENGTH), name: base.slice(STORE_PATH_HASH_LENGTH + 1) };
}

/** True when `path` is a top-level store path (`/nix/store/<32 nix-base32 chars>-<name>`). */
export function isStorePath(path: string): boolean {
  return STORE_PATH_REGEX.test(path);
}
