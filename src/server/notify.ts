/**
 * Keyspace notifications (notify-keyspace-events): a command that changes a key announces
 * an event, published as `__keyspace@<db>__:<key>` (message: the event) and/or
 * `__keyevent@<db>__:<event>` (message: the key) when the event's class is enabled.
 * Events come in Redis's order: those a command announces itself, then the `del` of an
 * aggregate it emptied; `expired` and `new` when they happen.
 */
import { NotifyClass } from "../keyspace-events.ts";
import type { Server } from "./server.ts";

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
    keyspace.notifyKeyMiss = (flags & NotifyClass.KeyMiss) !== 0;
    keyspace.notify = flags === 0 ? undefined : (what, db, key) => {
      if (what === "emptied") this.emptied(key, db.id);
      else this.emit(what === "new" ? NotifyClass.New : what === "keymiss" ? NotifyClass.KeyMiss : NotifyClass.Expired, what, key, db.id);
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

  /** Whether events of this class are announced (the class and a channel kind enabled). */
  announces(cls: NotifyClass): boolean {
    const flags = this.flags;
    return (flags & cls) !== 0 && (flags & (NotifyClass.Keyspace | NotifyClass.Keyevent)) !== 0;
  }

  /** Announce `event` on `key` of database `db` if its class is enabled. */
  emit(cls: NotifyClass, event: string, key: string, db: number): void {
    if (!this.announces(cls)) return;
    const flags = this.flags;
    const pubsub = this.server.pubsub;
    const current = this.server.executing;
    const start = current?.reply.length ?? 0;
    if (flags & NotifyClass.Keyspace) pubsub.publish(`__keyspace@${db}__:${key}`, event, current);
    if (flags & NotifyClass.Keyevent) pubsub.publish(`__keyevent@${db}__:${event}`, key, current);
    // Pushes to the running client about its own command: one event, moved as one.
    if (current !== undefined) current.reply.joinPushes(start);
  }
}
