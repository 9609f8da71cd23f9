// Writes openapi.json from the route definitions (what GET /openapi.json serves).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { openApiDocument } from "../src/app.ts";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { silentLogger } from "../src/logger.ts";

const outputPath = join(import.meta.dir, "..", "openapi.json");

/** The OpenAPI document as committed: JSON formatted as prettier would, so prettier leaves it unchanged. */
export async function renderOpenApi(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-openapi-"));
  const store = await openStore(join(dir, "state.db"));
  try {
    const { app } = await createControlPlane({
      store,
      logger: silentLogger,
      config: { perMachineMetrics: true, reportRetentionHours: 24, maxReleaseBodyMib: 1 },
      mtls: false,
    });
    const text = JSON.stringify(openApiDocument(app));
    return await format(text, { ...(await resolveConfig(outputPath)), filepath: outputPath });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  writeFileSync(outputPath, await renderOpenApi());
  console.log("wrote openapi.json");
}
