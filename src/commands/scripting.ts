/**
 * EVAL, EVALSHA, their _RO forms and SCRIPT; FUNCTION and FCALL (COMMAND DOCS's
 * "scripting" group). The commands parse and check their arguments; the script cache, the
 * libraries and the runs are the scripting service's (src/scripting/runtime.ts).
 */
import {
  FUNCTION_CODE_MISSING, FUNCTION_DUMP_PAYLOAD, FUNCTION_FLUSH_OPTION, FUNCTION_NOT_FOUND, FUNCTION_RESTORE_POLICY, LIBRARY_NAME_MISSING, LIBRARY_NOT_FOUND,
  NOSCRIPT, NOT_INTEGER, NUMKEYS_BAD, NUMKEYS_NEGATIVE, NUMKEYS_TOO_MANY, ReplyError, SCRIPT_DEBUG_EVALSHA, SCRIPT_DEBUG_OPTION, SCRIPT_DEBUG_PIPELINE, SCRIPT_DEBUG_UNAVAILABLE, SCRIPT_FLUSH_OPTION, functionListArgument, functionLoadOption, subcommandSyntax,
} from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { globMatch } from "../resp/bytes.ts";
import { F_DENYOOM, F_MAY_REPLICATE, F_STALE, F_WRITE, command, type CommandSpec, type FullKeySpec } from "./command.ts";
import { SCRIPT_ALLOW_OOM, SCRIPT_ALLOW_STALE, SCRIPT_EVAL_COMPAT, SCRIPT_FLAG_NAMES, SCRIPT_NO_WRITES, type Context } from "./context.ts";

/** Keys come after numkeys (argv[2]): "We cannot tell how the keys will be used". */
function scriptKeys(readOnly: boolean, notes: boolean): FullKeySpec[] {
  const spec: FullKeySpec = {
    flags: readOnly ? ["RO", "access"] : ["RW", "access", "update"],
    begin: { index: 2 },
    find: { keynumidx: 0, firstkey: 1, keystep: 1 },
  };
  if (notes) spec.notes = `We cannot tell how the keys will be used so we assume the worst, ${readOnly ? "RO and ACCESS" : "RW and UPDATE"}`;
  return [spec];
}

/** numkeys (argv[2]): how many of the arguments after it are keys. */
function numkeys(argv: Argv, badNumkeys: ReplyError): number {
  const n = argv.tryInt(2);
  if (n === undefined) throw badNumkeys;
  if (n > argv.length - 3) throw NUMKEYS_TOO_MANY;
  if (n < 0) throw NUMKEYS_NEGATIVE;
  return n;
}

function evalGeneric(c: Context, argv: Argv, bySha: boolean, readOnly: boolean): void {
  // MONITOR shows the script, whatever becomes of it, before the commands it runs (EVAL is
  // skip-monitor for the dispatcher).
  c.server.feedMonitors(c, argv);
  const scripting = c.server.scripting;
  // Redis's order: a sha1 of the wrong length, then numkeys, then the script itself.
  if (bySha && argv.len(1) !== 40) throw NOSCRIPT;
  // After SCRIPT DEBUG YES or SYNC an EVAL runs in the debugger; the connection then closes.
  const debug = c.scriptDebug !== "no" && !c.inExec && !c.fromScript;
  if (debug && bySha) throw SCRIPT_DEBUG_EVALSHA;
  const n = numkeys(argv, NOT_INTEGER);
  let script = scripting.findScript(argv, bySha);
  if (script === undefined) {
    if (bySha) throw NOSCRIPT;
    const loaded = scripting.loadScript(argv.bytes(1));
    if (loaded instanceof ReplyError) throw loaded;
    script = loaded;
  }
  if (debug) scripting.debugScript(c, script, argv, n, readOnly);
  else scripting.evalScript(c, script, argv, n, readOnly);
}

