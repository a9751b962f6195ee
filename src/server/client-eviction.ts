/**
 * maxmemory-clients, Redis 7's client eviction: when the memory of the clients (CLIENT
 * LIST's tot-mem of every normal and pub/sub client, summed) reaches the limit, the
 * largest clients are closed until it is under, each logged with its CLIENT LIST line and
 * counted in INFO's evicted_clients. A master's link, replicas and clients that asked
 * CLIENT NO-EVICT are never closed, though their memory counts. The limit is bytes or a
 * percentage of maxmemory, and never under 128 KB (Redis's floor, so that a bad setting
 * cannot cut everyone off). Redis looks after every read; the cron looks hz times a second.
 */
import { clientInfoLine, clientMemory } from "../commands/connection.ts";
import type { Context } from "../commands/context.ts";
import type { Config } from "../config.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

/** The lowest limit maxmemory-clients can mean: a client under it cannot reach it alone. */
export const EVICTION_MIN_LIMIT = 128 * 1024;

/** The limit in bytes, 0 when off (as Redis's getClientEvictionLimit). */
export function clientEvictionLimit(config: Config): number {
  const value = config.get("maxmemory-clients");
  let limit: number;
  if (value.endsWith("%")) {
    const maxmemory = config.int("maxmemory");
    if (maxmemory === 0) return 0;
    limit = Math.floor((maxmemory * Number(value.slice(0, -1))) / 100);
  } else limit = Number(value);
  if (limit === 0) return 0;
  return Math.max(limit, EVICTION_MIN_LIMIT);
}

export function evictClients(server: Server): void {
  const limit = clientEvictionLimit(server.config);
  if (limit === 0) return;
  let total = 0;
  const evictable: Array<[memory: number, client: Client]> = [];
  for (const c of server.clients.values()) {
    if (c.masterLink !== undefined || c.replica !== undefined || c.closed) continue;
    // The client running a command (CONFIG SET maxmemory-clients) counts as it stood
    // before this read, as Redis's buckets hold it, not with the read and command in hand.
    const memory = c === server.executing ? clientMemory(c) - c.inputBytes - c.argvBytes : clientMemory(c);
    total += memory;
    if (!c.noEvict) evictable.push([memory, c]);
  }
  if (total < limit) return;
  evictable.sort((a, b) => b[0] - a[0]);
  const now = Date.now();
  for (const [memory, c] of evictable) {
    server.log.notice(`Evicting client: ${clientInfoLine(c, now)}`);
    server.stats.evictedClients++;
    c.kill();
    total -= memory;
    if (total < limit) return;
  }
  server.log.warning("Over client maxmemory after evicting all evictable clients");
}

/** Redis's CLIENT_MEM_USAGE_BUCKET_MIN_LOG and _MAX_LOG: from "under 32 KB" to "4 GB and more". */
const BUCKET_MIN_LOG = 15;
const BUCKET_MAX_LOG = 33;

/**
 * DEBUG CLIENT-EVICTION: the clients eviction may close, in Redis's buckets by powers of
 * two of their memory, with each bucket's summed tot-mem. The caller is left out, as Redis
 * takes a client out of its bucket while its command runs.
 */
export function clientEvictionBuckets(clients: Iterable<Context>, callerId: number): string {
  const buckets = BUCKET_MAX_LOG - BUCKET_MIN_LOG + 1;
  const memory = new Array<number>(buckets).fill(0);
  const counts = new Array<number>(buckets).fill(0);
  for (const c of clients) {
    if (c.id === callerId || c.noEvict || c.masterLink !== undefined || c.replica !== undefined) continue;
    const bytes = clientMemory(c);
    const bits = bytes === 0 ? 0 : Math.floor(Math.log2(bytes)) + 1;
    const j = Math.min(Math.max(bits, BUCKET_MIN_LOG), BUCKET_MAX_LOG) - BUCKET_MIN_LOG;
    memory[j]! += bytes;
    counts[j]!++;
  }
  const pad = (n: number) => String(n).padStart(10);
  let out = "";
  for (let j = 0; j < buckets; j++) {
    out += j === 0 ? `bucket ${pad(0)}` : `bucket ${pad(2 ** (j - 1 + BUCKET_MIN_LOG))}`;
    out += j === buckets - 1 ? "+            : " : ` - ${pad(2 ** (j + BUCKET_MIN_LOG) - 1)}: `;
    out += `tot-mem: ${pad(memory[j]!)}, clients: ${counts[j]}\n`;
  }
  return out;
}
