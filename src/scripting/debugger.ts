/**
 * Redis's Lua debugger (ldb) in its synchronous form, SCRIPT DEBUG SYNC, as redis-cli
 * --ldb-sync-mode drives it: an EVAL from the client runs with a line hook (lua-glue.c),
 * stops before its first line and wherever a breakpoint, a step or redis.breakpoint() says,
 * and at each stop reads the client's debugger commands (step, continue, list, whole,
 * print, break, trace, eval, redis, maxlen, abort, help) and answers each with its log
 * lines, as an array of status replies, in Redis's words. The server waits meanwhile, as
 * Redis's does in this mode: the session reads and writes the client's socket itself
 * (recv and send through libc), since the event loop does not turn until the script ends.
 * Then "<endsession>", the EVAL's reply, and the connection is closed.
 *
 * Redis's other form, SCRIPT DEBUG YES (redis-cli --ldb), runs the session in a forked
 * child whose changes are thrown away. KVIS does not fork: the session runs as this one
 * does, and rollback.ts undoes its changes.
 */
import { MSG_DONTWAIT, MSG_NOSIGNAL, libc } from "../server/libc.ts";
import { repr } from "../resp/bytes.ts";

/** What the debugger asks of the interpreter stopped at a line (LuaEngine's ldb* calls). */
export interface Interpreter {
  ldbPrint(name: Uint8Array | undefined): void;
  ldbEval(code: Uint8Array): void;
  ldbTrace(): number;
}

const MAXLEN_DEFAULT = 256;
const BREAKPOINTS_MAX = 64;
const INPUT_MAX = 1 << 20;
const POLLIN = 1;
const POLLOUT = 4;
const EAGAIN = 11;
/** How long a write of the debugger's output may wait for the client (Redis's connSendTimeout). */
const SEND_TIMEOUT_MS = 5000;

const HELP = [
  "Redis Lua debugger help:",
  "[h]elp               Show this help.",
  "[s]tep               Run current line and stop again.",
  "[n]ext               Alias for step.",
  "[c]ontinue           Run till next breakpoint.",
  "[l]ist               List source code around current line.",
  "[l]ist [line]        List source code around [line].",
  "                     line = 0 means: current position.",
  "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
  "                     to show before/after [line].",
  "[w]hole              List all source code. Alias for 'list 1 1000000'.",
  "[p]rint              Show all the local variables.",
  "[p]rint <var>        Show the value of the specified variable.",
  "                     Can also show global vars KEYS and ARGV.",
  "[b]reak              Show all breakpoints.",
  "[b]reak <line>       Add a breakpoint to the specified line.",
  "[b]reak -<line>      Remove breakpoint from the specified line.",
  "[b]reak 0            Remove all breakpoints.",
  "[t]race              Show a backtrace.",
  "[e]val <code>        Execute some Lua code (in a different callframe).",
  "[r]edis <cmd>        Execute a Redis command.",
  "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
  "                     Specifying zero as <len> means unlimited.",
  "[a]bort              Stop the execution of the script. In sync",
  "                     mode dataset changes will be retained.",
  "",
  "Debugger functions you can call from Lua scripts:",
  "redis.debug()        Produce logs in the debugger console.",
  "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
  "                     next line of code.",
];

/** Bytes (as latin1 text) quoted as Redis's sdscatrepr quotes them (MONITOR's quoting). */
const quoted = (text: string) => repr(Buffer.from(text, "latin1"));

/** A command's RESP reply (latin1 text) as the debugger shows it (Redis's ldbRedisProtocolToHuman). */
export function humanReply(resp: string): string {
  let at = 0;
  const line = () => {
    const end = resp.indexOf("\r\n", at);
    const text = resp.slice(at + 1, end);
    at = end + 2;
    return text;
  };
  const items = (n: number, sep: string) => Array.from({ length: n }, () => one()).join(sep);
  const one = (): string => {
    const type = resp[at];
    const start = at;
    const text = line();
    switch (type) {
      case ":":
        return text;
      case "$": {
        const n = Number(text);
        if (n === -1) return "NULL";
        const bulk = resp.slice(at, at + n);
        at += n + 2;
        return quoted(bulk);
      }
      case "+":
      case "-":
        return quoted(resp.slice(start, at - 2));
      case "*":
        return Number(text) === -1 ? "NULL" : `[${items(Number(text), ",")}]`;
      case "~":
        return `~(${items(Number(text), ",")})`;
      case "%": {
        const pairs = Array.from({ length: Number(text) }, () => `${one()} => ${one()}`);
        return `{${pairs.join(",")}}`;
      }
      case "_":
        return "(null)";
      case "#":
        return text === "t" ? "#true" : "#false";
      case ",":
        return `(double) ${text}`;
      default:
        return "";
    }
  };
  return one();
}

