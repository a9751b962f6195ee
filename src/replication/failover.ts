/**
 * FAILOVER: a coordinated handover from this master to one of its replicas, as Redis 7.0's
 * replication.c runs it. Writes are paused (server/pausing.ts); once a replica (the one
 * named with TO, or any) has acknowledged the whole stream, this server becomes a replica
 * of it and sends it `PSYNC <replid> <offset> FAILOVER`, which makes that replica a master
 * with the same data and history; its answer ends the failover and the pause (the writes
 * that waited then meet -READONLY). With a TIMEOUT the failover is aborted when no replica
 * caught up in time, or with FORCE goes ahead anyway. FAILOVER ABORT puts everything back.
 */
import {
  FAILOVER_FORCE_NEEDS_TARGET, FAILOVER_IN_PROGRESS, FAILOVER_NO_REPLICAS, FAILOVER_ON_REPLICA, FAILOVER_TARGET_NOT_ONLINE,
  FAILOVER_TARGET_NOT_REPLICA,
} from "../errors.ts";
import type { Client } from "../server/connection.ts";
import type { Server } from "../server/server.ts";

export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

export interface FailoverRequest {
  host: string | undefined;
  port: number;
  /** 0: wait for as long as it takes. */
  timeoutMs: number;
  force: boolean;
}

export class Failover {
  /** INFO's master_failover_state. */
  state: FailoverState = "no-failover";
  private host: string | undefined;
  private port = 0;
  private endTime = 0;
  private force = false;

  constructor(private readonly server: Server) {}

  /** FAILOVER [TO host port [FORCE]] [TIMEOUT ms], checked in Redis's order. */
  start(request: FailoverRequest): void {
    const server = this.server;
    if (this.state !== "no-failover") throw FAILOVER_IN_PROGRESS;
    if (server.replicaLink !== undefined) throw FAILOVER_ON_REPLICA;
    if (server.replication.replicas.size === 0) throw FAILOVER_NO_REPLICAS;
    if (request.force && (request.timeoutMs === 0 || request.host === undefined)) throw FAILOVER_FORCE_NEEDS_TARGET;
    if (request.host !== undefined) {
      const replica = this.findReplica(request.host, request.port);
      if (replica === undefined) throw FAILOVER_TARGET_NOT_REPLICA;
      if (replica.replica!.state !== "online") throw FAILOVER_TARGET_NOT_ONLINE;
      this.host = request.host;
      this.port = request.port;
      server.log.notice(`FAILOVER requested to ${request.host}:${request.port}.`);
    } else {
      server.log.notice("FAILOVER requested to any replica.");
    }
    this.endTime = request.timeoutMs > 0 ? Date.now() + request.timeoutMs : 0;
    this.force = request.force;
    this.state = "waiting-for-sync";
    server.pausing.holdWrites("failover", true);
  }

  /** FAILOVER ABORT; false when none is in progress. */
  abortByUser(): boolean {
    if (this.state === "no-failover") return false;
    this.abort("Failover manually aborted");
    return true;
  }

  /**
   * From the cron and on every replica's ACK: start the handover once the target has
   * caught up, or end a wait that timed out.
   */
  update(): void {
    if (this.state !== "waiting-for-sync") return;
    const server = this.server;
    if (this.endTime !== 0 && this.endTime <= Date.now()) {
      if (!this.force) return this.abort("Replica never caught up before timeout");
      server.log.notice(`FAILOVER to ${this.host}:${this.port} time out exceeded, failing over.`);
      return this.handOver();
    }
    const offset = server.replication.offset;
    let replica: Client | undefined;
    if (this.host !== undefined) replica = this.findReplica(this.host, this.port);
    else {
      for (const r of server.replication.replicas) {
        if (r.replica!.ackOffset !== offset) continue;
        replica = r;
        this.host = r.replica!.ip;
        this.port = r.replica!.port;
        break;
      }
    }
    if (replica === undefined || replica.replica!.ackOffset !== offset) return;
    server.log.notice(`Failover target ${this.host}:${this.port} is synced, failing over.`);
    this.handOver();
  }

  /** The target's answer to PSYNC ... FAILOVER: a sync (partial or full) ends the failover. */
  psyncAnswered(accepted: boolean): void {
    if (this.state !== "failover-in-progress") return;
    if (accepted) this.clear();
    else this.abort("Failover target rejected psync request");
  }

  /** Become a replica of the target; the replica link sends PSYNC with FAILOVER. */
  private handOver(): void {
    this.state = "failover-in-progress";
    this.server.follow(this.host!, this.port);
  }

  private abort(reason: string): void {
    const server = this.server;
    server.log.notice(`FAILOVER to ${this.host === undefined ? "any replica" : `${this.host}:${this.port}`} aborted: ${reason}`);
    if (this.state === "failover-in-progress") server.promote("failover aborted");
    this.clear();
  }

  private clear(): void {
    this.state = "no-failover";
    this.host = undefined;
    this.port = 0;
    this.endTime = 0;
    this.force = false;
    this.server.pausing.holdWrites("failover", false);
  }

  /** The replica at host:port: its announced or peer address and its listening port. */
  private findReplica(host: string, port: number): Client | undefined {
    for (const r of this.server.replication.replicas) {
      if (r.replica!.ip.toLowerCase() === host.toLowerCase() && r.replica!.port === port) return r;
    }
    return undefined;
  }
}
