import { describe, expect, test } from "bun:test";
import { parseArguments } from "../../../src/commands/arguments.ts";
import { allCommands } from "../../../src/commands/table.ts";

// Every declaration's notation is compared with Redis's COMMAND DOCS in
// test/compat/server.test.ts; these pin the notation's own rules.
describe("the arguments notation of COMMAND DOCS", () => {
  test("typed arguments, tokens, one-ofs, blocks and their flags", () => {
    const [key, condition, change, pairs] = parseArguments("key:key#0 condition(NX|XX)?@3.0.2 CH/change? score_member{score:double member:string}...");
    expect(key).toEqual({ name: "key", type: "key", keySpecIndex: 0, optional: false, multiple: false, multipleToken: false });
    expect(condition!.type).toBe("oneof");
    expect(condition!.since).toBe("3.0.2");
    expect(condition!.optional).toBe(true);
    expect(condition!.arguments!.map((a) => [a.name, a.type, a.token])).toEqual([["nx", "pure-token", "NX"], ["xx", "pure-token", "XX"]]);
    expect([change!.name, change!.token, change!.optional]).toEqual(["change", "CH", true]);
    expect(pairs!.type).toBe("block");
    expect(pairs!.multiple).toBe(true);
    expect(pairs!.arguments!.map((a) => [a.name, a.type])).toEqual([["score", "double"], ["member", "string"]]);
  });

  test("quoted tokens and names, tokens before values, repeated tokens, deprecation", () => {
    const [op, addr, get, old] = parseArguments("operator('='/equal|'~'/approximately)? 'ip:port':string GET=pattern:pattern?...+ 'lib-name'=libname:string^6.2.0");
    expect(op!.arguments!.map((a) => [a.name, a.token])).toEqual([["equal", "="], ["approximately", "~"]]);
    expect([addr!.name, addr!.type]).toEqual(["ip:port", "string"]);
    expect([get!.token, get!.name, get!.type, get!.optional, get!.multiple, get!.multipleToken]).toEqual(["GET", "pattern", "pattern", true, true, true]);
    expect([old!.token, old!.name, old!.deprecatedSince]).toEqual(["lib-name", "libname", "6.2.0"]);
    expect(parseArguments("")).toEqual([]);
  });

  test("a malformed line is refused, and every declaration parses", () => {
    for (const bad of ["key:", "x(NX|XX", "'open", "key:string extra(", "Nx"]) expect(() => parseArguments(bad)).toThrow(/COMMAND DOCS arguments/);
    for (const cmd of allCommands()) for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) expect(() => each.arguments).not.toThrow();
  });
});
