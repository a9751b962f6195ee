/**
 * Client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c does it. In the default
 * mode the keys a tracking client reads are remembered, and the first change to one sends
 * that client an invalidation and forgets the key. In BCAST mode nothing is remembered:
 * changed keys under a client's prefixes are collected and broadcast once per event-loop
 * turn. Messages are RESP3 pushes, or with REDIRECT to a RESP2 connection subscribed to
 * anything, messages on `__redis__:invalidate`. Nothing here runs unless a client has ever
 * turned tracking on: the keyspace calls `keyChanged` only then.
 */
import type { Command } from "../commands/command.ts";
import { encodeReply } from "../resp/writer.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";
import { compareBytes } from "../resp/bytes.ts";


/** Keys changed under one BCAST prefix this turn, with the client that changed each. */
interface Prefix {
  clients: Set<Client>;
  pending: Map<string, Client | undefined>;
}

const CHANNEL = "__redis__:invalidate";

export class Tracking {
  /** Default mode: key -> ids of the clients that read it since its last change. */
  private table = new Map<string, Set<number>>();
  private prefixes = new Map<string, Prefix>();
  /** Invalidations of the running client's own keys wait until its reply is written. */
  private pendingForCurrent: Array<string | null> = [];
  private broadcastScheduled = false;
  /** tracking-table-max-keys (0: no limit). */
  maxKeys = 1_000_000;
  /** Cron runs that found the table still over tracking-table-max-keys. */
  private overLimitRuns = 0;

  constructor(private readonly server: Server) {}

  /** CLIENT TRACKING ON: options were checked by the command. */
  enable(c: Client, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: string[]): void {
    const state = (c.tracking ??= { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedirect: false, prefixes: new Set() });
    Object.assign(state, opts, { redirect, brokenRedirect: false });
    if (opts.bcast) for (const prefix of prefixes.length === 0 ? [""] : prefixes) this.addPrefix(c, prefix);
    this.server.keyspace.onTouched ??= (key) => this.keyChanged(key);
  }

  private addPrefix(c: Client, prefix: string): void {
    let entry = this.prefixes.get(prefix);
    if (entry === undefined) this.prefixes.set(prefix, (entry = { clients: new Set(), pending: new Map() }));
    entry.clients.add(c);
    c.tracking!.prefixes.add(prefix);
  }

  /** CLIENT TRACKING OFF, RESET, and closing the connection. */
  disable(c: Client): void {
    const state = c.tracking;
    if (state === undefined) return;
    for (const prefix of state.prefixes) {
      const entry = this.prefixes.get(prefix);
      entry?.clients.delete(c);
      if (entry?.clients.size === 0) this.prefixes.delete(prefix);
    }
    c.tracking = undefined;
  }

  /** After a read-only command: remember the keys it read for this client (trackingRememberKeys). */
  remember(c: Client, cmd: Command, argv: import("../resp/argv.ts").Argv): void {
    const state = c.tracking!;
    if (state.bcast || (state.optin && !state.caching) || (state.optout && state.caching)) return;
    for (const { pos } of cmd.getKeys(argv)) {
      const key = argv.str(pos);
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      ids.add(c.id);
    }
  }

  /** Over tracking-table-max-keys: checked before every command, as Redis's processCommand does. */
  get overLimit(): boolean {
    return this.maxKeys > 0 && this.table.size > this.maxKeys;
  }

  /** A key changed (signalModifiedKey): invalidate its readers, queue it for BCAST. */
  keyChanged(key: string): void {
    const current = this.server.executing;
    for (const [prefix, entry] of this.prefixes) {
      if (key.startsWith(prefix)) {
        entry.pending.set(key, current);
        this.scheduleBroadcast();
      }
    }
    this.invalidate(key, current);
  }

  /**
   * tracking-table-max-keys (trackingLimitUsedSlots, before commands and in the cron): over
   * the limit, keys are forgotten with an invalidation to their readers, the oldest first,
   * with more effort each time the limit is still exceeded.
   */
  limitTable(): void {
    const max = this.maxKeys;
    if (max <= 0 || this.table.size <= max) {
      this.overLimitRuns = 0;
      return;
    }
    let effort = 100 * (this.overLimitRuns + 1);
    for (const key of this.table.keys()) {
      if (effort-- === 0) break;
      this.invalidate(key, undefined);
      if (this.table.size <= max) {
        this.overLimitRuns = 0;
        return;
      }
    }
    this.overLimitRuns++;
  }

