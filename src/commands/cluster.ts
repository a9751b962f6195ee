/**
 * Cluster commands (COMMAND DOCS group "cluster"): CLUSTER and its subcommands, and cluster
 * clients' READONLY, READWRITE and ASKING. The cluster itself (nodes, slots, epochs, the
 * bus) is src/cluster/'s; this is the thin command layer over it, with Redis's replies and
 * error texts. Without cluster-enabled they are refused as Redis refuses them, so a client
 * learns it is not talking to a cluster.
 */
import { CLUSTER_SLOTS, keyHashSlot } from "../store/slots.ts";
import {
  CLUSTER_DISABLED, NOT_INTEGER, SYNTAX_ERR, unknownSubcommand, CLUSTER_EPOCH_NONZERO, CLUSTER_EPOCH_WITH_NODES, CLUSTER_FAILOVER_ON_MASTER,
  CLUSTER_FLUSHSLOTS_NOT_EMPTY, CLUSTER_FORGET_MASTER, CLUSTER_FORGET_MYSELF, CLUSTER_INVALID_SLOT, CLUSTER_INVALID_SLOT_NUMBER,
  CLUSTER_INVALID_SLOT_OR_COUNT, CLUSTER_MASTER_DOWN, CLUSTER_MASTER_UNKNOWN, CLUSTER_NOT_A_MASTER, CLUSTER_REPLICATE_MYSELF,
  CLUSTER_REPLICATE_NOT_EMPTY, CLUSTER_REPLICATE_REPLICA, CLUSTER_RESET_WITH_KEYS, CLUSTER_SETSLOT_ON_REPLICA, CLUSTER_SETSLOT_SYNTAX,
  CLUSTER_TARGET_NOT_MASTER, clusterAlreadyOwner, clusterInvalidAddress, clusterInvalidEpoch, clusterInvalidPort, clusterNotOwner, clusterSaveFailed,
  clusterSlotBusy, clusterSlotHasKeys, clusterSlotRange, clusterSlotTwice, clusterSlotUnassigned, clusterUnknownNode, wrongArity,
} from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { parseInt64 } from "../resp/bytes.ts";
import { type Command, type CommandFlag, command } from "./command.ts";
import type { ClusterNodeView as ClusterNode, ClusterService as Cluster, Context } from "./context.ts";

function clusterOf(c: Context): Cluster {
  const cluster = c.server.cluster;
  if (cluster === undefined) throw CLUSTER_DISABLED;
  return cluster;
}

export const readonlyCommand = command({
  name: "readonly", arity: 1, flags: ["loading", "stale", "fast"], categories: ["connection"],
  summary: "Enables read queries for a connection to a cluster replica node", since: "3.0.0",
  handler(c) {
    clusterOf(c);
    c.readonlyCluster = true;
    c.reply.ok();
  },
});

export const readwriteCommand = command({
  name: "readwrite", arity: 1, flags: ["loading", "stale", "fast"], categories: ["connection"],
  summary: "Disables read queries for a connection to a cluster replica node", since: "3.0.0",
  handler(c) {
    clusterOf(c);
    c.readonlyCluster = false;
    c.reply.ok();
  },
});

export const askingCommand = command({
  name: "asking", arity: 1, flags: ["fast"], categories: ["connection"],
  summary: "Sent by cluster clients after an -ASK redirect", since: "3.0.0",
  handler(c) {
    clusterOf(c);
    c.asking = true;
    c.reply.ok();
  },
});


/** A slot argument (getSlotOrReply). */
function slotArg(argv: Argv, i: number): number {
  const slot = parseInt64(argv.bytes(i));
  if (slot === undefined || slot < 0 || slot >= CLUSTER_SLOTS) throw CLUSTER_INVALID_SLOT;
  return slot;
}

function intArg(argv: Argv, i: number): number {
  const n = parseInt64(argv.bytes(i));
  if (n === undefined) throw NOT_INTEGER;
  return n;
}

