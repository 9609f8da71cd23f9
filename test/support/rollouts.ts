// Steps the rollout route tests share: a tagged fleet, a release, reports through the real report
// route, rollouts created and read through the API with bodies checked against the route schemas.
import { expect } from "bun:test";
import { insertRelease } from "../../src/db/releases.ts";
import { machineTags, machines } from "../../src/db/schema.ts";
import { CreatedRollout, Rollout } from "../../src/routes/rollouts/index.ts";
import type { Harness } from "./harness.ts";
import { createRoleKeys } from "./keys.ts";
import { storePath } from "./rollout-fleet.ts";

export { storePath };

/** `prefix-1` … `prefix-n`. */
export const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

export type Outcome = "healthy" | "failed-report" | "failed-check" | "old-generation";

export class RolloutApi {
  constructor(
    private readonly h: Harness,
    readonly keys: { admin: string; deploy: string; readonly: string },
  ) {}

  get executor() {
    return this.h.controlPlane.deps.rolloutExecutor;
  }

  /** Active machines with tags, each last reported `lastReportAt` (ms; null = never). */
  async machines(ids: string[], tags: string[] = [], lastReportAt: number | null = null): Promise<void> {
    await this.h.store.write(async (tx) => {
      await tx.insert(machines).values(
        ids.map((machineId) => ({
          machineId,
          lifecycle: "active" as const,
          registeredAt: 0,
          currentGeneration: storePath(machineId, 0),
          lastReportAt,
        })),
      );
      if (tags.length > 0) {
        await tx.insert(machineTags).values(ids.flatMap((machineId) => tags.map((tag) => ({ machineId, tag }))));
      }
    });
    await this.h.controlPlane.deps.fleet.load(this.h.store.db);
  }

  /** Active machines `ids` with `tags` (see `machines`) and a release with an entry for each. */
  async fleet(
    ids: string[],
    tags: string[],
    lastReportAt: number | null,
  ): Promise<{ ids: string[]; releaseId: string }> {
    await this.machines(ids, tags, lastReportAt);
    return { ids, releaseId: await this.release(ids) };
  }

  async release(hosts: string[], version = 1): Promise<string> {
    const id = `rel-${version}-${Math.random().toString(36).slice(2)}`;
    await this.h.store.write((tx) =>
      insertRelease(tx, {
        id,
        flakeRef: null,
        flakeRev: null,
        cacheUrl: null,
        createdAt: this.h.controlPlane.deps.now(),
        createdBy: "apikey:ci",
        entries: hosts.map((hostname) => ({
          hostname,
          storePath: storePath(hostname, version),
          platform: "x86_64-linux",
          tags: [],
        })),
      }),
    );
    return id;
  }

  post(path: string, key: string | undefined, json?: unknown): Promise<Response> {
    return this.h.request(path, { method: "POST", key, ...(json === undefined ? {} : { json }) });
  }

  async create(body: Record<string, unknown>, key = this.keys.deploy): Promise<Response> {
    const res = await this.post("/api/v1/rollouts", key, body);
    await this.executor.idle();
    return res;
  }

  async createOk(body: Record<string, unknown>) {
    const res = await this.create(body);
    const json = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(201);
    return CreatedRollout.parse(json);
  }

  /** A verb through its route; the answer is the rollout (checked against the schema) when 200. */
  async verb(id: string, verb: string, body?: unknown, key = this.keys.deploy) {
    const res = await this.post(`/api/v1/rollouts/${id}/${verb}`, key, body);
    await this.executor.idle();
    const json = await res.json();
    return { status: res.status, body: res.status === 200 ? Rollout.parse(json) : (json as { error: string }) };
  }

  async get(id: string) {
    const res = await this.h.request(`/api/v1/rollouts/${id}`, { key: this.keys.readonly });
    expect(res.status).toBe(200);
    return Rollout.parse(await res.json());
  }

  /** Each machine's `state` (and `reason` when it has one) across the rollout's batches. */
  async states(id: string): Promise<Record<string, string>> {
    const rollout = await this.get(id);
    const states: Record<string, string> = {};
    for (const batch of rollout.batches) {
      for (const [machineId, s] of Object.entries(batch.machine_states)) {
        states[machineId] = s.reason === null ? s.state : `${s.state}(${s.reason})`;
      }
    }
    return states;
  }

  /** An agent report through the real report route; the executor then reacts. */
  async report(machineId: string, outcome: Outcome = "healthy", version = 1): Promise<void> {
    const now = new Date(this.h.controlPlane.deps.now()).toISOString();
    const body = {
      machine_id: machineId,
      current_generation: storePath(machineId, outcome === "old-generation" ? 0 : version),
      success: outcome !== "failed-report",
      message: outcome === "failed-report" ? "activation failed" : "switched",
      timestamp: now,
      health: {
        results:
          outcome === "failed-check"
            ? [{ status: "fail", check_name: "nginx", duration_ms: 3, message: "connection refused" }]
            : [{ status: "pass", check_name: "nginx", duration_ms: 3 }],
        all_passed: outcome !== "failed-check",
        timestamp: now,
      },
    };
    const res = await this.h.request(`/api/v1/machines/${encodeURIComponent(machineId)}/report`, { json: body });
    expect(res.status).toBe(200);
    await this.executor.idle();
  }

  async desired(machineId: string): Promise<{ status: number; hash?: string; poll_hint?: number | null }> {
    const res = await this.h.request(`/api/v1/machines/${encodeURIComponent(machineId)}/desired-generation`);
    return { status: res.status, ...(res.status === 200 ? ((await res.json()) as object) : {}) };
  }

  /** Moves the clock on and runs a tick. */
  async advance(ms: number): Promise<void> {
    this.h.advance(ms);
    await this.executor.tick();
  }
}

/** A RolloutApi with a key of each role (see `createRoleKeys`). */
export async function createRolloutApi(h: Harness): Promise<RolloutApi> {
  return new RolloutApi(h, await createRoleKeys(h));
}
