/**
 * What the server reports about itself: the text of INFO, one function per section with
 * Redis's section and field names (as server.c's genRedisInfoString), and MEMORY STATS's
 * figures. Both read the whole server, so they live here; the commands only format them.
 */
import { arch, totalmem } from "node:os";
import { allCommands } from "../commands/table.ts";
import type { StatField } from "../commands/context.ts";
import { LinkState, type ReplicaLink } from "../replication/replica.ts";
import { KVIS_VERSION, REDIS_VERSION } from "../version.ts";
import type { Server } from "./server.ts";
import type { Metric } from "./metrics.ts";
import { clientMemory } from "../commands/connection.ts";
import { lruClock } from "../store/access.ts";
import { latencyAtPercentile } from "./latency.ts";
import { compareBytes } from "../resp/bytes.ts";
import { formatTrimmedFixed } from "../resp/long-double.ts";

function count<T>(items: Iterable<T>, test: (item: T) => boolean): number {
  let n = 0;
  for (const item of items) if (test(item)) n++;
  return n;
}

type Section = (server: Server, nowMs: number) => string[];

/** Sections in INFO's order; "commandstats" and "latencystats" are left out of the default set, as in Redis. */
const SECTIONS: Array<[name: string, title: string, section: Section]> = [
  ["server", "Server", serverSection],
  ["clients", "Clients", clientsSection],
  ["memory", "Memory", memorySection],
  ["persistence", "Persistence", persistenceSection],
  ["stats", "Stats", statsSection],
  ["replication", "Replication", replicationSection],
  ["cpu", "CPU", cpuSection],
  ["modules", "Modules", () => []],
  ["commandstats", "Commandstats", commandstatsSection],
  ["errorstats", "Errorstats", errorstatsSection],
  ["latencystats", "Latencystats", latencystatsSection],
  ["cluster", "Cluster", (server) => [`cluster_enabled:${server.cluster === undefined ? 0 : 1}`]],
  ["keyspace", "Keyspace", keyspaceSection],
];

/** The text of INFO [section ...]. */
export function buildInfo(server: Server, wanted: string[]): string {
  const all = wanted.includes("all") || wanted.includes("everything");
  const byDefault = wanted.length === 0 || wanted.includes("default");
  const nowMs = Date.now();
  const out: string[] = [];
  for (const [name, title, section] of SECTIONS) {
    if (!(all || (byDefault ? name !== "commandstats" && name !== "latencystats" : wanted.includes(name)))) continue;
    if (out.length > 0) out.push("");
    out.push(`# ${title}`, ...section(server, nowMs));
  }
  // No matching section: Redis answers an empty string, not a bare CRLF.
  return out.length === 0 ? "" : out.join("\r\n") + "\r\n";
}

