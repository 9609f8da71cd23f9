// Bounded, seeded fuzzing of every mutating operation the OpenAPI document lists: malformed
// JSON, wrong types, unknown enum values, oversize strings and ids, bodies over 1 MiB and
// nested junk, all with an admin key. Invariants: never a 5xx, every error is `{"error": string}`,
// and `/health` still answers `ok` afterwards. Then hostile text (lone surrogates, NUL and other
// control characters) in every string field, path and query parameter of every route, after
// which everything the control plane shows must still be readable and well-formed (SPEC §13).
// New routes are covered as soon as they are registered.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_BODY_BYTES, openApiDocument } from "../../src/app.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

const SEED = 0x5eed_f1ee;
/** Roughly how many schema-guided bodies to send in total, spread over the operations. */
const MUTATION_BUDGET = 240;
const MUTATING_METHODS = ["post", "put", "patch", "delete"] as const;

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  example?: unknown;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
};

interface Operation {
  method: (typeof MUTATING_METHODS)[number] | "get";
  template: string;
  params: string[];
  query: string[];
  body: JsonSchema | undefined;
}

interface Case {
  label: string;
  path: string;
  body?: string | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  expectStatus?: number;
}

/** mulberry32: a tiny seeded PRNG, so a failure replays exactly. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // Lone surrogates are not text: encodeURIComponent and UTF-8 encoding refuse them.
  const nonSurrogate = (code: number) => (code >= 0xd800 && code <= 0xdfff ? code - 0x800 : code);
  const text = (length: number) => {
    let out = "";
    for (let i = 0; i < length; i++) {
      const kind = next();
      out +=
        kind < 0.7
          ? String.fromCharCode(int(0x20, 0x7e))
          : kind < 0.85
            ? String.fromCharCode(int(0, 0x1f))
            : String.fromCodePoint(nonSurrogate(int(0xa0, 0x1f64f)));
    }
    return out;
  };
  // Lone UTF-16 surrogates (JSON.stringify writes them as \uXXXX escapes), NUL, other C0
  // characters, DEL and astral characters, mixed with plain ones.
  const HOSTILE = ["\ud800", "\udbff", "\udc00", "\udfff", "\0", "\n", "\r", "\t", "\u001f", "\u007f", "😀", "a"];
  const hostile = (length: number) => Array.from({ length }, () => pick(HOSTILE)).join("");
  return { next, int, pick, text, hostile };
}

const random = prng(SEED);

// Already percent-encoded path segments: each goes into the URL as is.
const ODD_SEGMENTS = [
  "%00",
  "a%0Ab",
  "%1F",
  "%ED%A0%80",
  "x%ED%B0%80",
  "%2F",
  "%2e%2e",
  "..",
  "%",
  "%zz",
  "%C0%AF",
  "%FF%FE",
  "%E2%82%AC",
  "%F0%9F%92%A9",
  "a%20b",
  "%0D%0Aset-cookie:x",
  "%22%3E%3Cscript%3E",
  "%27%3B%20DROP%20TABLE%20machines%3B--",
  "__proto__",
  "constructor",
  "null",
  "web-01",
  "x".repeat(129),
  "y".repeat(4096),
  encodeURIComponent("é".repeat(129)),
];

function pathValue(): string {
  return random.next() < 0.6 ? random.pick(ODD_SEGMENTS) : encodeURIComponent(random.text(random.int(1, 40)));
}

function fillPath(op: Operation): string {
  return op.params.reduce((path, name) => path.replace(`{${name}}`, pathValue()), op.template);
}

function operationsOf(
  document: ReturnType<typeof openApiDocument>,
  methods: readonly Operation["method"][] = MUTATING_METHODS,
): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths ?? {})) {
    for (const method of methods) {
      const operation = (item as Record<string, unknown>)[method] as
        | {
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
            parameters?: { name: string; in: string }[];
          }
        | undefined;
      if (!operation) continue;
      operations.push({
        method,
        template,
        params: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
        body: operation.requestBody?.content?.["application/json"]?.schema,
      });
    }
  }
  return operations;
}

function resolver(document: ReturnType<typeof openApiDocument>) {
  const components = (document.components?.schemas ?? {}) as Record<string, JsonSchema>;
  return function resolve(schema: JsonSchema | undefined): JsonSchema {
    let current = schema ?? {};
    for (let hops = 0; current.$ref && hops < 10; hops++) {
      current = components[current.$ref.replace("#/components/schemas/", "")] ?? {};
    }
    return current;
  };
}

/**
 * A plausible value for `schema`, so that a single mutation is what makes the body wrong;
 * `exampleFirst` takes every example the document gives (valid bodies as far as it knows).
 */
