/**
 * Scripting as Redis 7.0 runs it: the EVAL script cache, FUNCTION's libraries, and the run
 * of a script or function on behalf of a client. A script's redis.call goes through the
 * same call() as a client's command, from a "script client" that takes the caller's
 * database and user, after the checks Redis's scriptCall makes (arity, noscript, stale,
 * ACL, writes in read-only scripts, OOM); its writes reach replicas and the AOF as their
 * effects, inside MULTI/EXEC when there are several. The Lua side lives in engine.ts.
 *
 * While a script runs the event loop is not turning. Past busy-reply-threshold the script's
 * periodic hook serves the other clients itself (Server.processEventsWhileBlocked): they
 * get -BUSY, and SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE are served, as in Redis.
 */
import type { Command } from "../commands/command.ts";
import { F_DENYOOM, F_MAY_REPLICATE, F_STALE, F_WRITE } from "../commands/command.ts";
import {
  Denied, type EvalScript, SCRIPT_ALLOW_CROSS_SLOT, SCRIPT_ALLOW_OOM, SCRIPT_ALLOW_STALE, SCRIPT_EVAL_COMPAT, SCRIPT_FLAG_NAMES, SCRIPT_NO_WRITES, type ScriptFunction as LuaFunction, type ScriptLibrary as Library,
} from "../commands/context.ts";
import { lookupRequest } from "../commands/table.ts";
import {
  CALL_ARITY, CALL_CLUSTER_DOWN, CALL_CLUSTER_DOWN_RO, CALL_CROSS_SLOT, CALL_NON_LOCAL_KEY, CLUSTERDOWN, CLUSTERDOWN_RO, CALL_NOPERM_CHANNEL, CALL_NOPERM_COMMAND, CALL_NOPERM_KEY, CALL_NOSCRIPT, CALL_STALE, CALL_UNKNOWN, CALL_WRITE_IN_RO, FUNCTION_NAME_INVALID,
  LIBRARY_METADATA_INVALID, LIBRARY_METADATA_MISSING, LIBRARY_NAME_INVALID, LIBRARY_NAME_NOT_GIVEN, LIBRARY_NAME_TWICE, MASTERDOWN, MISCONF_RDB, OOM, READONLY,
  BUSY_EVAL, BUSY_FUNCTION, CountedReplyError, NOREPLICAS, NOTBUSY, ReplyError, SCRIPT_ENGINE_INVALID, UNKILLABLE_MASTER, UNKILLABLE_WRITES, SCRIPT_MASTERDOWN, SCRIPT_MISCONF_RDB, SCRIPT_OOM, SCRIPT_READONLY_REPLICA, SCRIPT_SHEBANG_INVALID, SCRIPT_WRITE_WITH_RO,
  functionExists, libraryEngine, libraryExists, libraryMetadataValue, misconfAof, restoredLibraryExists, scriptCompileError, scriptMisconfAof, shebangEngine,
  shebangFlag, shebangOption,
} from "../errors.ts";
import { functionsFromPayload, validDumpPayload } from "../persistence/rdb-reader.ts";
import { functionsPayload } from "../persistence/rdb-writer.ts";
import { Argv } from "../resp/argv.ts";
import { bytesToString } from "../resp/bytes.ts";
import { readClockAfresh, restoreClock } from "../clock.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { call, settleCommandTime } from "../server/dispatch.ts";
import { redirection, routed, routedSlot } from "../cluster/redirect.ts";
import { Client } from "../server/connection.ts";
import type { Server } from "../server/server.ts";
import { libc } from "../server/libc.ts";
import { LuaDebugger } from "./debugger.ts";
import { Rollback } from "./rollback.ts";
import { EngineId, Hook, LuaEngine, type RunError, type ScriptHost, sha1hex } from "./engine.ts";


/** The script that is running: what redis.call's checks need to know of it. */
interface Run {
  caller: Client;
  readOnly: boolean;
  allowOom: boolean;
  /** The script ran a write: from then on the OOM and disk checks no longer stop it. */
  writeDirty: boolean;
  /** maxmemory was exceeded when the script started. */
  oomAtStart: boolean;
  /** The caller is the master's stream or the AOF: never refused. */
  obey: boolean;
  name: string;
  eval: boolean;
  /** performance.now() when it started. */
  started: number;
  /** The request that runs it (FUNCTION STATS shows it); valid while it runs. */
  argv: Argv;
  /** SCRIPT KILL or FUNCTION KILL asked it to stop. */
  killed: boolean;
  /** Cluster: whether its commands may use keys of several slots, and the slot they use so far (-1: none). */
  allowCrossSlot: boolean;
  slot: number;
}

