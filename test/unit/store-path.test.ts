import { describe, expect, test } from "bun:test";
import {
  EXAMPLE_STORE_PATH,
  NIX_BASE32_ALPHABET,
  STORE_PATH_NAME_MAX_LENGTH,
  isStorePath,
  parseStorePath,
} from "../../src/domain/store-path.ts";

const HASH = "0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9";
const path = (hash: string, name: string) => `/nix/store/${hash}-${name}`;

describe("isStorePath", () => {
  test("accepts real system and package paths", () => {
    expect(isStorePath(EXAMPLE_STORE_PATH)).toBe(true);
    expect(isStorePath(path(HASH, "nixos-system-web-01-24.11.20241201.abcdef0"))).toBe(true);
    expect(isStorePath(path(HASH, "hello-2.12.1"))).toBe(true);
    expect(isStorePath(path("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "a"))).toBe(true);
  });

  test("accepts every character Nix allows in a name", () => {
    expect(isStorePath(path(HASH, "A-Za-z0-9+-._?="))).toBe(true);
    expect(isStorePath(path(HASH, "-leading-dash"))).toBe(true);
    expect(isStorePath(path(HASH, "_x"))).toBe(true);
    expect(isStorePath(path(HASH, "x..y"))).toBe(true);
  });

  test("accepts every character of the nix-base32 alphabet in the hash", () => {
    expect(NIX_BASE32_ALPHABET).toHaveLength(32);
    expect(isStorePath(path(NIX_BASE32_ALPHABET, "x"))).toBe(true);
  });

  test.each(["e", "o", "u", "t", "A", "Z", "_", "-", "."])("refuses %p in the hash", (bad) => {
    expect(isStorePath(path(bad + HASH.slice(1), "x"))).toBe(false);
    expect(isStorePath(path(HASH.slice(0, 31) + bad, "x"))).toBe(false);
  });

  test("refuses a hash that is not exactly 32 characters", () => {
    expect(isStorePath(path(HASH.slice(1), "x"))).toBe(false);
    expect(isStorePath(path(HASH + "a", "x"))).toBe(false);
    expect(isStorePath(path("", "x"))).toBe(false);
  });

  test("refuses an empty name or a missing dash", () => {
    expect(isStorePath(path(HASH, ""))).toBe(false);
    expect(isStorePath(`/nix/store/${HASH}`)).toBe(false);
    expect(isStorePath(`/nix/store/${HASH}_name`)).toBe(false);
  });

  test("refuses names starting with a dot, including . and ..", () => {
    expect(isStorePath(path(HASH, "."))).toBe(false);
    expect(isStorePath(path(HASH, ".."))).toBe(false);
    expect(isStorePath(path(HASH, ".hidden"))).toBe(false);
  });

  test.each([" ", "/", "\\", "@", "!", "#", "$", "%", "&", "*", ",", ":", ";", "~", "é", "\n", "\0"])(
    "refuses %p in the name",
    (bad) => {
      expect(isStorePath(path(HASH, `a${bad}b`))).toBe(false);
    },
  );

  test("refuses anything below or beside a store path", () => {
    expect(isStorePath(`${path(HASH, "x")}/bin/sh`)).toBe(false);
    expect(isStorePath(`${path(HASH, "x")}/`)).toBe(false);
    expect(isStorePath(`${path(HASH, "x")}\n`)).toBe(false);
    expect(isStorePath(` ${path(HASH, "x")}`)).toBe(false);
    expect(isStorePath(`/nix/store//${HASH}-x`)).toBe(false);
    expect(isStorePath(`/nix/var/${HASH}-x`)).toBe(false);
    expect(isStorePath(`nix/store/${HASH}-x`)).toBe(false);
    expect(isStorePath(`/gnu/store/${HASH}-x`)).toBe(false);
    expect(isStorePath("")).toBe(false);
  });

  test("limits the name to Nix's 211 characters", () => {
    expect(isStorePath(path(HASH, "x".repeat(STORE_PATH_NAME_MAX_LENGTH)))).toBe(true);
    expect(isStorePath(path(HASH, "x".repeat(STORE_PATH_NAME_MAX_LENGTH + 1)))).toBe(false);
  });
});

describe("parseStorePath", () => {
  test("splits hash and name at the first dash", () => {
    expect(parseStorePath(path(HASH, "nixos-system-web-01"))).toEqual({ hash: HASH, name: "nixos-system-web-01" });
  });

  test("returns null for anything that is not a store path", () => {
    expect(parseStorePath(`${path(HASH, "x")}/bin`)).toBeNull();
    expect(parseStorePath("/nix/store/not-a-hash")).toBeNull();
  });
});
