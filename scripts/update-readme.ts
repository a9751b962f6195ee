/**
 * Regenerates the README's "Supported commands" table from the command table, so the
 * README can never list a command KVIS does not serve (test/unit/readme.test.ts checks it),
 * and says which file declares each one.
 *
 *   bun scripts/update-readme.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { allCommands } from "../src/commands/table.ts";

const path = join(import.meta.dir, "..", "README.md");
const readme = readFileSync(path, "utf8");
const [before, rest] = readme.split("## Supported commands\n");
if (rest === undefined) throw new Error("README has no '## Supported commands' section");
const after = rest.slice(rest.indexOf("\n## "));
const rows = allCommands().map((cmd) => {
  const subs = cmd.subcommands ? ` (${[...cmd.subcommands.keys()].map((s) => s.toUpperCase()).join(", ")})` : "";
  return `| ${cmd.name.toUpperCase()}${subs} | ${cmd.group} | \`${cmd.file}\` | ${cmd.summary.replace(/\|/g, "\\|")} |`;
});
const table = ["", "| command | group | code | summary |", "|---|---|---|---|", ...rows, ""].join("\n");
writeFileSync(path, `${before}## Supported commands\n${table}${after}`);
console.log(`${rows.length} commands listed`);