/** How long FUNCTION LOAD may run a library's code (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** What a library is counted as: its code and an estimate of 64 bytes for it and each function. */
function libraryBytes(library: Library): number {
  return library.code.length + 64 * (library.functions.size + 1);
}


/**
 * A shebang line's words as Redis's sdssplitargs splits them: on blanks, with "double
 * quoted" (backslash escapes) and 'single quoted' parts joined to the word they are in.
 * Undefined for unbalanced quotes.
 */
export function shebangWords(line: string): string[] | undefined {
  const words: string[] = [];
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };
  let i = 0;
  for (;;) {
    while (i < line.length && /[ \n\r\t\f\v]/.test(line[i]!)) i++;
    if (i >= line.length) return words;
    let word = "";
    for (; i < line.length && !/[ \n\r\t\f\v]/.test(line[i]!); i++) {
      const ch = line[i]!;
      if (ch !== '"' && ch !== "'") {
        word += ch;
        continue;
      }
      const close = line.indexOf(ch, i + 1);
      let j = i + 1;
      for (; j < line.length && line[j] !== ch; j++) {
        if (line[j] === "\\" && j + 1 < line.length) {
          const next = line[++j]!;
          if (ch === '"' && next === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(j + 1, j + 3))) {
            word += String.fromCharCode(parseInt(line.slice(j + 1, j + 3), 16));
            j += 2;
          } else word += ch === '"' ? (escapes[next] ?? next) : next === "'" ? "'" : `\\${next}`;
        } else word += line[j];
      }
      if (close < 0 || j >= line.length) return undefined;
      i = j;
    }
    words.push(word);
  }
}

/**
 * An EVAL script's shebang (`#!lua flags=no-writes,...`): its flags and length, or the
 * error Redis gives. Without one, the script runs in compatibility mode.
 */