function nodeArg(cluster: Cluster, argv: Argv, i: number, unknown = "Unknown node"): ClusterNode {
  const name = argv.str(i);
  const n = cluster.lookup(name);
  if (n === undefined) throw clusterUnknownNode(unknown, name);
  return n;
}

/** The slots ADDSLOTS, DELSLOTS and their RANGE forms name, each once. */
function slotsArgs(argv: Argv, ranges: boolean): number[] {
  if (ranges && (argv.length - 2) % 2 !== 0) throw wrongArity(`cluster|${argv.keyword(1)}`);
  const slots: number[] = [];
  if (ranges) {
    for (let i = 2; i < argv.length; i += 2) {
      const start = slotArg(argv, i);
      const end = slotArg(argv, i + 1);
      if (start > end) throw clusterSlotRange(start, end);
      for (let j = start; j <= end; j++) slots.push(j);
    }
  } else for (let i = 2; i < argv.length; i++) slots.push(slotArg(argv, i));
  return slots;
}

function addOrDelSlots(c: Context, argv: Argv, add: boolean, ranges: boolean): void {
  const cluster = clusterOf(c);
  const slots = slotsArgs(argv, ranges);
  const seen = new Set<number>();
  for (const slot of slots) {
    if (add && cluster.slots[slot] !== undefined) throw clusterSlotBusy(slot);
    if (!add && cluster.slots[slot] === undefined) throw clusterSlotUnassigned(slot);
    if (seen.has(slot)) throw clusterSlotTwice(slot);
    seen.add(slot);
  }
  for (const slot of seen) {
    if (add) {
      // A slot we were importing is ours now: the import is over.
      if (cluster.importingFrom[slot] !== undefined) cluster.setImporting(slot, undefined);
      cluster.addSlot(cluster.myself, slot);
    } else cluster.delSlot(slot);
  }
  cluster.changed();
  c.reply.ok();
}

/**
 * CLUSTER SLOTS's node entry (addNodeToNodeReply): the endpoint cluster-preferred-endpoint-type
 * names (the ip, the hostname or "?", or null), the port, the id, and a map of the other
 * endpoints known.
 */
function replyNode(c: Context, n: ClusterNode): void {
  const type = c.server.config.get("cluster-preferred-endpoint-type");
  c.reply.array(4);
  if (type === "unknown-endpoint") c.reply.null();
  else c.reply.bulkString(c.server.cluster!.preferredEndpoint(n));
  c.reply.integer(c.server.cluster!.clientPort(n, c.tls));
  c.reply.bulkString(n.name);
  const others: Array<[string, string]> = [];
  if (type !== "ip") others.push(["ip", n.ip]);
  if (type !== "hostname" && n.hostname !== "") others.push(["hostname", n.hostname]);
  c.reply.map(others.length);
  for (const [k, v] of others) {
    c.reply.bulkString(k);
    c.reply.bulkString(v);
  }
}


function info(cluster: Cluster): string {
  let assigned = 0;
  let ok = 0;
  let pfail = 0;
  let fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = cluster.slots[j];
    if (n === undefined) continue;
    assigned++;
    if (n.failed) fail++;
    else if (n.timedOut) pfail++;
    else ok++;
  }
  const lines = [
    `cluster_state:${cluster.stateOk ? "ok" : "fail"}`,
    `cluster_slots_assigned:${assigned}`, `cluster_slots_ok:${ok}`, `cluster_slots_pfail:${pfail}`, `cluster_slots_fail:${fail}`,
    `cluster_known_nodes:${cluster.nodes.size}`, `cluster_size:${cluster.size}`,
    `cluster_current_epoch:${cluster.currentEpoch}`, `cluster_my_epoch:${cluster.myself.effectiveEpoch}`,
  ];
  const names = cluster.messageTypes;
  let total = 0;
  cluster.sent.forEach((n, type) => {
    if (n === 0) return;
    lines.push(`cluster_stats_messages_${names[type]}_sent:${n}`);
    total += n;
  });
  lines.push(`cluster_stats_messages_sent:${total}`);
  total = 0;
  cluster.received.forEach((n, type) => {
    if (n === 0) return;
    lines.push(`cluster_stats_messages_${names[type]}_received:${n}`);
    total += n;
  });
  lines.push(`cluster_stats_messages_received:${total}`, `total_cluster_links_buffer_limit_exceeded:${cluster.linksOverLimit}`);
  return lines.join("\r\n") + "\r\n";
}