  /** Keys remembered, and readers per key summed (INFO tracking_total_keys and _items). */
  get totals(): { keys: number; items: number; prefixes: number } {
    let items = 0;
    for (const ids of this.table.values()) items += ids.size;
    return { keys: this.table.size, items, prefixes: this.prefixes.size };
  }

  /** Tell the readers of `key` it changed and forget them; `current`'s own message waits for its reply. */
  private invalidate(key: string, current: Client | undefined): void {
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (target?.tracking === undefined || target.tracking.bcast) continue;
      if (target === current) {
        if (!target.tracking.noloop) this.pendingForCurrent.push(key);
        continue;
      }
      this.send(target, [key]);
    }
  }

  /** FLUSHDB / FLUSHALL: every tracking client is told to drop everything (a null message). */
  flushed(): void {
    const current = this.server.executing;
    for (const c of this.server.clients.values()) {
      if (c.tracking === undefined) continue;
      if (c === current) this.pendingForCurrent.push(null);
      else this.send(c, null);
    }
    this.table.clear();
  }

  /** After the running client's reply (and a whole EXEC): its own invalidations. */
  flushPending(c: Client): void {
    if (this.pendingForCurrent.length === 0) return;
    const keys = this.pendingForCurrent;
    this.pendingForCurrent = [];
    for (const key of keys) this.send(c, key === null ? null : [key]);
  }

  private scheduleBroadcast(): void {
    if (this.broadcastScheduled) return;
    this.broadcastScheduled = true;
    setImmediate(() => {
      this.broadcastScheduled = false;
      this.broadcast();
    });
  }

  /** Once per turn: each BCAST client gets the changed keys of each of its prefixes, sorted. */
  private broadcast(): void {
    for (const entry of this.prefixes.values()) {
      if (entry.pending.size === 0) continue;
      const keys = [...entry.pending.keys()].sort(compareBytes);
      for (const c of entry.clients) {
        const mine = c.tracking!.noloop ? keys.filter((k) => entry.pending.get(k) !== c) : keys;
        if (mine.length > 0) this.send(c, mine);
      }
      entry.pending.clear();
    }
  }

  /**
   * One invalidation for `c` (sendTrackingMessage): to its redirect target if it has one, as
   * a push in RESP3 or a Pub/Sub message to a subscribed RESP2 target; `null` means all keys.
   */
  private send(c: Client, keys: string[] | null): void {
    let target = c;
    // An invalidation held for the running client is sent even if it turned tracking off
    // since (CLIENT TRACKING OFF later in the same EXEC), as Redis sends it.
    const redirect = c.tracking?.redirect ?? 0;
    if (redirect !== 0) {
      const other = this.server.clients.get(redirect);
      if (other === undefined) {
        c.tracking!.brokenRedirect = true;
        if (c.resp === 3) {
          const push = encodeReply(3, (w) => {
            w.push(2);
            w.bulkString("tracking-redir-broken");
            w.integer(redirect);
          });
          this.deliver(c, push);
        }
        return;
      }
      target = other;
    }
    // RESP2 has no pushes: only a redirect target subscribed to the channel hears of it.
    if (target.resp === 2 && !(redirect !== 0 && target.subscribed)) return;
    const message = encodeReply(target.resp, (w) => {
      if (target.resp === 3) {
        w.push(2);
        w.bulkString("invalidate");
      } else {
        w.push(3);
        w.bulkString("message");
        w.bulkString(CHANNEL);
      }
      if (keys === null) {
        // "Every key" is a null in the protocol of the client that tracks, as Redis sends it.
        w.resp = c.resp;
        w.null();
      } else w.bulkStrings(keys);
    });
    this.deliver(target, message);
  }

  private deliver(c: Client, bytes: Uint8Array): void {
    if (c !== this.server.executing) return c.send(bytes);
    const start = c.reply.length;
    c.reply.raw(bytes);
    c.reply.keep(start);
  }
}
