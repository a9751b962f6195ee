/**
 * The Lua engine: Redis 7.0's own Lua 5.1 and KVIS's glue (lua-glue.c), compiled to
 * WebAssembly by scripts/build-lua.sh and embedded in the binary. This module instantiates
 * it and speaks its small ABI: bytes in through `kv_io`, replies out through `kv_out`, and
 * the host imports the glue calls back (redis.call, redis.log, ...), which it forwards to a
 * ScriptHost. It knows nothing of clients or commands.
 *
 * Lua errors unwind with JS exceptions: the glue's LUAI_TRY calls `try`, which calls the
 * protected function through the wasm table and catches the exception `throw` raises,
 * restoring the C stack pointer the unwound frames left behind.
 */
import { Argv } from "../resp/argv.ts";
import { bytesToString, stringToBytes } from "../resp/bytes.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import wasmPath from "./lua.wasm" with { type: "file" };

/** What a running script reaches outside the engine. */
export interface ScriptHost {
  /** redis.call/pcall: run the command; its reply in RESP, in a writer. The Argv is reused by the next call. */
  call(argv: Argv, resp: 2 | 3): ReplyWriter;
  log(level: number, message: string): void;
  setRepl(flags: number): void;
  /** redis.acl_check_cmd: whether the caller's user may run it; undefined for an unknown command. */
  aclCheck(argv: Argv): boolean | undefined;
  /** redis.register_function during FUNCTION LOAD: an error text, or undefined when registered. */
  register(name: string, description: string | undefined, flags: number, ref: number): string | undefined;
  /** Called every 100,000 Lua instructions: 1 stops the script (killed), 2 stops FUNCTION LOAD (timeout). */
  interrupt(): number;
  /**
   * The Lua debugger's (a run with Hook.Debug): a line of the user's script is about to run,
   * or (`count`) 100,000 instructions went by. The error that ends the script, if any.
   */
  ldbLine(line: number, count: boolean): string | undefined;
  /** A line of the debugger's output (bytes as latin1). */
  ldbLog(text: string): void;
  /** A frame of the user's script in a backtrace: its function's name ("" at the top level), its line. */
  ldbFrame(level: number, name: string, line: number): void;
  /** redis.breakpoint(): whether a debugging session is on. */
  ldbBreakpoint(): boolean;
  /** redis.debug(...): its arguments, shown. */
  ldbDebug(text: string): void;
}

/** What a run's hook does: nothing, count instructions (a long script serves others), or debug (SCRIPT DEBUG). */
export const enum Hook {
  None = 0,
  Count = 1,
  Debug = 2,
}

export const enum EngineId {
  Eval = 0,
  Function = 1,
}

/**
 * What a run gave, when it failed: the text of the error that stopped the script, which
 * the caller counts in INFO errorstats unless a redis.call already did (`counted`). A run
 * that succeeded leaves its reply in the engine (LuaEngine.writeReply).
 */
export type RunError = { error: string; counted: boolean };

interface Exports {
  memory: WebAssembly.Memory;
  __stack_pointer: WebAssembly.Global;
  __indirect_function_table: WebAssembly.Table;
  _initialize(): void;
  kv_io(size: number): number;
  kv_out(): number;
  kv_init(engine: number): number;
  kv_memory(engine: number): number;
  kv_compile(len: number, skip: number): number;
  kv_load_library(len: number): number;
  kv_unref(engine: number, ref: number): void;
  kv_run(engine: number, ref: number, nkeys: number, nargs: number, callerResp: number, hook: number): number;
  kv_reply_flags(): number;
  kv_ldb_print(len: number): void;
  kv_ldb_eval(len: number): void;
  kv_ldb_trace(): number;
}

/** The exception a Lua error travels as, through the wasm frames it unwinds. */
const LUA_THROW = Symbol("lua error");

/** kv_reply_flags's bits. */
const REPLY_ERROR = 1;
const REPLY_NO_STATS = 2;
const REPLY_AT = 4;
const REPLY_RAW = 8;

let compiled: WebAssembly.Module | undefined;

/** Compiling the module takes ~10 ms: once per process, on first use. */
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(require("node:fs").readFileSync(wasmPath));
  return compiled;
}

/** sha1 in lowercase hex, as EVAL, SCRIPT LOAD and redis.sha1hex name scripts. */
export function sha1hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha1").update(bytes).digest("hex");
}

export class LuaEngine {
  private readonly x: Exports;
  /** The engine's memory; replaced when the memory grows (the old buffer is then detached). */
  private mem: Uint8Array;
  /** The arguments handed to the host per redis.call (reused). */
  private readonly argv = new Argv();