function shards(c: Context, cluster: Cluster): void {
  const masters = [...cluster.nodes.values()].filter((n) => n.isMaster || n.master === undefined);
  c.reply.array(masters.length);
  for (const master of masters) {
    c.reply.map(2);
    c.reply.bulkString("slots");
    const ranges = master.slotRanges();
    c.reply.array(ranges.length * 2);
    for (const [start, end] of ranges) {
      c.reply.integer(start);
      c.reply.integer(end);
    }
    c.reply.bulkString("nodes");
    const members = [master, ...master.replicas];
    c.reply.array(members.length);
    for (const n of members) {
      const hostname = n.hostname !== "";
      c.reply.map(hostname ? 8 : 7);
      c.reply.bulkString("id");
      c.reply.bulkString(n.name);
      c.reply.bulkString("port");
      c.reply.integer(cluster.clientPort(n, c.tls));
      c.reply.bulkString("ip");
      c.reply.bulkString(n.ip);
      c.reply.bulkString("endpoint");
      c.reply.bulkString(cluster.preferredEndpoint(n));
      if (hostname) {
        c.reply.bulkString("hostname");
        c.reply.bulkString(n.hostname);
      }
      c.reply.bulkString("role");
      c.reply.bulkString(n.isMaster ? "master" : "replica");
      c.reply.bulkString("replication-offset");
      c.reply.integer(n === cluster.myself ? cluster.replicationOffset : n.replOffset);
      c.reply.bulkString("health");
      c.reply.bulkString(n.failed ? "fail" : n.isReplica && n.replOffset === 0 ? "loading" : "online");
    }
  }
}

type Sub = (c: Context, argv: Argv, cluster: Cluster) => void;