function plausible(
  schema: JsonSchema,
  resolve: (s: JsonSchema) => JsonSchema,
  depth = 0,
  exampleFirst = false,
): unknown {
  const s = resolve(schema);
  if (s.example !== undefined && (exampleFirst || random.next() < 0.5)) return structuredClone(s.example);
  if (s.const !== undefined) return s.const;
  if (s.enum) return random.pick(s.enum);
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return plausible(random.pick(variants), resolve, depth + 1, exampleFirst);
  if (s.allOf) {
    return Object.assign({}, ...s.allOf.map((part) => plausible(part, resolve, depth + 1, exampleFirst)));
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (depth > 6) return null;
  switch (type) {
    case "object":
      return Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([name, prop]) => [
          name,
          plausible(prop, resolve, depth + 1, exampleFirst),
        ]),
      );
    case "array":
      return Array.from({ length: Math.max(s.minItems ?? 0, 1) }, () =>
        plausible(s.items ?? {}, resolve, depth + 1, exampleFirst),
      );
    case "integer":
      return s.minimum ?? 1;
    case "number":
      return s.minimum ?? 1.5;
    case "boolean":
      return true;
    case "string":
      if (s.format === "date-time") return "2031-01-01T00:00:00Z";
      return "a".repeat(Math.max(s.minLength ?? 1, 1));
    default:
      return "x";
  }
}

function nestedJunk(depth: number): unknown {
  let value: unknown = random.pick([null, 0, "", "deep", false, -1e308]);
  for (let i = 0; i < depth; i++) value = random.next() < 0.5 ? [value] : { [random.text(3)]: value };
  return value;
}

const WRONG_TYPES: unknown[] = [0, -1, 1.5, 1e308, "", "string", true, false, null, [], {}, [1, "a"], { a: 1 }];

/** One schema-guided bad body: a plausible body with exactly one thing wrong. */
function mutatedBody(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): { label: string; body: unknown } {
  const base = plausible(schema, resolve);
  const s = resolve(schema);
  const fields = Object.keys(s.properties ?? {});
  if (typeof base !== "object" || base === null || Array.isArray(base) || fields.length === 0) {
    return { label: "junk instead of the body", body: nestedJunk(random.int(1, 50)) };
  }
  const body = base as Record<string, unknown>;
  const field = random.pick(fields);
  const fieldSchema = resolve(s.properties![field]!);
  const strategy = random.int(0, 6);
  switch (strategy) {
    case 0:
      body[field] = random.pick(WRONG_TYPES);
      return { label: `${field}: wrong type`, body };
    case 1: {
      const enumField = fields.find((name) => resolve(s.properties![name]!).enum) ?? field;
      body[enumField] = `not-a-${enumField}-${random.text(4)}`;
      return { label: `${enumField}: unknown enum value`, body };
    }
    case 2:
      body[field] = random.pick(["a", "é", "\u0000", "=1+1"]).repeat(random.int(129, 200_000));
      return { label: `${field}: oversize string`, body };
    case 3:
      delete body[field];
      return { label: `${field}: missing`, body };
    case 4:
      body[field] = nestedJunk(random.int(20, 400));
      return { label: `${field}: nested junk`, body };
    case 5:
      if (fieldSchema.type === "array" || fieldSchema.items) {
        body[field] = Array.from({ length: random.int(100, 5000) }, () => random.pick(WRONG_TYPES.concat(["ok"])));
        return { label: `${field}: long array of junk`, body };
      }
      body[field] = random.text(random.int(0, 300));
      return { label: `${field}: random text`, body };
    default:
      return {
        label: "prototype keys and unknown fields",
        body: { ...body, __proto__: { admin: true }, constructor: { prototype: 1 }, [random.text(8)]: nestedJunk(5) },
      };
  }
}

const MALFORMED_JSON = ["{", '{"a":', "[1,2", '{"a":1,}', "nul", "'x'", '{"a": NaN}', "\u0000", "{}}", '{"a":"\\u12"}'];

