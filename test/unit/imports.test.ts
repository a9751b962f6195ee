import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importShape } from "../../scripts/imports.ts";

describe("which way imports go", () => {
  const shape = importShape();

  test("no file in src/commands/ imports src/server/: handlers see their Context", () => {
    expect(shape.commandsToServer).toBe(0);
  });

  test("no lower layer imports a higher one", () => {
    expect(shape.upward).toEqual([]);
  });

  test("no modules import one another in a loop at run time", () => {
    expect(shape.runtimeLoops).toEqual([]);
  });

  test("outside src/store nothing reaches a database's Map of keys (Database's methods do)", () => {
    const root = join(import.meta.dir, "../../src");
    const reaching = [...new Bun.Glob("**/*.ts").scanSync(root)]
      .filter((file) => !file.startsWith("store/") && /\.dict\b/.test(readFileSync(join(root, file), "utf8")));
    expect(reaching).toEqual([]);
  });
});
