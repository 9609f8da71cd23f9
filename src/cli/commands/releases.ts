import { readFileSync } from "node:fs";
import { argument, integer, message, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { clientFor, group, leaf, remote } from "../command.ts";
import { usageError } from "../exit.ts";
import { ManifestError, releaseRequestFrom } from "../manifest.ts";
import { present } from "../output.ts";
import { createdReleaseLine, releaseDetail, releaseDiff, releaseTable } from "../views/releases.ts";

const releaseId = (metavar: "RELEASE" | "FROM" | "TO" = "RELEASE") => argument(string({ metavar }));
const path = (id: string) => ({ params: { path: { id } } });

const list = leaf(
  "list",
  "Releases, newest first",
  remote({
    limit: optional(option("--limit", integer({ min: 1, max: 500 }), { description: message`How many (default 20)` })),
    host: optional(
      option("--host", string({ metavar: "HOST" }), { description: message`Only releases with this host` }),
    ),
  }),
  async (args, context) => {
    const releases = await ok(
      clientFor(args, context).GET("/api/v1/releases", {
        params: { query: { limit: args.limit === undefined ? undefined : String(args.limit), host: args.host } },
      }),
    );
    await present(context.output, args.json, releases, releaseTable);
  },
);

const show = leaf("show", "One release with its entries", remote({ id: releaseId() }), async (args, context) => {
  const release = await ok(clientFor(args, context).GET("/api/v1/releases/{id}", path(args.id)));
  await present(context.output, args.json, release, releaseDetail);
});

const diff = leaf(
  "diff",
  "What changes from one release to another, host by host",
  remote({ from: releaseId("FROM"), to: releaseId("TO") }),
  async (args, context) => {
    const body = await ok(
      clientFor(args, context).GET("/api/v1/releases/{a}/diff/{b}", { params: { path: { a: args.from, b: args.to } } }),
    );
    await present(context.output, args.json, body, releaseDiff);
  },
);

const remove = leaf(
  "delete",
  "Delete a release no rollout references",
  remote({ id: releaseId() }),
  async (args, context) => {
    await ok(clientFor(args, context).DELETE("/api/v1/releases/{id}", path(args.id)));
    if (!args.json) await context.output.out(`${args.id}: deleted\n`);
  },
);

const create = leaf(
  "create",
  "Create a release from a JSON manifest file, or from stdin (e.g. nix eval --json)",
  remote({
    file: optional(
      argument(string({ metavar: "MANIFEST" }), { description: message`JSON manifest; - or none: stdin` }),
    ),
    flakeRef: optional(
      option("--flake-ref", string({ metavar: "REF" }), { description: message`Flake the release was built from` }),
    ),
    flakeRev: optional(option("--flake-rev", string({ metavar: "REV" }), { description: message`Its revision` })),
    cacheUrl: optional(
      option("--cache-url", string({ metavar: "URL" }), { description: message`Binary cache of the store paths` }),
    ),
    platform: optional(
      option("--platform", string({ metavar: "SYSTEM" }), {
        description: message`Platform of entries that name none, e.g. x86_64-linux`,
      }),
    ),
  }),
  async (args, context) => {
    let text: string;
    if (args.file !== undefined && args.file !== "-") {
      try {
        text = readFileSync(args.file, "utf8");
      } catch (error) {
        throw usageError(
          `cannot read ${args.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
    } else if (context.input.isTTY) {
      throw usageError("give a manifest file, or pipe one on stdin (e.g. from nix eval --json)");
    } else {
      text = await context.input.readAll();
    }
    let body;
    try {
      body = releaseRequestFrom(text, args);
    } catch (error) {
      if (error instanceof ManifestError) throw usageError(error.message);
      throw error;
    }
    const created = await ok(clientFor(args, context).POST("/api/v1/releases", { body }));
    await present(context.output, args.json, created, createdReleaseLine);
  },
);

/** `releases …`: immutable host → store path manifests. */
export const releasesCommand = group(
  "releases",
  "Create, list, show, diff and delete releases",
  list,
  show,
  diff,
  create,
  remove,
);