function casesFor(op: Operation, resolve: (s: JsonSchema) => JsonSchema, mutations: number): Case[] {
  const json = { "content-type": "application/json" };
  const cases: Case[] = [];
  for (let i = 0; i < 3; i++) {
    cases.push({ label: "malformed JSON", path: fillPath(op), body: random.pick(MALFORMED_JSON), headers: json });
  }
  for (const top of ["null", "42", '"text"', "[]", "true", "1e400"]) {
    cases.push({ label: `top-level ${top}`, path: fillPath(op), body: top, headers: json });
  }
  cases.push({ label: "random bytes", path: fillPath(op), body: random.text(random.int(1, 2000)), headers: json });
  cases.push({
    label: "JSON as text/plain",
    path: fillPath(op),
    body: "{}",
    headers: { "content-type": "text/plain" },
  });
  cases.push({ label: "deep nesting", path: fillPath(op), body: JSON.stringify(nestedJunk(3000)), headers: json });
  const oversize = "x".repeat(MAX_BODY_BYTES + 1);
  cases.push({
    label: "body over 1 MiB",
    path: fillPath(op),
    body: oversize,
    headers: { ...json, "content-length": String(oversize.length) },
    expectStatus: 413,
  });
  cases.push({
    label: "body over 1 MiB, streamed without a length",
    path: fillPath(op),
    body: new Blob([`{"a":"${"y".repeat(MAX_BODY_BYTES)}"}`]).stream(),
    headers: json,
  });
  for (let i = 0; i < mutations; i++) {
    const { label, body } = op.body ? mutatedBody(op.body, resolve) : { label: "junk", body: nestedJunk(10) };
    cases.push({ label, path: fillPath(op), body: JSON.stringify(body), headers: json });
  }
  return cases;
}

let h: Harness;
let adminKey: string;
beforeAll(async () => {
  h = await createHarness();
  adminKey = await createTestKey(h, "admin", { name: "fuzzer" });
});
afterAll(() => h.close());

