// Every file the dashboard and /docs load, embedded in the executable (text imports are bundled by
// `bun build --compile`) and served from /assets/<name>.<content hash>.<ext> with a year-long,
// immutable cache: a new build changes the hash, so browsers never keep a stale copy.
import { createHash } from "node:crypto";
// TypeScript types a .js import as the module it would be, not the text it is here.
// @ts-expect-error TS7016: a text import of a script is a string
import scalarScript from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "text" };
// @ts-expect-error TS7016: a text import of a script is a string
import uiScript from "./assets/ui.js" with { type: "text" };
import uiStyles from "./assets/ui.css" with { type: "text" };

export interface Asset {
  /** The path it is served at, with its content hash. */
  path: string;
  contentType: string;
  body: string;
}

function asset(name: string, extension: "css" | "js", body: unknown): Asset {
  if (typeof body !== "string") throw new Error(`asset ${name}.${extension} was not imported as text`);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  const contentType = extension === "css" ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
  return { path: `/assets/${name}.${hash}.${extension}`, contentType, body };
}

/** The embedded assets by role, hashed once when the server loads this module. */
export const assets = {
  styles: asset("ui", "css", uiStyles),
  script: asset("ui", "js", uiScript),
  /** The API reference page's script: the standalone bundle of @scalar/api-reference, pinned in package.json. */
  apiReference: asset("scalar-api-reference", "js", scalarScript),
};

/** The asset served at `path`, if any. */
export function assetAt(path: string): Asset | undefined {
  return Object.values(assets).find((a) => a.path === path);
}
