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
import wasmPath from "./lua.wasm" with { type: "file" };

/** What a running script reaches outside the engine. */
export interface ScriptHost {
  /** redis.call/pcall: run the command (its arguments are views, valid during the call); the reply in RESP. */
  call(args: Uint8Array[], resp: 2 | 3): Uint8Array;
  log(level: number, message: string): void;
  setRepl(flags: number): void;
  /** redis.acl_check_cmd: whether the caller's user may run it; undefined for an unknown command. */
  aclCheck(args: Uint8Array[]): boolean | undefined;
  /** redis.register_function during FUNCTION LOAD: an error text, or undefined when registered. */
  register(name: string, description: string | undefined, flags: number, ref: number): string | undefined;
  /** Called every 100,000 Lua instructions: true stops the script. */
  interrupt(): boolean;
}

export const enum EngineId {
  Eval = 0,
  Function = 1,
}

/** The reply of a run: valid until the engine runs again. */
export interface RunResult {
  reply: Uint8Array;
  error: boolean;
  /** An error a redis.call already counted in INFO errorstats. */
  counted: boolean;
}

interface Exports {
  memory: WebAssembly.Memory;
  __stack_pointer: WebAssembly.Global;
  __indirect_function_table: WebAssembly.Table;
  _initialize(): void;
  kv_io(size: number): number;
  kv_out(): number;
  kv_init(engine: number): number;
  kv_memory(engine: number): number;
  kv_compile(nameLen: number, bodyLen: number, skip: number): number;
  kv_load_library(len: number): number;
  kv_unref(ref: number): void;
  kv_run(engine: number, target: number, nameLen: number, labelLen: number, nkeys: number, nargs: number, callerResp: number, hook: number): number;
  kv_reply_flags(): number;
}

/** The exception a Lua error travels as, through the wasm frames it unwinds. */
const LUA_THROW = Symbol("lua error");

let compiled: WebAssembly.Module | undefined;

/** Compiling the module takes ~10 ms: once per process, on first use. */
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(require("node:fs").readFileSync(wasmPath));
  return compiled;
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");

export class LuaEngine {
  private readonly x: Exports;
  /** Argument views handed to the host per redis.call (reused). */
  private readonly args: Uint8Array[] = [];

  constructor(private readonly host: ScriptHost) {
    const self = this;
    let x!: Exports;
    const bytes = () => new Uint8Array(x.memory.buffer);
    const str = (ptr: number, len: number) => Buffer.from(x.memory.buffer, ptr, len).toString("latin1");
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
          return self.input(reply);
        },
        log(level: number, ptr: number, len: number) {
          self.host.log(level, str(ptr, len));
        },
        sha1hex(ptr: number, len: number, outPtr: number) {
          const hex = new Bun.CryptoHasher("sha1").update(bytes().subarray(ptr, ptr + len)).digest("hex");
          bytes().set(Buffer.from(hex, "latin1"), outPtr);
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
          return error === undefined ? 0 : self.input(Buffer.from(error, "latin1"));
        },
        interrupt() {
          return self.host.interrupt() ? 1 : 0;
        },
      },
    });
    x = instance.exports as unknown as Exports;
    this.x = x;
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

  /** Compile an EVAL script as registry function `name`; Lua's message when it does not compile. */
  compile(name: string, body: Uint8Array, skip: number): string | undefined {
    const ptr = this.x.kv_io(name.length + 1 + body.length);
    const mem = new Uint8Array(this.x.memory.buffer);
    mem.set(Buffer.from(name, "latin1"), ptr);
    mem[ptr + name.length] = 0;
    mem.set(body, ptr + name.length + 1);
    const len = this.x.kv_compile(name.length, body.length, skip);
    return len === 0 ? undefined : this.output(len);
  }

  /** Run a library's code so that it registers its functions (through ScriptHost.register). */
  loadLibrary(code: Uint8Array): string | undefined {
    this.input(code);
    const len = this.x.kv_load_library(code.length);
    return len === 0 ? undefined : this.output(len);
  }

  /** Forget a function the engine holds (its library was deleted or replaced). */
  unref(ref: number): void {
    this.x.kv_unref(ref);
  }

  /**
   * Run EVAL's `name` (engine Eval) or the function at registry `ref` (engine Function)
   * with KEYS and ARGV; `label` is what an error names (the sha1, the function's name).
   */
  run(engine: EngineId, name: string, ref: number, label: string, keys: Uint8Array[], args: Uint8Array[], callerResp: 2 | 3, hook: boolean): RunResult {
    let size = name.length + label.length;
    for (const k of keys) size += 4 + k.length;
    for (const a of args) size += 4 + a.length;
    const ptr = this.x.kv_io(size);
    const mem = new Uint8Array(this.x.memory.buffer);
    const view = new DataView(this.x.memory.buffer);
    let at = ptr;
    at += writeLatin1(mem, at, name);
    at += writeLatin1(mem, at, label);
    for (const list of [keys, args]) {
      for (const item of list) {
        view.setUint32(at, item.length, true);
        mem.set(item, at + 4);
        at += 4 + item.length;
      }
    }
    const len = this.x.kv_run(engine, ref, name.length, label.length, keys.length, args.length, callerResp, hook ? 1 : 0);
    const flags = this.x.kv_reply_flags();
    const out = this.x.kv_out();
    return { reply: new Uint8Array(this.x.memory.buffer, out, len), error: (flags & 1) !== 0, counted: (flags & 2) !== 0 };
  }

  /**
   * The `argc` length-prefixed arguments at `ptr`. They are copied out of the engine's
   * memory in one piece, since a command may keep its arguments past the call (a write
   * waiting in the replication stream's transaction framing) while the engine reuses or
   * grows that memory.
   */
  private readArgs(ptr: number, argc: number): Uint8Array[] {
    const mem = new Uint8Array(this.x.memory.buffer);
    const view = new DataView(this.x.memory.buffer);
    let end = ptr;
    for (let i = 0; i < argc; i++) end += 4 + view.getUint32(end, true);
    const copy = mem.slice(ptr, end);
    const args = this.args;
    args.length = argc;
    let at = 0;
    for (let i = 0; i < argc; i++) {
      const len = view.getUint32(ptr + at, true);
      args[i] = copy.subarray(at + 4, at + 4 + len);
      at += 4 + len;
    }
    return args;
  }

  /** Copy bytes into the engine's input buffer; returns their length. */
  private input(bytes: Uint8Array): number {
    const ptr = this.x.kv_io(bytes.length);
    new Uint8Array(this.x.memory.buffer).set(bytes, ptr);
    return bytes.length;
  }

  private output(len: number): string {
    return latin1(new Uint8Array(this.x.memory.buffer, this.x.kv_out(), len));
  }
}

function writeLatin1(mem: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) mem[at + i] = s.charCodeAt(i);
  return s.length;
}
