// Builds dist/nixfleet-control-plane, a single executable with the libSQL addon embedded.
import { join } from "node:path";
import type { BunPlugin } from "bun";

const root = join(import.meta.dir, "..");
const outfile = join(root, "dist", "nixfleet-control-plane");

/** The `@libsql/<target>` package for the platform being built on. */
function libsqlNativePackage(): string {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  if (process.platform === "darwin") return `@libsql/darwin-${arch}`;
  if (process.platform === "win32") return `@libsql/win32-x64-msvc`;
  return `@libsql/linux-${arch}-gnu`;
}

// libsql picks its addon with `require(\`@libsql/${target}\`)`, computed at run time, which
// the bundler cannot follow; make it a static require of the addon so it gets embedded. Both of
// its entry points do: `libsql` (the store's connections) and `libsql/promise` (the WAL
// checkpointer's), and both then load the one embedded addon.
const embedLibsqlAddon: BunPlugin = {
  name: "embed-libsql-addon",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]libsql[\\/](index|promise)\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text();
      const dynamicRequire = "require(`@libsql/${target}`)";
      if (!source.includes(dynamicRequire)) throw new Error(`libsql loader changed: ${args.path}`);
      return {
        contents: source.replace(dynamicRequire, `require("${libsqlNativePackage()}/index.node")`),
        loader: "js",
      };
    });
  },
};

const result = await Bun.build({
  entrypoints: [join(root, "src", "main.ts")],
  compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
  minify: true,
  sourcemap: "linked",
  plugins: [embedLibsqlAddon],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile}`);