export function parseShebang(body: Uint8Array): { flags: number; length: number } | ReplyError {
  if (body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return { flags: SCRIPT_EVAL_COMPAT, length: 0 };
  const end = body.indexOf(0x0a);
  if (end < 0) return SCRIPT_SHEBANG_INVALID;
  const words = shebangWords(bytesToString(body.subarray(0, end)));
  if (words === undefined || words.length === 0) return SCRIPT_ENGINE_INVALID;
  if (words[0] !== "#!lua") return shebangEngine(words[0]!);
  let flags = 0;
  for (const word of words.slice(1)) {
    if (!word.startsWith("flags=")) return shebangOption(word);
    for (const name of word.slice(6).split(",")) {
      if (name === "") continue;
      const flag = SCRIPT_FLAG_NAMES.find(([n]) => n === name);
      if (flag === undefined) return shebangFlag(name);
      flags |= flag[1];
    }
  }
  return { flags, length: end };
}

/** A library's shebang (`#!lua name=mylib`): its name, or the error Redis gives. */
function parseLibraryShebang(code: Uint8Array): { name: string; codeStart: number } | ReplyError {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return LIBRARY_METADATA_MISSING;
  const end = code.indexOf(0x0a);
  if (end < 0) return LIBRARY_METADATA_INVALID;
  const words = shebangWords(bytesToString(code.subarray(0, end)));
  if (words === undefined || words.length === 0) return LIBRARY_METADATA_INVALID;
  const engine = words[0]!.slice(2);
  let name: string | undefined;
  for (const word of words.slice(1)) {
    if (word.slice(0, 5).toLowerCase() !== "name=") return libraryMetadataValue(word);
    if (name !== undefined) return LIBRARY_NAME_TWICE;
    name = word.slice(5);
  }
  if (name === undefined) return LIBRARY_NAME_NOT_GIVEN;
  if (!NAME_PATTERN.test(name)) return LIBRARY_NAME_INVALID;
  if (engine.toUpperCase() !== "LUA") return libraryEngine(engine);
  return { name, codeStart: end };
}

export class Scripting implements ScriptHost {
  readonly scripts = new Map<string, EvalScript>();
  /** Bytes of cached script bodies and their names (INFO used_memory_scripts_eval). */
  scriptsMemory = 0;
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LuaFunction>();
  private lua: LuaEngine | undefined;
  private scriptClient: Client | undefined;
  private readonly writer = new ReplyWriter();
  private run: Run | undefined;
  /** set_repl's targets for the running script: 1 the AOF, 2 replicas. */
  replTargets = 3;
  /** The library FUNCTION LOAD is building (redis.register_function adds to it). */
  private loading: Library | undefined;

  constructor(private readonly server: Server) {}

  /** The engine is made on first use: a server that never runs a script never pays for it. */
  private get engine(): LuaEngine {
    if (this.lua === undefined) {
      this.lua = new LuaEngine(this);
      this.lua.argsOutliveCall = () => this.server.propagation.wanted;
    }
    return this.lua;
  }

  /** Memory held by the EVAL interpreter (INFO used_memory_lua). */
  get evalMemory(): number {
    return this.lua === undefined ? 0 : this.lua.memory(EngineId.Eval);
  }

  get functionsMemory(): number {
    return this.lua === undefined ? 0 : this.lua.memory(EngineId.Function);
  }

  /**
   * Bytes the libraries hold outside the engine: their code and an estimate per function
   * (INFO used_memory_functions). Kept as libraries come and go: used_memory reads it
   * before every command under maxmemory.
   */
  functionsOverhead = 0;

  hasScript(sha: string): boolean {
    return this.scripts.has(sha);
  }

  /** The running script, for FUNCTION STATS. */
  get runningScript(): { name: string; argv: Argv; started: number } | undefined {
    return this.run;
  }

  /** DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may run commands flagged noscript (tests only). */
  allowNoscript = false;

  /** The script has run past busy-reply-threshold: other clients get -BUSY. */
  timedOut = false;
  /** When FUNCTION LOAD started running a library's code. */
  private loadStarted = 0;

  /** The -BUSY error for the running script's kind. */
  busyError(): ReplyError {
    return this.run?.eval === false ? BUSY_FUNCTION : BUSY_EVAL;
  }

  /** SCRIPT KILL (`isEval`) or FUNCTION KILL: the error that refuses it, or undefined once the script is told to stop. */
  kill(isEval: boolean): ReplyError | undefined {
    const run = this.run;
    if (run === undefined || !this.timedOut) return NOTBUSY;
    if (run.obey) return UNKILLABLE_MASTER;
    if (run.writeDirty) return UNKILLABLE_WRITES;
    if (isEval && !run.eval) return BUSY_FUNCTION;
    if (!isEval && run.eval) return BUSY_EVAL;
    run.killed = true;
    return undefined;
  }

  /** SHUTDOWN NOSAVE while a script runs: stop it, so that the server can go. */
  abortForShutdown(): void {
    if (this.run !== undefined) this.run.killed = true;
  }

  /** SCRIPT LOAD and EVAL's first run: the cached script, or its shebang or compile error. */
  loadScript(body: Uint8Array): EvalScript | ReplyError {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return cached;
    const shebang = parseShebang(body);
    if (shebang instanceof ReplyError) return shebang;
    const ref = this.engine.compile(body, shebang.length);
    if (typeof ref === "string") return scriptCompileError(ref);
    const script = { sha, body: Uint8Array.from(body), flags: shebang.flags, ref };
    this.scripts.set(sha, script);
    this.scriptsMemory += body.length + 40 + 64;
    return script;
  }

  get scriptCount(): number {
    return this.scripts.size;
  }

  /**
   * The last script found, by the bytes that named it: the dispatcher (for the script's
   * flags) and the handler both look a request's script up, and an EVAL's body would be
   * hashed twice (Redis keeps c->cur_script for the same reason).
   */
  private found: { name: Uint8Array; bySha: boolean; script: EvalScript } | undefined;

  findScript(argv: Argv, bySha: boolean): EvalScript | undefined {
    const found = this.found;
    if (found !== undefined && found.bySha === bySha && argv.equals(1, found.name)) return found.script;
    if (bySha && argv.len(1) !== 40) return undefined;
    const name = argv.bytes(1);
    const script = this.scripts.get(bySha ? argv.str(1).toLowerCase() : sha1hex(name));
    if (script !== undefined) this.found = { name: Uint8Array.from(name), bySha, script };
    return script;
  }

  /** The last function found by FCALL, by the bytes of its name (as findScript). */
  private foundFunction: { name: Uint8Array; fn: LuaFunction } | undefined;

  /** The function argv[1] names (case-insensitive). */
  findFunction(argv: Argv): LuaFunction | undefined {
    const found = this.foundFunction;
    if (found !== undefined && argv.equals(1, found.name)) return found.fn;
    const fn = this.functions.get(argv.str(1).toLowerCase());
    if (fn !== undefined) this.foundFunction = { name: argv.bytes(1).slice(), fn };
    return fn;
  }

  shebangFlags(body: Uint8Array): number | undefined {
    const shebang = parseShebang(body);
    return shebang instanceof ReplyError ? undefined : shebang.flags;
  }

  /** SCRIPT FLUSH: a new interpreter and an empty cache. */
  flushScripts(): void {
    this.found = undefined;
    this.scripts.clear();
    this.scriptsMemory = 0;
    this.lua?.reset(EngineId.Eval);
  }

  /** EVAL/EVALSHA: run a cached script for `caller`; its reply goes into the caller's reply. */
  evalScript(caller: Client, script: EvalScript, argv: Argv, nkeys: number, readOnly: boolean): void {
    this.execute(caller, argv, nkeys, script.flags, readOnly, script.sha, EngineId.Eval, script.ref);
  }

  get canDebug(): boolean {
    return libc() !== null;
  }

  /** The debugging session running (SCRIPT DEBUG SYNC), if any. */
  private debugger: LuaDebugger | undefined;

  /**
   * EVAL after SCRIPT DEBUG SYNC: the script runs in the Lua debugger (debugger.ts), the
   * server waiting, as Redis's synchronous session does. What the client's earlier
   * commands replied goes out first; "<endsession>" comes before the EVAL's own reply,
   * after which the connection closes. After SCRIPT DEBUG YES the same, and then the
   * session's changes are undone (rollback.ts), as Redis throws its forked child's away.
   */
  debugScript(caller: Client, script: EvalScript, argv: Argv, nkeys: number, readOnly: boolean): void {
    caller.flush();
    const log = this.server.log;
    const rollback = caller.scriptDebug === "yes" ? new Rollback(this.server) : undefined;
    log.warning(rollback === undefined ? "Redis synchronous debugging eval session started" : "Lua debugging session started (SCRIPT DEBUG YES: its changes are undone at its end)");
    const session = new LuaDebugger(caller.fd, bytesToString(argv.bytes(1)), this.engine, (args) => this.debugCall(args), () => this.server.config.int("busy-reply-threshold"));
    this.debugger = session;
    try {
      this.execute(caller, argv, nkeys, script.flags, readOnly, script.sha, EngineId.Eval, script.ref, Hook.Debug);
    } finally {
      this.debugger = undefined;
      session.end();
      if (rollback === undefined) log.warning("Redis synchronous debugging eval session ended");
      else log.warning(`Lua debugging session ended: ${rollback.end()} changed keys put back as they were`);
      caller.scriptDebug = "no";
      caller.closeAfterReply = true;
    }
  }

  /** The debugger's redis command: run as the script's redis.call runs it, logged with its reply. */
  private debugCall(args: string[]): void {
    this.call(Argv.of(...args), 2, true);
  }

  /** FCALL/FCALL_RO. */
  callFunction(caller: Client, fn: LuaFunction, argv: Argv, nkeys: number, readOnly: boolean): void {
    this.execute(caller, argv, nkeys, fn.flags, readOnly, fn.name, EngineId.Function, fn.ref);
  }

  /**
   * FUNCTION LOAD [REPLACE] and each library of an RDB file or FUNCTION RESTORE: the
   * library's name, or the error Redis gives. Nothing changes when it fails.
   */
  loadLibrary(code: Uint8Array, replace: boolean): string | ReplyError {
    const meta = parseLibraryShebang(code);
    if (meta instanceof ReplyError) return meta;
    const old = this.libraries.get(meta.name);
    if (old !== undefined && !replace) return libraryExists(meta.name);
    const library: Library = { name: meta.name, code: Uint8Array.from(code), functions: new Map() };
    this.loading = library;
    this.loadStarted = performance.now();
    let error: string | undefined;
    try {
      error = this.engine.loadLibrary(code.subarray(meta.codeStart));
    } finally {
      this.loading = undefined;
    }
    if (error === undefined && library.functions.size === 0) error = "No functions registered";
    if (error === undefined) {
      for (const [key, fn] of library.functions) {
        const existing = this.functions.get(key);
        if (existing !== undefined && existing.library !== old) {
          error = functionExists(fn.name).text;
          break;
        }
      }
    }
    if (error !== undefined) {
      for (const fn of library.functions.values()) this.engine.unref(EngineId.Function, fn.ref);
      return new ReplyError(error.startsWith("ERR ") ? error : `ERR ${error}`);
    }
    if (old !== undefined) this.deleteLibrary(old.name);
    this.libraries.set(library.name, library);
    this.functionsOverhead += libraryBytes(library);
    for (const [key, fn] of library.functions) this.functions.set(key, fn);
    return library.name;
  }

  deleteLibrary(name: string): boolean {
    const library = this.libraries.get(name);
    if (library === undefined) return false;
    this.foundFunction = undefined;
    for (const [key, fn] of library.functions) {
      this.functions.delete(key);
      this.engine.unref(EngineId.Function, fn.ref);
    }
    this.libraries.delete(name);
    this.functionsOverhead -= libraryBytes(library);
    return true;
  }

  /** FUNCTION DUMP: every library's code, in DUMP's format. */
  dump(compression: boolean): Uint8Array {
    return functionsPayload([...this.libraries.values()].map((l) => l.code), compression);
  }

  /**
   * FUNCTION RESTORE: "payload" when the payload is not a valid dump, or the error that
   * stopped it. APPEND refuses a library that exists before loading anything; FLUSH
   * replaces everything; REPLACE loads each library over its namesake.
   */
  restore(payload: Uint8Array, policy: "append" | "replace" | "flush"): ReplyError | "payload" | undefined {
    if (!validDumpPayload(payload)) return "payload";
    const codes = functionsFromPayload(payload);
    if (typeof codes === "string") return new ReplyError(`ERR ${codes}`);
    if (policy === "flush") this.flushFunctions();
    if (policy === "append") {
      // Redis joins the payload's libraries to the existing ones all or nothing, and
      // names a clash without quotes here.
      for (const code of codes) {
        const meta = parseLibraryShebang(code);
        if (!(meta instanceof ReplyError) && this.libraries.has(meta.name)) return restoredLibraryExists(meta.name);
      }
    }
    const loaded: string[] = [];
    for (const code of codes) {
      const result = this.loadLibrary(code, policy === "replace");
      if (result instanceof ReplyError) {
        if (policy === "append") for (const name of loaded) this.deleteLibrary(name);
        return result;
      }
      loaded.push(result);
    }
    return undefined;
  }

  /** A library met in an RDB file or a full sync's snapshot: an error text when it does not load. */
  readonly loadFromImage = (code: Uint8Array): string | undefined => this.imageLibrary(code, false);
  /** The same, replacing a library of the same name (DEBUG RELOAD MERGE). */
  readonly replaceFromImage = (code: Uint8Array): string | undefined => this.imageLibrary(code, true);

  private imageLibrary(code: Uint8Array, replace: boolean): string | undefined {
    const result = this.loadLibrary(code, replace);
    return result instanceof ReplyError ? result.text : undefined;
  }

  /**
   * The libraries of a snapshot loaded aside (a replica's swapdb load) replace these: the
   * error text of the first that does not load, the old ones then put back.
   */
  replaceLibraries(codes: Uint8Array[]): string | undefined {
    const old = [...this.libraries.values()].map((l) => l.code);
    this.flushFunctions();
    for (const code of codes) {
      const error = this.loadFromImage(code);
      if (error === undefined) continue;
      this.flushFunctions();
      for (const code of old) this.loadFromImage(code);
      return error;
    }
    return undefined;
  }

  /** FUNCTION FLUSH (and FUNCTION RESTORE FLUSH): no libraries, a new interpreter. */
  flushFunctions(): void {
    this.foundFunction = undefined;
    this.libraries.clear();
    this.functionsOverhead = 0;
    this.functions.clear();
    this.lua?.reset(EngineId.Function);
  }

  /**
   * Run a script for `caller` as Redis's scriptPrepareForRun, luaCallFunction and
   * scriptResetRun do: refuse it when its flags forbid running now, then run it with its
   * writes framed as one transaction for replicas and the AOF.
   */
  private execute(caller: Client, argv: Argv, nkeys: number, flags: number, readOnly: boolean, name: string, engine: EngineId, ref: number, hook = Hook.Count): void {
    const isEval = engine === EngineId.Eval;
    const server = this.server;
    const obey = caller.mustObey;
    const refusal = this.refusal(flags, readOnly, obey);
    if (refusal !== undefined) throw refusal;
    const compat = (flags & SCRIPT_EVAL_COMPAT) !== 0;
    const sc = this.client();
    sc.db = caller.db;
    sc.setUser(caller.user, true);
    // The script's commands are timed from here, one clock read each: what Lua does
    // before a call is charged to the command it calls.
    sc.timedCommand = undefined;
    sc.commandClock = sc.callClock = performance.now();
    this.run = {
      caller,
      readOnly: readOnly || (!compat && (flags & SCRIPT_NO_WRITES) !== 0),
      allowOom: !compat && (flags & SCRIPT_ALLOW_OOM) !== 0,
      writeDirty: false,
      oomAtStart: server.maxmemory !== 0 && server.preCommandOom,
      obey,
      name,
      eval: isEval,
      started: sc.commandClock,
      argv,
      killed: false,
      allowCrossSlot: compat || (flags & SCRIPT_ALLOW_CROSS_SLOT) !== 0,
      slot: caller.clusterSlot,
    };
    this.replTargets = 3;
    // Inside EXEC the script sees the time it starts at, not EXEC's (see readClockAfresh).
    const heldTime = caller.inExec ? readClockAfresh() : undefined;
    // Writes are framed as a transaction only when they go anywhere (and not inside EXEC's own).
    const framed = !caller.inExec && server.propagation.wanted;
    if (framed) server.propagation.beginTransaction();
    let result: RunError | undefined;
    try {
      result = this.engine.run(engine, ref, name, argv, 3, nkeys, caller.resp, hook);
    } catch (e) {
      // Not a Lua error (those are replies): the engine itself failed (a WebAssembly trap)
      // and its state cannot be trusted. The caller gets -ERR internal error.
      if (!(e instanceof ReplyError)) this.replaceEngine(e);
      throw e;
    } finally {
      // The last command the script ran is charged its time (if it ran any).
      if (sc.timedCommand !== undefined) settleCommandTime(sc);
      sc.timedCommand = undefined;
      this.run = undefined;
      if (this.timedOut) server.endBusy();
      this.timedOut = false;
      this.replTargets = 3;
      if (framed) server.propagation.endTransaction(caller);
      if (heldTime !== undefined) restoreClock(heldTime);
      // WAIT after a script waits for what it wrote.
      if (sc.replOffset > caller.replOffset) caller.replOffset = sc.replOffset;
    }
    if (result === undefined) this.engine.writeReply(caller.reply);
    // Thrown so that call() counts the command's failure; an error a redis.call already
    // counted in errorstats is not counted again.
    else throw result.counted ? new CountedReplyError(result.error) : new ReplyError(result.error);
  }

  /**
   * A new engine after the old one failed: the script cache starts empty (clients send
   * EVAL again on NOSCRIPT) and the libraries are loaded again from their code.
   */
  private replaceEngine(error: unknown): void {
    this.server.log.warning(`The Lua engine failed (${error instanceof Error ? error.message : String(error)}); starting a new one`);
    this.lua = undefined;
    this.found = undefined;
    this.foundFunction = undefined;
    this.scripts.clear();
    this.scriptsMemory = 0;
    const libraries = [...this.libraries.values()];
    this.libraries.clear();
    this.functionsOverhead = 0;
    this.functions.clear();
    for (const library of libraries) this.loadLibrary(library.code, false);
  }

  /** What stops a script from starting, given its flags (scriptPrepareForRun). */
  private refusal(flags: number, readOnly: boolean, obey: boolean): ReplyError | undefined {
    const server = this.server;
    const link = server.replicaLink;
    const stale = link !== undefined && !link.linkUp && server.config.get("replica-serve-stale-data") === "no";
    if ((flags & SCRIPT_EVAL_COMPAT) !== 0) {
      return stale ? MASTERDOWN : undefined;
    }
    if (stale && (flags & SCRIPT_ALLOW_STALE) === 0) return SCRIPT_MASTERDOWN;
    if ((flags & SCRIPT_NO_WRITES) === 0) {
      if (link !== undefined && server.replicaReadOnly && !obey) return SCRIPT_READONLY_REPLICA;
      if (!obey && server.persistence.refusesWrites) return SCRIPT_MISCONF_RDB;
      const aofError = server.aof.diskError;
      if (!obey && aofError !== undefined) return scriptMisconfAof(aofError);
      if (readOnly) return SCRIPT_WRITE_WITH_RO;
      if (!server.replication.enoughGoodReplicas()) return NOREPLICAS;
    }
    if (server.maxmemory !== 0 && (flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0 && !obey && server.preCommandOom) {
      return SCRIPT_OOM;
    }
    return undefined;
  }

  /** The client scripts run their commands as (Redis's lua_client): no socket, its own reply buffer. */
  private client(): Client {
    if (this.scriptClient === undefined) {
      const noSocket = { write: (b: Uint8Array) => b.length, end() {}, terminate() {} };
      // No connection: its address is "?:0" where Redis prints one (SLOWLOG); MONITOR names it "lua".
      const sc = new Client(this.server, noSocket, "?:0", "");
      sc.replyOverride = this.writer;
      // Blocking commands answer at once, as inside MULTI.
      sc.inExec = true;
      sc.fromScript = true;
      this.scriptClient = sc;
    }
    return this.scriptClient;
  }

  // ---- ScriptHost: what the engine calls back ----

  call(argv: Argv, resp: 2 | 3, logged = false): ReplyWriter {
    const sc = this.client();
    const writer = this.writer;
    writer.reset();
    writer.resp = resp;
    sc.resp = resp;
    // A debugging session shows the commands a step runs, and their replies.
    const ldb = this.debugger !== undefined && (logged || this.debugger.logging) ? this.debugger : undefined;
    ldb?.logCommand(Array.from({ length: argv.length }, (_, i) => bytesToString(argv.bytes(i))));
    const cmd = this.lookup(argv);
    const refused = this.check(cmd, argv);
    if (refused !== undefined) {
      writer.error(refused.text);
      this.server.countError(refused.text);
      if (cmd !== undefined) cmd.rejectedCalls++;
      ldb?.logError(refused.text);
    } else {
      const targets = this.replTargets;
      this.server.propagation.targets = targets;
      try {
        // Its time is settled when the next command differs, or when the script ends.
        call(sc, cmd!, argv);
      } finally {
        this.server.propagation.targets = 3;
      }
      // Client-side caching: a script that reads makes its caller track the keys it
      // declared (Redis remembers the script command's keys, not the commands').
      const caller = this.run!.caller;
      if (caller.tracking !== undefined && cmd!.has("readonly")) this.server.tracking.remember(caller, lookupRequest(this.run!.argv)!, this.run!.argv);
      ldb?.logReply(bytesToString(writer.view()));
    }
    return writer;
  }

  /** The last commands scripts called, by the bytes of their names: most scripts call a few. */
  private recent: Array<{ name: Uint8Array; cmd: Command }> = [];

  /** lookupRequest, remembering the last few top-level commands found. */
  private lookup(argv: Argv): Command | undefined {
    for (const r of this.recent) if (argv.equals(0, r.name)) return r.cmd;
    const cmd = lookupRequest(argv);
    // Only plain commands: a container's request names its subcommand in argv[1].
    if (cmd !== undefined && !cmd.name.includes("|")) {
      if (this.recent.length === 8) this.recent.shift();
      this.recent.push({ name: argv.bytes(0).slice(), cmd });
    }
    return cmd;
  }

  /** The checks Redis's scriptCall makes before calling a script's command. */
  private check(cmd: Command | undefined, argv: Argv): ReplyError | undefined {
    const run = this.run!;
    if (cmd === undefined) return CALL_UNKNOWN;
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) return CALL_ARITY;
    if (cmd.has("noscript") && !this.allowNoscript) return CALL_NOSCRIPT;
    const server = this.server;
    const link = server.replicaLink;
    if (link !== undefined && !link.linkUp && (cmd.flagBits & F_STALE) === 0 && server.config.get("replica-serve-stale-data") === "no") {
      return CALL_STALE;
    }
    const user = run.caller.user;
    if (!user.unrestricted) {
      const { denied, pos } = user.check(cmd, argv);
      if (denied !== Denied.None) {
        const reason = denied === Denied.Command ? "command" : denied === Denied.Key ? "key" : "channel";
        server.acl.addLog(run.caller, reason, denied === Denied.Command ? cmd.name : argv.str(pos), user.name, "lua");
return denied === Denied.Command ? CALL_NOPERM_COMMAND : denied === Denied.Key ? CALL_NOPERM_KEY : CALL_NOPERM_CHANNEL;
      }
    }
    const write = (cmd.flagBits & F_WRITE) !== 0;
    if (run.readOnly && (write || (cmd.flagBits & F_MAY_REPLICATE) !== 0)) return CALL_WRITE_IN_RO;
    if (write && !run.writeDirty) {
      if (link !== undefined && server.replicaReadOnly && !run.obey) return READONLY;
      if (server.persistence.refusesWrites) return MISCONF_RDB;
      const aofError = server.aof.diskError;
      if (aofError !== undefined) return misconfAof(aofError);
      if (!server.replication.enoughGoodReplicas()) return NOREPLICAS;
    }
    if (!run.allowOom && server.maxmemory !== 0 && !run.obey && !run.writeDirty && run.oomAtStart && (cmd.flagBits & F_DENYOOM) !== 0) return OOM;
    if (write) run.writeDirty = true;
    return this.clusterCheck(cmd, argv);
  }

  /**
   * On a cluster node (scriptVerifyClusterState): a script's command must be served here,
   * and, unless the script allows cross-slot keys, use the slot of the keys it was given
   * or, with none given, of its first command with keys.
   */
  private clusterCheck(cmd: Command, argv: Argv): ReplyError | undefined {
    const cluster = this.server.cluster;
    const run = this.run!;
    if (cluster === undefined || run.obey) return undefined;
    const sc = this.client();
    sc.asking = run.caller.asking;
    sc.readonlyCluster = run.caller.readonlyCluster;
    if (routed(cmd)) {
      const error = redirection(cluster, sc, cmd, argv);
      const slot = routedSlot();
      if (error !== undefined) {
        if (error === CLUSTERDOWN_RO) return CALL_CLUSTER_DOWN_RO;
        if (error === CLUSTERDOWN) return CALL_CLUSTER_DOWN;
        return CALL_NON_LOCAL_KEY;
      }
      if (slot !== -1 && !run.allowCrossSlot) {
        if (run.slot === -1) run.slot = slot;
        else if (run.slot !== slot) return CALL_CROSS_SLOT;
      }
    }
    return undefined;
  }

  log(level: number, message: string): void {
    const log = this.server.log;
    if (level === 0) log.debug(message);
    else if (level === 1) log.verbose(message);
    else if (level === 2) log.notice(message);
    else log.warning(message);
  }

  setRepl(flags: number): void {
    this.replTargets = flags;
  }

  aclCheck(argv: Argv): boolean | undefined {
    const cmd = lookupRequest(argv);
    if (cmd === undefined) return undefined;
    const user = this.run!.caller.user;
    return user.unrestricted || user.check(cmd, argv).denied === Denied.None;
  }

  register(name: string, description: string | undefined, flags: number, ref: number): string | undefined {
    const library = this.loading!;
    if (!NAME_PATTERN.test(name)) return FUNCTION_NAME_INVALID;
    // Function names are case-insensitive, as Redis's functions dictionary is.
    const key = name.toLowerCase();
    if (library.functions.has(key)) return "Function already exists in the library";
    library.functions.set(key, { name, ref, flags, description, library });
    return undefined;
  }

  // The Lua debugger's (a session of SCRIPT DEBUG SYNC): see debugger.ts.
  ldbLine(line: number, count: boolean): string | undefined {
    return this.debugger?.line(line, count);
  }

  ldbLog(text: string): void {
    this.debugger?.fromInterpreter(text);
  }

  ldbFrame(level: number, name: string, line: number): void {
    this.debugger?.frame(level, name, line);
  }

  ldbBreakpoint(): boolean {
    return this.debugger?.breakpoint() ?? false;
  }

  ldbDebug(text: string): void {
    this.debugger?.debug(text);
  }

  /**
   * Every 100,000 Lua instructions: 1 stops the running script (killed), 2 stops FUNCTION
   * LOAD's code (past its 500 ms). A script past busy-reply-threshold serves the other
   * clients from here.
   */
  interrupt(): number {
    const run = this.run;
    if (run === undefined) return this.loading !== undefined && performance.now() - this.loadStarted > LOAD_TIMEOUT_MS ? 2 : 0;
    if (!this.timedOut) {
      const threshold = this.server.config.int("busy-reply-threshold");
      const elapsed = performance.now() - run.started;
      if (threshold <= 0 || elapsed < threshold) return 0;
      this.timedOut = true;
      const kill = run.eval ? "SCRIPT KILL" : "FUNCTION KILL";
      this.server.log.warning(`Slow script detected: still in execution after ${Math.round(elapsed)} milliseconds. You can try killing the script using the ${kill} command. Script name is: ${run.name}.`);
    }
    this.server.processEventsWhileBlocked(run.caller);
    return run.killed ? 1 : 0;
  }
}
