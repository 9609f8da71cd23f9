// Request bodies are read as JSON whatever their Content-Type says (src/middleware/json-body.ts):
// SPEC §2 promises a 400 for malformed JSON, never a 415, and clients (curl -d) send other types.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { MAX_BODY_BYTES } from "../../src/app.ts";
import { getReleaseEntries } from "../../src/db/releases.ts";
import { apiKeys, machines, releases } from "../../src/db/schema.ts";
import { createHarness, type Harness } from "../support/harness.ts";
import { createTestKey } from "../support/keys.ts";

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

/** Sends `body` as bytes, so the request carries exactly the given content type (or none). */
async function send(path: string, body: string | undefined, contentType: string | null, key?: string) {
  const headers = new Headers();
  if (contentType !== null) headers.set("content-type", contentType);
  if (key) headers.set("authorization", `Bearer ${key}`);
  const request = new Request(`http://localhost${path}`, {
    method: "POST",
    headers,
    body: body === undefined ? undefined : new TextEncoder().encode(body),
  });
  expect(request.headers.get("content-type")).toBe(contentType);
  return h.controlPlane.app.request(request);
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: string }).error;
}

const RELEASE = {
  flake_ref: "github:example/fleet",
  flake_rev: "abc123",
  cache_url: null,
  entries: [
    {
      hostname: "web-01",
      store_path: "/nix/store/0c3i5jwm4cc1p2ix2ql1sd8nm3w1wmw9-nixos-system-web-01-24.11",
      platform: "x86_64-linux",
    },
  ],
};

describe("valid JSON without a Content-Type is processed", () => {
  test("bootstrap takes the name from the body", async () => {
    const res = await send("/api/v1/keys/bootstrap", '{"name":"ops"}', null);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "ops", role: "admin" });
    expect((await h.store.db.select().from(apiKeys)).map((k) => k.name)).toEqual(["ops"]);
  });

  test("register reads the lifecycle and tags from the body", async () => {
    const key = await createTestKey(h, "admin");
    const res = await send("/api/v1/machines/web-01/register", '{"lifecycle":"pending","tags":["web"]}', null, key);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "pending" });
    const [row] = await h.store.db.select().from(machines).where(eq(machines.machineId, "web-01"));
    expect(row?.lifecycle).toBe("pending");
  });

  test("create release stores the release", async () => {
    const key = await createTestKey(h, "deploy");
    const res = await send("/api/v1/releases", JSON.stringify(RELEASE), null, key);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [row] = await h.store.db.select().from(releases).where(eq(releases.id, id));
    expect(row?.flakeRev).toBe("abc123");
  });

  test("an agent report is stored", async () => {
    const report = {
      machine_id: "web-01",
      current_generation: "/nix/store/abc-nixos-system-web-01",
      success: true,
      message: "ok",
      timestamp: "2026-11-27T10:00:00Z",
    };
    const res = await send("/api/v1/machines/web-01/report", JSON.stringify(report), null);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ machine_id: "web-01", lifecycle: "active" });
  });
});

describe("other content types are read as JSON too", () => {
  test("curl -d's form encoding with JSON text is accepted", async () => {
    const key = await createTestKey(h, "admin");
    const body = '{"name":"ci","role":"deploy"}';
    const res = await send("/api/v1/keys", body, "application/x-www-form-urlencoded", key);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: "ci", role: "deploy" });
  });

  test("text/plain JSON is accepted; wrong types in it are a 400 naming the field", async () => {
    const key = await createTestKey(h, "admin");
    const ok = await send("/api/v1/machines/web-01/register", '{"lifecycle":"maintenance"}', "text/plain", key);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ machine_id: "web-01", lifecycle: "maintenance" });
    const wrong = await send("/api/v1/keys", '{"name":"x","role":"root"}', "text/plain", key);
    expect(wrong.status).toBe(400);
    expect(await errorOf(wrong)).toStartWith("role: ");
  });

  test("malformed JSON as text/plain, form-encoded or untyped is a 400 naming malformed JSON", async () => {
    const key = await createTestKey(h, "admin");
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", null]) {
      for (const path of ["/api/v1/keys/bootstrap", "/api/v1/keys", "/api/v1/machines/web-01/register"]) {
        const res = await send(path, "name=admin", contentType, key);
        expect(`${contentType} ${path} ${res.status}`).toBe(`${contentType} ${path} 400`);
        expect(await res.json()).toEqual({ error: "Malformed JSON in request body" });
      }
    }
    expect(await h.store.db.$count(machines)).toBe(0);
    expect(await h.store.db.$count(apiKeys)).toBe(1);
  });
});

