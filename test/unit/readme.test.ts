import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allCommands } from "../../src/commands/table.ts";
import { PARAMS } from "../../src/config.ts";

const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");

describe("README", () => {
  test("the commands table lists exactly the commands KVIS serves", () => {
    const section = readme.split("## Supported commands")[1]!.split("\n## ")[0]!;
    const listed = [...section.matchAll(/^\| ([A-Z_-]+)[ (]/gm)].map((m) => m[1]!.toLowerCase()).sort();
    expect(listed).toEqual(allCommands().map((c) => c.name).sort());
  });

  test("the options table lists exactly the parameters of the config table", () => {
    const listed = [...readme.matchAll(/^\| `--([a-z_-]+)` \|/gm)].map((m) => m[1]!).sort();
    expect(listed).toEqual(PARAMS.map((p) => p.name).sort());
  });

  test("the quick start shows the test command", () => {
    expect(readme).toContain("\nbun test --parallel\n");
  });
});
