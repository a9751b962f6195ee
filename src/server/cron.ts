/**
 * The periodic job, run `hz` times a second as Redis's serverCron (more often with many
 * clients, under dynamic-hz): it refreshes the cached
 * clock, runs the active expiry cycle with a quarter of the period as its time budget
 * (Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC), sweeps a slice of finished snapshots'
 * marks off the keyspace's slots, and on a replica sends the
 * once-a-second REPLCONF ACK, PINGs a master's replicas, starts the diskless snapshot
 * replicas wait for (repl-diskless-sync-delay), starts a BGSAVE when a save
 * point is due, and lets the AOF retry failed writes, fsync and start due rewrites; once a
 * second it closes clients idle for longer than `timeout` and, once a quiet spell, lets the
 * executable's idle code pages go (server/code-pages.ts); every 100 ms it lowers the
 * priority of the runtime's helper threads started since and moves them to bio_cpulist's
 * CPUs (server/helper-threads.ts). When
 * the server falls idle after much traffic it runs a full garbage collection
 * (collectWhenIdle). Last, it acts on a shutdown signal or ends a shutdown's wait for
 * replicas (server/shutdown.ts).
 */
import { updateClock } from "../clock.ts";
import { MAX_HZ } from "../config.ts";
import { releaseWhenQuiet } from "./code-pages.ts";
import { compilerTime, tendHelperThreads } from "./helper-threads.ts";
import { evictClients } from "./client-eviction.ts";
import type { Server } from "./server.ts";

/** Start the cron; returns a function that stops it. */
export function startCron(server: Server): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastAck = 0;
  let lastReplicaPing = Date.now();
  let lastIdleCheck = 0;
  let lastHelperCheck = 0;
  let idleChecks = 0;
  let commandsAtLastTick = 0;
  let quietTicks = 0;
  const collect = collectWhenIdle(server);
  const releaseCode = releaseWhenQuiet();
  const tick = () => {
    const hz = (server.hz = cronHz(server));
    const period = 1000 / hz;
    if (server.cronPaused) {
      timer = setTimeout(tick, period);
      return;
    }
    server.cronLoops++;
    const clockNow = updateClock();
    // Not while the dataset loads (DEBUG RELOAD or LOADAOF): the keys are the load's until it ends.
    if (server.keyspace.activeExpireEnabled && !server.loadingDataset) {
      // A slow cycle is a latency event, as in Redis ("expire-cycle").
      const started = performance.now();
      // A quarter of the period, plus 2% of it for each step of active-expire-effort above 1,
      // which also samples more keys and tolerates fewer expired ones (as Redis).
      const effort = server.config.int("active-expire-effort");
      server.keyspace.activeExpireCycle((period * (25 + 2 * (effort - 1))) / 100, effort);
      // A replica leaves expiry to its master, but for the keys its own clients gave a TTL.
      if (server.keyspace.replicaMode) server.keyspace.expireReplicaKeys();
      if (server.latency.threshold > 0) server.latency.add("expire-cycle", Math.floor(performance.now() - started));
    }
    evictClients(server);
    // Cells are given back a chunk a tick once no command has come for a second: each step
    // is a pause of up to a few ms over a million keys (CellHeap.compact), which under load
    // took SETs over 1M keys from 1.00x to 0.77x Redis, with stalls of 30-130 ms.
    quietTicks = server.stats.totalCommands === commandsAtLastTick ? quietTicks + 1 : 0;
    commandsAtLastTick = server.stats.totalCommands;
    if (quietTicks >= hz && !server.loadingDataset) server.keyspace.compactCells();
    if (!server.loadingDataset) server.keyspace.shrinkTables(1);
    server.keyspace.sweepMarks();
    server.tracking.limitTable();
    server.failover.update();
    const stats = server.stats;
    server.metrics.sample(clockNow, {
      commands: stats.totalCommands, netInput: stats.netInputBytes, netOutput: stats.netOutputBytes,
      replInput: stats.netReplInputBytes, replOutput: stats.netReplOutputBytes,
    });
    server.persistence.checkSavePoints();
    server.aof.cron(clockNow);
    // A master PINGs its replicas every repl-ping-replica-period seconds, in the stream.
    if (clockNow - lastReplicaPing >= server.config.int("repl-ping-replica-period") * 1000) {
      lastReplicaPing = clockNow;
      server.replication.pingReplicas();
    }
    // A replica acknowledges its offset to its master once a second, as Redis does.
    if (server.replicaLink !== undefined && clockNow - lastAck >= 1000) {
      lastAck = clockNow;
      server.replicaLink.sendAck();
      server.replicaLink.checkTimeout(clockNow);
    }
    // A diskless snapshot for the replicas waiting, once repl-diskless-sync-delay allows
    // (and the dataset is whole).
    if (!server.loadingDataset) server.replication.startPendingSnapshot();
    if (clockNow - lastIdleCheck >= 1000) {
      lastIdleCheck = clockNow;
      server.replication.closeTimedOut(clockNow);
      server.replication.freeIdleBacklog(clockNow);
      closeIdleClients(server, clockNow);
      server.migrator.closeIdle(clockNow);
      if (!server.loadingDataset) releaseCode(server.stats.totalCommands, compilerTime());
      if (++idleChecks % 5 === 0) server.keyspace.releaseIdleSpares();
    }
    // A soft output limit is passed by staying over it, without new output: looked at here
    // too, as Redis's clientsCron does.
    for (const c of server.clients.values()) if (c.outputPending > 0) c.enforceOutputLimit();
    if (clockNow - lastHelperCheck >= 100) {
      lastHelperCheck = clockNow;
      tendHelperThreads();
    }
    collect();
    server.shutdown.cron(clockNow);
    timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, 100);
  return () => clearTimeout(timer);
}

