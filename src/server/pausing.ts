/**
 * CLIENT PAUSE and UNPAUSE: while a pause lasts, commands from ordinary clients (all of
 * them, or in WRITE mode only what may write) wait, in order; when it ends (its timeout or CLIENT
 * UNPAUSE) each waiting command runs and its client continues with what it sent meanwhile.
 * Replicas and the master link are never paused.
 */
import type { Command } from "../commands/command.ts";
import { F_MAY_REPLICATE, F_WRITE, requestBits } from "../commands/command.ts";
import type { Argv } from "../resp/argv.ts";
import { copyBytes } from "../resp/bytes.ts";
import { ReplyWriter } from "../resp/writer.ts";
import type { Client } from "./connection.ts";
import { call } from "./dispatch.ts";

export class Pausing {
  private until = 0;
  private all = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiting: Array<{ client: Client; cmd: Command; argv: Argv }> = [];
  /** MIGRATEs in flight: every ordinary client waits, as Redis's blocking MIGRATE makes them. */
  private holding = 0;

  hold(): void {
    this.holding++;
  }

  release(): void {
    this.holding--;
    if (this.holding === 0 && !this.active) this.runWaiting();
  }

  /** Pause for `ms` milliseconds; a longer pause or a wider mode never shrinks. */
  pause(ms: number, all: boolean): void {
    const until = Date.now() + ms;
    if (this.active && !all && this.all) all = true;
    this.all = all;
    this.until = Math.max(this.until, until);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.unpause(), this.until - Date.now());
  }

  get active(): boolean {
    return this.until > Date.now();
  }

  /** Whether `cmd` from `c` (with the request's flag bits) must wait; if so the client now waits with it. */
  holds(c: Client, cmd: Command, argv: Argv, bits: number): boolean {
    if ((this.holding === 0 && this.until === 0) || c.masterLink !== undefined || c.replica !== undefined) return false;
    if (this.holding === 0) {
      if (this.until === 0 || !this.active) return false;
      if (!this.all && !mayWrite(c, cmd, bits)) return false;
    }
    this.waiting.push({ client: c, cmd, argv: argv.copy() });
    c.block();
    return true;
  }

  unpause(): void {
    clearTimeout(this.timer);
    this.until = 0;
    if (this.holding === 0) this.runWaiting();
  }

  private runWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let i = 0; i < waiting.length; i++) {
      // A MIGRATE among them holds the rest again.
      if (this.holding > 0) {
        this.waiting = [...waiting.slice(i), ...this.waiting];
        return;
      }
      const { client, cmd, argv } = waiting[i]!;
      if (client.closed) continue;
      const writer = new ReplyWriter();
      writer.resp = client.resp;
      client.replyOverride = writer;
      try {
        call(client, cmd, argv);
      } finally {
        client.replyOverride = undefined;
      }
      client.unblock(copyBytes(writer.view()));
    }
  }
}

/**
 * What a WRITE pause holds, as Redis 7.0 decides it: writes, commands that may replicate
 * (PUBLISH, PFCOUNT), and EXEC of a transaction holding either.
 */
function mayWrite(c: Client, cmd: Command, flagBits: number): boolean {
  const bits = F_WRITE | F_MAY_REPLICATE;
  if ((flagBits & bits) !== 0) return true;
  return cmd.name === "exec" && c.multi !== undefined && c.multi.some((q) => (requestBits(c, q.cmd, q.argv) & bits) !== 0);
}