const SUBCOMMANDS: Record<string, Sub> = {
  addslots: (c, argv) => addOrDelSlots(c, argv, true, false),
  addslotsrange: (c, argv) => addOrDelSlots(c, argv, true, true),
  delslots: (c, argv) => addOrDelSlots(c, argv, false, false),
  delslotsrange: (c, argv) => addOrDelSlots(c, argv, false, true),
  bumpepoch(c, _argv, cluster) {
    const bumped = cluster.bumpEpochWithoutConsensus();
    c.reply.simple(`${bumped ? "BUMPED" : "STILL"} ${cluster.myself.configEpoch}`);
  },
  "count-failure-reports"(c, argv, cluster) {
    c.reply.integer(cluster.failureReports(nodeArg(cluster, argv, 2)));
  },
  countkeysinslot(c, argv, cluster) {
    const slot = intArg(argv, 2);
    if (slot < 0 || slot >= CLUSTER_SLOTS) throw CLUSTER_INVALID_SLOT_NUMBER;
    c.reply.integer(cluster.countKeysInSlot(slot));
  },
  failover(c, argv, cluster) {
    if (argv.length > 3) throw SYNTAX_ERR;
    const option = argv.length === 3 ? argv.keyword(2) : "default";
    if (option !== "default" && option !== "force" && option !== "takeover") throw SYNTAX_ERR;
    const me = cluster.myself;
    if (me.isMaster) throw CLUSTER_FAILOVER_ON_MASTER;
    if (me.master === undefined) throw CLUSTER_MASTER_UNKNOWN;
    if (option === "default" && (me.master.failed || me.master.link === undefined)) throw CLUSTER_MASTER_DOWN;
    cluster.startManualFailover(option);
    c.reply.ok();
  },
  flushslots(c, _argv, cluster) {
    if (c.server.keyspace.dbs[0]!.size !== 0) throw CLUSTER_FLUSHSLOTS_NOT_EMPTY;
    cluster.delNodeSlots(cluster.myself);
    cluster.changed();
    c.reply.ok();
  },
  forget(c, argv, cluster) {
    const n = nodeArg(cluster, argv, 2);
    if (n === cluster.myself) throw CLUSTER_FORGET_MYSELF;
    if (cluster.myself.isReplica && cluster.myself.master === n) throw CLUSTER_FORGET_MASTER;
    cluster.forget(n);
    c.reply.ok();
  },
  getkeysinslot(c, argv, cluster) {
    const slot = intArg(argv, 2);
    const max = intArg(argv, 3);
    if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) throw CLUSTER_INVALID_SLOT_OR_COUNT;
    const keys = cluster.keysInSlot(slot, max);
    c.reply.array(keys.length);
    for (const key of keys) c.reply.bulk(Buffer.from(key, "latin1"));
  },
  help(c) {
    c.reply.helpLines(HELP);
  },
  info(c, _argv, cluster) {
    c.reply.verbatim(info(cluster));
  },
  keyslot(c, argv) {
    c.reply.integer(keyHashSlot(argv.bytes(2)));
  },
  links(c, _argv, cluster) {
    const links = cluster.links();
    c.reply.array(links.length);
    for (const { direction, node, link } of links) {
      c.reply.map(6);
      c.reply.bulkString("direction");
      c.reply.bulkString(direction);
      c.reply.bulkString("node");
      c.reply.bulkString(node.name);
      c.reply.bulkString("create-time");
      c.reply.integer(link.ctime);
      c.reply.bulkString("events");
      c.reply.bulkString(link.pendingBytes > 0 ? "rw" : "r");
      c.reply.bulkString("send-buffer-allocated");
      c.reply.integer(link.pendingBytes);
      c.reply.bulkString("send-buffer-used");
      c.reply.integer(link.pendingBytes);
    }
  },
  meet(c, argv, cluster) {
    if (argv.length > 5) throw SYNTAX_ERR;
    const port = parseInt64(argv.bytes(3));
    if (port === undefined) throw clusterInvalidPort("base", argv.str(3));
    let cport = port + 10000;
    if (argv.length === 5) {
      const bus = parseInt64(argv.bytes(4));
      if (bus === undefined) throw clusterInvalidPort("bus", argv.str(4));
      cport = bus;
    }
    if (!cluster.meet(argv.str(2), port, cport)) throw clusterInvalidAddress(argv.str(2), argv.str(3));
    c.reply.ok();
  },
  myid(c, _argv, cluster) {
    c.reply.bulkString(cluster.myself.name);
  },
  nodes(c, _argv, cluster) {
    let text = "";
    for (const n of cluster.nodes.values()) text += cluster.describe(n, c.tls) + "\n";
    c.reply.verbatim(text);
  },
  replicas: replicasOf,
  slaves: replicasOf,
  replicate(c, argv, cluster) {
    const n = nodeArg(cluster, argv, 2);
    const me = cluster.myself;
    if (n === me) throw CLUSTER_REPLICATE_MYSELF;
    if (n.isReplica) throw CLUSTER_REPLICATE_REPLICA;
    if (me.isMaster && (me.numSlots !== 0 || c.server.keyspace.dbs[0]!.size !== 0)) throw CLUSTER_REPLICATE_NOT_EMPTY;
    cluster.setMyMaster(n);
    c.reply.ok();
  },
  reset(c, argv, cluster) {
    if (argv.length > 3) throw SYNTAX_ERR;
    const mode = argv.length === 3 ? argv.keyword(2) : "soft";
    if (mode !== "hard" && mode !== "soft") throw SYNTAX_ERR;
    if (cluster.myself.isMaster && c.server.keyspace.dbs[0]!.size !== 0) throw CLUSTER_RESET_WITH_KEYS;
    cluster.reset(mode === "hard");
    c.reply.ok();
  },
  saveconfig(c, _argv, cluster) {
    const error = cluster.saveConfig();
    if (error !== undefined) throw clusterSaveFailed(error);
    c.reply.ok();
  },
  "set-config-epoch"(c, argv, cluster) {
    const epoch = intArg(argv, 2);
    if (epoch < 0) throw clusterInvalidEpoch(epoch);
    if (cluster.nodes.size > 1) throw CLUSTER_EPOCH_WITH_NODES;
    if (cluster.myself.configEpoch !== 0) throw CLUSTER_EPOCH_NONZERO;
    cluster.setMyConfigEpoch(epoch);
    c.server.log.warning(`configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
    c.reply.ok();
  },
  setslot(c, argv, cluster) {
    const me = cluster.myself;
    if (me.isReplica) throw CLUSTER_SETSLOT_ON_REPLICA;
    const slot = slotArg(argv, 2);
    const action = argv.keyword(3);
    if (action === "migrating" && argv.length === 5) {
      if (cluster.slots[slot] !== me) throw clusterNotOwner(slot);
      const n = nodeArg(cluster, argv, 4, "I don't know about node");
      if (n.isReplica) throw CLUSTER_TARGET_NOT_MASTER;
      cluster.setMigrating(slot, n);
    } else if (action === "importing" && argv.length === 5) {
      if (cluster.slots[slot] === me) throw clusterAlreadyOwner(slot);
      const n = nodeArg(cluster, argv, 4, "I don't know about node");
      if (n.isReplica) throw CLUSTER_TARGET_NOT_MASTER;
      cluster.setImporting(slot, n);
    } else if (action === "stable" && argv.length === 4) {
      cluster.setMigrating(slot, undefined);
      cluster.setImporting(slot, undefined);
    } else if (action === "node" && argv.length === 5) {
      const n = nodeArg(cluster, argv, 4, "Unknown node");
      if (n.isReplica) throw CLUSTER_TARGET_NOT_MASTER;
      const wasMine = cluster.slots[slot] === me;
      if (wasMine && n !== me && cluster.countKeysInSlot(slot) !== 0) throw clusterSlotHasKeys(slot);
      // A slot migrated away with no keys left is closed; one imported becomes ours with a
      // new epoch, so the cluster learns the change.
      if (cluster.countKeysInSlot(slot) === 0 && cluster.migratingTo[slot] !== undefined) cluster.setMigrating(slot, undefined);
      const imported = n === me && cluster.importingFrom[slot] !== undefined;
      cluster.delSlot(slot);
      cluster.addSlot(n, slot);
      if (imported) {
        cluster.setImporting(slot, undefined);
        if (cluster.bumpEpochWithoutConsensus()) c.server.log.warning(`configEpoch updated after importing slot ${slot}`);
      }
      // A master left without slots follows the node its last slot went to.
      if (wasMine && n !== me && me.numSlots === 0 && c.server.config.get("cluster-allow-replica-migration") === "yes") {
        c.server.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${n.name}`);
        cluster.setMyMaster(n);
      }
    } else throw CLUSTER_SETSLOT_SYNTAX;
    cluster.changed();
    c.reply.ok();
  },
  shards: (c, _argv, cluster) => shards(c, cluster),
  slots(c, _argv, cluster) {
    // In slot order, a range per run of slots of one master (clusterReplyMultiBulkSlots).
    const entries: Array<[number, number, ClusterNode]> = [];
    for (let start = 0; start < CLUSTER_SLOTS; ) {
      const owner = cluster.slots[start];
      let end = start;
      while (end + 1 < CLUSTER_SLOTS && cluster.slots[end + 1] === owner) end++;
      if (owner !== undefined) entries.push([start, end, owner]);
      start = end + 1;
    }
    c.reply.array(entries.length);
    for (const [start, end, master] of entries) {
      const replicas = master.replicas.filter((r) => !r.failed);
      c.reply.array(3 + replicas.length);
      c.reply.integer(start);
      c.reply.integer(end);
      replyNode(c, master);
      for (const r of replicas) replyNode(c, r);
    }
  },
};