  constructor(private readonly host: ScriptHost) {
    const self = this;
    let x!: Exports;
    const str = (ptr: number, len: number) => bytesToString(self.bytes().subarray(ptr, ptr + len));
    const wasi = new Proxy({} as Record<string, () => number>, {
      // WASI is linked in by libc but never reached by the engine: no file, no clock.
      // fd_prestat_get must answer EBADF (8) so that libc's start-up finds no preopened dirs.
      get: (_, name) => (name === "fd_prestat_get" ? () => 8 : () => 52),
    });
    const instance = new WebAssembly.Instance(module(), {
      wasi_snapshot_preview1: wasi,
      kvis: {
        throw() {
          throw LUA_THROW;
        },
        try(f: number, L: number, ud: number) {
          const sp = x.__stack_pointer.value;
          try {
            (x.__indirect_function_table.get(f) as (L: number, ud: number) => void)(L, ud);
          } catch (e) {
            if (e !== LUA_THROW) throw e;
            x.__stack_pointer.value = sp;
          }
        },
        call(ptr: number, argc: number, resp: number) {
          const reply = self.host.call(self.readArgs(ptr, argc), resp === 3 ? 3 : 2);
          const at = x.kv_io(reply.length);
          reply.copyInto(self.bytes(), at);
          return reply.length;
        },
        log(level: number, ptr: number, len: number) {
          self.host.log(level, str(ptr, len));
        },
        sha1hex(ptr: number, len: number, outPtr: number) {
          self.bytes().set(stringToBytes(sha1hex(self.bytes().subarray(ptr, ptr + len))), outPtr);
        },
        set_repl(flags: number) {
          self.host.setRepl(flags);
        },
        acl_check(ptr: number, argc: number) {
          const allowed = self.host.aclCheck(self.readArgs(ptr, argc));
          return allowed === undefined ? -1 : allowed ? 1 : 0;
        },
        register(namePtr: number, nameLen: number, descPtr: number, descLen: number, flags: number, ref: number) {
          const error = self.host.register(str(namePtr, nameLen), descLen < 0 ? undefined : str(descPtr, descLen), flags, ref);
          return error === undefined ? 0 : self.input(stringToBytes(error));
        },
        interrupt() {
          return self.host.interrupt();
        },
        ldb_line(line: number, count: number) {
          const error = self.host.ldbLine(line, count !== 0);
          return error === undefined ? 0 : self.input(stringToBytes(error));
        },
        ldb_log(ptr: number, len: number) {
          self.host.ldbLog(str(ptr, len));
        },
        ldb_frame(level: number, ptr: number, len: number, line: number) {
          self.host.ldbFrame(level, str(ptr, len), line);
        },
        ldb_breakpoint() {
          return self.host.ldbBreakpoint() ? 1 : 0;
        },
        ldb_debug(ptr: number, len: number) {
          self.host.ldbDebug(str(ptr, len));
        },
      },
    });
    x = instance.exports as unknown as Exports;
    this.x = x;
    this.mem = new Uint8Array(x.memory.buffer);
    this.memBuffer = Buffer.from(x.memory.buffer);
    x._initialize();
    x.kv_init(EngineId.Eval);
    x.kv_init(EngineId.Function);
  }

  /** A fresh interpreter for EVAL (SCRIPT FLUSH) or FUNCTION (FUNCTION FLUSH). */
  reset(engine: EngineId): void {
    this.x.kv_init(engine);
  }

  /** Bytes the interpreter holds (INFO used_memory_lua, used_memory_vm_functions). */
  memory(engine: EngineId): number {
    return this.x.kv_memory(engine);
  }

  /** Compile an EVAL script: its reference for `run`, or Lua's message when it does not compile. */
  compile(body: Uint8Array, skip: number): number | string {
    this.input(body);
    const result = this.x.kv_compile(body.length, skip);
    return result > 0 ? result : this.output(-result);
  }

  /** Run a library's code so that it registers its functions (through ScriptHost.register). */
  loadLibrary(code: Uint8Array): string | undefined {
    this.input(code);
    const len = this.x.kv_load_library(code.length);
    return len === 0 ? undefined : this.output(len);
  }

  /** Forget a function the engine holds (its library was deleted or replaced). */
  unref(engine: EngineId, ref: number): void {
    this.x.kv_unref(engine, ref);
  }

