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
 * Samples are neighbouring slots of the database's table from a random one on
 * (store/table.ts, as Redis's dictGetSomeKeys), for volatile-* random slots holding a key
 * with a TTL. Every key's access word (Redis's robj.lru) and deadline are kept in its slot.
 *
 * Each eviction is a DEL (UNLINK with lazyfree-lazy-eviction): propagated to replicas and
 * the AOF, announced as an `evicted` keyspace event, counted in INFO's evicted_keys. If
 * nothing can be evicted and memory is still over, commands that may add memory (flag
 * denyoom) are refused with -OOM.
 */
import { NotifyClass } from "../keyspace-events.ts";
import { lfuCounter, lruClock } from "../store/access.ts";
import type { Database } from "../store/keyspace.ts";
import type { Server } from "./server.ts";

export type Policy = "noeviction" | "allkeys-lru" | "allkeys-lfu" | "allkeys-random" | "volatile-lru" | "volatile-lfu" | "volatile-random" | "volatile-ttl";

/** Redis's EVPOOL_SIZE. */
const POOL_SIZE = 16;
/** Where a database's samples go (grown for a larger maxmemory-samples). */
let SAMPLES = new Int32Array(64);

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
  private nextDb = 0;
  /** maxmemory-policy, kept by policyChanged. */
  private policy: Policy = "noeviction";

  constructor(private readonly server: Server) {}

  /** maxmemory-policy changed: accesses record what the new policy needs. */
  policyChanged(): void {
    const policy = (this.policy = this.server.config.get("maxmemory-policy") as Policy);
    const keyspace = this.server.keyspace;
    const lfu = policy.endsWith("-lfu");
    if (lfu !== keyspace.lfu) {
      keyspace.lfu = lfu;
      // The access words meant the other thing: every key starts as just used (LRU), or as
      // never counted (LFU: frequency 0, as Redis reads an LRU clock as a decayed counter).
      for (const db of keyspace.dbs) db.resetAccess();
    }
    this.pool = [];
  }

  /**
   * CONFIG SET maxmemory: a limit under what is in use is warned about, as in Redis, and
   * keys go from the next turn of the event loop (Redis's eviction timer) or before the next
   * command, not inside the command that set it: the rest of a transaction runs first.
   */
  limitChanged(): void {
    const server = this.server;
    // maxmemory-clients may be a percentage of maxmemory.
    server.evictClients();
    if (server.maxmemory === 0) return;
    const used = server.memoryCountedForEvict();
    if (server.maxmemory < used) {
      server.log.warning(
        `WARNING: the new maxmemory value set via CONFIG SET (${server.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
      );
      setTimeout(() => this.freeMemoryIfNeeded(), 0);
    }
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
    let used = server.memoryCountedForEvict();
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
        used = server.memoryCountedForEvict();
        if (performance.now() - started > budgetMs) return true;
      }
    }
    return true;
  }

  private evict(db: Database, key: string): number {
    const before = db.bytes;
    const server = this.server;
    const lazily = server.keyspace.lazyFree.eviction;
    if (server.propagation.wanted) server.propagation.write(db.id, [[lazily ? "UNLINK" : "DEL", key]]);
    db.delete(key, lazily);
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
        const slot = db.randomSample(volatile);
        if (slot >= 0) return { db, key: db.sampledKey(slot), score: 0 };
      }
      return undefined;
    }
    const samples = this.server.config.int("maxmemory-samples");
    if (samples > SAMPLES.length) SAMPLES = new Int32Array(samples);
    const slots = SAMPLES;
    const clock = lruClock();
    for (let tries = 0; tries < 3; tries++) {
      for (const db of dbs) {
        const n = db.sampleSlots(volatile, samples, slots);
        for (let i = 0; i < n; i++) this.consider(db, slots[i]!, this.score(db, slots[i]!, policy, clock));
      }
      // The best candidate that still exists (the pool may hold keys deleted since).
      while (this.pool.length > 0) {
        const best = this.pool.pop()!;
        if (best.db.has(best.key) && (!volatile || best.db.getExpire(best.key) !== -1)) return best;
      }
    }
    return undefined;
  }

  /**
   * evictionPoolPopulate for one sampled slot: its key is kept if it beats the pool's
   * worst, the pool sorted best last.
   */
  private consider(db: Database, slot: number, score: number): void {
    const pool = this.pool;
    if (pool.length >= POOL_SIZE && score <= pool[0]!.score) return;
    const key = db.sampledKey(slot);
    if (pool.some((c) => c.db === db && c.key === key)) return;
    let at = pool.findIndex((c) => c.score > score);
    if (at < 0) at = pool.length;
    pool.splice(at, 0, { db, key, score });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  private score(db: Database, slot: number, policy: Policy, clock: number): number {
    const keyspace = this.server.keyspace;
    if (policy === "volatile-ttl") {
      const when = db.sampledDeadline(slot);
      return when === when ? -when : -Infinity;
    }
    const entry = db.sampledAccess(slot);
    if (policy.endsWith("-lfu")) return 255 - lfuCounter(entry, keyspace.lfuDecayTime);
    // LRU: seconds idle.
    return clock - entry;
  }
}
