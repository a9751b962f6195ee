/**
 * Keyspace notifications (notify-keyspace-events): a command that changes a key announces
 * an event, published as `__keyspace@<db>__:<key>` (message: the event) and/or
 * `__keyevent@<db>__:<event>` (message: the key) when the event's class is enabled.
 * Events come in Redis's order: those a command announces itself, then the `del` of an
 * aggregate it emptied; `expired` and `new` when they happen.
 */
import type { Server } from "./server.ts";

export const enum NotifyClass {
  Generic = 1 << 0,
  String = 1 << 1,
  List = 1 << 2,
  Set = 1 << 3,
  Hash = 1 << 4,
  Zset = 1 << 5,
  Expired = 1 << 6,
  Evicted = 1 << 7,
  Stream = 1 << 8,
  Module = 1 << 9,
  New = 1 << 10,
  KeyMiss = 1 << 11,
  Keyspace = 1 << 12,
  Keyevent = 1 << 13,
}

/** Every class 'A' stands for. */
const ALL = NotifyClass.Generic | NotifyClass.String | NotifyClass.List | NotifyClass.Set | NotifyClass.Hash | NotifyClass.Zset | NotifyClass.Expired | NotifyClass.Evicted | NotifyClass.Stream | NotifyClass.Module;

/** The classes' letters in the order CONFIG GET prints them (after 'A' or the single classes). */
const LETTERS: ReadonlyArray<[string, number]> = [
  ["g", NotifyClass.Generic], ["$", NotifyClass.String], ["l", NotifyClass.List], ["s", NotifyClass.Set], ["h", NotifyClass.Hash],
  ["z", NotifyClass.Zset], ["x", NotifyClass.Expired], ["e", NotifyClass.Evicted], ["t", NotifyClass.Stream], ["d", NotifyClass.Module],
];

/** notify-keyspace-events as flags; undefined for a character Redis does not know. */
export function parseNotifyFlags(text: string): number | undefined {
  let flags = 0;
  for (const ch of text) {
    const cls = ch === "A" ? ALL : ch === "K" ? NotifyClass.Keyspace : ch === "E" ? NotifyClass.Keyevent : ch === "m" ? NotifyClass.KeyMiss : ch === "n" ? NotifyClass.New : LETTERS.find(([l]) => l === ch)?.[1];
    if (cls === undefined) return undefined;
    flags |= cls;
  }
  return flags;
}

/** Flags as Redis prints them: A or the classes, then n, K, E, m. */
export function formatNotifyFlags(flags: number): string {
  let out = (flags & ALL) === ALL ? "A" : LETTERS.filter(([, bit]) => flags & bit).map(([l]) => l).join("");
  if (flags & NotifyClass.New) out += "n";
  if (flags & NotifyClass.Keyspace) out += "K";
  if (flags & NotifyClass.Keyevent) out += "E";
  if (flags & NotifyClass.KeyMiss) out += "m";
  return out;
}

export class Notifier {
  private bits = 0;

  /** The parsed parameter; 0 (the default) costs one comparison per command. */
  get flags(): number {
    return this.bits;
  }

  set flags(flags: number) {
    this.bits = flags;
    const keyspace = this.server.keyspace;
    keyspace.notifyNew = (flags & NotifyClass.New) !== 0;
    keyspace.notify = flags === 0 ? undefined : (what, db, key) => {
      if (what === "emptied") this.emptied(key, db.id);
      else this.emit(what === "new" ? NotifyClass.New : NotifyClass.Expired, what, key, db.id);
    };
  }
  /** Aggregates the running command emptied: their `del` follows the command's own event. */
  private deleted: Array<[key: string, db: number]> = [];

  /** An aggregate was emptied and deleted (from the keyspace). */
  emptied(key: string, db: number): void {
    if (this.flags !== 0) this.deleted.push([key, db]);
  }

  flushDeleted(): void {
    if (this.deleted.length === 0) return;
    const deleted = this.deleted;
    this.deleted = [];
    for (const [key, db] of deleted) this.emit(NotifyClass.Generic, "del", key, db);
  }

  constructor(private readonly server: Server) {}

  /** Announce `event` on `key` of database `db` if its class is enabled. */
  emit(cls: NotifyClass, event: string, key: string, db: number): void {
    const flags = this.flags;
    if ((flags & cls) === 0 || (flags & (NotifyClass.Keyspace | NotifyClass.Keyevent)) === 0) return;
    const pubsub = this.server.pubsub;
    const current = this.server.executing;
    if (flags & NotifyClass.Keyspace) pubsub.publish(`__keyspace@${db}__:${key}`, event, current);
    if (flags & NotifyClass.Keyevent) pubsub.publish(`__keyevent@${db}__:${event}`, key, current);
  }
}