function humanBytes(n: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

function serverSection(server: Server, nowMs: number): string[] {
  const uptime = Math.floor((nowMs - server.startTime) / 1000);
  return [
    `redis_version:${REDIS_VERSION}`,
    `kvis_version:${KVIS_VERSION}`,
    `redis_git_sha1:00000000`,
    `redis_git_dirty:0`,
    `redis_build_id:kvis-${KVIS_VERSION}`,
    `redis_mode:standalone`,
    `os:${process.platform} ${arch()}`,
    `arch_bits:64`,
    `monotonic_clock:POSIX clock_gettime`,
    `multiplexing_api:bun`,
    `atomicvar_api:none`,
    // Not built by GCC: the figure Redis prints then.
    `gcc_version:0.0.0`,
    `bun_version:${Bun.version}`,
    `process_id:${process.pid}`,
    `process_supervised:no`,
    `run_id:${server.runId}`,
    `tcp_port:${server.port}`,
    `server_time_usec:${Math.round((performance.timeOrigin + performance.now()) * 1000)}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${server.hz}`,
    `configured_hz:${server.config.int("hz")}`,
    `lru_clock:${lruClock() & 0xffffff}`,
    `executable:${process.execPath}`,
    `config_file:${server.configFile}`,
    `io_threads_active:0`,
  ];
}

function clientsSection(server: Server): string[] {
  return [
    `connected_clients:${server.clients.size}`,
    `cluster_connections:${server.cluster?.links().length ?? 0}`,
    `maxclients:${server.config.int("maxclients")}`,
    `client_recent_max_input_buffer:0`,
    `client_recent_max_output_buffer:0`,
    `blocked_clients:${count(server.clients.values(), (c) => c.isBlocked)}`,
    `tracking_clients:${count(server.clients.values(), (c) => c.tracking !== undefined)}`,
    `clients_in_timeout_table:0`,
  ];
}

/** The scripting engines' memory (the Lua heaps) and the scripts' and libraries' own bytes. */
function scriptingMemory(server: Server): string[] {
  const scripting = server.scripting;
  const evalVm = scripting.evalMemory;
  const functionsVm = scripting.functionsMemory;
  const functionsBytes = scripting.functionsOverhead;
  const scripts = scripting.scriptsMemory + functionsBytes;
  return [
    `used_memory_lua:${evalVm}`,
    `used_memory_vm_eval:${evalVm}`,
    `used_memory_lua_human:${humanBytes(evalVm)}`,
    `used_memory_scripts_eval:${scripting.scriptsMemory}`,
    `number_of_cached_scripts:${scripting.scripts.size}`,
    `number_of_functions:${scripting.functions.size}`,
    `number_of_libraries:${scripting.libraries.size}`,
    `used_memory_vm_functions:${functionsVm}`,
    `used_memory_vm_total:${evalVm + functionsVm}`,
    `used_memory_vm_total_human:${humanBytes(evalVm + functionsVm)}`,
    `used_memory_functions:${functionsBytes}`,
    `used_memory_scripts:${scripts}`,
    `used_memory_scripts_human:${humanBytes(scripts)}`,
  ];
}

/**
 * The memory figures INFO memory and MEMORY STATS both report. used_memory is what
 * maxmemory is held to (Server.usedMemory): the dataset's estimate (Keyspace.bytes) and
 * the overhead of the tables' slots, the backlog, the clients and the scripts. The
 * "allocator" is the JavaScript heap and its external buffers; the process's real size is
 * its RSS.
 */
function memoryFigures(server: Server) {
  const mem = process.memoryUsage();
  const used = server.usedMemory();
  let replicas = 0;
  let normal = 0;
  for (const c of server.clients.values()) {
    if (c.replica !== undefined) replicas += c.outputPending;
    else normal += clientMemory(c);
  }
  return {
    used,
    peak: server.peakMemory(used),
    rss: mem.rss,
    dataset: server.keyspace.bytes,
    // Bun's heapUsed is JavaScriptCore's heap size, which counts the external buffers
    // already; its heapTotal (the heap's capacity) leaves them out.
    allocated: mem.heapUsed,
    active: mem.heapTotal + mem.external,
    backlog: server.replication.backlogAllocated,
    replicas,
    normal,
  };
}

function memorySection(server: Server): string[] {
  const { used, peak, rss, dataset, allocated, active, backlog, replicas, normal } = memoryFigures(server);
  const maxmemory = server.maxmemory;
  const ratio = (a: number, b: number) => (a / Math.max(1, b)).toFixed(2);
  return [
    `used_memory:${used}`,
    `used_memory_human:${humanBytes(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${humanBytes(rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${humanBytes(peak)}`,
    `used_memory_peak_perc:${((100 * used) / Math.max(1, peak)).toFixed(2)}%`,
    `used_memory_overhead:${used - dataset}`,
    `used_memory_startup:0`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${((100 * dataset) / Math.max(1, used)).toFixed(2)}%`,
    `allocator_allocated:${allocated}`,
    `allocator_active:${active}`,
    `allocator_resident:${rss}`,
    `total_system_memory:${totalmem()}`,
    `total_system_memory_human:${humanBytes(totalmem())}`,
    ...scriptingMemory(server),
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${humanBytes(maxmemory)}`,
    `maxmemory_policy:${server.config.get("maxmemory-policy")}`,
    `allocator_frag_ratio:${ratio(active, allocated)}`,
    `allocator_frag_bytes:${active - allocated}`,
    `allocator_rss_ratio:${ratio(rss, active)}`,
    `allocator_rss_bytes:${rss - active}`,
    `rss_overhead_ratio:1.00`,
    `rss_overhead_bytes:0`,
    `mem_fragmentation_ratio:${ratio(rss, used)}`,
    `mem_fragmentation_bytes:${rss - used}`,
    `mem_not_counted_for_evict:${server.notCountedForEvict()}`,
    `mem_replication_backlog:${backlog}`,
    `mem_total_replication_buffers:${backlog + replicas}`,
    `mem_clients_slaves:${replicas}`,
    `mem_clients_normal:${normal}`,
    `mem_cluster_links:0`,
    `mem_aof_buffer:${server.aof.bufferBytes}`,
    `mem_allocator:bun-${Bun.version}`,
    `active_defrag_running:0`,
    `lazyfree_pending_objects:0`,
    `lazyfreed_objects:${server.keyspace.stats.lazyfreedObjects}`,
  ];
}

function persistenceSection(server: Server): string[] {
  const ks = server.keyspace;
  const persistence = server.persistence;
  const save = persistence.progress();
  return [
    `loading:${server.loadingDataset ? 1 : 0}`,
    `async_loading:${server.asyncLoading ? 1 : 0}`,
    // KVIS saves without forking, so the copy-on-write figures are always 0.
    `current_cow_peak:0`,
    `current_cow_size:0`,
    `current_cow_size_age:0`,
    `current_fork_perc:${save.total > 0 ? ((100 * save.processed) / save.total).toFixed(2) : "0.00"}`,
    `current_save_keys_processed:${save.processed}`,
    `current_save_keys_total:${save.total}`,
    `rdb_changes_since_last_save:${ks.dirty}`,
    `rdb_bgsave_in_progress:${persistence.bgsaveInProgress ? 1 : 0}`,
    `rdb_last_save_time:${persistence.lastSave}`,
    `rdb_last_bgsave_status:${persistence.lastBgsaveOk ? "ok" : "err"}`,
    `rdb_last_bgsave_time_sec:${persistence.lastBgsaveSeconds}`,
    `rdb_current_bgsave_time_sec:${save.seconds}`,
    `rdb_saves:${persistence.saves}`,
    `rdb_last_cow_size:0`,
    `rdb_last_load_keys_expired:${server.lastLoad.expired}`,
    `rdb_last_load_keys_loaded:${server.lastLoad.keys}`,
    ...server.aof.info(),
    ...(server.loadingDataset || server.asyncLoading ? loadingFields(server) : []),
  ];
}

/** While the dataset loads: Redis's loading_* figures, its ETA computed as Redis computes it. */
function loadingFields(server: Server): string[] {
  const step = server.loadingStep;
  const total = step?.totalBytes ?? 0;
  const loaded = step?.loadedBytes ?? 0;
  const elapsed = Math.floor(Date.now() / 1000) - server.loadingStarted;
  const eta = elapsed === 0 ? 1 : Math.floor((elapsed * (total > 0 ? total - loaded : 1)) / (loaded + 1));
  return [
    `loading_start_time:${server.loadingStarted}`,
    `loading_total_bytes:${total}`,
    `loading_rdb_used_mem:${step?.usedMem ?? 0}`,
    `loading_loaded_bytes:${loaded}`,
    `loading_loaded_perc:${(total > 0 ? (100 * loaded) / total : 0).toFixed(2)}`,
    `loading_eta_seconds:${eta}`,
  ];
}

function statsSection(server: Server): string[] {
  const ks = server.keyspace;
  const st = server.stats;
  const metrics = server.metrics;
  const kbps = (name: Metric) => (metrics.perSecond(name) / 1024).toFixed(2);
  const pubsub = server.pubsub;
  const tracking = server.tracking.totals;
  return [
    `total_connections_received:${st.totalConnections}`,
    `total_commands_processed:${st.totalCommands}`,
    `instantaneous_ops_per_sec:${Math.round(metrics.perSecond("commands"))}`,
    `total_net_input_bytes:${st.netInputBytes}`,
    `total_net_output_bytes:${st.netOutputBytes}`,
    `total_net_repl_input_bytes:${st.netReplInputBytes}`,
    `total_net_repl_output_bytes:${st.netReplOutputBytes}`,
    `instantaneous_input_kbps:${kbps("netInput")}`,
    `instantaneous_output_kbps:${kbps("netOutput")}`,
    `instantaneous_input_repl_kbps:${kbps("replInput")}`,
    `instantaneous_output_repl_kbps:${kbps("replOutput")}`,
    `rejected_connections:${st.rejectedConnections}`,
    `sync_full:${st.syncFull}`,
    `sync_partial_ok:${st.syncPartialOk}`,
    `sync_partial_err:${st.syncPartialErr}`,
    `expired_keys:${ks.stats.expiredKeys}`,
    // Expired keys are found through their deadlines' index, not by sampling: none is left
    // behind by a cycle that ends in time.
    `expired_stale_perc:0.00`,
    `expired_time_cap_reached_count:${ks.stats.expireTimeCapReached}`,
    `expire_cycle_cpu_milliseconds:${Math.round(ks.stats.expireCycleMs)}`,
    `evicted_keys:${server.evictor.evictedKeys}`,
    `evicted_clients:${st.evictedClients}`,
    `total_eviction_exceeded_time:0`,
    `current_eviction_exceeded_time:0`,
    `keyspace_hits:${ks.stats.keyspaceHits}`,
    `keyspace_misses:${ks.stats.keyspaceMisses}`,
    `pubsub_channels:${pubsub.channels.size}`,
    `pubsub_patterns:${pubsub.patterns.size}`,
    `pubsubshard_channels:${pubsub.shardChannels.size}`,
    // KVIS never forks: a snapshot in the process (persistence/snapshot.ts) stands for the child.
    `latest_fork_usec:${ks.snapshotStarts.latestUsec}`,
    `total_forks:${ks.snapshotStarts.total}`,
    `migrate_cached_sockets:${server.migrator.cachedSockets}`,
    `slave_expires_tracked_keys:0`,
    // No active defragmentation without jemalloc, as in Redis built without it.
    `active_defrag_hits:0`,
    `active_defrag_misses:0`,
    `active_defrag_key_hits:0`,
    `active_defrag_key_misses:0`,
    `total_active_defrag_time:0`,
    `current_active_defrag_time:0`,
    `tracking_total_keys:${tracking.keys}`,
    `tracking_total_items:${tracking.items}`,
    `tracking_total_prefixes:${tracking.prefixes}`,
    `unexpected_error_replies:${server.stats.unexpectedErrorReplies}`,
    `total_error_replies:${st.totalErrorReplies}`,
    `dump_payload_sanitizations:0`,
    `total_reads_processed:${st.readsProcessed}`,
    `total_writes_processed:${st.writesProcessed}`,
    `io_threaded_reads_processed:0`,
    `io_threaded_writes_processed:0`,
    `reply_buffer_shrinks:0`,
    `reply_buffer_expands:0`,
  ];
}

function replicationSection(server: Server, nowMs: number): string[] {
  const master = server.replication;
  const replicas = [...master.replicas].map((r, i) => {
    const info = r.replica!;
    return `slave${i}:ip=${info.ip},port=${info.port},state=${info.state},offset=${info.ackOffset},lag=${Math.floor((nowMs - info.ackTime) / 1000)}`;
  });
  const history = [
    `connected_slaves:${replicas.length}`,
    ...replicas,
    `master_failover_state:${server.failover.state}`,
    `master_replid:${master.replid}`,
    `master_replid2:${master.replid2}`,
    `master_repl_offset:${master.offset}`,
    `second_repl_offset:${master.secondOffset}`,
    `repl_backlog_active:${master.active ? 1 : 0}`,
    `repl_backlog_size:${master.backlogSize}`,
    `repl_backlog_first_byte_offset:${master.active ? master.backlogFirstByte : 0}`,
    `repl_backlog_histlen:${master.histlen}`,
  ];
  const link = server.replicaLink;
  if (link !== undefined) {
    const ioAgo = Math.floor((nowMs - link.lastIoMs) / 1000);
    const syncing = link.state === LinkState.Transfer || link.state === LinkState.Loading;
    return [
      `role:slave`,
      `master_host:${link.host}`,
      `master_port:${link.port}`,
      `master_link_status:${link.linkUp ? "up" : "down"}`,
      `master_last_io_seconds_ago:${link.linkUp ? ioAgo : -1}`,
      `master_sync_in_progress:${syncing ? 1 : 0}`,
      // Redis prints its cached master's offsets during a full sync (the FULLRESYNC offset is
      // not read yet), and 1 for both with no master nor cached master (never synced).
      `slave_read_repl_offset:${(syncing ? link.reploff : link.readOffset) < 0 ? 1 : syncing ? link.reploff : link.readOffset}`,
      `slave_repl_offset:${link.reploff < 0 ? 1 : link.reploff}`,
      ...(syncing ? syncProgress(link, nowMs) : []),
      ...(link.linkUp ? [] : [`master_link_down_since_seconds:${link.downSinceMs === 0 ? -1 : Math.floor((nowMs - link.downSinceMs) / 1000)}`]),
      `slave_priority:${server.config.int("replica-priority")}`,
      `slave_read_only:${server.replicaReadOnly ? 1 : 0}`,
      `replica_announced:${server.config.get("replica-announced") === "yes" ? 1 : 0}`,
      ...history,
    ];
  }
  return [`role:master`, ...history];
}

/**
 * A full sync's progress as Redis reports it while one is in progress (the load included):
 * with the size unknown (-1 before the header, 0 for a diskless `$EOF:` payload) the left
 * bytes go negative and the percentage is 0, printed -0.00 for -1 as C prints it.
 */
function syncProgress(link: ReplicaLink, nowMs: number): string[] {
  const total = link.syncTotalBytes;
  const read = link.syncReadBytes;
  const perc = total !== 0 ? (read / total) * 100 : 0;
  return [
    `master_sync_total_bytes:${total}`,
    `master_sync_read_bytes:${read}`,
    `master_sync_left_bytes:${total - read}`,
    `master_sync_perc:${Object.is(perc, -0) ? "-0.00" : perc.toFixed(2)}`,
    `master_sync_last_io_seconds_ago:${Math.floor((nowMs - link.syncLastIoMs) / 1000)}`,
  ];
}

function cpuSection(): string[] {
  const u = process.resourceUsage();
  return [
    `used_cpu_sys:${(u.systemCPUTime / 1e6).toFixed(6)}`,
    `used_cpu_user:${(u.userCPUTime / 1e6).toFixed(6)}`,
    `used_cpu_sys_children:0.000000`,
    `used_cpu_user_children:0.000000`,
    // One thread runs every command (Bun's helper threads are the process's remainder).
    `used_cpu_sys_main_thread:${(u.systemCPUTime / 1e6).toFixed(6)}`,
    `used_cpu_user_main_thread:${(u.userCPUTime / 1e6).toFixed(6)}`,
  ];
}

function commandstatsSection(): string[] {
  const lines: string[] = [];
  for (const cmd of allCommands()) {
    for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
      if (each.calls === 0 && each.rejectedCalls === 0) continue;
      const perCall = each.calls === 0 ? 0 : each.usec / each.calls;
      lines.push(
        `cmdstat_${each.name}:calls=${each.calls},usec=${Math.round(each.usec)},usec_per_call=${perCall.toFixed(2)},rejected_calls=${each.rejectedCalls},failed_calls=${each.failedCalls}`,
      );
    }
  }
  return lines;
}

