// Writes openapi.json from the route definitions (what GET /openapi.json serves).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openApiDocument } from "../src/app.ts";
import { createControlPlane } from "../src/control-plane.ts";
import { openStore } from "../src/db/database.ts";
import { silentLogger } from "../src/logger.ts";

/** The OpenAPI document as committed: pretty JSON with a trailing newline. */
export async function renderOpenApi(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "nixfleet-openapi-"));
  const store = await openStore(join(dir, "state.db"));
  try {
    const { app } = await createControlPlane({
      store,
      logger: silentLogger,
      config: { perMachineMetrics: true, reportRetentionHours: 24 },
      mtls: false,
    });
    return `${JSON.stringify(openApiDocument(app), null, 2)}\n`;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  writeFileSync(join(import.meta.dir, "..", "openapi.json"), await renderOpenApi());
  console.log("wrote openapi.json");
}
