import { expect, test } from "bun:test";
import { ManifestError, releaseRequestFrom } from "../../src/cli/manifest.ts";

const A = "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11";
const B = "/nix/store/1b9p07z77phvv2hf6gm9f28syp39f1ag-nixos-system-web-02-24.11";

test("the API's request body passes through; flags win over its release-wide fields", () => {
  const body = {
    flake_ref: "github:a/b",
    cache_url: "https://c",
    entries: [{ hostname: "web-01", store_path: A, platform: "aarch64-linux", tags: ["web"] }],
  };
  expect(releaseRequestFrom(JSON.stringify(body))).toEqual(body);
  expect(releaseRequestFrom(JSON.stringify(body), { flakeRef: "github:x/y", flakeRev: "abc" })).toEqual({
    ...body,
    flake_ref: "github:x/y",
    flake_rev: "abc",
  });
});

test("a bare entry list; entries without a platform take --platform", () => {
  const entries = [
    { hostname: "web-01", store_path: A },
    { hostname: "web-02", store_path: B, platform: "aarch64-linux" },
  ];
  expect(releaseRequestFrom(JSON.stringify(entries), { platform: "x86_64-linux" })).toEqual({
    entries: [
      { hostname: "web-01", store_path: A, platform: "x86_64-linux" },
      { hostname: "web-02", store_path: B, platform: "aarch64-linux" },
    ],
  });
});

test("`nix eval --json` output: hostname → store path, or → {store_path, platform, tags}", () => {
  expect(
    releaseRequestFrom(
      JSON.stringify({ "web-01": A, "web-02": { store_path: B, platform: "aarch64-linux", tags: ["eu"] } }),
      {
        platform: "x86_64-linux",
      },
    ),
  ).toEqual({
    entries: [
      { hostname: "web-01", store_path: A, platform: "x86_64-linux" },
      { hostname: "web-02", store_path: B, platform: "aarch64-linux", tags: ["eu"] },
    ],
  });
});

test("what cannot be a release is refused with a message naming the entry", () => {
  const refused = (text: string, platform?: string) => {
    try {
      releaseRequestFrom(text, { platform });
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };
  expect(refused("{not json")).toContain("not JSON");
  expect(refused(JSON.stringify({ "web-01": A }))).toBe(
    'web-01 has no platform: add "platform" to the manifest or pass --platform',
  );
  expect(refused(JSON.stringify({ "web-01": 3 }), "x86_64-linux")).toContain("web-01 must be an object");
  expect(refused(JSON.stringify([{ store_path: A }]), "x86_64-linux")).toBe("entry 0 has no hostname");
  expect(refused(JSON.stringify({ entries: {} }))).toContain("entries must be an array");
  expect(refused("[]")).toBe("the manifest has no entries");
  expect(refused('"text"')).toContain("object or an array");
});
