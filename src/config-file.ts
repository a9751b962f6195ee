/**
 * The configuration as redis-server reads it at start-up (its main and loadServerConfig):
 * the command line turned into directives appended after the config file and standard
 * input, and every line applied in order. The first bad line ends start-up with Redis's
 * block on stderr, word for word:
 *
 *     *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
 *     Reading the configuration file, at line 2
 *     >>> 'port "abc"'
 *     argument couldn't be parsed into an integer
 *
 * `include` reads another file in place (a pattern with * ? or [ reads every file it
 * matches, in order, and none is no error), `user` and `rename-command` are checked as
 * they come, and the three directives Redis 7.0 still takes without effect are skipped.
 */
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, findParam, normalize, quote, strerror } from "./config.ts";
import { bytesToString, globMatch } from "./resp/bytes.ts";
import { splitInlineArgs } from "./resp/parser.ts";

/** A bad line: its number and text, as Redis prints them, and why (ConfigError's message); no line for a check of the whole. */
export class ConfigLineError extends ConfigError {
  constructor(
    reason: string,
    readonly line?: number,
    readonly text?: string,
  ) {
    super(reason);
  }
}

/** What Redis logs as a warning before it exits, rather than a bad line: a file it cannot open, a module. */
export class ConfigAbort extends ConfigError {
  constructor(readonly lines: string[]) {
    super(lines.join("; "));
  }
}

/** Directives the layers that own them apply or check: each returns Redis's reason when the line is wrong. */
export interface DirectiveChecks {
  /** rename-command FROM TO, applied after the renames before it. */
  rename(from: string, to: string): string | undefined;
  /** The rules of a `user` line, checked for syntax only (unknown commands stop start-up later, as in Redis): the bad rule's index and why. */
  userRules(rules: readonly string[]): { at: number; reason: string } | undefined;
}

export interface StartupConfig {
  /** Parameter name -> value; later lines win, save points add up. */
  options: Record<string, string>;
  /** `user <name> <rules...>` lines: ACL users created at start-up. */
  users: string[][];
}

/** Redis 7.0's deprecated_configs: taken with this many arguments and ignored. */
const DEPRECATED = new Set(["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"]);

/** Redis's sdssplitargs: arguments with its quoting rules, or undefined for unbalanced quotes. */
export function splitConfigLine(line: string): string[] | undefined {
  const bytes = Buffer.from(line, "latin1");
  return splitInlineArgs(bytes, 0, bytes.length)?.map(bytesToString);
}

/**
 * redis-server's command line: a first argument not starting with "-" is the config file;
 * "-" first or last reads the config from standard input; each `--name` starts a directive
 * whose arguments, quoted, are what follows up to the next `--name` (an argument right after
 * a bare `--name` is its value even when it starts with "--", except after `--save`, which
 * then means `save ""`). KVIS also takes `--name=value`.
 */
export function commandLine(args: readonly string[]): { configFile?: string; stdin: boolean; options: string } {
  let j = 0;
  let configFile: string | undefined;
  if (args.length > 0 && !args[0]!.startsWith("-")) configFile = args[j++];
  let stdin = false;
  let options = "";
  // Whether the directive being built has a value yet: until then an argument is its value.
  let valued = true;
  for (; j < args.length; j++) {
    const arg = args[j]!;
    if (arg === "-" && (j === 0 || j === args.length - 1)) {
      stdin = true;
    } else if (valued && arg.startsWith("--")) {
      if (options !== "") options += "\n";
      const eq = /^--([^\s=]+)=(.*)$/s.exec(arg);
      if (eq !== null && (findParam(eq[1]!) !== undefined || eq[1]!.toLowerCase() === "user")) {
        options += `${eq[1]} ${quote(eq[2]!)} `;
        continue;
      }
      options += `${arg.slice(2)} `;
      valued = splitConfigLine(arg)?.length !== 1;
      if (!valued && arg.toLowerCase() === "--save" && (j === args.length - 1 || args[j + 1]!.startsWith("--"))) {
        options += '""';
        valued = j !== args.length - 1;
      }
    } else {
      options += `${quote(arg)} `;
      valued = true;
    }
  }
  return { configFile, stdin, options };
}

/** A file's text, or ConfigAbort with Redis's log line when it cannot be read. */
function readConfigFile(path: string): string {
  try {
    return readFileSync(path, "latin1");
  } catch (e) {
    throw new ConfigAbort([`Fatal error, can't open config file '${path}': ${strerror(e)}`]);
  }
}

/**
 * glob(3) as Redis calls it for `include`: the existing paths matching `pattern`, each
 * part of the path matched as fnmatch does (Redis's stringmatchlen here), sorted; a name
 * starting with "." only where the pattern's part does.
 */
