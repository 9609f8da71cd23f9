import { expect, test } from "bun:test";
import { diffReleases } from "../../src/domain/release-diff.ts";

const entries = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([hostname, storePath]) => ({ hostname, storePath }));

test("classifies every hostname exactly once", () => {
  const a = entries({ web: "/p/web-1", db: "/p/db-1", old: "/p/old-1", cache: "/p/cache-1" });
  const b = entries({ web: "/p/web-2", db: "/p/db-1", fresh: "/p/fresh-1", cache: "/p/cache-2" });
  expect(diffReleases(a, b)).toEqual({
    added: ["fresh"],
    removed: ["old"],
    changed: [
      { hostname: "cache", oldStorePath: "/p/cache-1", newStorePath: "/p/cache-2" },
      { hostname: "web", oldStorePath: "/p/web-1", newStorePath: "/p/web-2" },
    ],
    unchanged: ["db"],
  });
});

test("sorts each list by code unit, whatever the input order", () => {
  const a = entries({ z: "1", b: "1", B: "1", a10: "1", a2: "1", m: "old", c: "old" });
  const b = entries({ y: "1", A: "1", a: "1", a10: "1", B: "1", a2: "1", b: "1", m: "new", c: "new" });
  const diff = diffReleases(a, b);
  expect(diff.added).toEqual(["A", "a", "y"]);
  expect(diff.removed).toEqual(["z"]);
  expect(diff.unchanged).toEqual(["B", "a10", "a2", "b"]);
  expect(diff.changed.map((c) => c.hostname)).toEqual(["c", "m"]);
});

test("a release diffed with itself is all unchanged", () => {
  const a = entries({ web: "/p/web", db: "/p/db" });
  expect(diffReleases(a, a)).toEqual({ added: [], removed: [], changed: [], unchanged: ["db", "web"] });
});

test("against an empty side everything is added or removed", () => {
  const a = entries({ web: "/p/web", db: "/p/db" });
  expect(diffReleases([], a)).toEqual({ added: ["db", "web"], removed: [], changed: [], unchanged: [] });
  expect(diffReleases(a, [])).toEqual({ added: [], removed: ["db", "web"], changed: [], unchanged: [] });
});
