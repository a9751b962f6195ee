/**
 * What SCRIPT DEBUG YES promises: the session's changes to the dataset are thrown away at
 * its end. Redis keeps that promise by running the session in a forked child; KVIS does not
 * fork, so the session runs in the server as SCRIPT DEBUG SYNC's does (the server waits
 * meanwhile) and this journal undoes it. It is a SnapshotInProgress, told before any key
 * or TTL changes: the first time, it keeps a deep copy of what the key held (or that it
 * was absent), and at the end it puts every such key back.
 *
 * Meanwhile nothing the session does reaches anyone, as nothing leaves Redis's child:
 * no write is propagated to replicas or the AOF, no keyspace event or published message is
 * delivered, no WATCH, tracking or blocked client hears of a change (Keyspace.sandboxed,
 * PubSub.muted), and save points count no change.
 */
import type { Database, KeyCopy, Keyspace, SnapshotInProgress } from "../store/keyspace.ts";
import type { Server } from "../server/server.ts";

export class Rollback implements SnapshotInProgress {
  /** Per database: each key changed in the session, as it was before (undefined: absent). */
  private readonly saved: Array<Map<string, KeyCopy | undefined>>;
  /**
   * Databases copied whole, before a FLUSHALL, FLUSHDB or SWAPDB in the session: keys may
   * have come in without a change being told (SWAPDB), so they are emptied before the copy
   * goes back.
   */
  private readonly whole = new Set<number>();
  private readonly keyspace: Keyspace;
  private readonly dirty: number;

  constructor(private readonly server: Server) {
    const keyspace = (this.keyspace = server.keyspace);
    this.saved = keyspace.dbs.map(() => new Map());
    this.dirty = keyspace.dirty;
    keyspace.snapshots.push(this);
    keyspace.sandboxed = true;
    server.pubsub.muted = true;
  }

  beforeWrite(db: Database, key: string): void {
    const saved = this.saved[db.id]!;
    if (!saved.has(key)) saved.set(key, db.copyOf(key));
  }

  finishNow(): void {
    for (const db of this.keyspace.dbs) {
      if (this.whole.has(db.id)) continue;
      for (const key of db.keys()) this.beforeWrite(db, key);
      this.whole.add(db.id);
    }
  }

  /** Put back every key the session changed; returns how many there were. */
  end(): number {
    const keyspace = this.keyspace;
    keyspace.snapshots.splice(keyspace.snapshots.indexOf(this), 1);
    let restored = 0;
    try {
      for (const db of keyspace.dbs) {
        const saved = this.saved[db.id]!;
        if (this.whole.has(db.id)) db.flush();
        for (const [key, copy] of saved) db.restoreCopy(key, copy);
        restored += saved.size;
      }
    } finally {
      keyspace.dirty = this.dirty;
      keyspace.sandboxed = false;
      this.server.pubsub.muted = false;
    }
    return restored;
  }
}