function replicasOf(c: Context, argv: Argv, cluster: Cluster): void {
  const n = nodeArg(cluster, argv, 2);
  if (!n.isMaster) throw CLUSTER_NOT_A_MASTER;
  c.reply.array(n.replicas.length);
  for (const r of n.replicas) c.reply.bulkString(cluster.describe(r, c.tls));
}

const HELP = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ADDSLOTS <slot> [<slot> ...]", "    Assign slots to current node.",
  "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Assign slots which are between <start-slot> and <end-slot> to current node.",
  "BUMPEPOCH", "    Advance the cluster config epoch.",
  "COUNT-FAILURE-REPORTS <node-id>", "    Return number of failure reports for <node-id>.",
  "COUNTKEYSINSLOT <slot>", "    Return the number of keys in <slot>.",
  "DELSLOTS <slot> [<slot> ...]", "    Delete slots information from current node.",
  "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]", "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
  "FAILOVER [FORCE|TAKEOVER]", "    Promote current replica node to being a master.",
  "FORGET <node-id>", "    Remove a node from the cluster.",
  "GETKEYSINSLOT <slot> <count>", "    Return key names stored by current node in a slot.",
  "FLUSHSLOTS", "    Delete current node own slots information.",
  "INFO", "    Return information about the cluster.",
  "KEYSLOT <key>", "    Return the hash slot for <key>.",
  "MEET <ip> <port> [<bus-port>]", "    Connect nodes into a working cluster.",
  "MYID", "    Return the node id.",
  "NODES", "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "REPLICATE <node-id>", "    Configure current node as replica to <node-id>.",
  "RESET [HARD|SOFT]", "    Reset current node (default: soft).",
  "SET-CONFIG-EPOCH <epoch>", "    Set config epoch of current node.",
  "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)", "    Set slot state.",
  "REPLICAS <node-id>", "    Return <node-id> replicas.",
  "SAVECONFIG", "    Force saving cluster configuration on disk.",
  "SLOTS", "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS", "    Return information about slot range mappings and the nodes associated with them.",
  "LINKS", "    Return information about all network links between this node and its peers.",
  "    Output format is an array where each array element is a map containing attributes of a link",
  "HELP", "    Prints this help.",
];