/** What a stop ended with: run on, the client gone, or an error to raise in the script. */
type Outcome = "on" | "gone" | { error: string };

export class LuaDebugger {
  /** Stop at the next line, whatever the breakpoints (as it does before the first). */
  private step = true;
  /** redis.breakpoint() was called: stop at the next line. */
  private luabp = false;
  private readonly breakpoints: number[] = [];
  private readonly lines: string[];
  private currentLine = 0;
  private maxlen = MAXLEN_DEFAULT;
  private maxlenHintSent = false;
  private logs: string[] = [];
  private input = "";
  /** When the script last went on from a stop: a run past the time limit stops by itself. */
  private started = performance.now();

  constructor(
    private readonly fd: number,
    source: string,
    private readonly interpreter: Interpreter,
    /** redis <cmd>: run it as the script's redis.call would, logged (see logging). */
    private readonly redis: (args: string[]) => void,
    /** busy-reply-threshold, the time after which a running script stops by itself (0: 5 s). */
    private readonly timeLimitMs: () => number,
  ) {
    this.lines = source.replace(/[\r\n]+$/, "").split("\n");
  }

  /** Whether a redis.call is logged with its reply: while stepping (or from the redis command). */
  get logging(): boolean {
    return this.step;
  }

  log(line: string): void {
    this.logs.push(line);
  }

