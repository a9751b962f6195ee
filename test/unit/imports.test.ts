import { describe, expect, test } from "bun:test";
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
});