const EVAL_FLAGS: CommandSpec["flags"] = ["noscript", "stale", "skip-monitor", "may-replicate", "no-mandatory-keys"];
/** The _RO forms: read-only, and never replicate anything. */
const EVAL_RO_FLAGS: CommandSpec["flags"] = ["readonly", "noscript", "stale", "skip-monitor", "no-mandatory-keys"];

/**
 * A script's flags as the command's (Redis's scriptFlagsToCmdFlags): a script with a
 * shebang is a write (and may be refused for memory) unless it says no-writes, and runs
 * on a stale replica only with allow-stale. Without a shebang the command's own flags hold.
 */
function scriptCommandFlags(declared: number, scriptFlags: number | undefined): number {
  if (scriptFlags === undefined || (scriptFlags & SCRIPT_EVAL_COMPAT) !== 0) return declared;
  let bits = declared & ~(F_STALE | F_DENYOOM | F_WRITE | F_MAY_REPLICATE);
  if ((scriptFlags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0) bits |= F_DENYOOM;
  if ((scriptFlags & SCRIPT_NO_WRITES) === 0) bits |= F_WRITE;
  if ((scriptFlags & SCRIPT_ALLOW_STALE) !== 0) bits |= F_STALE;
  return bits;
}

const evalFlags = (bySha: boolean) => (c: Context, argv: Argv, declared: number) => {
  const scripting = c.server.scripting;
  const script = scripting.findScript(argv, bySha);
  return scriptCommandFlags(declared, script !== undefined ? script.flags : bySha ? undefined : scripting.shebangFlags(argv.bytes(1)));
};

const fcallFlags = (c: Context, argv: Argv, declared: number) =>
  scriptCommandFlags(declared, c.server.scripting.findFunction(argv)?.flags);

export const evalCommand = command({
  name: "eval", arity: -3, flags: EVAL_FLAGS, keySpecs: scriptKeys(false, true), categories: ["scripting"],
  args: "script:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Execute a Lua script server side", since: "2.6.0", complexity: "Depends on the script that is executed.",
  requestFlags: evalFlags(false),
  handler: (c, argv) => evalGeneric(c, argv, false, false),
});

export const evalshaCommand = command({
  name: "evalsha", arity: -3, flags: EVAL_FLAGS, keySpecs: scriptKeys(false, false), categories: ["scripting"],
  args: "sha1:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Execute a Lua script server side", since: "2.6.0", complexity: "Depends on the script that is executed.",
  requestFlags: evalFlags(true),
  handler: (c, argv) => evalGeneric(c, argv, true, false),
});

export const evalRoCommand = command({
  name: "eval_ro", arity: -3, flags: EVAL_RO_FLAGS, keySpecs: scriptKeys(true, true), categories: ["scripting"],
  args: "script:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Execute a read-only Lua script server side", since: "7.0.0", complexity: "Depends on the script that is executed.",
  requestFlags: evalFlags(false),
  handler: (c, argv) => evalGeneric(c, argv, false, true),
});

export const evalshaRoCommand = command({
  name: "evalsha_ro", arity: -3, flags: EVAL_RO_FLAGS, keySpecs: scriptKeys(true, false), categories: ["scripting"],
  args: "sha1:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Execute a read-only Lua script server side", since: "7.0.0", complexity: "Depends on the script that is executed.",
  requestFlags: evalFlags(true),
  handler: (c, argv) => evalGeneric(c, argv, true, true),
});

/** SCRIPT KILL and FUNCTION KILL: served while a script runs past busy-reply-threshold (src/scripting/runtime.ts). */
function killGeneric(c: Context, isEval: boolean): void {
  const refused = c.server.scripting.kill(isEval);
  if (refused !== undefined) throw refused;
  c.reply.ok();
}

/** SCRIPT FLUSH and FUNCTION FLUSH's optional ASYNC|SYNC (both free at once here). */
function flushMode(argv: Argv, error: ReplyError): void {
  if (argv.length === 2) return;
  const mode = argv.keyword(2);
  if (argv.length > 3 || (mode !== "sync" && mode !== "async")) throw error;
}

export const scriptCommand = command({
  name: "script", arity: -2, flags: [], summary: "A container for Lua scripts management commands", since: "2.6.0",
  complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "script|load", arity: 3, flags: ["noscript", "stale"], categories: ["scripting"],
      args: "script:string",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      summary: "Load the specified Lua script into the script cache.", since: "2.6.0", complexity: "O(N) with N being the length in bytes of the script body.",
      handler(c, argv) {
        const loaded = c.server.scripting.loadScript(argv.bytes(2));
        if (loaded instanceof ReplyError) throw loaded;
        c.reply.bulkString(loaded.sha);
      },
    }),
    command({
      name: "script|exists", arity: -3, flags: ["noscript"], categories: ["scripting"],
      args: "sha1:string...",
      tips: ["request_policy:all_shards", "response_policy:agg_logical_and"],
      summary: "Check existence of scripts in the script cache.", since: "2.6.0", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
      handler(c, argv) {
        c.reply.array(argv.length - 2);
        for (let i = 2; i < argv.length; i++) c.reply.integer(c.server.scripting.hasScript(argv.str(i).toLowerCase()) ? 1 : 0);
      },
    }),
    command({
      name: "script|flush", arity: -2, flags: ["noscript"], categories: ["scripting"],
      history: [["6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."]],
      args: "async(ASYNC|SYNC)?@6.2.0",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      summary: "Remove all the scripts from the script cache.", since: "2.6.0", complexity: "O(N) with N being the number of scripts in cache",
      handler(c, argv) {
        flushMode(argv, SCRIPT_FLUSH_OPTION);
        c.server.scripting.flushScripts();
        c.reply.ok();
      },
    }),
    command({
      name: "script|kill", arity: 2, flags: ["noscript", "allow-busy"], categories: ["scripting"],
      tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
      summary: "Kill the script currently in execution.", since: "2.6.0", complexity: "O(1)",
      handler: (c) => killGeneric(c, true),
    }),
    command({
      name: "script|debug", arity: 3, flags: ["noscript"], categories: ["scripting"],
      args: "mode(YES|SYNC|NO)",
      summary: "Set the debug mode for executed scripts.", since: "3.2.0", complexity: "O(1)",
      handler(c, argv) {
        if (c.repliesPending) throw SCRIPT_DEBUG_PIPELINE;
        const mode = argv.keyword(2);
        if (mode !== "no" && mode !== "yes" && mode !== "sync") throw SCRIPT_DEBUG_OPTION;
        if (mode !== "no" && (c.tls || !c.server.scripting.canDebug)) throw SCRIPT_DEBUG_UNAVAILABLE;
        c.scriptDebug = mode;
        c.reply.ok();
      },
    }),
    command({
      name: "script|help", arity: 2, flags: ["loading", "stale"], categories: ["scripting"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0", complexity: "O(1)",
      handler(c) {
        c.reply.helpLines([
          "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
          "EXISTS <sha1> [<sha1> ...]", "    Return information about the existence of the scripts in the script cache.",
          "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
          "    When called without the optional mode argument, the behavior is determined by the",
          "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
          "    * ASYNC: Asynchronously flush the scripts cache.", "    * SYNC: Synchronously flush the scripts cache.",
          "KILL", "    Kill the currently executing Lua script.",
          "LOAD <script>", "    Load a script into the scripts cache without executing it.",
          "HELP", "    Prints this help.",
        ]);
      },
    }),
  ],
});

