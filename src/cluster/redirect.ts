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
import type { Client } from "../server/connection.ts";
import type { Cluster } from "./cluster.ts";
import type { ClusterNode } from "./nodes.ts";
import { keyHashSlot } from "../store/slots.ts";


const PUBSUB_SHARD = new Set(["spublish", "ssubscribe", "sunsubscribe"]);

/** Whether a command is subject to redirection: it has keys (or may have), or is EXEC, or a shard channel command. */
export function routed(cmd: Command): boolean {
  return cmd.keySpecs.length > 0 || cmd.movableKeys || cmd.name === "exec" || PUBSUB_SHARD.has(cmd.name);
}

/** The error that redirects the request, or undefined when this node serves it. */
export function redirection(cluster: Cluster, c: Client, cmd: Command, argv: Argv): ReplyError | undefined {
  const requests = cmd.name === "exec" ? (c.multi ?? []) : [{ cmd, argv }];
  const me = cluster.myself;
  let slot = -1;
  let owner: ClusterNode | undefined;
  let firstKey: Uint8Array | undefined;
  let multipleKeys = false;
  let migrating = false;
  let importing = false;
  let missing = 0;
  let existing = 0;
  let write = false;
  let shard = false;
  const db = cluster.server.keyspace.dbs[0]!;
  for (const r of requests) {
    if ((requestBits(c, r.cmd, r.argv) & F_WRITE) !== 0) write = true;
    const isShard = PUBSUB_SHARD.has(r.cmd.name);
    if (isShard) shard = true;
    const positions = isShard ? shardChannels(r.cmd, r.argv) : r.cmd.getKeys(r.argv).map((k) => k.pos);
    for (const pos of positions) {
      const key = r.argv.bytes(pos);
      const keySlot = keyHashSlot(key);
      if (firstKey === undefined) {
        firstKey = key;
        slot = keySlot;
        owner = cluster.slots[slot];
        if (owner === undefined) return CLUSTERDOWN_UNBOUND;
        if (owner === me && cluster.migratingTo[slot] !== undefined) migrating = true;
        else if (cluster.importingFrom[slot] !== undefined) importing = true;
      } else if (!sameKey(key, firstKey)) {
        if (keySlot !== slot) return CROSSSLOT;
        multipleKeys = true;
      }
      if ((migrating || importing) && !isShard) {
        if (db.exists(Buffer.from(key).toString("latin1"))) existing++;
        else missing++;
      }
    }
  }
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
    return target === me ? undefined : redirect(cluster, "ASK", slot, target);
  }
  if (importing && (c.asking || cmd.name === "restore-asking")) {
    if (multipleKeys && missing > 0) return TRYAGAIN;
    return undefined;
  }
  if ((c.readonlyCluster || shard) && !write && me.isReplica && me.master === owner) return undefined;
  if (owner === me) return undefined;
  return redirect(cluster, "MOVED", slot, owner);
}

function redirect(cluster: Cluster, kind: string, slot: number, n: ClusterNode): ReplyError {
  const endpoint = cluster.server.config.get("cluster-preferred-endpoint-type") === "hostname" && n.hostname !== "" ? n.hostname : n.ip;
  return new ReplyError(`${kind} ${slot} ${endpoint}:${n.port}`);
}

/** SPUBLISH's channel, SSUBSCRIBE's and SUNSUBSCRIBE's channels: they pick the slot as keys do. */
function shardChannels(cmd: Command, argv: Argv): number[] {
  if (cmd.name === "spublish") return [1];
  const out: number[] = [];
  for (let i = 1; i < argv.length; i++) out.push(i);
  return out;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
