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
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

const MIN_LIMIT = 128 * 1024;

/** The limit in bytes, 0 when off (as Redis's getClientEvictionLimit). */
export function clientEvictionLimit(server: Server): number {
  const value = server.config.get("maxmemory-clients");
  let limit: number;
  if (value.endsWith("%")) {
    if (server.maxmemory === 0) return 0;
    limit = Math.floor((server.maxmemory * Number(value.slice(0, -1))) / 100);
  } else limit = Number(value);
  if (limit === 0) return 0;
  return Math.max(limit, MIN_LIMIT);
}

export function evictClients(server: Server): void {
  const limit = clientEvictionLimit(server);
  if (limit === 0) return;
  let total = 0;
  const evictable: Array<[memory: number, client: Client]> = [];
  for (const c of server.clients.values()) {
    if (c.masterLink !== undefined || c.replica !== undefined || c.closed) continue;
    const memory = clientMemory(c);
    total += memory;
    if (!c.noEvict) evictable.push([memory, c]);
  }
  if (total < limit) return;
  evictable.sort((a, b) => b[0] - a[0]);
  const now = Date.now();
  for (const [memory, c] of evictable) {
    server.log.notice(`Evicting client: ${clientInfoLine(c, now)}`);
    server.stats.evictedClients++;
    c.terminate();
    total -= memory;
    if (total < limit) return;
  }
  server.log.warning("Over client maxmemory after evicting all evictable clients");
}