  /** A value shown (a variable, an expression's result, a reply): cut at maxlen, with a hint the first time. */
  private logValue(line: string): void {
    if (this.maxlen === 0 || line.length <= this.maxlen) return this.log(line);
    this.log(`${line.slice(0, this.maxlen)} ...`);
    if (!this.maxlenHintSent) {
      this.maxlenHintSent = true;
      this.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
  }

  /** A line of the interpreter's output: values are cut at maxlen. */
  fromInterpreter(line: string): void {
    if (line.startsWith("<value> ") || line.startsWith("<retval> ")) this.logValue(line);
    else this.log(line);
  }

  /** A redis.call about to run (its first 10 arguments), then its reply or the error that refused it. */
  logCommand(args: string[]): void {
    let text = "<redis>";
    for (let j = 0; j < args.length; j++) {
      if (j === 10) {
        text += ` ... (${args.length - j - 1} more)`;
        break;
      }
      text += ` ${args[j]}`;
    }
    this.log(text);
  }

  /** A command's reply; an error reply is also logged as the error the script's redis.call meets. */
  logReply(resp: string): void {
    if (resp.startsWith("-")) this.log(`<error> ${resp.slice(0, resp.indexOf("\r\n"))}`);
    this.logValue(`<reply> ${humanReply(resp)}`);
  }

  logError(text: string): void {
    this.log(`<error> ${text.startsWith("ERR ") ? text.slice(4) : text}`);
  }

  /** redis.breakpoint(): stop at the next line. */
  breakpoint(): boolean {
    this.luabp = true;
    return true;
  }

  /** redis.debug(...). */
  debug(text: string): void {
    this.log(`<debug> line ${this.currentLine}: ${text}`);
  }

  /** A frame of a backtrace. */
  frame(level: number, name: string, line: number): void {
    this.log(`${level === 0 ? "In" : "From"} ${name === "" ? "top level" : name}:`);
    this.logSourceLine(line);
  }

  /**
   * A line is about to run (or, `count`, the instruction count fired): stop here if
   * stepping, at a breakpoint, after redis.breakpoint(), or once the script has run past
   * the time limit; at a stop, serve the client's debugger commands until one goes on. The
   * error to raise in the script, if any.
   */
  line(line: number, count: boolean): string | undefined {
    this.currentLine = line;
    const bp = this.luabp || this.breakpoints.includes(line);
    let timeout = false;
    if (count && !this.step && !bp) {
      const limit = this.timeLimitMs() > 0 ? this.timeLimitMs() : 5000;
      if (performance.now() - this.started < limit) return undefined;
      timeout = true;
      this.step = true;
    }
    if (!this.step && !bp) return undefined;
    const reason = bp ? (this.luabp ? "redis.breakpoint() called" : "break point") : timeout ? "timeout reached, infinite loop?" : "step over";
    this.step = false;
    this.luabp = false;
    this.log(`* Stopped at ${line}, stop reason = ${reason}`);
    this.logSourceLine(line);
    this.sendLogs();
    const outcome = this.repl();
    this.started = performance.now();
    if (outcome === "gone") return timeout ? "timeout during Lua debugging with client closing connection" : undefined;
    return outcome === "on" ? undefined : outcome.error;
  }

  /** The session's end: "<endsession>" after what is left to say. */
  end(): void {
    this.log("<endsession>");
    this.sendLogs();
  }

  private sourceLine(n: number): string {
    return n >= 1 && n <= this.lines.length ? this.lines[n - 1]! : "<out of range source code line>";
  }

  private logSourceLine(n: number): void {
    const current = n === this.currentLine;
    const bp = this.breakpoints.includes(n);
    const prefix = current && bp ? "->#" : current ? "-> " : bp ? "  #" : "   ";
    this.log(`${prefix}${String(n).padEnd(3)} ${this.sourceLine(n)}`);
  }

  private list(around: number, context: number): void {
    for (let n = 1; n <= this.lines.length; n++) {
      if (around !== 0 && Math.abs(around - n) > context) continue;
      this.logSourceLine(n);
    }
  }

  /** Serve debugger commands until one lets the script go on (or ends it). */
  private repl(): Outcome {
    for (;;) {
      const argv = this.readCommand();
      if (argv === "gone") {
        // The script runs on without stopping: nobody is there to answer.
        this.step = false;
        this.breakpoints.length = 0;
        return "gone";
      }
      if (typeof argv === "object" && !Array.isArray(argv)) return argv;
      const name = argv[0]!.toLowerCase();
      const argc = argv.length;
      if (name === "s" || name === "step" || name === "n" || name === "next") {
        this.step = true;
        return "on";
      }
      if (name === "c" || name === "continue") return "on";
      if (name === "a" || name === "abort") return { error: "script aborted for user request" };
      if (name === "h" || name === "help") for (const l of HELP) this.log(l);
      else if (name === "t" || name === "trace") {
        if (this.interpreter.ldbTrace() === 0) this.log("<error> Can't retrieve Lua stack.");
      } else if (name === "m" || name === "maxlen") this.maxlenCommand(argv);
      else if (name === "b" || name === "break") this.breakCommand(argv);
      else if (name === "e" || name === "eval") this.interpreter.ldbEval(Buffer.from(argv.slice(1).join(" "), "latin1"));
      else if (argc > 1 && (name === "r" || name === "redis")) this.redis(argv.slice(1));
      else if (name === "p" || name === "print") this.interpreter.ldbPrint(argc === 2 ? Buffer.from(argv[1]!, "latin1") : undefined);
      else if (name === "l" || name === "list") {
        let around = this.currentLine;
        if (argc > 1) {
          const n = leadingInt(argv[1]!);
          if (n > 0) around = n;
        }
        this.list(around, argc > 2 ? leadingInt(argv[2]!) : 5);
      } else if (name === "w" || name === "whole") this.list(1, 1000000);
      else this.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.");
      this.sendLogs();
    }
  }

  private maxlenCommand(argv: string[]): void {
    if (argv.length === 2) {
      let n = leadingInt(argv[1]!);
      this.maxlenHintSent = true;
      if (n !== 0 && n <= 60) n = 60;
      this.maxlen = n;
    }
    this.log(this.maxlen !== 0 ? `<value> replies are truncated at ${this.maxlen} bytes.` : "<value> replies are unlimited.");
  }

  private breakCommand(argv: string[]): void {
    if (argv.length === 1) {
      if (this.breakpoints.length === 0) return this.log("No breakpoints set. Use 'b <line>' to add one.");
      this.log(`${this.breakpoints.length} breakpoints set:`);
      for (const n of this.breakpoints) this.logSourceLine(n);
      return;
    }
    for (const arg of argv.slice(1)) {
      if (!/^-?(0|[1-9]\d*)$/.test(arg) || !Number.isSafeInteger(Number(arg))) {
        this.log(`Invalid argument:'${arg}'`);
        continue;
      }
      const n = Number(arg);
      if (n === 0) {
        this.breakpoints.length = 0;
        this.log("All breakpoints removed.");
      } else if (n > 0) {
        if (this.breakpoints.length === BREAKPOINTS_MAX) this.log("Too many breakpoints set.");
        else if (n <= this.lines.length && !this.breakpoints.includes(n)) {
          this.breakpoints.push(n);
          this.list(n, 1);
        } else this.log("Wrong line number.");
      } else {
        const at = this.breakpoints.indexOf(-n);
        if (at >= 0) {
          this.breakpoints.splice(at, 1);
          this.log("Breakpoint removed.");
        } else this.log("No breakpoint in the specified line.");
      }
    }
  }

  /** The logs as one array of status replies (CR and LF in them become spaces). */
  private sendLogs(): void {
    let text = `*${this.logs.length}\r\n`;
    for (const l of this.logs) text += `+${l.replace(/[\r\n]/g, " ")}\r\n`;
    this.logs = [];
    this.send(Buffer.from(text, "latin1"));
  }

  private send(bytes: Uint8Array): void {
    const c = libc();
    if (c === null) return;
    let at = 0;
    const deadline = performance.now() + SEND_TIMEOUT_MS;
    while (at < bytes.length) {
      const n = Number(c.send(this.fd, bytes.subarray(at), bytes.length - at, MSG_NOSIGNAL | MSG_DONTWAIT));
      if (n > 0) at += n;
      else if (n < 0 && c.errno() === EAGAIN && performance.now() < deadline) this.wait(POLLOUT, Math.ceil(deadline - performance.now()));
      // Not taken: the next read finds the client gone.
      else return;
    }
  }

  /** Wait until the socket is readable (or writable), at most `timeoutMs` (-1: no limit). */
  private wait(events: number, timeoutMs: number): void {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.fd, true);
    view.setInt16(4, events, true);
    libc()!.poll(pollfd, 1, timeoutMs);
  }