describe("every body, whatever its content type, is made well-formed before it is read (SPEC §13)", () => {
  test.each([null, "text/plain", "application/json", "application/json; charset=utf-8"])(
    "lone surrogates in a %p body become U+FFFD",
    async (contentType) => {
      const key = await createTestKey(h, "deploy");
      const entry = (hostname: string) =>
        `{"hostname":"${hostname}","store_path":"${RELEASE.entries[0]!.store_path}","platform":"x86_64-linux"}`;
      const body = `{"entries":[${entry("a\\ud800")},${entry("b\\uDC00\\u0041")},${entry("c\\\\ud800")}]}`;
      const res = await send("/api/v1/releases", body, contentType, key);
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const hostnames = [...(await getReleaseEntries(h.store.db, id)).keys()].sort();
      expect(hostnames).toEqual(["a\ufffd", "b\ufffdA", "c\\ud800"]);
    },
  );
});

describe("bodies that are absent or empty behave as before", () => {
  test("bootstrap without a body, or with an empty text/plain one, creates the default admin key", async () => {
    const res = await send("/api/v1/keys/bootstrap", undefined, null);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "admin", role: "admin" });
    const again = await send("/api/v1/keys/bootstrap", "", "text/plain");
    expect(again.status).toBe(409);
  });

  test("an empty text/plain body on a fresh bootstrap is the default too", async () => {
    const res = await send("/api/v1/keys/bootstrap", "", "text/plain");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "admin" });
  });

  test("a required body that is absent is a 400 naming the first missing field", async () => {
    const key = await createTestKey(h, "admin");
    const res = await send("/api/v1/keys", undefined, null, key);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe("name is required");
  });
});

describe("the body limits still apply to any content type", () => {
  test("a body over 1 MiB with a length is a 413", async () => {
    for (const contentType of ["text/plain", null]) {
      const res = await send("/api/v1/keys/bootstrap", `{"name":"${"x".repeat(MAX_BODY_BYTES)}"}`, contentType);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: "request body exceeds 1 MiB" });
    }
    expect(await h.store.db.$count(apiKeys)).toBe(0);
  });

  test("a streamed body without a length is cut off at 1 MiB, and one under it is read", async () => {
    const stream = (text: string) => new Blob([text]).stream();
    const post = (body: ReadableStream, contentType: string | null) =>
      h.controlPlane.app.request("/api/v1/keys/bootstrap", {
        method: "POST",
        headers: contentType === null ? {} : { "content-type": contentType },
        body,
        duplex: "half",
      } as RequestInit);
    for (const contentType of ["text/plain", null]) {
      const res = await post(stream(`{"name":"${"y".repeat(MAX_BODY_BYTES)}"}`), contentType);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: "request body exceeds 1 MiB" });
    }
    const small = await post(stream('{"name":"streamed"}'), null);
    expect(small.status).toBe(200);
    expect(await small.json()).toMatchObject({ name: "streamed" });
  });
});

describe("a request with a content type but no body", () => {
  test("counts as an empty JSON object on every route, never a 415", async () => {
    const bootstrap = await send("/api/v1/keys/bootstrap", undefined, "text/plain");
    expect(bootstrap.status).toBe(200);
    expect(await bootstrap.json()).toMatchObject({ name: "admin", role: "admin" });
    const report = await send("/api/v1/machines/web-01/report", undefined, "application/x-www-form-urlencoded");
    expect(report.status).toBe(400);
    expect(await errorOf(report)).toBe("machine_id is required");
    const key = await createTestKey(h, "admin");
    const release = await send("/api/v1/releases", undefined, "text/plain", key);
    expect(release.status).toBe(400);
    expect(await errorOf(release)).toBe("entries is required");
  });
});
