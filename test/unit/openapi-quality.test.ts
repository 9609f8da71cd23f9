// The OpenAPI document is what other languages generate clients from: these checks walk every
// operation so a new route cannot quietly make the generated clients worse.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHarness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  example?: unknown;
}
interface Media {
  schema?: Schema;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}

const document = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "openapi.json"), "utf8")) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
};
const schemas = document.components.schemas;

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);

// Agents authenticate by client certificate; health and bootstrap are public. Everything else takes an API key.
const WITHOUT_API_KEY = [
  "GET /health",
  "POST /api/v1/keys/bootstrap",
  "GET /api/v1/machines/{id}/desired-generation",
  "POST /api/v1/machines/{id}/report",
];
// [compat] v0.1 agents read `/health`'s 503 as text.
const NON_JSON_ERRORS = ["GET /health 503"];
const VERBS =
  /^(list|get|create|update|delete|remove|register|report|replace|add|clear|notify|bootstrap|revoke|export|diff|resume|cancel|redeliver|pause|promote|abort|retry|skip)[A-Z]/;
const ERROR_REF = "#/components/schemas/Error";

const isBearer = (operation: Operation) => JSON.stringify(operation.security) === JSON.stringify([{ bearerAuth: [] }]);

/** The named schema a media type's schema refers to, directly or as array items. */
function namedSchema(schema: Schema | undefined): string | undefined {
  const ref = schema?.$ref ?? (schema?.type === "array" ? schema.items?.$ref : undefined);
  return ref?.replace("#/components/schemas/", "");
}

test("the document has operations to check", () => {
  expect(operations.length).toBeGreaterThan(25);
});

describe.each(operations)("$name", ({ name, operation }) => {
  test("operationId: present, a camelCase verb phrase", () => {
    expect(operation.operationId).toMatch(VERBS);
    expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
    expect(operation.tags?.length, "tags").toBeGreaterThan(0);
    expect(operation.summary, "summary").toBeTruthy();
  });

  test("security is declared: bearerAuth on API-key routes, [] on public and agent routes", () => {
    expect(operation.security, "security must be explicit").toBeDefined();
    if (WITHOUT_API_KEY.includes(name)) {
      expect(operation.security).toEqual([]);
    } else {
      expect(isBearer(operation), "API-key routes need security: bearerSecurity").toBe(true);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["401", "403"]));
    }
  });

  test("every 4xx/5xx response is the shared Error schema", () => {
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!/^[45]/.test(status) || NON_JSON_ERRORS.includes(`${name} ${status}`)) continue;
      expect(response.content?.["application/json"]?.schema?.$ref, `${status}`).toBe(ERROR_REF);
    }
  });

  test("path parameters declare the 400 for over-long ids", () => {
    if (!operation.parameters?.some((p) => p.in === "path")) return;
    expect(Object.keys(operation.responses)).toContain("400");
  });

  test("a JSON request body is a named schema with an example, and 400/413 are declared", () => {
    if (!operation.requestBody) return;
    const media = operation.requestBody.content["application/json"];
    expect(Object.keys(operation.requestBody.content)).toEqual(["application/json"]);
    const named = namedSchema(media?.schema);
    expect(named, "request body schema must be named").toBeDefined();
    expect(media?.example ?? schemas[named!]?.example, "request body example").toBeDefined();
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["400", "413"]));
  });

  test("JSON success responses are named schemas (or arrays of them)", () => {
    for (const [status, response] of Object.entries(operation.responses)) {
      const media = response.content?.["application/json"];
      if (!status.startsWith("2") || !media) continue;
      expect(namedSchema(media.schema), `${status} schema must be named`).toBeDefined();
    }
  });
});

test("operationIds are unique", () => {
  const ids = operations.map(({ operation }) => operation.operationId);
  expect(new Set(ids).size).toBe(ids.length);
});

test("the bearerAuth scheme is an HTTP bearer scheme", () => {
  expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
});

test("the resources have named schemas", () => {
  for (const name of [
    "Machine",
    "MachineDetail",
    "Release",
    "ReleaseEntry",
    "Rollout",
    "Batch",
    "AuditEvent",
    "ApiKey",
    "Error",
  ]) {
    expect(schemas[name], name).toBeDefined();
  }
});

