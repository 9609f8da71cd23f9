// README "Configuration": its flag table names every server flag of src/config.ts with its
// environment variable and default, and nothing else.
import { expect, test } from "bun:test";
import { OPTIONS } from "../../src/config.ts";
import { codeSpans, readmeTable } from "../support/readme.ts";

type Option = { flag: string; env: string; default?: string; boolean?: boolean };

test("the README's flag table is the server's: every flag, its environment variable and its default", () => {
  const rows = readmeTable("flag").filter(([flag]) => flag!.startsWith("`--") && !flag!.includes("--help"));
  const documented = Object.fromEntries(
    rows.map(([flag, env, def]) => [codeSpans(flag!)[0], { env: codeSpans(env!)[0], default: def }]),
  );
  const options = Object.values(OPTIONS) as Option[];
  expect(Object.keys(documented).sort()).toEqual(options.map((o) => `--${o.flag}`).sort());
  for (const option of options) {
    const row = documented[`--${option.flag}`]!;
    expect({ flag: option.flag, env: row.env }).toEqual({ flag: option.flag, env: option.env });
    if (option.default === undefined) continue;
    const shown = option.boolean && option.default === "false" ? "off" : `\`${option.default}\``;
    expect({ flag: option.flag, default: row.default }).toEqual({ flag: option.flag, default: shown });
  }
});
