import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileErrors, validate } from "@readme/openapi-parser";
import { renderOpenApi } from "../../scripts/openapi.ts";

const committedPath = join(import.meta.dir, "..", "..", "openapi.json");

test("the committed openapi.json is what the route definitions generate (run `bun run openapi` if not)", async () => {
  const generated = await renderOpenApi();
  const committed = readFileSync(committedPath, "utf8");
  if (committed !== generated) {
    // Compare parsed documents first so the diff points at the route, not at a line number.
    expect(JSON.parse(committed), "openapi.json is stale: run `bun run openapi` and commit it").toEqual(
      JSON.parse(generated),
    );
  }
  expect(committed, "openapi.json is stale: run `bun run openapi` and commit it").toBe(generated);
});

test("openapi.json is a valid OpenAPI 3.1 document", async () => {
  const document = JSON.parse(readFileSync(committedPath, "utf8"));
  expect(document.openapi).toBe("3.1.0");
  const result = await validate(document);
  if (!result.valid) throw new Error(`openapi.json is not valid OpenAPI 3.1:\n${compileErrors(result)}`);
  expect(result.specification).toBe("OpenAPI");
});

test("the validator really rejects a broken document", async () => {
  const document = JSON.parse(readFileSync(committedPath, "utf8"));
  document.paths["/health"].get.responses["200"] = { content: "not an object" };
  const result = await validate(document);
  expect(result.valid).toBe(false);
});