test("[compat] enums are named and spelled as the SPEC says", () => {
  expect(schemas.Lifecycle?.enum).toEqual(["pending", "provisioning", "active", "maintenance", "decommissioned"]);
  expect(schemas.RolloutStrategy?.enum).toEqual(["canary", "staged", "all_at_once"]);
  expect(schemas.RolloutOnFailure?.enum).toEqual(["pause", "revert"]);
  // SPEC §14.4 adds scheduled and aborted (rollout) and soaking (batch) after v0.1's values.
  expect(schemas.RolloutStatus?.enum).toEqual([
    "created",
    "running",
    "paused",
    "completed",
    "failed",
    "cancelled",
    "scheduled",
    "aborted",
  ]);
  expect(schemas.BatchStatus?.enum).toEqual([
    "pending",
    "deploying",
    "waiting_health",
    "succeeded",
    "failed",
    "soaking",
  ]);
  expect(schemas.KeyRole?.enum).toEqual(["admin", "deploy", "readonly"]);
});

test("resources refer to the named enums", () => {
  const ref = (schema: string, property: string) => {
    const own = schemas[schema]?.properties?.[property];
    return own?.$ref;
  };
  expect(ref("Machine", "lifecycle")).toBe("#/components/schemas/Lifecycle");
  expect(ref("ApiKey", "role")).toBe("#/components/schemas/KeyRole");
  expect(ref("Rollout", "status")).toBe("#/components/schemas/RolloutStatus");
  expect(ref("Rollout", "strategy")).toBe("#/components/schemas/RolloutStrategy");
  expect(ref("Rollout", "on_failure")).toBe("#/components/schemas/RolloutOnFailure");
  expect(ref("Batch", "status")).toBe("#/components/schemas/BatchStatus");
});

// A `.nullable()` on a named zod schema can turn the component itself nullable, so every
// response using it would claim to be nullable too; `z.union([Named, z.null()])` avoids that.
test("no named schema admits null at its top level", () => {
  const nullable = Object.entries(schemas)
    .filter(([, schema]) => [schema.type].flat().includes("null") || schema.enum?.includes(null))
    .map(([name]) => name);
  expect(nullable).toEqual([]);
});

// Bodies are read as JSON whatever their content type, so no operation may declare a 415: the
// same body as text/plain gets the very answer it gets as application/json (on a twin database).
test("what the document declares is what the server does: a JSON body sent as text/plain is accepted", async () => {
  expect(operations.filter(({ operation }) => "415" in operation.responses).map(({ name }) => name)).toEqual([]);
  const twins = await Promise.all(
    ["application/json", "text/plain"].map(async (contentType) => {
      const h = await createHarness();
      return { h, contentType, key: await createTestKey(h, "admin") };
    }),
  );
  try {
    const withBody = operations.filter(({ operation }) => operation.requestBody);
    expect(withBody.length).toBeGreaterThan(5);
    const statuses = new Set<number>();
    for (const { name } of withBody) {
      const [method, path] = name.split(" ") as [string, string];
      const answers = [];
      for (const { h, contentType, key } of twins) {
        const response = await h.request(path.replace(/\{[^}]+\}/g, "web-01"), {
          method,
          key,
          headers: { "content-type": contentType },
          body: "{}",
        });
        // Success bodies hold fresh ids and keys; errors must match word for word.
        answers.push([name, response.status, response.ok ? "ok" : await response.text()]);
        statuses.add(response.status);
      }
      expect(answers[1]).toEqual(answers[0]!);
    }
    expect(statuses.has(415)).toBe(false);
    expect([...statuses].some((status) => status < 300)).toBe(true);
  } finally {
    await Promise.all(twins.map(({ h }) => h.close()));
  }
});

test("the store-path rule is stated on a release entry's store_path, and its pattern is the rule the server applies (SPEC §13)", async () => {
  const storePath = (
    schemas.ReleaseEntryInput as { properties: Record<string, Schema & { description?: string; pattern?: string }> }
  ).properties.store_path!;
  expect(storePath.description).toContain("/nix/store/");
  expect(storePath.description).toContain("32 characters of Nix's base-32 alphabet");
  expect(storePath.description).toContain("refused with 400");
  const pattern = new RegExp(storePath.pattern!);
  const h = await createHarness();
  try {
    const key = await createTestKey(h, "admin");
    for (const path of [
      "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11",
      "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11/bin",
      "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw-nixos-system-web-01-24.11",
      "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmwe-nixos-system-web-01-24.11",
      "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-.hidden",
      "nixos-system-web-01-24.11",
    ]) {
      const res = await h.request("/api/v1/releases", {
        key,
        json: { entries: [{ hostname: "web-01", store_path: path, platform: "x86_64-linux" }] },
      });
      expect([path, res.status]).toEqual([path, pattern.test(path) ? 201 : 400]);
    }
  } finally {
    await h.close();
  }
});