/** Each command's latency percentiles (latency-tracking-info-percentiles), in microseconds. */
function latencystatsSection(server: Server): string[] {
  if (!server.latencyTracking) return [];
  const percentiles = server.config.get("latency-tracking-info-percentiles").trim().split(/\s+/).filter((p) => p !== "").map(Number);
  const lines: string[] = [];
  for (const cmd of allCommands()) {
    for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
      const buckets = each.latencyBuckets;
      if (buckets === undefined) continue;
      const values = percentiles.map((p) => `p${formatTrimmedFixed(p)}=${(latencyAtPercentile(buckets, p) / 1000).toFixed(3)}`);
      lines.push(`latency_percentiles_usec_${each.name}:${values.join(",")}`);
    }
  }
  return lines;
}


function errorstatsSection(server: Server): string[] {
  // In byte order of the prefix, as Redis walks its radix tree of them.
  return [...server.stats.errors]
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([prefix, count]) => `errorstat_${prefix}:count=${count}`);
}

function keyspaceSection(server: Server): string[] {
  const ks = server.keyspace;
  const lines: string[] = [];
  for (const db of ks.dbs) {
    if (db.size === 0) continue;
    lines.push(`db${db.id}:keys=${db.size},expires=${db.expiresCount},avg_ttl=${db.averageTtl(Date.now())}`);
  }
  return lines;
}

