/**
 * Which node serves a request (Redis's getNodeByQuery), and the error that sends the client
 * there: every key of a request (of every queued command, for EXEC) must hash to one slot
 * (-CROSSSLOT); a slot nobody serves or a failed cluster gives -CLUSTERDOWN; a slot of
 * another node -MOVED; a slot being migrated away answers -ASK for keys already gone
 * (-TRYAGAIN when only some are); a slot being imported serves a client that sent ASKING; a
 * replica serves reads of its master's slots to a READONLY client.
 */
import type { Command } from "../commands/command.ts";
import { F_WRITE, requestBits } from "../commands/command.ts";
import { CLUSTERDOWN, CLUSTERDOWN_RO, CLUSTERDOWN_UNBOUND, CROSSSLOT, ReplyError, TRYAGAIN } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { rangesEqual } from "../resp/bytes.ts";
import type { Client } from "../server/connection.ts";
import type { Cluster } from "./cluster.ts";
import type { ClusterNode } from "./nodes.ts";
import type { BlockedOnKeys } from "../server/blocking.ts";
import { keyHashSlot, stringSlot } from "../store/slots.ts";


const PUBSUB_SHARD = new Set(["spublish", "ssubscribe", "sunsubscribe"]);

/** Whether a command is subject to redirection: it has keys (or may have), or is EXEC, or a shard channel command. */
export function routed(cmd: Command): boolean {
  return cmd.keySpecs.length > 0 || cmd.movableKeys || cmd.name === "exec" || PUBSUB_SHARD.has(cmd.name);
}

/** What the keys of a request say so far (one object, reset per request: no allocation per command). */
const route = {
  slot: -1,
  owner: undefined as ClusterNode | undefined,
  firstBuf: undefined as Uint8Array | undefined,
  firstStart: 0,
  firstEnd: 0,
  multipleKeys: false,
  migrating: false,
  importing: false,
  missing: 0,
  existing: 0,
};

/** Take the key at argv[pos] into account; the error when it already decides the request. */
function visitKey(cluster: Cluster, argv: Argv, pos: number, countPresence: boolean): ReplyError | undefined {
  const buf = argv.buffer(pos);
  const start = argv.start(pos);
  const end = argv.end(pos);
  const keySlot = keyHashSlot(buf, start, end);
  if (route.firstBuf === undefined) {
    route.firstBuf = buf;
    route.firstStart = start;
    route.firstEnd = end;
    route.slot = keySlot;
    const owner = (route.owner = cluster.slots[keySlot]);
    if (owner === undefined) return CLUSTERDOWN_UNBOUND;
    if (owner === cluster.myself && cluster.migratingTo[keySlot] !== undefined) route.migrating = true;
    else if (cluster.importingFrom[keySlot] !== undefined) route.importing = true;
  } else if (!rangesEqual(buf, start, end, route.firstBuf, route.firstStart, route.firstEnd)) {
    if (keySlot !== route.slot) return CROSSSLOT;
    route.multipleKeys = true;
  }
  if (countPresence && (route.migrating || route.importing)) {
    if (cluster.server.keyspace.dbs[0]!.exists(argv.str(pos))) route.existing++;
    else route.missing++;
  }
  return undefined;
}

