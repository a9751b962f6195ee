/**
 * maxmemory: before a command runs, keys are evicted until the estimated memory in use
 * (Server.usedMemory: the keyspace's running estimate and the replication backlog) is
 * under the limit, chosen by `maxmemory-policy` the way Redis's
 * evict.c chooses them:
 *
 * - lru / lfu / ttl: `maxmemory-samples` keys are sampled from every database (from all
 *   keys, or from keys with a TTL for volatile-*) into a pool of the 16 best candidates
 *   kept across calls, and the best one in the pool goes: the longest idle (LRU), the
 *   least frequently used (LFU: 255 minus the decayed logarithmic counter), the nearest
 *   deadline (TTL).
 * - random: a random key (with a TTL, for volatile-random) of the next database in turn.
 *
 * A JavaScript Map has no random access, so "sampling" reads the next keys of cursors
 * that keep going round each database (store/sample.ts; skipping a random few for the
 * random policies): every key is looked at in turn. Under LRU the database's access Map is kept in order
 * of last access (store/keyspace.ts), so the sample is read from its head: the least
 * recently used keys, to the second.
 *
 * Each eviction is a DEL: propagated to replicas and the AOF, announced as an `evicted`
 * keyspace event, counted in INFO's evicted_keys. If nothing can be evicted and memory is
 * still over, commands that may add memory (flag denyoom) are refused with -OOM.
 */
import { NotifyClass } from "../keyspace-events.ts";
import { lfuCounter, lfuNew, lruClock } from "../store/access.ts";
import { ACCESS_ENTRY } from "../store/memory-usage.ts";
import type { Database } from "../store/keyspace.ts";
import type { Server } from "./server.ts";

export type Policy = "noeviction" | "allkeys-lru" | "allkeys-lfu" | "allkeys-random" | "volatile-lru" | "volatile-lfu" | "volatile-random" | "volatile-ttl";

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;

interface Candidate {
  db: Database;
  key: string;
  /** Higher is a better candidate: idle seconds, 255 - frequency, or time to the deadline reversed. */
  score: number;
}

export class Evictor {
  evictedKeys = 0;
  /** Candidates, best last, as Redis's eviction pool. */
  private pool: Candidate[] = [];
  private lruCursors = new WeakMap<Map<string, number>, Iterator<string>>();
  /** The key each access Map's cursor stopped at, with its access clock, not evicted yet. */
  private heads = new WeakMap<Map<string, number>, Candidate>();
  private nextDb = 0;
  /** maxmemory-policy, kept by policyChanged. */
  private policy: Policy = "noeviction";

  constructor(private readonly server: Server) {}

  /** maxmemory-policy changed: accesses record what the new policy needs (and the old data goes). */
  policyChanged(): void {
    const policy = (this.policy = this.server.config.get("maxmemory-policy") as Policy);
    const keyspace = this.server.keyspace;
    const tracking = policy.endsWith("-lru") ? 1 : policy.endsWith("-lfu") ? 2 : 0;
    if (tracking !== keyspace.accessTracking) {
      keyspace.accessTracking = tracking;
      keyspace.perKeyExtra = tracking === 0 ? 0 : ACCESS_ENTRY;
      // Every key starts as just used (LRU) or new (LFU).
      const initial = tracking === 1 ? lruClock() : lfuNew();
      for (const db of keyspace.dbs) {
        db.access.clear();
        if (tracking !== 0) for (const key of db.keys()) db.access.set(key, initial);
        db.recountAll();
      }
    }
    this.pool = [];
  }

  /**
   * performEvictions: evict until memory is under maxmemory. False when it is still over
   * and nothing more can go (the caller refuses denyoom commands).
   */
  freeMemoryIfNeeded(): boolean {
    const server = this.server;
    const limit = server.maxmemory;
    if (limit === 0) return true;
    // A replica follows its master's data (replica-ignore-maxmemory).
    if (server.replicaLink !== undefined && server.config.get("replica-ignore-maxmemory") === "yes") return true;
    // While clients are paused the data stays as it is (and nothing is refused for memory).
    if (server.keyspace.paused) return true;
    let used = server.usedMemory();
    if (used <= limit) return true;
    if (this.policy === "noeviction") return false;
    // maxmemory-eviction-tenacity: how long one call may spend, as Redis scales it.
    const tenacity = server.config.int("maxmemory-eviction-tenacity");
    const budgetMs = tenacity >= 100 ? Infinity : tenacity <= 10 ? 0.05 * tenacity : 0.5 * 1.15 ** (tenacity - 10);
    const started = performance.now();
    let evicted = 0;
    while (used > limit) {
      const victim = this.pick();
      if (victim === undefined) return false;
      used -= this.evict(victim.db, victim.key);
      // The estimate moves with each key; re-read it now and then for what else changed.
      if ((++evicted & 15) === 0) {
        used = server.usedMemory();
        if (performance.now() - started > budgetMs) return true;
      }
    }
    return true;
  }