export function globPaths(pattern: string): string[] {
  let found = [pattern.startsWith("/") ? "/" : ""];
  for (const part of pattern.split("/")) {
    if (part === "") continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) {
        next.push(dir + part);
      } else {
        let names: string[] = [];
        try {
          names = readdirSync(dir === "" ? "." : dir).sort();
        } catch {
          // Not a folder, or not readable: nothing matches under it.
        }
        // fnmatch's [!a] is stringmatchlen's [^a].
        const pat = part.replace(/\[!/g, "[^");
        for (const name of names) if ((part.startsWith(".") || !name.startsWith(".")) && globMatch(pat, name)) next.push(dir + name);
      }
    }
    found = next.map((p) => `${p}/`);
  }
  return found.map((p) => p.slice(0, -1)).filter((p) => existsSync(p));
}

/**
 * Read the start-up configuration: the file, then standard input, then the command line's
 * directives after a newline, as one text whose lines are applied in order.
 */
export function loadStartupConfig(args: readonly string[], checks: DirectiveChecks, readStdin: () => string): StartupConfig & { configFile?: string } {
  const { configFile, stdin, options } = commandLine(args);
  let text = configFile !== undefined ? readConfigFile(configFile) : "";
  if (stdin) text += readStdin();
  const out: StartupConfig = { options: {}, users: [] };
  applyConfigText(`${text}\n${options}`, checks, out, 0);
  return { ...out, configFile };
}

/** Nested includes beyond this are refused (Redis recurses until its stack runs out). */
const MAX_INCLUDE_DEPTH = 32;

/** loadServerConfigFromString: apply each line in order into `out`; the first bad one throws. */
export function applyConfigText(text: string, checks: DirectiveChecks, out: StartupConfig, depth: number): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line.startsWith("#")) continue;
    const fail = (reason: string): never => {
      throw new ConfigLineError(reason, i + 1, line);
    };
    let argv = splitConfigLine(line);
    if (argv === undefined) fail("Unbalanced quotes in configuration line");
    if (argv!.length === 0) continue;
    const name = argv![0]!.toLowerCase();
    const param = findParam(name);
    if (param !== undefined) {
      if (!param.multiArg && argv!.length !== 2) fail("wrong number of arguments");
      // A multi-argument parameter given in one argument is split on spaces.
      if (param.multiArg && argv!.length === 2 && argv![1] !== "") argv = [name, ...argv![1]!.split(" ")];
      const value = argv!.slice(1).join(" ");
      const checked = normalize(param, value);
      if ("error" in checked) fail(checked.error);
      const o = out.options;
      o[param.name] = param.name === "save" && value !== "" && o.save ? `${o.save} ${value}` : value;
      continue;
    }
    if (DEPRECATED.has(name) && argv!.length === 2) continue;
    if (name === "include" && argv!.length === 2) {
      if (depth >= MAX_INCLUDE_DEPTH) fail(`include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      const path = inDir(out, argv![1]!);
      const files = /[*?[]/.test(path) ? globPaths(path) : [path];
      applyConfigText(files.map(readConfigFile).join(""), checks, out, depth + 1);
    } else if (name === "rename-command" && argv!.length === 3) {
      const [from, to] = [argv![1]!.toLowerCase(), argv![2]!.toLowerCase()];
      const problem = checks.rename(from, to);
      if (problem !== undefined) fail(problem);
    } else if (name === "user" && argv!.length >= 2) {
      if (out.users.some((u) => u[0] === argv![1])) fail(`Error in user declaration '${argv![1]}': Duplicate user found. A user can only be defined once in config files`);
      // The word Redis names is at the bad rule's index counted from the line's first word, not from the rules.
      const bad = checks.userRules(argv!.slice(2));
      if (bad !== undefined) fail(`Error in user declaration '${argv![bad.at]}': ${bad.reason}`);
      out.users.push(argv!.slice(1));
    } else if (name === "loadmodule" && argv!.length >= 2) {
      throw new ConfigAbort([`Module ${argv![1]} failed to load: KVIS does not load Redis modules`, `Can't load module from ${argv![1]}: server aborting`]);
    } else if (name.includes(".")) {
      throw new ConfigAbort(["Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"]);
    } else if (name === "sentinel") {
      fail("sentinel directive while not in sentinel mode");
    } else {
      fail("Bad directive or wrong number of arguments");
    }
  }
  // Redis's checks once a text is read (an included one too), with no line named.
  const o = out.options;
  if (o["cluster-enabled"] === "yes" && o.replicaof !== undefined && o.replicaof !== "") throw new ConfigLineError("replicaof directive not allowed in cluster mode");
  // The log file in a dir start-up is yet to create is not looked at: it will be made there.
  if (o.logfile !== undefined && o.logfile !== "" && (o.dir === undefined || existsSync(resolve(o.dir)))) {
    try {
      closeSync(openSync(inDir(out, o.logfile), "a"));
    } catch (e) {
      throw new ConfigLineError(`Can't open the log file: ${strerror(e)}`);
    }
  }
}

/** A relative path as Redis resolves it while reading its config: in `dir`, once a dir line has moved it there. */
function inDir(out: StartupConfig, path: string): string {
  const dir = out.options.dir;
  return dir === undefined || isAbsolute(path) ? path : join(resolve(dir), path);
}