function fcallGeneric(c: Context, argv: Argv, readOnly: boolean): void {
  c.server.feedMonitors(c, argv);
  const fn = c.server.scripting.findFunction(argv);
  if (fn === undefined) throw FUNCTION_NOT_FOUND;
  c.server.scripting.callFunction(c, fn, argv, numkeys(argv, NUMKEYS_BAD), readOnly);
}

export const fcallCommand = command({
  name: "fcall", arity: -3, flags: EVAL_FLAGS, keySpecs: scriptKeys(false, true), categories: ["scripting"],
  args: "function:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Invoke a function", since: "7.0.0", complexity: "Depends on the function that is executed.",
  requestFlags: fcallFlags,
  handler: (c, argv) => fcallGeneric(c, argv, false),
});

export const fcallRoCommand = command({
  name: "fcall_ro", arity: -3, flags: EVAL_RO_FLAGS, keySpecs: scriptKeys(true, true), categories: ["scripting"],
  args: "function:string numkeys:integer key:key#0?... arg:string?...",
  summary: "Invoke a read-only function", since: "7.0.0", complexity: "Depends on the function that is executed.",
  requestFlags: fcallFlags,
  handler: (c, argv) => fcallGeneric(c, argv, true),
});

export const functionCommand = command({
  name: "function", arity: -2, flags: [], summary: "A container for function commands", since: "7.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "function|load", arity: -3, flags: ["write", "denyoom", "noscript"], categories: ["scripting"],
      args: "REPLACE? function-code:string",
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Create a function with the given arguments (name, code, description)", since: "7.0.0", complexity: "O(1) (considering compilation time is redundant)",
      handler(c, argv) {
        let replace = false;
        let i = 2;
        for (; i < argv.length - 1; i++) {
          if (argv.keyword(i) === "replace") replace = true;
          else throw functionLoadOption(argv.str(i));
        }
        if (i >= argv.length) throw FUNCTION_CODE_MISSING;
        const loaded = c.server.scripting.loadLibrary(argv.bytes(i), replace);
        if (loaded instanceof ReplyError) throw loaded;
        c.server.keyspace.dirty++;
        c.reply.bulkString(loaded);
      },
    }),
    command({
      name: "function|delete", arity: 3, flags: ["write", "noscript"], categories: ["scripting"],
      args: "library-name:string",
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Delete a function by name", since: "7.0.0", complexity: "O(1)",
      handler(c, argv) {
        if (!c.server.scripting.deleteLibrary(argv.str(2))) throw LIBRARY_NOT_FOUND;
        c.server.keyspace.dirty++;
        c.reply.ok();
      },
    }),
    command({
      name: "function|flush", arity: -2, flags: ["write", "noscript"], categories: ["scripting"],
      args: "async(ASYNC|SYNC)?",
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Deleting all functions", since: "7.0.0", complexity: "O(N) where N is the number of functions deleted",
      handler(c, argv) {
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "function");
        flushMode(argv, FUNCTION_FLUSH_OPTION);
        c.server.scripting.flushFunctions();
        c.server.keyspace.dirty++;
        c.reply.ok();
      },
    }),
    command({
      name: "function|kill", arity: 2, flags: ["noscript", "allow-busy"], categories: ["scripting"],
      tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
      summary: "Kill the function currently in execution.", since: "7.0.0", complexity: "O(1)",
      handler: (c) => killGeneric(c, false),
    }),
    command({
      name: "function|list", arity: -2, flags: ["noscript"], categories: ["scripting"], tips: ["nondeterministic_output_order"],
      args: "LIBRARYNAME=library-name-pattern:string? WITHCODE?",
      summary: "List information about all the functions", since: "7.0.0", complexity: "O(N) where N is the number of functions",
      handler(c, argv) {
        let withCode = false;
        let pattern: string | undefined;
        for (let i = 2; i < argv.length; i++) {
          const option = argv.keyword(i);
          if (option === "withcode" && !withCode) withCode = true;
          else if (option === "libraryname" && pattern === undefined) {
            if (i + 1 >= argv.length) throw LIBRARY_NAME_MISSING;
            pattern = argv.str(++i);
          } else throw functionListArgument(argv.str(i));
        }
        const libraries = [...c.server.scripting.libraries.values()].filter((l) => pattern === undefined || globMatch(pattern, l.name, false));
        const r = c.reply;
        r.array(libraries.length);
        for (const library of libraries) {
          r.map(withCode ? 4 : 3);
          r.bulkString("library_name");
          r.bulkString(library.name);
          r.bulkString("engine");
          r.bulkString("LUA");
          r.bulkString("functions");
          r.array(library.functions.size);
          for (const fn of library.functions.values()) {
            r.map(3);
            r.bulkString("name");
            r.bulkString(fn.name);
            r.bulkString("description");
            if (fn.description === undefined) r.null();
            else r.bulkString(fn.description);
            r.bulkString("flags");
            const flags = SCRIPT_FLAG_NAMES.filter(([, bit]) => (fn.flags & bit) !== 0);
            r.set(flags.length);
            for (const [name] of flags) r.simple(name);
          }
          if (withCode) {
            r.bulkString("library_code");
            r.bulk(library.code);
          }
        }
      },
    }),
    command({
      name: "function|stats", arity: 2, flags: ["noscript", "allow-busy"], categories: ["scripting"],
      tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
      summary: "Return information about the function currently running (name, description, duration)", since: "7.0.0", complexity: "O(1)",
      handler(c) {
        const scripting = c.server.scripting;
        const r = c.reply;
        r.map(2);
        r.bulkString("running_script");
        const running = scripting.runningScript;
        if (running === undefined) {
          r.null();
        } else {
          r.map(3);
          r.bulkString("name");
          r.bulkString(running.name);
          r.bulkString("command");
          r.array(running.argv.length);
          for (let i = 0; i < running.argv.length; i++) r.bulk(running.argv.bytes(i));
          r.bulkString("duration_ms");
          r.integer(Math.floor(performance.now() - running.started));
        }
        r.bulkString("engines");
        r.map(1);
        r.bulkString("LUA");
        r.map(2);
        r.bulkString("libraries_count");
        r.integer(scripting.libraries.size);
        r.bulkString("functions_count");
        r.integer(scripting.functions.size);
      },
    }),
    command({
      name: "function|dump", arity: 2, flags: ["noscript"], categories: ["scripting"],
      summary: "Dump all functions into a serialized binary payload", since: "7.0.0", complexity: "O(N) where N is the number of functions",
      handler(c) {
        c.reply.bulk(c.server.scripting.dump(c.server.config.get("rdbcompression") === "yes"));
      },
    }),
    command({
      name: "function|restore", arity: -3, flags: ["write", "denyoom", "noscript"], categories: ["scripting"],
      args: "serialized-value:string policy(FLUSH|APPEND|REPLACE)?",
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Restore all the functions on the given payload", since: "7.0.0", complexity: "O(N) where N is the number of functions on the payload",
      handler(c, argv) {
        let policy: "append" | "replace" | "flush" = "append";
        if (argv.length > 4) throw subcommandSyntax(argv.str(1), "function");
        if (argv.length === 4) {
          const p = argv.keyword(3);
          if (p !== "append" && p !== "replace" && p !== "flush") throw FUNCTION_RESTORE_POLICY;
          policy = p;
        }
        const error = c.server.scripting.restore(argv.bytes(2), policy);
        if (error === "payload") throw FUNCTION_DUMP_PAYLOAD;
        if (error !== undefined) throw error;
        c.server.keyspace.dirty++;
        c.reply.ok();
      },
    }),
    command({
      name: "function|help", arity: 2, flags: ["loading", "stale"], categories: ["scripting"],
      summary: "Show helpful text about the different subcommands", since: "7.0.0", complexity: "O(1)",
      handler(c) {
        c.reply.helpLines(FUNCTION_HELP);
      },
    }),
  ],
});

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];