  /**
   * The next debugger command from the client, a multibulk request parsed as Redis's
   * ldbReplParseCommand parses it (1 to 1,024 arguments of 1 to 1,024 bytes each), read
   * waiting for the socket; "gone" once it closes, or an error to end the script with.
   */
  private readCommand(): string[] | "gone" | { error: string } {
    const c = libc();
    if (c === null) return "gone";
    const chunk = new Uint8Array(1024);
    for (;;) {
      const parsed = parseCommand(this.input);
      if (parsed === "error") return { error: "protocol error" };
      if (parsed !== undefined) {
        this.input = "";
        return parsed;
      }
      const n = Number(c.recv(this.fd, chunk, chunk.length, MSG_DONTWAIT));
      if (n === 0 || (n < 0 && c.errno() !== EAGAIN)) return "gone";
      if (n < 0) {
        this.wait(POLLIN, -1);
        continue;
      }
      this.input += Buffer.from(chunk.subarray(0, n)).toString("latin1");
      if (this.input.length > INPUT_MAX) {
        this.input = "";
        return { error: "max client buffer reached" };
      }
    }
  }
}

/** C's atoi: the leading integer, 0 when there is none. */
function leadingInt(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10) | 0;
}

/** A complete request at the start of `text`, undefined for more to read, "error" for a broken one. */
function parseCommand(text: string): string[] | undefined | "error" {
  if (text.length === 0) return undefined;
  let at = text.indexOf("*");
  if (at < 0) return "error";
  let end = text.indexOf("\r\n", at);
  if (end < 0) return undefined;
  const argc = leadingInt(text.slice(at + 1, end));
  if (argc <= 0 || argc > 1024) return "error";
  at = end + 2;
  const argv: string[] = [];
  while (argv.length < argc) {
    if (at >= text.length) return undefined;
    if (text[at] !== "$") return "error";
    end = text.indexOf("\r\n", at);
    if (end < 0) return undefined;
    const len = leadingInt(text.slice(at + 1, end));
    if (len <= 0 || len > 1024) return "error";
    at = end + 2;
    if (at + len + 2 > text.length) return undefined;
    argv.push(text.slice(at, at + len));
    at += len;
    if (text[at] !== "\r" || text[at + 1] !== "\n") return "error";
    at += 2;
  }
  return argv;
}