/**
 * MEMORY STATS with Redis 7.0's fields, from the figures INFO memory gives (total.allocated
 * is used_memory, overhead.total used_memory_overhead, dataset.bytes used_memory_dataset).
 * A database's overhead is its table's slots; a key's deadline lives in its slot, so there
 * is no expires table. Start-up holds nothing used_memory counts (used_memory_startup:0).
 */
export function memoryStats(server: Server): StatField[] {
  const { used, peak, rss, dataset, allocated, active, backlog, replicas, normal } = memoryFigures(server);
  let keys = 0;
  const dbs: StatField[] = [];
  for (const db of server.keyspace.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    dbs.push([`db.${db.id}`, [int("overhead.hashtable.main", db.slotBytes), int("overhead.hashtable.expires", 0), int("overhead.hashtable.slot-to-keys", 0)]]);
  }
  const net = Math.max(1, used);
  return [
    int("peak.allocated", peak),
    int("total.allocated", used),
    int("startup.allocated", 0),
    int("replication.backlog", backlog),
    int("clients.slaves", replicas),
    int("clients.normal", normal),
    int("cluster.links", 0),
    int("aof.buffer", server.aof.bufferBytes),
    int("lua.caches", server.scripting.scriptsMemory),
    int("functions.caches", server.scripting.functionsOverhead),
    ...dbs,
    int("overhead.total", used - dataset),
    int("keys.count", keys),
    int("keys.bytes-per-key", keys === 0 ? 0 : Math.floor(used / keys)),
    int("dataset.bytes", dataset),
    double("dataset.percentage", (dataset * 100) / net),
    double("peak.percentage", (used * 100) / Math.max(1, peak)),
    int("allocator.allocated", allocated),
    int("allocator.active", active),
    int("allocator.resident", rss),
    double("allocator-fragmentation.ratio", active / Math.max(1, allocated)),
    int("allocator-fragmentation.bytes", active - allocated),
    double("allocator-rss.ratio", rss / Math.max(1, active)),
    int("allocator-rss.bytes", rss - active),
    double("rss-overhead.ratio", 1),
    int("rss-overhead.bytes", 0),
    double("fragmentation", rss / net),
    int("fragmentation.bytes", rss - used),
  ];
}

const int = (name: string, value: number): StatField => [name, value, "integer"];
const double = (name: string, value: number): StatField => [name, value, "double"];
