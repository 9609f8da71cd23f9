import { argument, choice, integer, multiple, option, optional, string, withDefault } from "@optique/core";
import { message } from "@optique/core";
import { ok } from "../../client/index.ts";
import { LIFECYCLES } from "../../domain/lifecycle.ts";
import { SYSTEM_STATES } from "../../domain/machines.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { present } from "../output.ts";
import { machineDetail, machineLifecycleLine, machineTable, machineTagsLine } from "../views/machines.ts";

const machineId = argument(string({ metavar: "MACHINE" }));
const tagName = string({ metavar: "TAG" });
const path = (id: string) => ({ params: { path: { id } } });

const list = leaf(
  "list",
  "List machines, a page at a time (filters combine)",
  remote({
    tag: multiple(
      option("--tag", tagName, { description: message`Only machines with this tag (repeat: all of them)` }),
    ),
    lifecycle: multiple(
      option("--lifecycle", choice(LIFECYCLES, { metavar: "LIFECYCLE" }), {
        description: message`Only machines in this lifecycle (repeat: any)`,
      }),
    ),
    state: multiple(
      option("--state", choice(SYSTEM_STATES, { metavar: "STATE" }), {
        description: message`Only machines in this system state (repeat: any)`,
      }),
    ),
    limit: withDefault(
      option("--limit", integer({ min: 1, max: 10_000 }), { description: message`Page size (default 100)` }),
      100,
    ),
    cursor: optional(
      option("--cursor", string({ metavar: "CURSOR" }), {
        description: message`Next page, as printed by the previous one`,
      }),
    ),
    all: option("--all", { description: message`Every matching machine, not a page` }),
  }),
  async (args, context) => {
    const client = clientFor(args, context);
    const page = await client.GET("/api/v1/machines", {
      params: {
        query: {
          tag: args.tag.length > 0 ? [...args.tag] : undefined,
          lifecycle: args.lifecycle.length > 0 ? [...args.lifecycle] : undefined,
          state: args.state.length > 0 ? [...args.state] : undefined,
          limit: args.all ? undefined : String(args.limit),
          cursor: args.cursor,
        },
      },
    });
    const machines = await ok(Promise.resolve(page));
    await present(context.output, args.json, machines, machineTable);
    const next = page.response.headers.get("x-next-cursor");
    if (next) await context.output.note(`more machines follow: add --cursor ${next}`);
  },
);

const show = leaf(
  "show",
  "One machine: state, health checks, recent reports",
  remote({ id: machineId }),
  async (args, context) => {
    const machine = await ok(clientFor(args, context).GET("/api/v1/machines/{id}", path(args.id)));
    await present(context.output, args.json, machine, machineDetail);
  },
);

const register = leaf(
  "register",
  "Register a machine (again: sets its lifecycle and tags)",
  remote({
    id: machineId,
    lifecycle: optional(
      option("--lifecycle", choice(LIFECYCLES, { metavar: "LIFECYCLE" }), { description: message`Default active` }),
    ),
    tag: multiple(option("--tag", tagName, { description: message`Replace its tags with these (repeat)` })),
  }),
  async (args, context) => {
    const body = await ok(
      clientFor(args, context).POST("/api/v1/machines/{id}/register", {
        ...path(args.id),
        body: { lifecycle: args.lifecycle, tags: args.tag.length > 0 ? [...args.tag] : undefined },
      }),
    );
    await present(context.output, args.json, body, machineLifecycleLine);
  },
);

const lifecycle = leaf(
  "lifecycle",
  "Move a machine to another lifecycle state",
  remote({ id: machineId, lifecycle: argument(choice(LIFECYCLES, { metavar: "STATE" })) }),
  async (args, context) => {
    const body = await ok(
      clientFor(args, context).PATCH("/api/v1/machines/{id}/lifecycle", {
        ...path(args.id),
        body: { lifecycle: args.lifecycle },
      }),
    );
    await present(context.output, args.json, body, machineLifecycleLine);
  },
);

const tagsArgs = remote({ id: machineId, tags: multiple(argument(tagName), { min: 1 }) });

const tags = group(
  "tags",
  "Change a machine's tags",
  leaf("set", "Replace the machine's tags", tagsArgs, async (args, context) => {
    const body = await ok(
      clientFor(args, context).PUT("/api/v1/machines/{id}/tags", { ...path(args.id), body: { tags: [...args.tags] } }),
    );
    await present(context.output, args.json, body, machineTagsLine);
  }),
  leaf("add", "Add tags to the machine", tagsArgs, async (args, context) => {
    const body = await ok(
      clientFor(args, context).POST("/api/v1/machines/{id}/tags", { ...path(args.id), body: { tags: [...args.tags] } }),
    );
    await present(context.output, args.json, body, machineTagsLine);
  }),
  leaf(
    "remove",
    "Remove one tag from the machine",
    remote({ id: machineId, tag: argument(tagName) }),
    async (args, context) => {
      const body = await ok(
        clientFor(args, context).DELETE("/api/v1/machines/{id}/tags/{tag}", {
          params: { path: { id: args.id, tag: args.tag } },
        }),
      );
      await present(context.output, args.json, body, machineTagsLine);
    },
  ),
);

const clearDesired = leaf(
  "clear-desired",
  "Clear what the machine should run (its agent then gets 404)",
  remote({ id: machineId }),
  async (args, context) => {
    await ok(clientFor(args, context).DELETE("/api/v1/machines/{id}/desired-generation", path(args.id)));
    if (!args.json) await context.output.out(`${args.id}: desired generation cleared\n`);
  },
);

const notifyDeploy = leaf(
  "notify-deploy",
  "Record an out-of-band deploy: sets the machine's desired generation",
  remote({ id: machineId, storePath: argument(string({ metavar: "STORE_PATH" })) }),
  async (args, context) => {
    const body = await ok(
      clientFor(args, context).POST("/api/v1/machines/{id}/notify-deploy", {
        ...path(args.id),
        body: { store_path: args.storePath },
      }),
    );
    await present(context.output, args.json, body, (b) => `${b.machine_id}: desired ${b.store_path}\n`);
  },
);

/** `machines …`: the machine registry. */
export const machinesCommand = group(
  "machines",
  "List, show, register and change machines",
  list,
  show,
  register,
  lifecycle,
  tags,
  clearDesired,
  notifyDeploy,
);