/** CLUSTER's subcommands as Redis 7.0 declares them: name, arity, flags, tips, summary, since, complexity, and what else COMMAND DOCS tells. */
const CLUSTER_SUBCOMMANDS: ReadonlyArray<[string, number, CommandFlag[], string[], string, string, string, Command["docs"]?]> = [
  ["addslots", -3, ["admin", "stale", "no-async-loading"], [], "Assign new hash slots to receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments", { args: "slot:integer..." }],
  ["addslotsrange", -4, ["admin", "stale", "no-async-loading"], [], "Assign new hash slots to receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", { args: "start-slot_end-slot{start-slot:integer end-slot:integer}..." }],
  ["bumpepoch", 2, ["admin", "stale", "no-async-loading"], ["nondeterministic_output"], "Advance the cluster config epoch", "3.0.0", "O(1)"],
  ["count-failure-reports", 3, ["admin", "stale"], ["nondeterministic_output"], "Return the number of failure reports active for a given node", "3.0.0", "O(N) where N is the number of failure reports", { args: "node-id:string" }],
  ["countkeysinslot", 3, ["stale"], [], "Return the number of local keys in the specified hash slot", "3.0.0", "O(1)", { args: "slot:integer" }],
  ["delslots", -3, ["admin", "stale", "no-async-loading"], [], "Set hash slots as unbound in receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments", { args: "slot:integer..." }],
  ["delslotsrange", -4, ["admin", "stale", "no-async-loading"], [], "Set hash slots as unbound in receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.", { args: "start-slot_end-slot{start-slot:integer end-slot:integer}..." }],
  ["failover", -2, ["admin", "stale", "no-async-loading"], [], "Forces a replica to perform a manual failover of its master.", "3.0.0", "O(1)", { args: "options(FORCE|TAKEOVER)?" }],
  ["flushslots", 2, ["admin", "stale", "no-async-loading"], [], "Delete a node's own slots information", "3.0.0", "O(1)"],
  ["forget", 3, ["admin", "stale", "no-async-loading"], [], "Remove a node from the nodes table", "3.0.0", "O(1)", { args: "node-id:string" }],
  ["getkeysinslot", 4, ["stale"], ["nondeterministic_output"], "Return local key names in the specified hash slot", "3.0.0", "O(log(N)) where N is the number of requested keys", { args: "slot:integer count:integer" }],
  ["help", 2, ["loading", "stale"], [], "Show helpful text about the different subcommands", "5.0.0", "O(1)"],
  ["info", 2, ["stale"], ["nondeterministic_output"], "Provides info about Redis Cluster node state", "3.0.0", "O(1)"],
  ["keyslot", 3, ["stale"], [], "Returns the hash slot of the specified key", "3.0.0", "O(N) where N is the number of bytes in the key", { args: "key:string" }],
  ["links", 2, ["stale"], ["nondeterministic_output"], "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes"],
  ["meet", -4, ["admin", "stale", "no-async-loading"], [], "Force a node cluster to handshake with another node", "3.0.0", "O(1)", { history: [["4.0.0", "Added the optional `cluster_bus_port` argument."]], args: "ip:string port:integer cluster_bus_port:integer?@4.0.0" }],
  ["myid", 2, ["stale"], [], "Return the node id", "3.0.0", "O(1)"],
  ["nodes", 2, ["stale"], ["nondeterministic_output"], "Get Cluster config for the node", "3.0.0", "O(N) where N is the total number of Cluster nodes"],
  ["replicas", 3, ["admin", "stale"], ["nondeterministic_output"], "List replica nodes of the specified master node", "5.0.0", "O(1)", { args: "node-id:string" }],
  ["replicate", 3, ["admin", "stale", "no-async-loading"], [], "Reconfigure a node as a replica of the specified master node", "3.0.0", "O(1)", { args: "node-id:string" }],
  ["reset", -2, ["admin", "noscript", "stale"], [], "Reset a Redis Cluster node", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", { args: "hard_soft(HARD|SOFT)?" }],
  ["saveconfig", 2, ["admin", "stale", "no-async-loading"], [], "Forces the node to save cluster state on disk", "3.0.0", "O(1)"],
  ["set-config-epoch", 3, ["admin", "stale", "no-async-loading"], [], "Set the configuration epoch in a new node", "3.0.0", "O(1)", { args: "config-epoch:integer" }],
  ["setslot", -4, ["admin", "stale", "no-async-loading"], [], "Bind a hash slot to a specific node", "3.0.0", "O(1)", { args: "slot:integer subcommand(IMPORTING=node-id:string|MIGRATING=node-id:string|NODE=node-id:string|STABLE)" }],
  ["shards", 2, ["stale"], ["nondeterministic_output"], "Get array of cluster slots to node mappings", "7.0.0", "O(N) where N is the total number of cluster nodes"],
  ["slaves", 3, ["admin", "stale"], ["nondeterministic_output"], "List replica nodes of the specified master node", "3.0.0", "O(1)", { docFlags: ["deprecated"], deprecatedSince: "5.0.0", replacedBy: "`CLUSTER REPLICAS`", args: "node-id:string" }],
  ["slots", 2, ["stale"], ["nondeterministic_output"], "Get array of Cluster slot to node mappings", "3.0.0", "O(N) where N is the total number of Cluster nodes", { docFlags: ["deprecated"], deprecatedSince: "7.0.0", replacedBy: "`CLUSTER SHARDS`", history: [["4.0.0", "Added node IDs."], ["7.0.0", "Added additional networking metadata field."]] }],
];

export const clusterCommand = command({
  name: "cluster", arity: -2, flags: [], summary: "A container for cluster commands", since: "3.0.0", complexity: "Depends on subcommand.",
  subcommands: CLUSTER_SUBCOMMANDS.map(([sub, arity, flags, tips, summary, since, complexity, docs]) =>
    command({
      name: `cluster|${sub}`, arity, flags, tips, summary, since, complexity, ...docs,
      handler(c, argv) {
        const cluster = clusterOf(c);
        const run = SUBCOMMANDS[sub];
        if (run === undefined) throw unknownSubcommand(argv.str(1), "cluster");
        run(c, argv, cluster);
      },
    }),
  ),
});
