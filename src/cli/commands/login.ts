import { resolve } from "node:path";
import { message, option, optional, string } from "@optique/core";
import { ok } from "../../client/index.ts";
import { leaf, remote } from "../command.ts";
import { connect } from "../connect.ts";
import { usageError } from "../exit.ts";
import { present } from "../output.ts";
import { configFilePath, writeSavedLogin, type SavedLogin } from "../settings.ts";

/**
 * `login`: checks the URL, the API key (from `NIXFLEET_API_KEY`, else stdin, typed without echo
 * on a terminal) and the TLS files against the control plane, then saves them with mode 0600.
 */
export const loginCommand = leaf(
  "login",
  "Save the control plane's URL, an API key and TLS files for the other commands",
  remote({
    ca: optional(
      option("--ca", string({ metavar: "FILE" }), {
        description: message`PEM CA that signed the control plane's certificate`,
      }),
    ),
    clientCert: optional(
      option("--client-cert", string({ metavar: "FILE" }), {
        description: message`PEM client certificate (mutual TLS)`,
      }),
    ),
    clientKey: optional(
      option("--client-key", string({ metavar: "FILE" }), { description: message`PEM key of the client certificate` }),
    ),
  }),
  async (args, context) => {
    const url = args.url ?? context.env.NIXFLEET_URL;
    if (!url) throw usageError("login needs --url (or NIXFLEET_URL): the control plane's address");
    const apiKey = (
      context.env.NIXFLEET_API_KEY ||
      (context.input.isTTY ? await context.input.readSecret("API key: ") : await context.input.readAll())
    ).trim();
    if (!/^nfk-[0-9a-f]{64}$/.test(apiKey)) throw usageError("that is not an API key (nfk- and 64 hex digits)");
    const login: SavedLogin = {
      url: url.replace(/\/+$/, ""),
      api_key: apiKey,
      ...(args.ca ? { ca: resolve(args.ca) } : {}),
      ...(args.clientCert ? { client_cert: resolve(args.clientCert) } : {}),
      ...(args.clientKey ? { client_key: resolve(args.clientKey) } : {}),
    };
    // Any role may read the summary: this proves the URL, the TLS files and the key before they are saved.
    await ok(
      connect({
        url: login.url,
        apiKey,
        caFile: login.ca,
        clientCertFile: login.client_cert,
        clientKeyFile: login.client_key,
      }).GET("/api/v1/fleet/summary"),
    );
    const path = configFilePath(args.config, context.env);
    writeSavedLogin(path, login);
    await present(
      context.output,
      args.json,
      { url: login.url, config_file: path },
      (saved) => `logged in to ${saved.url}; saved in ${saved.config_file} (mode 0600)\n`,
    );
  },
);
