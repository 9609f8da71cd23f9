import { expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { renderMigrationsModule } from "../../scripts/embed-migrations.ts";

const root = join(import.meta.dir, "..", "..");

test("src/db/migrations.gen.ts embeds exactly the migrations in drizzle/ (run `bun scripts/embed-migrations.ts` if not)", async () => {
  const committed = readFileSync(join(root, "src/db/migrations.gen.ts"), "utf8");
  expect(committed, "src/db/migrations.gen.ts is stale: run `bun scripts/embed-migrations.ts`").toBe(
    await renderMigrationsModule(),
  );
});

test("drizzle/ is up to date with src/db/schema.ts (drizzle-kit finds no schema changes)", () => {
  // Generate against a copy so a stale schema cannot write into the real drizzle/ folder.
  const out = mkdtempSync(join(tmpdir(), "nixfleet-drizzle-"));
  try {
    cpSync(join(root, "drizzle"), out, { recursive: true });
    const before = readdirSync(out).sort();
    // drizzle-kit prefixes "./" to --out, so it must be relative to the working directory.
    const result = Bun.spawnSync(
      [
        "bun",
        "x",
        "drizzle-kit",
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "src/db/schema.ts",
        "--out",
        relative(root, out),
      ],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    const output = `${result.stdout.toString()}${result.stderr.toString()}`;
    expect(result.exitCode, output).toBe(0);
    expect(output, "schema.ts changed without a migration: see the README's db:generate").toContain(
      "No schema changes",
    );
    expect(readdirSync(out).sort()).toEqual(before);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