test("no mutating route answers bad input with a 5xx or a non-JSON error, and /health stays ok", async () => {
  const document = openApiDocument(h.controlPlane.app);
  const operations = operationsOf(document);
  const names = operations.map((op) => `${op.method.toUpperCase()} ${op.template}`);
  expect(names).toContain("POST /api/v1/keys/bootstrap");
  expect(names).toContain("DELETE /api/v1/keys/{id}");

  const resolve = resolver(document);
  const mutations = Math.min(40, Math.max(6, Math.floor(MUTATION_BUDGET / operations.length)));
  const failures: string[] = [];
  let sent = 0;
  for (const op of operations) {
    for (const c of casesFor(op, resolve, mutations)) {
      const where = `${op.method.toUpperCase()} ${c.path.slice(0, 160)} [${c.label}]`;
      const res = await h.request(c.path, {
        method: op.method.toUpperCase(),
        key: adminKey,
        headers: c.headers,
        body: c.body,
      });
      sent++;
      const text = await res.text();
      if (res.status >= 500) failures.push(`${where} → ${res.status} ${text.slice(0, 200)}`);
      if (c.expectStatus !== undefined && res.status !== c.expectStatus) {
        failures.push(`${where} → ${res.status}, expected ${c.expectStatus}`);
      }
      if (res.status >= 400) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const ok =
          res.headers.get("content-type")?.startsWith("application/json") &&
          typeof body === "object" &&
          body !== null &&
          Object.keys(body).join() === "error" &&
          typeof (body as { error: unknown }).error === "string";
        if (!ok) failures.push(`${where} → ${res.status} without a JSON {"error"} body: ${text.slice(0, 200)}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(sent).toBeGreaterThan(operations.length * 12);

  const health = await h.request("/health");
  expect(health.status).toBe(200);
  expect(await health.text()).toBe("ok");
}, 60_000);

type LeafPath = (string | number)[];

/** The paths of every string in `value`. */
function stringLeaves(value: unknown, at: LeafPath = []): LeafPath[] {
  if (typeof value === "string") return [at];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringLeaves(item, [...at, i]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, [...at, key]));
  }
  return [];
}

/** A copy of `value` with the string at `path` replaced. */
function withLeaf(value: unknown, path: LeafPath, leaf: string): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1)!] = leaf;
  return copy;
}

/** True when every string in `value`, keys included, is well-formed Unicode. */
function wellFormedDeep(value: unknown): boolean {
  if (typeof value === "string") return value.isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormedDeep);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).every(([key, item]) => key.isWellFormed() && wellFormedDeep(item));
  }
  return true;
}

/** Path parameter values that pass validation, so the hostile field is what a request is judged on. */
const GOOD_PARAMS: Record<string, string> = { id: "web-01", tag: "web", a: "rel-a", b: "rel-b" };

/** Percent-encoded hostile path or query values: control characters, and surrogates as UTF-8 bytes. */
function hostileSegment(): string {
  return random.next() < 0.3
    ? random.pick(["%00", "a%0Ab", "%1F", "%ED%A0%80", "x%ED%B0%80y", "%7F"])
    : encodeURIComponent(random.hostile(random.int(1, 12)).toWellFormed());
}

test("hostile text in every string field, path and query parameter: no 5xx, and every output stays well-formed", async () => {
  const document = openApiDocument(h.controlPlane.app);
  const resolve = resolver(document);
  const operations = operationsOf(document, [...MUTATING_METHODS, "get"]);
  const failures: string[] = [];
  const send = async (op: Operation, path: string, body: unknown, label: string) => {
    const res = await h.request(path, {
      method: op.method.toUpperCase(),
      key: adminKey,
      ...(body === undefined ? {} : { json: body }),
    });
    // An event stream that was accepted never ends by itself: its status is what is judged.
    if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text();
    if (res.status >= 500)
      failures.push(
        `${op.method.toUpperCase()} ${path.slice(0, 120)} [${label}] → ${res.status} ${text.slice(0, 200)}`,
      );
  };
  const goodPath = (op: Operation, overrides: Record<string, string> = {}) =>
    op.params.reduce(
      (path, name) => path.replace(`{${name}}`, overrides[name] ?? GOOD_PARAMS[name] ?? "x"),
      op.template,
    );

  // The agent must exist for its report body to be judged beyond the path.
  await h.request("/api/v1/machines/web-01/register", { key: adminKey, json: { tags: ["web"] } });
  let sent = 0;
  for (const op of operations) {
    const base = op.body ? plausible(op.body, resolve, 0, true) : undefined;
    for (const leaf of stringLeaves(base)) {
      for (let i = 0; i < 3; i++) {
        await send(op, goodPath(op), withLeaf(base, leaf, random.hostile(random.int(1, 24))), `body ${leaf.join(".")}`);
        sent++;
      }
    }
    for (const name of op.params) {
      for (let i = 0; i < 3; i++) {
        await send(op, goodPath(op, { [name]: hostileSegment() }), base, `path ${name}`);
        sent++;
      }
    }
    for (const name of op.query) {
      for (let i = 0; i < 3; i++) {
        await send(op, `${goodPath(op)}?${name}=${hostileSegment()}`, base, `query ${name}`);
        sent++;
      }
    }
  }
  expect(failures).toEqual([]);
  expect(sent).toBeGreaterThan(operations.length * 3);

  // Whatever was stored, every listing reads back as valid UTF-8 holding well-formed strings.
  const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
  const read = async (path: string) => {
    const res = await h.request(path, { key: adminKey });
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    const text = strictUtf8.decode(await res.arrayBuffer());
    if (res.headers.get("content-type")?.startsWith("application/json")) {
      expect({ path, wellFormed: wellFormedDeep(JSON.parse(text)) }).toEqual({ path, wellFormed: true });
    }
    return text;
  };
  const machines = JSON.parse(await read("/api/v1/machines")) as { machine_id: string }[];
  expect(machines.length).toBeGreaterThan(0);
  for (const { machine_id } of machines) await read(`/api/v1/machines/${encodeURIComponent(machine_id)}`);
  const releases = JSON.parse(await read("/api/v1/releases?limit=500")) as { id: string }[];
  for (const { id } of releases) await read(`/api/v1/releases/${id}`);
  for (const path of [
    "/api/v1/rollouts",
    "/api/v1/audit?limit=500",
    "/api/v1/audit/export",
    "/api/v1/keys",
    "/metrics",
  ]) {
    await read(path);
  }
  expect(await (await h.request("/health")).text()).toBe("ok");
}, 60_000);
