/**
 * A command's arguments as COMMAND DOCS describes them (Redis's argument trees: names,
 * types, tokens, flags, nested one-ofs and blocks), written in each declaration as one line
 * in a short notation and parsed the first time COMMAND DOCS asks for it.
 *
 * The notation, one item after another separated by spaces:
 * - `name:type` an argument of that type (string, integer, double, key, pattern,
 *   unix-time); `name:key#0` a key with its key-spec index;
 * - `TOKEN` a pure token, named as the token in lowercase, `TOKEN/name` when named
 *   otherwise;
 * - `TOKEN=item` an item introduced by a token (`EX=seconds:integer`);
 * - `name(a|b|c)` one of the items, `name{a b c}` all of them in turn (a block);
 * - after an item: `?` optional, `...` may repeat, `+` its token repeats with it,
 *   `@7.0.0` the version it came in, `^6.2.0` the version it was deprecated in.
 * A token or name other than plain words (uppercase tokens, lowercase names) is quoted:
 * `'~'/approximately`, `'ip:port':string`.
 */
import type { ReplyWriter } from "../resp/writer.ts";

export interface Argument {
  name: string;
  type: string;
  keySpecIndex?: number;
  token?: string;
  since?: string;
  deprecatedSince?: string;
  optional: boolean;
  multiple: boolean;
  multipleToken: boolean;
  arguments?: Argument[];
}

/** The arguments written in the notation above; throws on a malformed line (a declaration's bug). */
export function parseArguments(text: string): Argument[] {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`COMMAND DOCS arguments: ${what} at ${at} in ${JSON.stringify(text)}`);
  };
  const word = (pattern: RegExp): string => {
    if (text[at] === "'") {
      const end = text.indexOf("'", at + 1);
      if (end < 0) fail("unclosed quote");
      const quoted = text.slice(at + 1, end);
      at = end + 1;
      return quoted;
    }
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (m === null || m.index !== at) fail("a word expected");
    at += m![0].length;
    return m![0];
  };
  const version = (): string => word(/[0-9.]+/y);
  const items = (separator: string, close: string): Argument[] => {
    const list: Argument[] = [];
    for (;;) {
      list.push(item());
      if (text[at] === close || (close === "" && at === text.length)) return list;
      if (text[at] !== separator) fail(`'${separator}' expected`);
      at++;
    }
  };
  const item = (): Argument => {
    let arg: Argument;
    // A name opens a typed argument, a one-of or a block; a token is uppercase. A quoted
    // word is a name when ':', '(' or '{' follows it (`'ip:port':string`).
    const quoted = text[at] === "'";
    if (quoted ? /[:({]/.test(text[text.indexOf("'", at + 1) + 1] ?? "") : /[a-z]/.test(text[at] ?? "")) arg = body();
    else {
      const token = word(/[A-Z0-9][A-Z0-9_-]*/y);
      if (text[at] === "=") {
        at++;
        arg = body();
        arg.token = token;
      } else {
        let name = token.toLowerCase();
        if (text[at] === "/") {
          at++;
          name = word(/[a-z][a-z0-9_-]*/y);
        }
        arg = { name, type: "pure-token", token, optional: false, multiple: false, multipleToken: false };
      }
    }
    for (;;) {
      const c = text[at];
      if (c === "?") (arg.optional = true), at++;
      else if (text.startsWith("...", at)) (arg.multiple = true), (at += 3);
      else if (c === "+") (arg.multipleToken = true), at++;
      else if (c === "@") at++, (arg.since = version());
      else if (c === "^") at++, (arg.deprecatedSince = version());
      else return arg;
    }
  };
  const body = (): Argument => {
    const name = word(/[a-z][a-z0-9_-]*/y);
    const arg: Argument = { name, type: "", optional: false, multiple: false, multipleToken: false };
    const c = text[at++];
    if (c === ":") {
      arg.type = word(/[a-z][a-z-]*/y);
      if (text[at] === "#") at++, (arg.keySpecIndex = Number(word(/[0-9]+/y)));
    } else if (c === "(" || c === "{") {
      arg.type = c === "(" ? "oneof" : "block";
      arg.arguments = items(c === "(" ? "|" : " ", c === "(" ? ")" : "}");
      at++;
    } else fail("':', '(' or '{' expected");
    return arg;
  };
  return text === "" ? [] : items(" ", "");
}

/** A field of COMMAND DOCS's maps whose value is text, when it has one. */
export function docField(r: ReplyWriter, name: string, value: string | undefined): void {
  if (value === undefined) return;
  r.bulkString(name);
  r.bulkString(value);
}

/** A field of COMMAND DOCS's maps whose value is a set of flags, when there are any. */
export function docFlagSet(r: ReplyWriter, name: string, flags: readonly string[] | undefined): void {
  if (flags === undefined || flags.length === 0) return;
  r.bulkString(name);
  r.set(flags.length);
  for (const f of flags) r.simple(f);
}

/** The arguments as COMMAND DOCS replies them (Redis's addReplyCommandArgList). */
export function writeArguments(r: ReplyWriter, args: readonly Argument[]): void {
  r.array(args.length);
  for (const arg of args) {
    const flags = [arg.optional && "optional", arg.multiple && "multiple", arg.multipleToken && "multiple_token"].filter((f) => f !== false);
    const optional = [arg.keySpecIndex, arg.token, arg.since, arg.deprecatedSince, flags.length > 0 ? flags : undefined, arg.arguments];
    r.map(2 + optional.filter((field) => field !== undefined).length);
    docField(r, "name", arg.name);
    docField(r, "type", arg.type);
    if (arg.keySpecIndex !== undefined) {
      r.bulkString("key_spec_index");
      r.integer(arg.keySpecIndex);
    }
    docField(r, "token", arg.token);
    docField(r, "since", arg.since);
    docField(r, "deprecated_since", arg.deprecatedSince);
    docFlagSet(r, "flags", flags);
    if (arg.arguments !== undefined) {
      r.bulkString("arguments");
      writeArguments(r, arg.arguments);
    }
  }
}
