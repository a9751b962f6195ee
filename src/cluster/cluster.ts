/**
 * Redis Cluster (Redis's cluster.c): this node's view of the cluster (nodes, slots,
 * epochs), kept in nodes.conf and agreed with the other nodes over the cluster bus, a
 * second TCP port (port + 10000 unless cluster-port says otherwise) whose links (bus.ts)
 * carry message.ts's binary messages, so that KVIS and redis-server nodes form one cluster.
 *
 * As in Redis: a node pings a few peers every 100 ms with gossip about others; a peer
 * that does not answer within cluster-node-timeout is PFAIL here, and FAIL once a
 * majority of masters reported it (then broadcast); the slots a master claims win when its
 * config epoch is higher; a replica whose master FAILs asks the masters for votes in a new
 * epoch and, with a majority, takes the slots over. The commands (CLUSTER ...) are
 * commands/cluster.ts's; redirections are redirect.ts's. Replication itself is the same
 * PSYNC replication as REPLICAOF's: CLUSTER REPLICATE and a won election call the
 * server's follow and promote.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { TCPSocketListener } from "bun";
import type { Logger } from "../log.ts";
import { bytesToString, rangesEqual } from "../resp/bytes.ts";
import type { Server } from "../server/server.ts";
import {
  type GossipEntry, type Message, type SenderInfo, MFLAG_FORCEACK, MFLAG_PAUSED, MSG_TYPE_COUNT, MSG_TYPE_NAMES, MsgType, NodeFlag,
  encodeBare, encodeFail, encodePing, encodePublish, encodeUpdate,
} from "./message.ts";
import { BusLink, type BusOwner } from "./bus.ts";
import { connectOutgoing } from "../server/outgoing.ts";
import { ClusterNode, type LinkRef, describeNode, parseNodesConf, randomNodeName } from "./nodes.ts";
import { CLUSTER_SLOTS } from "../store/slots.ts";
import { blockedRedirection } from "./redirect.ts";

const CRON_MS = 100;
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
const MF_TIMEOUT = 5000;
const WRITABLE_DELAY = 2000;
const BLACKLIST_TTL = 60_000;
const REPLICA_MIGRATION_DELAY = 5000;

export class Cluster implements BusOwner {
  readonly nodes = new Map<string, ClusterNode>();
  myself: ClusterNode;
  currentEpoch = 0;
  lastVoteEpoch = 0;
  readonly slots: Array<ClusterNode | undefined> = new Array(CLUSTER_SLOTS).fill(undefined);
  readonly migratingTo: Array<ClusterNode | undefined> = new Array(CLUSTER_SLOTS).fill(undefined);
  readonly importingFrom: Array<ClusterNode | undefined> = new Array(CLUSTER_SLOTS).fill(undefined);
  stateOk = false;
  size = 0;
  readonly sent = new Array<number>(MSG_TYPE_COUNT).fill(0);
  readonly received = new Array<number>(MSG_TYPE_COUNT).fill(0);
  /** Links closed for holding more than cluster-link-sendbuf-limit (CLUSTER INFO). */
  linksOverLimit = 0;
  dropPacketFilter = -1;
  /** The message types' names, as CLUSTER INFO's statistics name them. */
  readonly messageTypes = MSG_TYPE_NAMES;
  private readonly blacklist = new Map<string, number>();
  private announcedIp = "";
  private readonly inbound = new Set<BusLink>();
  private listeners: TCPSocketListener<BusLink>[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private iteration = 0;
  private firstStateCall = 0;
  private amongMinorityTime = 0;
  private saveDue = false;
  private stateDue = false;
  private fsyncDue = false;
  private soonScheduled = false;
  // A replica's election (clusterHandleSlaveFailover).
  private authTime = 0;
  private authCount = 0;
  private authSent = false;
  private authRank = 0;
  private authEpoch = 0;
  // Manual failover: on the master, the replica asking and the deadline; on the replica,
  // the master's offset to reach before the election.
  mfEnd = 0;
  private mfReplica: ClusterNode | undefined;
  private mfMasterOffset = -1;
  private mfCanStart = false;

  constructor(readonly server: Server) {
    this.tlsBusAtStart = server.config.get("tls-cluster") === "yes";
    this.myself = new ClusterNode(undefined, NodeFlag.Myself | NodeFlag.Master);
    server.keyspace.dbs[0]!.indexSlots();
  }

  get log(): Logger {
    return this.server.log;
  }
  private get nodeTimeout(): number {
    return this.server.config.int("cluster-node-timeout");
  }
  private get configPath(): string {
    const file = this.server.config.get("cluster-config-file");
    return file.startsWith("/") ? file : join(this.server.config.get("dir"), file);
  }

  /**
   * Read nodes.conf, or start a new cluster of one with a fresh name and write it
   * (clusterInit). A corrupt file stops start-up with the reason and is left as it is.
   */
  load(): void {
    const path = this.configPath;
    if (existsSync(path)) {
      const text = readFileSync(path, "latin1");
      if (text.trim() !== "") {
        const loaded = parseNodesConf(text);
        for (const n of loaded.nodes) this.nodes.set(n.name, n);
        this.myself = loaded.myself;
        this.currentEpoch = loaded.currentEpoch;
        this.lastVoteEpoch = loaded.lastVoteEpoch;
        for (const n of loaded.nodes) for (const [start, end] of n.isMaster ? n.slotRanges() : []) for (let j = start; j <= end; j++) this.slots[j] = n;
        for (const [slot, name] of loaded.migrating) this.migratingTo[slot] = this.nodes.get(name);
        for (const [slot, name] of loaded.importing) this.importingFrom[slot] = this.nodes.get(name);
        for (const n of loaded.nodes) if (n.configEpoch > this.currentEpoch) this.currentEpoch = n.configEpoch;
        this.log.notice(`Node configuration loaded, I'm ${this.myself.name}`);
        this.applyAnnounced();
        return;
      }
    }
    this.nodes.set(this.myself.name, this.myself);
    this.applyAnnounced();
    this.log.notice(`No cluster configuration found, I'm ${this.myself.name}`);
    this.saveConfigOrDie();
  }

  /** Our own ports and address as announced (cluster-announce-*, or what we listen on). */
  applyAnnounced(): void {
    const config = this.server.config;
    const me = this.myself;
    // Under tls-cluster a node is known by its TLS port, and its plain port ("pport") is
    // what plain clients are told (Redis's deriveAnnouncedPorts).
    const announcedTls = config.int("cluster-announce-tls-port");
    if (this.tlsBus) {
      me.port = announcedTls || config.int("tls-port");
      me.pport = announcedTls !== 0 ? config.int("cluster-announce-port") : this.server.port;
    } else {
      me.port = config.int("cluster-announce-port") || this.server.port;
      me.pport = 0;
    }
    me.cport = config.int("cluster-announce-bus-port") || this.busPort;
    // An announced address replaces ours; one taken away leaves it to be learned again.
    const ip = config.get("cluster-announce-ip");
    if (ip !== this.announcedIp) {
      me.ip = ip;
      this.announcedIp = ip;
    }
    me.hostname = config.get("cluster-announce-hostname");
  }

  get sendBufferLimit(): number {
    return this.server.config.int("cluster-link-sendbuf-limit");
  }

  get busPort(): number {
    return this.server.config.int("cluster-port") || (this.tlsBus ? this.server.config.int("tls-port") : this.server.port) + 10000;
  }

  /** tls-cluster: the bus runs over TLS (taken at start-up; CONFIG SET cannot change it on a node). */
  readonly tlsBusAtStart: boolean;

  get tlsBus(): boolean {
    return this.tlsBusAtStart;
  }

  /** The port a client is told for `n`: its plain one for a plain client under tls-cluster. */
  clientPort(n: ClusterNode, tlsClient: boolean): number {
    return this.tlsBus && !tlsClient && n.pport !== 0 ? n.pport : n.port;
  }

  /**
   * After the data is loaded (verifyClusterConfigWithData): keys in a slot nobody owns make
   * it ours; keys in another node's slot are logged and the slot opened for importing.
   */
  checkData(): void {
    if (this.myself.isReplica) return;
    const db = this.server.keyspace.dbs[0]!;
    for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
      if (db.countKeysInSlot(slot) === 0) continue;
      const owner = this.slots[slot];
      if (owner === this.myself || this.importingFrom[slot] !== undefined) continue;
      if (owner === undefined) {
        this.log.warning(`I have keys for unassigned slot ${slot}. Taking responsibility for it.`);
        this.addSlot(this.myself, slot);
      } else {
        this.log.warning(`I have keys for slot ${slot}, but the slot is assigned to another node. Setting it to importing state.`);
        this.importingFrom[slot] = owner;
      }
    }
    this.saveConfigOrDie();
  }

  /** Listen on the bus port and start the cron. */
  listen(): void {
    this.applyAnnounced();
    const hosts = this.server.bindHosts();
    for (const entry of hosts.length > 0 ? hosts : ["127.0.0.1"]) {
      const optional = entry.startsWith("-");
      const host = optional ? entry.slice(1) : entry;
      try {
        const listener = Bun.listen<BusLink>({
          hostname: host, port: this.busPort,
          ...(this.tlsBus ? { tls: this.server.tls!.server } : {}),
          socket: {
            binaryType: "uint8array",
            open: (socket) => {
              const link = new BusLink(this, true);
              socket.data = link;
              link.opened(socket);
              this.inbound.add(link);
            },
            handshake: (socket, success, error) => {
              if (this.server.refusesHandshake(socket, success, error)) socket.data?.close();
            },
            data: (socket, chunk) => socket.data.onData(chunk),
            drain: (socket) => socket.data.flush(),
            close: (socket) => socket.data?.close(),
            error: (socket) => socket.data?.close(),
          },
        });
        this.listeners.push(listener);
        const fd = (listener as { fd?: number }).fd;
        if (fd !== undefined) this.server.markListener(fd);
      } catch (e) {
        if (!optional) throw new Error(`Failed listening on the cluster bus port ${this.busPort}: ${(e as Error).message}`);
      }
    }
    this.timer = setInterval(() => this.cron(), CRON_MS);
    this.updateState();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const l of this.listeners) l.stop(true);
    this.listeners = [];
    for (const n of this.nodes.values()) n.link?.close();
    for (const l of this.inbound) l.close();
  }

  // ---- nodes.conf ---------------------------------------------------------------------

  /** nodes.conf's text: every node but those in handshake, then the epochs. */
  configText(): string {
    let text = "";
    for (const n of this.nodes.values()) if (!n.inHandshake) text += this.describe(n) + "\n";
    return text + `vars currentEpoch ${this.currentEpoch} lastVoteEpoch ${this.lastVoteEpoch}\n`;
  }

  get openSlots() {
    return { migratingTo: this.migratingTo, importingFrom: this.importingFrom };
  }

  /**
   * Write nodes.conf; the error text when it fails. A save that records an epoch or a vote
   * is synced and atomic (a temp file, fsync, rename over the old one): a forgotten vote
   * could elect two replicas in one epoch. Others (slots moving, flags, addresses: what the
   * cluster tells a node again) overwrite the file in place as Redis 7.0 does, padded with
   * newlines to the old length so that one write covers it and a crash leaves either file
   * whole: a rename per SETSLOT made a reshard three times slower than Redis's.
   */
  saveConfig(fsync = true): string | undefined {
    const path = this.configPath;
    const content = Buffer.from(this.configText(), "latin1");
    try {
      if (!fsync) {
        // In place when the file is there (ENOENT: written anew below).
        let fd: number | undefined;
        try {
          fd = openSync(path, "r+");
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
        if (fd !== undefined) {
          try {
            const old = fstatSync(fd).size;
            const padded = content.length >= old ? content : Buffer.concat([content, Buffer.alloc(old - content.length, 0x0a)]);
            writeSync(fd, padded, 0, padded.length, 0);
            if (padded.length !== content.length) ftruncateSync(fd, content.length);
          } finally {
            closeSync(fd);
          }
          return undefined;
        }
      }
      const tmp = `${path}.tmp-${process.pid}`;
      const fd = openSync(tmp, "w");
      try {
        writeSync(fd, content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private saveConfigOrDie(): void {
    const error = this.saveConfig();
    if (error !== undefined) throw new Error(`Fatal: can't update cluster config file: ${error}`);
  }

  /** A command changed the configuration: save it and recompute the state. */
  changed(): void {
    this.soon(true, true);
  }

  /** Save and recompute the state before the event loop's next turn (clusterDoBeforeSleep). */
  private soon(save: boolean, state: boolean, fsync = false): void {
    this.saveDue ||= save;
    this.stateDue ||= state;
    this.fsyncDue ||= fsync;
    if (this.soonScheduled) return;
    this.soonScheduled = true;
    setImmediate(() => {
      this.soonScheduled = false;
      if (this.stateDue) {
        this.stateDue = false;
        this.updateState();
      }
      if (this.saveDue) {
        const fsync = this.fsyncDue;
        this.saveDue = false;
        this.fsyncDue = false;
        const error = this.saveConfig(fsync);
        if (error !== undefined) this.log.warning(`Can't update cluster config file: ${error}`);
      }
    });
  }

  // ---- nodes and slots ----------------------------------------------------------------

  lookup(name: string): ClusterNode | undefined {
    return this.nodes.get(name);
  }

  /** The endpoint clients are told for a node, as cluster-preferred-endpoint-type says (getPreferredEndpoint). */
  preferredEndpoint(node: ClusterNode): string {
    const type = this.server.config.get("cluster-preferred-endpoint-type");
    if (type === "ip") return node.ip;
    return type === "hostname" ? node.hostname || "?" : "";
  }

  /** The node's CLUSTER NODES line, with the port `tlsClient` is told (nodes.conf: the node's own). */
  describe(node: ClusterNode, tlsClient = true): string {
    return describeNode(node, node === this.myself ? this.openSlots : undefined, this.clientPort(node, tlsClient));
  }

  setMigrating(slot: number, to: ClusterNode | undefined): void {
    this.migratingTo[slot] = to;
  }

  setImporting(slot: number, from: ClusterNode | undefined): void {
    this.importingFrom[slot] = from;
  }

  /** CLUSTER SET-CONFIG-EPOCH (checked by the command): the current epoch follows. */
  setMyConfigEpoch(epoch: number): void {
    this.myself.configEpoch = epoch;
    if (this.currentEpoch < epoch) this.currentEpoch = epoch;
    this.changed();
  }

  addNode(n: ClusterNode): void {
    this.nodes.set(n.name, n);
  }

  /** Forget a node entirely (clusterDelNode). */
  delNode(n: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.importingFrom[j] === n) this.importingFrom[j] = undefined;
      if (this.migratingTo[j] === n) this.migratingTo[j] = undefined;
      if (this.slots[j] === n) this.delSlot(j);
    }
    for (const other of this.nodes.values()) other.failReports.delete(n);
    this.nodes.delete(n.name);
    n.link?.close();
    n.inboundLink?.close();
    if (n.master !== undefined) removeReplica(n.master, n);
    for (const r of n.replicas) r.master = undefined;
    this.soon(true, true);
  }

  private renameNode(n: ClusterNode, name: string): void {
    this.log.verbose(`Renaming node ${n.name} into ${name}`);
    this.nodes.delete(n.name);
    n.name = name;
    this.nodes.set(name, n);
  }

  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== undefined) return false;
    n.setSlotBit(slot, true);
    n.numSlots++;
    this.slots[slot] = n;
    return true;
  }

  delSlot(slot: number): boolean {
    const n = this.slots[slot];
    if (n === undefined) return false;
    n.setSlotBit(slot, false);
    n.numSlots--;
    this.slots[slot] = undefined;
    return true;
  }

  delNodeSlots(n: ClusterNode): number {
    let deleted = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) if (this.slots[j] === n && this.delSlot(j)) deleted++;
    return deleted;
  }

  /** A node turns master (clusterSetNodeAsMaster). */
  setNodeAsMaster(n: ClusterNode): void {
    if (n.isMaster) return;
    if (n.master !== undefined) {
      removeReplica(n.master, n);
      if (n !== this.myself) n.flags |= NodeFlag.MigrateTo;
    }
    n.flags = (n.flags & ~NodeFlag.Slave) | NodeFlag.Master;
    n.master = undefined;
    this.soon(true, true);
  }

  /** Myself becomes a replica of `master` (clusterSetMaster). */
  setMyMaster(master: ClusterNode): void {
    const me = this.myself;
    if (me.isMaster) {
      me.flags = (me.flags & ~(NodeFlag.Master | NodeFlag.MigrateTo)) | NodeFlag.Slave;
      this.migratingTo.fill(undefined);
      this.importingFrom.fill(undefined);
    } else if (me.master !== undefined) removeReplica(me.master, me);
    me.master = master;
    addReplica(master, me);
    this.server.follow(master.ip, master.port);
    this.resetManualFailover();
    this.soon(true, true);
  }

  /** The master myself serves, or replicates. */
  private get myMaster(): ClusterNode | undefined {
    return this.myself.isMaster ? this.myself : this.myself.master;
  }

  countKeysInSlot(slot: number): number {
    return this.server.keyspace.dbs[0]!.countKeysInSlot(slot);
  }

  keysInSlot(slot: number, max: number): string[] {
    return this.server.keyspace.dbs[0]!.keysInSlot(slot, max);
  }

  /** Delete the keys of slots we lost to another node (delKeysInSlot). */
  private delKeysInSlots(slots: ReadonlySet<number>): void {
    const db = this.server.keyspace.dbs[0]!;
    for (const slot of slots) {
      for (const key of db.keysInSlot(slot, Infinity)) {
        db.delete(key);
        this.server.propagation.write(0, [["DEL", key]]);
      }
    }
  }

  /**
   * Raise our config epoch above every other without an agreement (a slot imported with
   * SETSLOT NODE, CLUSTER FAILOVER TAKEOVER, BUMPEPOCH); false when it already is the
   * highest and not zero.
   */
  bumpEpochWithoutConsensus(): boolean {
    let max = 0;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    if (this.currentEpoch > max) max = this.currentEpoch;
    if (this.myself.configEpoch === 0 || this.myself.configEpoch !== max) {
      this.currentEpoch++;
      this.myself.configEpoch = this.currentEpoch;
      this.soon(true, false, true);
      this.log.warning(`New configEpoch set to ${this.myself.configEpoch}`);
      return true;
    }
    return false;
  }

  // ---- the state ------------------------------------------------------------------------

  /** cluster_state: ok only with every slot served (unless full coverage is not required) by a majority's view. */
  updateState(): void {
    const now = Date.now();
    if (this.firstStateCall === 0) this.firstStateCall = now;
    if (this.myself.isMaster && !this.stateOk && now - this.firstStateCall < WRITABLE_DELAY) return;
    let ok = true;
    if (this.server.config.get("cluster-require-full-coverage") === "yes") {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const n = this.slots[j];
        if (n === undefined || n.failed) {
          ok = false;
          break;
        }
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of this.nodes.values()) {
      if (n.isMaster && n.numSlots > 0) {
        size++;
        if ((n.flags & (NodeFlag.Fail | NodeFlag.PFail)) === 0) reachable++;
      }
    }
    this.size = size;
    if (reachable < Math.floor(size / 2) + 1) {
      ok = false;
      this.amongMinorityTime = now;
    }
    if (ok === this.stateOk) return;
    const rejoinDelay = Math.min(5000, Math.max(500, this.nodeTimeout));
    if (ok && this.myself.isMaster && now - this.amongMinorityTime < rejoinDelay) return;
    this.log.warning(`Cluster state changed: ${ok ? "ok" : "fail"}`);
    this.stateOk = ok;
  }

  // ---- messages out ---------------------------------------------------------------------

  private senderInfo(mflags = 0): SenderInfo {
    const me = this.myself;
    const master = me.isReplica && me.master !== undefined ? me.master : me;
    return {
      port: me.port, pport: me.pport, cport: me.cport, currentEpoch: this.currentEpoch, configEpoch: master.configEpoch,
      offset: this.replicationOffset,
      name: me.name, slots: master.slots, master: me.isReplica ? me.master?.name : undefined,
      ip: this.server.config.get("cluster-announce-ip"), flags: me.flags, stateOk: this.stateOk,
      mflags: mflags | (me.isMaster && this.mfEnd !== 0 ? MFLAG_PAUSED : 0),
    };
  }

  private send(link: BusLink, type: number, bytes: Uint8Array): void {
    this.sent[type]!++;
    link.send(bytes);
  }

  private gossipOf(n: ClusterNode): GossipEntry {
    return { name: n.name, pingSent: n.pingSent, pongReceived: n.pongReceived, ip: n.ip, port: n.port, cport: n.cport, flags: n.flags, pport: n.pport };
  }

  /** PING, PONG or MEET with gossip about a tenth of the nodes (at least 3) and every PFAIL one (clusterSendPing). */
  sendPing(link: BusLink, type: number): void {
    const all = [...this.nodes.values()];
    let fresh = all.length - 2;
    const wanted = Math.min(Math.max(3, Math.floor(all.length / 10)), fresh);
    const chosen = new Set<ClusterNode>();
    for (let tries = wanted * 3; fresh > 0 && chosen.size < wanted && tries > 0; tries--) {
      const n = all[Math.floor(Math.random() * all.length)]!;
      if (n === this.myself || n.timedOut || chosen.has(n)) continue;
      if (n.inHandshake || !n.hasAddr || (n.link === undefined && n.numSlots === 0)) continue;
      chosen.add(n);
      fresh--;
    }
    for (const n of all) if (n.timedOut && !n.inHandshake && n.hasAddr) chosen.add(n);
    if (link.node !== undefined && type === MsgType.Ping) link.node.pingSent = Date.now();
    this.send(link, type, encodePing(type, this.senderInfo(), [...chosen].map((n) => this.gossipOf(n)), this.myself.hostname));
  }

  /** Send to every node we have a link to (clusterBroadcastMessage). */
  private broadcast(type: number, bytes: Uint8Array): void {
    for (const n of this.nodes.values()) {
      if (n.link === undefined || n === this.myself || n.inHandshake) continue;
      this.send(n.link as BusLink, type, bytes);
    }
  }

  /** PONG to every node, or only to our master's other replicas (clusterBroadcastPong). */
  private broadcastPong(localReplicasOnly: boolean): void {
    for (const n of this.nodes.values()) {
      if (n.link === undefined || n === this.myself || n.inHandshake) continue;
      if (localReplicasOnly && !(n.isReplica && n.master !== undefined && (n.master === this.myself || n.master === this.myself.master))) continue;
      this.sendPing(n.link as BusLink, MsgType.Pong);
    }
  }

  /** PUBLISH / SPUBLISH heard by the other nodes (not while SCRIPT DEBUG YES's session runs: PubSub.muted). */
  publish(channel: Uint8Array, message: Uint8Array, shard: boolean): void {
    if (this.server.pubsub.muted) return;
    if (!shard) {
      this.broadcast(MsgType.Publish, encodePublish(MsgType.Publish, this.senderInfo(), channel, message));
      return;
    }
    const master = this.myMaster;
    if (master === undefined) return;
    const bytes = encodePublish(MsgType.PublishShard, this.senderInfo(), channel, message);
    for (const n of [master, ...master.replicas]) if (n !== this.myself && n.link !== undefined) this.send(n.link as BusLink, MsgType.PublishShard, bytes);
  }

  // ---- links ----------------------------------------------------------------------------

  private connect(n: ClusterNode): void {
    const link = new BusLink(this, false);
    link.node = n;
    n.link = link;
    const pingSentBefore = n.pingSent;
    const tls = this.tlsBus ? this.server.tls!.client : undefined;
    connectOutgoing({ host: n.ip, port: n.cport, source: this.server.config.get("bind-source-addr"), tls }, {
      open: (socket) => {
        if (link.closed) {
          socket.end();
          return;
        }
        link.opened(socket);
        // The first message is MEET when asked to meet the node, else a PING; a pending
        // ping keeps its time, so failure detection is not reset by reconnecting.
        this.sendPing(link, (n.flags & NodeFlag.Meet) !== 0 ? MsgType.Meet : MsgType.Ping);
        if (pingSentBefore !== 0) n.pingSent = pingSentBefore;
        n.flags &= ~NodeFlag.Meet;
      },
      data: (chunk) => link.onData(chunk),
      drain: () => link.flush(),
      closed: () => link.close(),
      failed: () => {
        if (n.pingSent === 0) n.pingSent = Date.now();
        link.close();
      },
    });
  }

  linkClosed(link: BusLink): void {
    this.inbound.delete(link);
    const n = link.node;
    if (n === undefined) return;
    if (n.link === link) n.link = undefined;
    if (n.inboundLink === link) n.inboundLink = undefined;
  }

  killLinks(node: ClusterNode, direction: "to" | "from" | "all"): void {
    if (direction !== "from") node.link?.close();
    if (direction !== "to") node.inboundLink?.close();
  }

  /** Links for CLUSTER LINKS. */
  links(): Array<{ direction: string; node: ClusterNode; link: LinkRef }> {
    const out: Array<{ direction: string; node: ClusterNode; link: LinkRef }> = [];
    for (const n of this.nodes.values()) {
      if (n.link !== undefined) out.push({ direction: "to", node: n, link: n.link });
      if (n.inboundLink !== undefined) out.push({ direction: "from", node: n, link: n.inboundLink });
    }
    return out;
  }

  // ---- messages in ----------------------------------------------------------------------

  /** Handle one message (clusterProcessPacket). */
  process(link: BusLink, m: Message): void {
    if (m.ver !== 1) return;
    const type = m.type;
    if (type < MSG_TYPE_COUNT) this.received[type]!++;
    if (type === this.dropPacketFilter) {
      this.server.log.warning("Dropping packet that matches debug drop filter");
      return;
    }
    const now = Date.now();
    let sender = this.nodes.get(m.name);
    if (sender !== undefined && sender.inHandshake) sender = undefined;
    if (sender !== undefined) {
      sender.dataReceived = now;
      if (link.inbound && sender.inboundLink !== link) {
        sender.inboundLink?.close();
        sender.inboundLink = link;
        link.node = sender;
      }
      // Epochs only ever grow: the sender's current epoch, and its config epoch if it is a
      // master (a replica sends its master's).
      if (m.currentEpoch > this.currentEpoch) this.currentEpoch = m.currentEpoch;
      if (m.configEpoch > sender.configEpoch && m.master === undefined) {
        sender.configEpoch = m.configEpoch;
        this.soon(true, false, true);
      }
      sender.replOffset = m.offset;
      sender.replOffsetTime = now;
      if (this.mfEnd !== 0 && this.myself.isReplica && this.myself.master === sender && (m.mflags & MFLAG_PAUSED) !== 0 && this.mfMasterOffset === -1) {
        this.mfMasterOffset = m.offset;
        this.log.warning(`Received replication offset for paused master manual failover: ${m.offset}`);
      }
    }

    if (type === MsgType.Ping || type === MsgType.Meet) {
      // We learn our own address from how a peer reached us, unless it is announced.
      if ((type === MsgType.Meet || this.myself.ip === "") && this.server.config.get("cluster-announce-ip") === "") {
        const ip = normalizeIp(link.socket?.localAddress ?? "");
        if (ip !== "" && ip !== this.myself.ip) {
          this.myself.ip = ip;
          this.log.warning(`IP address for this node updated to ${ip}`);
          this.soon(true, false);
        }
      }
      if (sender === undefined && type === MsgType.Meet && this.nodes.get(m.name) === undefined) {
        const n = new ClusterNode(undefined, NodeFlag.Handshake);
        n.ip = m.ip !== "" ? m.ip : normalizeIp(link.socket?.remoteAddress ?? "");
        n.port = m.port;
        n.pport = m.pport;
        n.cport = m.cport;
        this.addNode(n);
        this.soon(true, false);
        this.processGossip(m, undefined);
      }
      this.sendPing(link, MsgType.Pong);
    }

    if (type === MsgType.Ping || type === MsgType.Pong || type === MsgType.Meet) {
      const node = link.node;
      if (node !== undefined && !link.inbound) {
        if (node.inHandshake) {
          // The handshake is answered: the node now has its real name, or, if we knew it
          // already by another address, the handshake node goes.
          const known = this.nodes.get(m.name);
          if (known !== undefined && known !== node) {
            this.log.verbose(`Handshake: we already know node ${known.name}, updating the address if needed.`);
            if (this.updateAddressIfNeeded(known, link, m)) this.soon(true, true);
            this.delNode(node);
            return;
          }
          this.renameNode(node, m.name);
          node.flags &= ~NodeFlag.Handshake;
          node.flags |= m.flags & (NodeFlag.Master | NodeFlag.Slave);
          this.log.verbose(`Handshake with node ${node.name} completed.`);
          this.soon(true, false);
          sender = node;
        } else if (node.name !== m.name) {
          // A different node answers at this address now.
          this.log.verbose(`PONG contains mismatching sender ID. About node ${node.name} added 0 ms ago, having flags ${node.flags}`);
          node.flags |= NodeFlag.NoAddr;
          node.ip = "";
          node.port = 0;
          node.cport = 0;
          link.close();
          this.soon(true, false);
          return;
        }
      }
      if (sender !== undefined) {
        if ((m.flags & NodeFlag.NoFailover) !== 0) sender.flags |= NodeFlag.NoFailover;
        else sender.flags &= ~NodeFlag.NoFailover;
      }
      if (type === MsgType.Ping && sender !== undefined && this.updateAddressIfNeeded(sender, link, m)) this.soon(true, true);
      if (node !== undefined && !link.inbound && type === MsgType.Pong) {
        node.pongReceived = now;
        node.pingSent = 0;
        if (node.timedOut) {
          node.flags &= ~NodeFlag.PFail;
          this.soon(true, true);
        } else if (node.failed) this.clearFailureIfNeeded(node);
      }
      if (sender === undefined) return;

      // Role: master, or replica of the master it names.
      if (m.master === undefined) this.setNodeAsMaster(sender);
      else {
        const master = this.nodes.get(m.master);
        if (sender.isMaster) {
          this.delNodeSlots(sender);
          sender.flags = (sender.flags & ~(NodeFlag.Master | NodeFlag.MigrateTo)) | NodeFlag.Slave;
          this.soon(true, true);
        }
        if (master !== undefined && sender.master !== master) {
          if (sender.master !== undefined) removeReplica(sender.master, sender);
          addReplica(master, sender);
          sender.master = master;
          this.soon(true, false);
        }
      }

      // Slots: a master claiming slots with a newer epoch takes them; one claiming slots
      // we know a newer owner of is told (UPDATE).
      const senderMaster = sender.isMaster ? sender : sender.master;
      const dirty = senderMaster !== undefined && !rangesEqual(senderMaster.slots, 0, senderMaster.slots.length, m.slots, 0, m.slots.length);
      if (sender.isMaster && dirty) this.updateSlotsConfigWith(sender, m.configEpoch, m.slots);
      if (dirty) {
        for (let j = 0; j < CLUSTER_SLOTS; j++) {
          if ((m.slots[j >> 3]! & (1 << (j & 7))) === 0) continue;
          const owner = this.slots[j];
          if (owner === undefined || owner === sender) continue;
          if (owner.configEpoch > m.configEpoch) {
            this.log.verbose(`Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`);
            if (sender.link !== undefined) this.send(sender.link as BusLink, MsgType.Update, encodeUpdate(this.senderInfo(), owner.name, owner.configEpoch, owner.slots));
            break;
          }
        }
      }
      if (this.myself.isMaster && sender.isMaster && m.configEpoch === this.myself.configEpoch) this.handleEpochCollision(sender);
      this.processGossip(m, sender);
      if (m.hostname !== sender.hostname) {
        sender.hostname = m.hostname;
        this.soon(true, false);
      }
      return;
    }

    if (sender === undefined) return;
    switch (type) {
      case MsgType.Fail: {
        const failing = this.nodes.get(m.about);
        if (failing !== undefined && (failing.flags & (NodeFlag.Fail | NodeFlag.Myself)) === 0) {
          this.log.notice(`FAIL message received from ${sender.name} about ${failing.name}`);
          failing.flags = (failing.flags & ~NodeFlag.PFail) | NodeFlag.Fail;
          failing.failTime = now;
          this.soon(true, true);
        }
        return;
      }
      case MsgType.Publish:
      case MsgType.PublishShard:
        this.server.pubsub.publish(bytesToString(m.channel), m.payload.slice(), undefined, type === MsgType.PublishShard);
        return;
      case MsgType.FailoverAuthRequest:
        this.maybeVote(sender, m);
        return;
      case MsgType.FailoverAuthAck:
        if (sender.isMaster && sender.numSlots > 0 && m.currentEpoch >= this.authEpoch) {
          this.authCount++;
          setImmediate(() => this.handleReplicaFailover());
        }
        return;
      case MsgType.MfStart:
        if (sender.master !== this.myself) return;
        this.resetManualFailover();
        this.mfEnd = now + MF_TIMEOUT;
        this.mfReplica = sender;
        this.server.pausing.holdWrites("failover", true);
        this.log.warning(`Manual failover requested by replica ${sender.name}.`);
        // Tell the replica our offset at once, with the PAUSED flag.
        if (sender.link !== undefined) this.sendPing(sender.link as BusLink, MsgType.Ping);
        return;
      case MsgType.Update: {
        const n = this.nodes.get(m.about);
        if (n === undefined || n.configEpoch >= m.aboutEpoch) return;
        if (n.isReplica) this.setNodeAsMaster(n);
        n.configEpoch = m.aboutEpoch;
        this.updateSlotsConfigWith(n, m.aboutEpoch, m.aboutSlots);
        return;
      }
      default:
        return;
    }
  }

  /** A node we already know sent from a new address (nodeUpdateAddressIfNeeded); true when it changed. */
  private updateAddressIfNeeded(node: ClusterNode, link: BusLink, m: Message): boolean {
    if (node === this.myself || link === node.link) return false;
    const ip = m.ip !== "" ? m.ip : normalizeIp(link.socket?.remoteAddress ?? "");
    if (ip === "" || (node.ip === ip && node.port === m.port && node.pport === m.pport && node.cport === m.cport)) return false;
    node.ip = ip;
    node.port = m.port;
    node.pport = m.pport;
    node.cport = m.cport;
    node.link?.close();
    node.flags &= ~NodeFlag.NoAddr;
    this.log.warning(`Address updated for node ${node.name}, now ${ip}:${m.port}`);
    if (this.myself.isReplica && this.myself.master === node) this.server.follow(ip, m.port);
    return true;
  }

  /** Gossip about other nodes: failure reports, liveness hints, and nodes to get to know. */
  private processGossip(m: Message, sender: ClusterNode | undefined): void {
    const now = Date.now();
    for (const g of m.gossip) {
      const node = this.nodes.get(g.name);
      if (node !== undefined) {
        if (sender !== undefined && sender.isMaster && node !== this.myself) {
          if ((g.flags & (NodeFlag.Fail | NodeFlag.PFail)) !== 0) {
            if (!node.failReports.has(sender)) this.log.verbose(`Node ${sender.name} reported node ${node.name} as not reachable.`);
            node.failReports.set(sender, now);
            this.markFailingIfNeeded(node);
          } else if (node.failReports.delete(sender)) {
            this.log.verbose(`Node ${sender.name} reported node ${node.name} is back online.`);
          }
        }
        // A peer that heard from the node recently is a hint it is alive.
        if ((g.flags & (NodeFlag.Fail | NodeFlag.PFail)) === 0 && node.pingSent === 0 && this.failureReports(node) === 0) {
          if (g.pongReceived <= now + 500 && g.pongReceived > node.pongReceived) node.pongReceived = g.pongReceived;
        }
        // An unreachable node seen elsewhere at another address: try that one.
        if ((node.flags & (NodeFlag.Fail | NodeFlag.PFail)) !== 0 && (g.flags & NodeFlag.NoAddr) === 0 && node !== this.myself &&
            (node.ip !== g.ip || node.port !== g.port || node.cport !== g.cport)) {
          node.link?.close();
          node.ip = g.ip;
          node.port = g.port;
          node.pport = g.pport;
          node.cport = g.cport;
          node.flags &= ~NodeFlag.NoAddr;
        }
      } else if (sender !== undefined && (g.flags & NodeFlag.NoAddr) === 0 && !this.blacklisted(g.name) && g.ip !== "") {
        // A node a known peer knows: added under its own name, as Redis does.
        const n = new ClusterNode(g.name, g.flags & ~(NodeFlag.Myself | NodeFlag.PFail | NodeFlag.Fail | NodeFlag.Meet | NodeFlag.Handshake));
        n.ip = g.ip;
        n.port = g.port;
        n.pport = g.pport;
        n.cport = g.cport;
        this.addNode(n);
        this.soon(true, false);
      }
    }
  }

  /** Failure reports about the node still valid (twice the node timeout), the old ones dropped. */
  failureReports(node: ClusterNode): number {
    const maxAge = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = Date.now();
    for (const [reporter, time] of node.failReports) if (now - time > maxAge) node.failReports.delete(reporter);
    return node.failReports.size;
  }

  /** PFAIL becomes FAIL once a majority of masters agree (markNodeAsFailingIfNeeded); broadcast it. */
  private markFailingIfNeeded(node: ClusterNode): void {
    const needed = Math.floor(this.size / 2) + 1;
    if (!node.timedOut || node.failed) return;
    let failures = this.failureReports(node);
    if (this.myself.isMaster) failures++;
    if (failures < needed) return;
    this.log.notice(`Marking node ${node.name} as failing (quorum reached).`);
    node.flags = (node.flags & ~NodeFlag.PFail) | NodeFlag.Fail;
    node.failTime = Date.now();
    this.broadcast(MsgType.Fail, encodeFail(this.senderInfo(), node.name));
    this.soon(true, true);
  }

  /** A FAIL flag goes when the node is back: at once for replicas and slotless masters, else after a while. */
  private clearFailureIfNeeded(node: ClusterNode): void {
    const now = Date.now();
    if (node.isReplica || node.numSlots === 0) {
      this.log.notice(`Clear FAIL state for node ${node.name}: ${node.isReplica ? "replica" : "master without slots"} is reachable again.`);
      node.flags &= ~NodeFlag.Fail;
      this.soon(true, true);
    } else if (now - node.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      this.log.notice(`Clear FAIL state for node ${node.name}: is reachable again and nobody is serving its slots after some time.`);
      node.flags &= ~NodeFlag.Fail;
      this.soon(true, true);
    }
  }

  /**
   * Two masters with one config epoch: the one with the lower name takes a new epoch, so
   * every master ends with its own (clusterHandleConfigEpochCollision).
   */
  private handleEpochCollision(sender: ClusterNode): void {
    if (sender.name <= this.myself.name) return;
    this.currentEpoch++;
    this.myself.configEpoch = this.currentEpoch;
    this.soon(true, false, true);
    this.log.verbose(`WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${this.myself.configEpoch}`);
  }

  /**
   * A master's claim of slots with its epoch (clusterUpdateSlotsConfigWith): each slot held
   * by an older epoch or nobody moves to it, unless we are importing it. If that takes our
   * (or our master's) last slot, we follow the new owner; slots of ours lost with keys
   * still here have those keys deleted.
   */
  private updateSlotsConfigWith(sender: ClusterNode, senderEpoch: number, slots: Uint8Array): void {
    if (sender === this.myself) return;
    const current = this.myMaster;
    let newMaster: ClusterNode | undefined;
    let senderSlots = 0;
    let migratedOurs = 0;
    const dirty = new Set<number>();
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((slots[j >> 3]! & (1 << (j & 7))) === 0) continue;
      senderSlots++;
      const owner = this.slots[j];
      if (owner === sender) continue;
      if (this.importingFrom[j] !== undefined) continue;
      if (owner === undefined || owner.configEpoch < senderEpoch) {
        if (owner === this.myself && sender !== this.myself) dirty.add(j);
        if (owner !== undefined && owner === current) {
          newMaster = sender;
          migratedOurs++;
        }
        this.delSlot(j);
        this.addSlot(sender, j);
        this.soon(true, true, true);
      }
    }
    if (newMaster !== undefined && current !== undefined && current.numSlots === 0 &&
        (this.server.config.get("cluster-allow-replica-migration") === "yes" || senderSlots === migratedOurs)) {
      this.log.warning(`Configuration change detected. Reconfiguring myself as a replica of ${sender.name}`);
      this.setMyMaster(sender);
    } else if (dirty.size > 0) {
      const withKeys = new Set([...dirty].filter((slot) => this.countKeysInSlot(slot) > 0));
      if (withKeys.size > 0) this.delKeysInSlots(withKeys);
    }
  }

  // ---- the cron -------------------------------------------------------------------------

  /** Every 100 ms (clusterCron): links, pings, failure detection, the replica's failover. */
  private cron(): void {
    this.iteration++;
    const now = Date.now();
    const timeout = this.nodeTimeout;
    const handshakeTimeout = Math.max(timeout, 1000);
    for (const [name, until] of this.blacklist) if (until < now) this.blacklist.delete(name);
    for (const n of [...this.nodes.values()]) {
      if (n === this.myself || !n.hasAddr) continue;
      if (n.inHandshake && now - n.ctime > handshakeTimeout) {
        this.delNode(n);
        continue;
      }
      if (n.link === undefined) this.connect(n);
    }
    // Once a second, ping the one of five random nodes we heard from longest ago.
    if (this.iteration % 10 === 0) {
      const all = [...this.nodes.values()];
      let oldest: ClusterNode | undefined;
      for (let i = 0; i < 5 && all.length > 0; i++) {
        const n = all[Math.floor(Math.random() * all.length)]!;
        if (n.link === undefined || n.pingSent !== 0 || (n.flags & (NodeFlag.Myself | NodeFlag.Handshake)) !== 0) continue;
        if (oldest === undefined || n.pongReceived < oldest.pongReceived) oldest = n;
      }
      if (oldest !== undefined) this.sendPing(oldest.link as BusLink, MsgType.Ping);
    }
    let stateChanged = false;
    for (const n of this.nodes.values()) {
      if ((n.flags & (NodeFlag.Myself | NodeFlag.NoAddr | NodeFlag.Handshake)) !== 0) continue;
      const pingDelay = now - n.pingSent;
      const dataDelay = now - n.dataReceived;
      // A link that carries nothing back for half the timeout is reconnected.
      if (n.link !== undefined && now - n.link.ctime > timeout && n.pingSent !== 0 && pingDelay > timeout / 2 && dataDelay > timeout / 2) n.link.close();
      if (n.link !== undefined && n.pingSent === 0 && now - n.pongReceived > timeout / 2) {
        this.sendPing(n.link as BusLink, MsgType.Ping);
        continue;
      }
      if (this.mfEnd !== 0 && this.myself.isMaster && this.mfReplica === n && n.link !== undefined) {
        this.sendPing(n.link as BusLink, MsgType.Ping);
        continue;
      }
      if (n.pingSent === 0) continue;
      if (Math.min(pingDelay, dataDelay) > timeout && (n.flags & (NodeFlag.PFail | NodeFlag.Fail)) === 0) {
        this.log.verbose(`*** NODE ${n.name} possibly failing`);
        n.flags |= NodeFlag.PFail;
        stateChanged = true;
      }
    }
    const me = this.myself;
    if (me.isReplica && me.master !== undefined && me.master.hasAddr) {
      const link = this.server.replicaLink;
      if (link === undefined || link.host !== me.master.ip || link.port !== me.master.port) this.server.follow(me.master.ip, me.master.port);
    }
    this.server.blocking.releaseWithErrors((entry) => blockedRedirection(this, entry));
    this.manualFailoverCheckTimeout();
    if (me.isReplica) {
      this.handleManualFailover();
      this.handleReplicaFailover();
      this.handleReplicaMigration();
    }
    if (stateChanged || !this.stateOk) this.updateState();
  }

  private blacklisted(name: string): boolean {
    const until = this.blacklist.get(name);
    return until !== undefined && until >= Date.now();
  }

  /** CLUSTER FORGET: the node stays out of gossip for a minute. */
  forget(n: ClusterNode): void {
    this.blacklist.set(n.name, Date.now() + BLACKLIST_TTL);
    this.delNode(n);
  }

  /** CLUSTER MEET: start a handshake (clusterStartHandshake); false for a bad address. */
  meet(ip: string, port: number, cport: number): boolean {
    const norm = normalizeIp(ip);
    if (isIP(norm) === 0 || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return false;
    for (const n of this.nodes.values()) if (n.inHandshake && n.ip === norm && n.port === port && n.cport === cport) return true;
    const n = new ClusterNode(undefined, NodeFlag.Handshake | NodeFlag.Meet);
    n.ip = norm;
    n.port = port;
    n.cport = cport;
    this.addNode(n);
    return true;
  }

  // ---- failover -------------------------------------------------------------------------

  /**
   * Replica migration (clusterHandleSlaveMigration): a master serving slots that had
   * replicas and has no working one left is orphaned; once it has been for 5 s, the replica
   * with the lowest name among those of the masters with the most working replicas moves to
   * it, if its own master keeps more than cluster-migration-barrier of them.
   */
  private handleReplicaMigration(): void {
    const me = this.myself;
    const myMaster = me.master;
    const config = this.server.config;
    if (!this.stateOk || myMaster === undefined || config.get("cluster-allow-replica-migration") !== "yes") return;
    const working = (n: ClusterNode) => n.replicas.filter((r) => !r.failed).length;
    let maxReplicas = 0;
    let orphans = false;
    for (const n of this.nodes.values()) {
      if (!n.isMaster || n.failed) continue;
      const ok = working(n);
      if (ok === 0 && n.numSlots > 0 && (n.flags & NodeFlag.MigrateTo) !== 0) orphans = true;
      if (ok > maxReplicas) maxReplicas = ok;
    }
    if (!orphans || maxReplicas < 2 || working(myMaster) !== maxReplicas) return;
    const okHere = myMaster.replicas.filter((r) => !r.failed && !r.timedOut).length;
    if (okHere <= config.int("cluster-migration-barrier")) return;
    let target: ClusterNode | undefined;
    let candidate = me;
    const now = Date.now();
    for (const n of this.nodes.values()) {
      const ok = n.isMaster ? working(n) : 0;
      const orphaned = n.isMaster && !n.failed && (n.flags & NodeFlag.MigrateTo) !== 0 && ok === 0;
      if (orphaned) {
        if (target === undefined && n.numSlots > 0) target = n;
        if (n.orphanedTime === 0) n.orphanedTime = now;
      } else n.orphanedTime = 0;
      if (ok === maxReplicas) for (const r of n.replicas) if (r.name < candidate.name) candidate = r;
    }
    if (target !== undefined && candidate === me && now - target.orphanedTime > REPLICA_MIGRATION_DELAY) {
      this.log.notice(`Migrating to orphaned master ${target.name}`);
      this.setMyMaster(target);
    }
  }

  /** A master's vote for a replica asking to replace its failed master (clusterSendFailoverAuthIfNeeded). */
  private maybeVote(node: ClusterNode, m: Message): void {
    const me = this.myself;
    const master = node.master;
    if (me.isReplica || me.numSlots === 0) return;
    const refuse = (why: string) => this.log.warning(`Failover auth denied to ${node.name}: ${why}`);
    if (m.currentEpoch < this.currentEpoch) return refuse(`reqEpoch (${m.currentEpoch}) < curEpoch(${this.currentEpoch})`);
    if (this.lastVoteEpoch === this.currentEpoch) return refuse(`already voted for epoch ${this.currentEpoch}`);
    if (node.isMaster || master === undefined || (!master.failed && (m.mflags & MFLAG_FORCEACK) === 0)) {
      return refuse(node.isMaster ? "it is a master node" : master === undefined ? "I don't know its master" : "its master is up");
    }
    const now = Date.now();
    if (now - master.votedTime < this.nodeTimeout * 2) return refuse("can't vote about this master before some time");
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((m.slots[j >> 3]! & (1 << (j & 7))) === 0) continue;
      const owner = this.slots[j];
      if (owner === undefined || owner.configEpoch <= m.configEpoch) continue;
      return refuse(`slot ${j} epoch (${owner.configEpoch}) > reqEpoch (${m.configEpoch})`);
    }
    this.lastVoteEpoch = this.currentEpoch;
    master.votedTime = now;
    const error = this.saveConfig();
    if (error !== undefined) this.log.warning(`Can't update cluster config file: ${error}`);
    if (node.link !== undefined) this.send(node.link as BusLink, MsgType.FailoverAuthAck, encodeBare(MsgType.FailoverAuthAck, this.senderInfo()));
    this.log.warning(`Failover auth granted to ${node.name} () for epoch ${this.currentEpoch}`);
  }

  /** This replica's rank among its master's replicas: how many have a newer offset. */
  private replicaRank(): number {
    const master = this.myself.master;
    if (master === undefined) return 0;
    const mine = this.myOffset();
    return master.replicas.filter((r) => r !== this.myself && !r.isMyself && r.replOffset > mine).length;
  }

  /** Our replication offset as the bus and CLUSTER SHARDS report it. */
  get replicationOffset(): number {
    return this.myself.isMaster ? this.server.replication.offset : this.myOffset();
  }

  private myOffset(): number {
    return Math.max(0, this.server.replicaLink?.reploff ?? this.server.replication.offset);
  }

  /** The replica's election (clusterHandleSlaveFailover). */
  private handleReplicaFailover(): void {
    const me = this.myself;
    const master = me.master;
    const now = Date.now();
    const manual = this.mfEnd !== 0 && this.mfCanStart;
    const timeout = this.nodeTimeout;
    const authTimeout = Math.max(timeout * 2, 2000);
    const authRetry = authTimeout * 2;
    if (!me.isReplica || master === undefined || (!master.failed && !manual) || master.numSlots === 0) return;
    if (this.server.config.get("cluster-replica-no-failover") === "yes" && !manual) return;
    const authAge = now - this.authTime;
    // Data older than the validity factor allows: no failover unless manual.
    const link = this.server.replicaLink;
    let dataAge = link === undefined ? 0 : now - link.lastIoMs;
    if (dataAge > timeout) dataAge -= timeout;
    const factor = this.server.config.int("cluster-replica-validity-factor");
    if (factor !== 0 && dataAge > this.server.config.int("repl-ping-replica-period") * 1000 + timeout * factor && !manual) return;
    if (authAge > authRetry) {
      this.authTime = now + 500 + Math.floor(Math.random() * 500);
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.replicaRank();
      this.authTime += this.authRank * 1000;
      if (manual) {
        this.authTime = now;
        this.authRank = 0;
      }
      this.log.warning(`Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${this.myOffset()}).`);
      this.broadcastPong(true);
      return;
    }
    if (!this.authSent && !manual) {
      const rank = this.replicaRank();
      if (rank > this.authRank) {
        this.authTime += (rank - this.authRank) * 1000;
        this.authRank = rank;
      }
    }
    if (now < this.authTime) return;
    if (authAge > authTimeout) return;
    if (!this.authSent) {
      this.currentEpoch++;
      this.authEpoch = this.currentEpoch;
      this.log.warning(`Starting a failover election for epoch ${this.currentEpoch}.`);
      this.broadcast(MsgType.FailoverAuthRequest, encodeBare(MsgType.FailoverAuthRequest, this.senderInfo(manual ? MFLAG_FORCEACK : 0)));
      this.authSent = true;
      this.soon(true, true, true);
      return;
    }
    if (this.authCount >= Math.floor(this.size / 2) + 1) {
      this.log.warning("Failover election won: I'm the new master.");
      if (me.configEpoch < this.authEpoch) {
        me.configEpoch = this.authEpoch;
        this.log.warning(`configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.replaceMyMaster();
    }
  }

  /** Take the old master's slots and tell everyone (clusterFailoverReplaceYourMaster). */
  replaceMyMaster(): void {
    const me = this.myself;
    const old = me.master;
    if (!me.isReplica || old === undefined) return;
    this.setNodeAsMaster(me);
    this.server.promote("cluster failover");
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (old.hasSlot(j)) {
        this.delSlot(j);
        this.addSlot(me, j);
      }
    }
    this.updateState();
    const error = this.saveConfig();
    if (error !== undefined) this.log.warning(`Can't update cluster config file: ${error}`);
    this.broadcastPong(false);
    this.resetManualFailover();
  }

  /** CLUSTER FAILOVER on a replica (default: wait for the master's offset; FORCE: don't; TAKEOVER: no vote). */
  startManualFailover(mode: "default" | "force" | "takeover"): void {
    this.resetManualFailover();
    this.mfEnd = Date.now() + MF_TIMEOUT;
    const master = this.myself.master!;
    if (mode === "takeover") {
      this.log.warning("Taking over the master (user request).");
      this.bumpEpochWithoutConsensus();
      this.replaceMyMaster();
      return;
    }
    if (mode === "force") {
      this.log.warning("Forced failover user request accepted.");
      this.mfCanStart = true;
      return;
    }
    this.log.warning("Manual failover user request accepted.");
    if (master.link !== undefined) this.send(master.link as BusLink, MsgType.MfStart, encodeBare(MsgType.MfStart, this.senderInfo()));
  }

  private resetManualFailover(): void {
    if (this.mfReplica !== undefined) this.server.pausing.holdWrites("failover", false);
    this.mfEnd = 0;
    this.mfCanStart = false;
    this.mfReplica = undefined;
    this.mfMasterOffset = -1;
  }

  private manualFailoverCheckTimeout(): void {
    if (this.mfEnd !== 0 && this.mfEnd < Date.now()) {
      this.log.warning("Manual failover timed out.");
      this.resetManualFailover();
    }
  }

  /** The replica waits for its offset to reach the paused master's, then starts the election. */
  private handleManualFailover(): void {
    if (this.mfEnd === 0 || this.mfCanStart || this.mfMasterOffset === -1) return;
    if (this.mfMasterOffset === this.myOffset()) {
      this.mfCanStart = true;
      this.log.warning("All master replication stream processed, manual failover can start.");
      this.handleReplicaFailover();
    }
  }

  /** CLUSTER RESET (clusterReset): forget every other node and our slots; HARD also takes a new name and epochs 0. */
  reset(hard: boolean): void {
    const me = this.myself;
    if (me.isReplica) {
      this.setNodeAsMaster(me);
      this.server.promote("cluster reset");
      this.server.keyspace.flushAll();
    }
    this.migratingTo.fill(undefined);
    this.importingFrom.fill(undefined);
    for (let j = 0; j < CLUSTER_SLOTS; j++) this.delSlot(j);
    for (const n of [...this.nodes.values()]) if (n !== me) this.delNode(n);
    if (hard) {
      this.currentEpoch = 0;
      this.lastVoteEpoch = 0;
      me.configEpoch = 0;
      this.renameNode(me, randomNodeName());
      this.log.notice(`Node hard reset, now I'm ${me.name}`);
    }
    this.soon(true, true);
  }
}

/**
 * A master's replicas, kept sorted by name so that every node lists them alike (CLUSTER
 * SLOTS, SHARDS); a master that has (or had) replicas may receive a migrating one
 * (clusterNodeAddSlave).
 */
function addReplica(master: ClusterNode, replica: ClusterNode): void {
  if (!master.replicas.includes(replica)) {
    master.replicas.push(replica);
    master.replicas.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  master.flags |= NodeFlag.MigrateTo;
}

function removeReplica(master: ClusterNode, replica: ClusterNode): void {
  const i = master.replicas.indexOf(replica);
  if (i >= 0) master.replicas.splice(i, 1);
  if (master.replicas.length === 0) master.flags &= ~NodeFlag.MigrateTo;
}

/**
 * node:net's isIP (4, 6, or 0 for no address), loaded on first use: importing node:net
 * loads the runtime's streams with it, 16% of every server's start-up, cluster or not.
 */
function isIP(ip: string): number {
  return (require("node:net") as typeof import("node:net")).isIP(ip);
}

/** "::ffff:1.2.3.4" as 1.2.3.4. */
function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
