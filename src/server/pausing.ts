/**
 * CLIENT PAUSE and UNPAUSE, and the pause of writes during a FAILOVER or a shutdown waiting
 * for its replicas: while a pause lasts, commands
 * from ordinary clients (all of them, or in WRITE mode only what may write) wait, in order;
 * when it ends (its timeout, CLIENT UNPAUSE, the failover's end) each waiting command runs
 * and its client continues with what it sent meanwhile. Replicas are never paused; a
 * replica's master link is, as in Redis (its stream is read on, and applied at the end).
 * While paused the data stays as it is: keys expire for readers but are not deleted, and
 * nothing is evicted (Redis's checkClientPauseTimeoutAndReturnIfPaused).
 */
import type { Command } from "../commands/command.ts";
import { F_MAY_REPLICATE, F_WRITE, requestBits } from "../commands/command.ts";
import type { Argv } from "../resp/argv.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { Client } from "./connection.ts";

export class Pausing {
  private until = 0;
  private all = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiting: Array<{ client: Client; cmd: Command; argv: Argv }> = [];
  /** MIGRATEs in flight: every ordinary client waits, as Redis's blocking MIGRATE makes them. */
  private holding = 0;
  /**
   * Writes wait while a FAILOVER runs, or a shutdown waits for its replicas (Redis's
   * PAUSE_DURING_FAILOVER and PAUSE_DURING_SHUTDOWN).
   */
  private readonly writeHolds = new Set<"failover" | "shutdown">();

  constructor(private readonly keyspace: Keyspace) {}

  /** FAILOVER and a shutdown pause writes while they run; their end lets them go (after a failover they may meet -READONLY). */
  holdWrites(purpose: "failover" | "shutdown", on: boolean): void {
    if (on) this.writeHolds.add(purpose);
    else this.writeHolds.delete(purpose);
    this.changed();
  }

  hold(): void {
    this.holding++;
  }

  release(): void {
    this.holding--;
    if (this.holding === 0) this.changed();
  }

  /** Pause for `ms` milliseconds; a longer pause or a wider mode never shrinks. */
  pause(ms: number, all: boolean): void {
    const until = Date.now() + ms;
    if (this.active && !all && this.all) all = true;
    this.all = all;
    this.until = Math.max(this.until, until);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.unpause(), this.until - Date.now());
    this.changed();
  }

  get active(): boolean {
    return this.until > Date.now();
  }

  /** Any pause in force (CLIENT PAUSE, FAILOVER or a shutdown). */
  get paused(): boolean {
    return this.writeHolds.size > 0 || this.active;
  }

  /** Whether `cmd` from `c` (with the request's flag bits) must wait; if so the client now waits with it. */
  holds(c: Client, cmd: Command, argv: Argv, bits: number): boolean {
    if ((this.holding === 0 && this.until === 0 && this.writeHolds.size === 0) || c.replica !== undefined) return false;
    if (this.holding === 0 && !this.pausedFor(c, cmd, bits)) return false;
    this.waiting.push({ client: c, cmd, argv: argv.copy() });
    c.block();
    return true;
  }

  /** Whether the pauses in force hold `cmd` (MIGRATE's hold aside). */
  private pausedFor(c: Client, cmd: Command, bits: number): boolean {
    const paused = this.until !== 0 && this.active;
    if (!paused && this.writeHolds.size === 0) return false;
    return (paused && this.all) || mayWrite(c, cmd, bits);
  }

  unpause(): void {
    clearTimeout(this.timer);
    this.until = 0;
    this.changed();
  }

  /**
   * A pause began or ended: the keyspace freezes or thaws, and what no longer waits runs
   * once the task at hand is done (the rest of the read that sent CLIENT UNPAUSE first, as
   * Redis reprocesses its unblocked clients before it sleeps).
   */
  private changed(): void {
    this.keyspace.paused = this.paused;
    if (this.holding === 0 && this.waiting.length > 0) queueMicrotask(() => this.runWaiting());
  }

  /**
   * Run what no pause holds any more, client after client in the order they came, each
   * held command with what its client sent meanwhile (Client.runHeld).
   */
  private runWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    const still: typeof waiting = [];
    for (let i = 0; i < waiting.length; i++) {
      const entry = waiting[i]!;
      // A MIGRATE, or a new pause, among what ran holds the rest again.
      if (this.holding > 0 || (!entry.client.closed && this.pausedFor(entry.client, entry.cmd, requestBits(entry.client, entry.cmd, entry.argv)))) {
        still.push(entry);
        continue;
      }
      if (!entry.client.closed) entry.client.runHeld(entry.argv);
    }
    this.waiting = [...still, ...this.waiting];
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