  /**
   * Run the script or function at `ref` with the keys and then the arguments that are
   * argv[from...], `nkeys` of them keys; `label` is what an error names (the script's
   * sha1, the function's name).
   */
  run(engine: EngineId, ref: number, label: string, argv: Argv, from: number, nkeys: number, callerResp: 2 | 3, hook: Hook): RunError | undefined {
    let size = 0;
    for (let i = from; i < argv.length; i++) size += 4 + argv.len(i);
    const ptr = this.x.kv_io(size);
    const mem = this.bytes();
    let at = ptr;
    for (let i = from; i < argv.length; i++) {
      const n = argv.len(i);
      mem[at] = n & 0xff;
      mem[at + 1] = (n >>> 8) & 0xff;
      mem[at + 2] = (n >>> 16) & 0xff;
      mem[at + 3] = n >>> 24;
      at += 4 + argv.copyTo(i, mem, at + 4);
    }
    const nargs = argv.length - from - nkeys;
    const len = this.x.kv_run(engine, ref, nkeys, nargs, callerResp, hook);
    const flags = this.x.kv_reply_flags();
    this.replyLength = len;
    if ((flags & REPLY_ERROR) === 0) return undefined;
    const out = this.x.kv_out();
    const reply = this.bytes().subarray(out, out + len);
    const counted = (flags & REPLY_NO_STATS) !== 0;
    // An error table the script returned: already "-<text>\r\n".
    if ((flags & (REPLY_AT | REPLY_RAW)) === 0) return { error: bytesToString(reply.subarray(1, reply.length - 2)), counted };
    // The caller's writer turns CR and LF in these texts into spaces, as Redis does.
    if ((flags & REPLY_RAW) !== 0) return { error: `ERR Error running script ${label}, ${bytesToString(reply)}`, counted };
    // "message\0source\0line", as Redis prints it: "<message> script: <name>, on <source>:<line>."
    const [message, source, line] = bytesToString(reply).split("\0") as [string, string, string];
    const text = `${message.startsWith("-") ? message.slice(1) : message} script: ${label}, on ${source}:${line}.`;
    return { error: text, counted };
  }

  /**
   * The debugger's requests of the interpreter stopped at a line (their output comes back
   * through ScriptHost.ldbLog): a variable (print <name>), every local of the current
   * frame (undefined), an expression or statement, a backtrace.
   */
  ldbPrint(name: Uint8Array | undefined): void {
    this.x.kv_ldb_print(name === undefined ? 0 : this.input(name));
  }

  ldbEval(code: Uint8Array): void {
    this.x.kv_ldb_eval(this.input(code));
  }

  ldbTrace(): number {
    return this.x.kv_ldb_trace();
  }

  private replyLength = 0;
  /** The engine's memory as a Buffer, for Buffer.copy (current after any growth). */
  private memBuffer: Buffer;

  /** The reply of the last run that succeeded, into `writer`. */
  writeReply(writer: ReplyWriter): void {
    this.bytes();
    const out = this.x.kv_out();
    writer.rawFrom(this.memBuffer, out, out + this.replyLength);
  }

  /** The engine's memory as bytes, current after any growth. */
  private bytes(): Uint8Array {
    if (this.mem.byteLength === 0) {
      this.mem = new Uint8Array(this.x.memory.buffer);
      this.memBuffer = Buffer.from(this.x.memory.buffer);
    }
    return this.mem;
  }

  /**
   * Whether a command may keep its arguments past the call (a write waiting in the
   * replication stream's or the AOF's transaction framing): they are then copied into a
   * buffer of their own, else left where they are in the engine's memory.
   */
  argsOutliveCall = (): boolean => true;

  /**
   * The `argc` length-prefixed arguments at `ptr`, as an Argv. A command's arguments are
   * valid only until it returns (as a read buffer's are), and the engine's memory neither
   * moves nor changes while the command runs, so they are views of it unless something
   * keeps them longer.
   */
  private readArgs(ptr: number, argc: number): Argv {
    const mem = this.bytes();
    let source = mem;
    let base = 0;
    if (this.argsOutliveCall()) {
      let end = ptr;
      for (let i = 0; i < argc; i++) end += 4 + (mem[end]! | (mem[end + 1]! << 8) | (mem[end + 2]! << 16) | (mem[end + 3]! << 24));
      source = new Uint8Array(end - ptr);
      this.memBuffer.copy(source, 0, ptr, end);
      base = ptr;
    }
    const argv = this.argv;
    argv.clear();
    for (let at = ptr, i = 0; i < argc; i++) {
      const len = mem[at]! | (mem[at + 1]! << 8) | (mem[at + 2]! << 16) | (mem[at + 3]! << 24);
      argv.push(source, at + 4 - base, at + 4 + len - base);
      at += 4 + len;
    }
    return argv;
  }

  /** Copy bytes into the engine's input buffer; returns their length. */
  private input(bytes: Uint8Array): number {
    const ptr = this.x.kv_io(bytes.length);
    this.bytes().set(bytes, ptr);
    return bytes.length;
  }

  private output(len: number): string {
    const out = this.x.kv_out();
    return bytesToString(this.bytes().subarray(out, out + len));
  }
}