  private evict(db: Database, key: string): number {
    const before = db.bytes;
    const server = this.server;
    if (server.propagation.wanted) server.propagation.write(db.id, [["DEL", key]]);
    db.delete(key, server.keyspace.lazyFree.eviction);
    server.notifier.emit(NotifyClass.Evicted, "evicted", key, db.id);
    this.evictedKeys++;
    return before - db.bytes;
  }

  /** The next key to evict under the policy, or undefined when there is none. */
  private pick(): Candidate | undefined {
    const policy = this.policy;
    const dbs = this.server.keyspace.dbs;
    const volatile = policy.startsWith("volatile-");
    if (policy.endsWith("-random")) {
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[this.nextDb++ % dbs.length]!;
        const [key] = db.sampleKeys(volatile, 1, 1 + Math.floor(Math.random() * 8));
        if (key !== undefined) return { db, key, score: 0 };
      }
      return undefined;
    }
    const samples = this.server.config.int("maxmemory-samples");
    const clock = lruClock();
    if (policy.endsWith("-lru")) {
      // The least recently used of the databases' least recently used keys.
      let best: Candidate | undefined;
      for (const db of dbs) {
        const head = db.access.size > 0 ? this.oldest(db, volatile) : undefined;
        if (head !== undefined && (best === undefined || head.score > best.score)) best = head;
      }
      if (best !== undefined) {
        this.heads.delete(best.db.access);
        return best;
      }
      if (!volatile) return undefined;
    }
    for (let tries = 0; tries < 3; tries++) {
      for (const db of dbs) {
        for (const key of db.sampleKeys(volatile, samples, 0)) this.consider(db, key, this.score(db, key, policy, clock));
      }
      // The best candidate that still exists (the pool may hold keys deleted since).
      while (this.pool.length > 0) {
        const best = this.pool.pop()!;
        if (best.db.has(best.key) && (!volatile || best.db.expires.has(best.key))) return best;
      }
    }
    return undefined;
  }

  /**
   * LRU: the database's least recently used key (with a TTL, for volatile-lru), read at a
   * cursor over its access Map, which is in order of last access; a key touched since it
   * was read has moved behind the cursor and is read again later. The cursor is kept: a
   * new iterator would walk past every entry deleted at the head so far, which
   * JavaScriptCore's Map keeps until it rehashes. volatile-lru looks a bounded way for a
   * key with a TTL, then leaves it to sampling.
   */
  private oldest(db: Database, volatile: boolean): Candidate | undefined {
    const access = db.access;
    const held = this.heads.get(access);
    if (held !== undefined && access.get(held.key) === -held.score && db.has(held.key)) return held;
    let cursor = this.lruCursors.get(access);
    for (let looked = 0, restarts = 0; looked < 64 && restarts < 2; ) {
      cursor ??= access.keys();
      const next = cursor.next();
      if (next.done) {
        cursor = undefined;
        restarts++;
        continue;
      }
      looked++;
      const key = next.value;
      if (volatile && !db.expires.has(key)) continue;
      this.lruCursors.set(access, cursor);
      // The score grows with idleness: the access clock, negated.
      const head = { db, key, score: -access.get(key)! };
      this.heads.set(access, head);
      return head;
    }
    if (cursor !== undefined) this.lruCursors.set(access, cursor);
    else this.lruCursors.delete(access);
    return undefined;
  }

  /** evictionPoolPopulate for one key: kept if it beats the pool's worst, the pool sorted best last. */
  private consider(db: Database, key: string, score: number): void {
    const pool = this.pool;
    if (pool.some((c) => c.db === db && c.key === key)) return;
    if (pool.length >= POOL_SIZE && score <= pool[0]!.score) return;
    let at = pool.findIndex((c) => c.score > score);
    if (at < 0) at = pool.length;
    pool.splice(at, 0, { db, key, score });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  private score(db: Database, key: string, policy: Policy, clock: number): number {
    const keyspace = this.server.keyspace;
    if (policy === "volatile-ttl") return -(db.expires.get(key) ?? Infinity);
    const entry = db.access.get(key);
    if (policy.endsWith("-lfu")) return 255 - (entry === undefined ? 0 : lfuCounter(entry, keyspace.lfuDecayTime));
    // LRU: seconds idle; a key never seen since the policy was set counts as idle longest.
    return entry === undefined ? Number.MAX_SAFE_INTEGER : clock - entry;
  }
}