/** The keys of one request: straight from a plain key spec, else through its key specs. */
function visitRequest(cluster: Cluster, cmd: Command, argv: Argv): ReplyError | undefined {
  if (PUBSUB_SHARD.has(cmd.name)) {
    const last = cmd.name === "spublish" ? 1 : argv.length - 1;
    for (let i = 1; i <= last; i++) {
      const error = visitKey(cluster, argv, i, false);
      if (error !== undefined) return error;
    }
    return undefined;
  }
  // One key spec of a fixed position and range (GET, SET, MGET, ...): as Command.getKeys
  // reads it, without building its list.
  const spec = cmd.keySpecs.length === 1 ? cmd.keySpecs[0]! : undefined;
  if (spec !== undefined && typeof spec.begin === "object" && "index" in spec.begin && typeof spec.find === "object" && "lastkey" in spec.find && spec.find.limit === 0) {
    const first = spec.begin.index;
    const last = spec.find.lastkey >= 0 ? first + spec.find.lastkey : argv.length + spec.find.lastkey;
    if (last >= argv.length) return undefined;
    for (let i = first; i <= last; i += Math.max(1, spec.find.keystep)) {
      const error = visitKey(cluster, argv, i, true);
      if (error !== undefined) return error;
    }
    return undefined;
  }
  for (const key of cmd.getKeys(argv, true)) {
    const error = visitKey(cluster, argv, key.pos, true);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** The hash slot of the keys the last redirection looked at (-1: none). */
export function routedSlot(): number {
  return route.firstBuf === undefined ? -1 : route.slot;
}

/** The error that redirects the request, or undefined when this node serves it. */
export function redirection(cluster: Cluster, c: Client, cmd: Command, argv: Argv): ReplyError | undefined {
  const me = cluster.myself;
  route.firstBuf = undefined;
  route.owner = undefined;
  route.multipleKeys = route.migrating = route.importing = false;
  route.missing = route.existing = 0;
  let write = false;
  let shard = false;
  if (cmd.name === "exec") {
    for (const queued of c.multi ?? []) {
      if ((requestBits(c, queued.cmd, queued.argv) & F_WRITE) !== 0) write = true;
      if (PUBSUB_SHARD.has(queued.cmd.name)) shard = true;
      const error = visitRequest(cluster, queued.cmd, queued.argv);
      if (error !== undefined) return error;
    }
  } else {
    write = (requestBits(c, cmd, argv) & F_WRITE) !== 0;
    shard = PUBSUB_SHARD.has(cmd.name);
    const error = visitRequest(cluster, cmd, argv);
    if (error !== undefined) return error;
  }
  const { owner, slot, migrating, importing, missing, existing, multipleKeys } = route;
  if (owner === undefined) return undefined;
  if (!cluster.stateOk) {
    if (shard) {
      if (cluster.server.config.get("cluster-allow-pubsubshard-when-down") !== "yes") return CLUSTERDOWN;
    } else if (cluster.server.config.get("cluster-allow-reads-when-down") !== "yes") return CLUSTERDOWN;
    else if (write) return CLUSTERDOWN_RO;
  }
  if ((migrating || importing) && cmd.name === "migrate") return undefined;
  if (migrating && missing > 0) {
    if (existing > 0) return TRYAGAIN;
    const target = cluster.migratingTo[slot]!;
    return target === me ? undefined : redirect(cluster, c, "ASK", slot, target);
  }
  if (importing && (c.asking || cmd.name === "restore-asking")) {
    if (multipleKeys && missing > 0) return TRYAGAIN;
    return undefined;
  }
  if ((c.readonlyCluster || shard) && !write && me.isReplica && me.master === owner) return undefined;
  if (owner === me) return undefined;
  return redirect(cluster, c, "MOVED", slot, owner);
}

/**
 * For a client blocked on keys (BLPOP, XREAD BLOCK ...): the error that releases it once
 * this node no longer serves their slot, or the cluster is down (a write that would serve
 * it may never come).
 */
export function blockedRedirection(cluster: Cluster, entry: BlockedOnKeys): ReplyError | undefined {
  if (!cluster.stateOk) return CLUSTERDOWN;
  const key = entry.keys[0];
  if (key === undefined) return undefined;
  const slot = stringSlot(key);
  let node = cluster.slots[slot];
  const me = cluster.myself;
  if (entry.client.readonlyCluster && ((entry.cmd?.flagBits ?? 0) & F_WRITE) === 0 && me.isReplica && me.master === node) node = me;
  if (node === me || cluster.importingFrom[slot] !== undefined) return undefined;
  return node === undefined ? CLUSTERDOWN_UNBOUND : redirect(cluster, entry.client, "MOVED", slot, node);
}

function redirect(cluster: Cluster, c: Client, kind: string, slot: number, n: ClusterNode): ReplyError {
  const endpoint = cluster.preferredEndpoint(n);
  return new ReplyError(`${kind} ${slot} ${endpoint}:${cluster.clientPort(n, c.tls)}`);
}