/**
 * The cron's frequency (Redis's serverCron): hz, doubled with dynamic-hz while there are
 * more than 200 clients per tick, up to 500.
 */
function cronHz(server: Server): number {
  let hz = server.config.int("hz");
  if (server.config.get("dynamic-hz") !== "yes") return hz;
  while (Math.floor(server.clients.size / hz) > CLIENTS_PER_TICK) {
    hz *= 2;
    if (hz >= MAX_HZ) return MAX_HZ;
  }
  return hz;
}

const CLIENTS_PER_TICK = 200;

/**
 * Input read since the last full collection after which an idle tick collects: a request's
 * read buffer (Bun hands each socket read over as a fresh ArrayBuffer), its strings and
 * the replies' leftovers are garbage by then, and JavaScriptCore frees most of what
 * survived its young collections only in a full one, which its own timer runs about ten
 * seconds after the allocations stop. Measured with maxmemory 200mb after 3M SETs: RSS
 * 308 -> 269 MB; the collection, of a heap the keyspace keeps outside the collector's
 * graph, takes a few ms.
 */
const IDLE_GC_INPUT = 16 << 20;

/** A tick's check: no command since the last tick, and IDLE_GC_INPUT read since the last collection. */
function collectWhenIdle(server: Server): () => void {
  const stats = server.stats;
  let commands = 0;
  let inputAtCollection = 0;
  return () => {
    const input = stats.netInputBytes + stats.netReplInputBytes;
    if (stats.totalCommands === commands && input - inputAtCollection >= IDLE_GC_INPUT) {
      Bun.gc(true);
      inputAtCollection = input;
    }
    commands = stats.totalCommands;
  };
}

/**
 * `timeout`: close clients idle for longer (clientsCronHandleTimeout). Replicas, the master,
 * MONITOR, subscribers and clients blocked on keys wait legitimately and are spared.
 */
function closeIdleClients(server: Server, now: number): void {
  const timeout = server.config.int("timeout");
  if (timeout <= 0) return;
  for (const c of server.clients.values()) {
    if (c.masterLink !== undefined || c.replica !== undefined || server.monitors.has(c) || c.subscribed || c.blockedOnKeys !== undefined) continue;
    if (now - c.lastInteraction <= timeout * 1000) continue;
    server.log.verbose(`Closing idle client id=${c.id} addr=${c.addr}`);
    c.kill();
  }
}
