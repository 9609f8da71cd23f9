import { existsSync } from "node:fs";
import { message, object, option, optional, string, withDefault } from "@optique/core";
import { isRemoteDatabase, OPTIONS } from "../../config.ts";
import type { DatabaseUnavailableError } from "../../db/unavailable.ts";
import { leaf } from "../command.ts";
import { CliError, EXIT, usageError } from "../exit.ts";
import { formatJson } from "../output.ts";

/**
 * `keys recover`: break-glass on the control plane's host when no admin key is left. It opens the
 * database itself (not over HTTP), so it needs the file (and the server's user, to write it).
 */
export const keysRecoverCommand = leaf(
  "recover",
  "On the control plane's host: create an admin key directly in its database (lost keys)",
  object({
    dbPath: optional(
      option(`--${OPTIONS.dbPath.flag}`, string({ metavar: "FILE" }), {
        description: message`The server's database (default: ${OPTIONS.dbPath.env}, then ${OPTIONS.dbPath.default})`,
      }),
    ),
    name: withDefault(
      option("--name", string({ metavar: "NAME" }), { description: message`Key name (default recovery)` }),
      "recovery",
    ),
    json: option("--json", { description: message`Print the key as JSON (the API's CreatedApiKey)` }),
  }),
  async (args, context) => {
    // Loaded here, not at start-up: the database and the API's schemas are for this command only.
    const [
      { DatabaseOpenError, openStore },
      { KeyName },
      { recoverAdminKey, RECOVER_ACTOR },
      { DatabaseUnavailableError },
    ] = await Promise.all([
      import("../../db/database.ts"),
      import("../../routes/keys.ts"),
      import("../../services/key-recovery.ts"),
      import("../../db/unavailable.ts"),
    ]);
    const dbPath = args.dbPath ?? (context.env[OPTIONS.dbPath.env] || OPTIONS.dbPath.default);
    const name = KeyName.safeParse(args.name);
    if (!name.success) throw usageError(`--name: ${name.error.issues[0]?.message ?? "invalid"}`);
    // A mistyped path must not quietly create (and migrate) an empty database.
    if (!isRemoteDatabase(dbPath) && !existsSync(dbPath)) {
      throw usageError(`no database at ${dbPath}: give the server's --db-path`);
    }
    let store;
    try {
      store = await openStore(dbPath, context.env.NIXFLEET_CP_DB_AUTH_TOKEN || undefined);
    } catch (error) {
      if (error instanceof DatabaseOpenError) throw usageError(error.message);
      throw error;
    }
    try {
      const key = await recoverAdminKey(store, name.data, Date.now());
      if (args.json) {
        await context.output.out(formatJson(key));
      } else {
        await context.output.note(
          `new admin key "${key.name}" (${key.id}), audited as ${RECOVER_ACTOR}; it is shown only this once:`,
        );
        await context.output.out(`${key.key}\n`);
      }
    } catch (error) {
      throw asBusy(error, DatabaseUnavailableError) ?? error;
    } finally {
      // No checkpoint: a server may be using the file, and its writers would wait for it.
      await store.close({ checkpoint: false });
    }
  },
);

/** A write that could not get the database (another process holds it) as exit code 4, or null. */
function asBusy(error: unknown, unavailable: typeof DatabaseUnavailableError): CliError | null {
  if (error instanceof unavailable)
    return new CliError(EXIT.unavailable, `cannot write the database: ${error.message}; try again`);
  const text = `${(error as { code?: string }).code ?? ""} ${(error as Error).message ?? ""}`;
  if (/SQLITE_(BUSY|LOCKED)|database is locked/i.test(text)) {
    return new CliError(
      EXIT.unavailable,
      "cannot write the database: database locked (another process held it for over 5 s); try again",
    );
  }
  return null;
}
