/**
 * A cluster bus connection, either way (Redis's clusterLink): it frames the byte stream
 * into whole messages for its owner (message.ts decodes them), and queues what the peer
 * has not taken yet, closing the link when that passes cluster-link-sendbuf-limit.
 */
import type { Logger } from "../log.ts";
import type { OutgoingSocket } from "../server/outgoing.ts";
import { type Message, decode, frameLength } from "./message.ts";
import type { ClusterNode, LinkRef } from "./nodes.ts";

/** What a link needs of the cluster that owns it. */
export interface BusOwner {
  readonly log: Logger;
  readonly sendBufferLimit: number;
  linksOverLimit: number;
  process(link: BusLink, message: Message): void;
  linkClosed(link: BusLink): void;
}

/** One bus connection, either way. */
export class BusLink implements LinkRef {
  readonly ctime = Date.now();
  node: ClusterNode | undefined;
  /** A Bun socket (inbound, or outbound), or node:net's under bind-source-addr (server/outgoing.ts). */
  socket: OutgoingSocket | undefined;
  private queued: Uint8Array[] = [];
  /** Bytes in `queued`: what the peer has not taken yet. */
  pendingBytes = 0;
  private rbuf = new Uint8Array(0);
  private rlen = 0;
  closed = false;

  constructor(
    private readonly cluster: BusOwner,
    readonly inbound: boolean,
  ) {}

  /**
   * Queue or write a message. A peer that lets more than cluster-link-sendbuf-limit bytes
   * pile up loses the link (it is made again), as in Redis.
   */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.socket === undefined || this.queued.length > 0) this.hold(bytes);
    else {
      const n = this.socket.write(bytes);
      if (n < bytes.length) this.hold(bytes.subarray(Math.max(0, n)));
    }
    const limit = this.cluster.sendBufferLimit;
    if (limit > 0 && this.pendingBytes > limit) {
      this.cluster.linksOverLimit++;
      this.cluster.log.warning(`Freeing cluster link(${this.inbound ? "from" : "to"} node ${this.node?.name ?? "?"}), used memory: ${this.pendingBytes}`);
      this.close();
    }
  }

  private hold(bytes: Uint8Array): void {
    this.queued.push(bytes);
    this.pendingBytes += bytes.length;
  }

  opened(socket: OutgoingSocket): void {
    this.socket = socket;
    this.flush();
  }

  flush(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    while (this.queued.length > 0) {
      const head = this.queued[0]!;
      const n = Math.max(0, socket.write(head));
      this.pendingBytes -= Math.min(n, head.length);
      if (n < head.length) {
        this.queued[0] = head.subarray(n);
        return;
      }
      this.queued.shift();
    }
  }

  /** Bytes arrived: process every whole message; a stream that is not the bus closes. */
  onData(chunk: Uint8Array): void {
    if (this.rlen + chunk.length > this.rbuf.length) {
      const grown = new Uint8Array(Math.max(this.rbuf.length * 2, this.rlen + chunk.length, 4096));
      grown.set(this.rbuf.subarray(0, this.rlen));
      this.rbuf = grown;
    }
    this.rbuf.set(chunk, this.rlen);
    this.rlen += chunk.length;
    let at = 0;
    while (!this.closed) {
      const len = frameLength(this.rbuf, at, this.rlen);
      if (len < 0) break;
      if (len === 0) {
        this.cluster.log.verbose("Bad message length or signature received on the Cluster bus.");
        this.close();
        return;
      }
      if (this.rlen - at < len) break;
      const msg = decode(this.rbuf.subarray(at, at + len));
      at += len;
      if (msg !== undefined) this.cluster.process(this, msg);
    }
    if (at > 0) {
      this.rbuf.copyWithin(0, at, this.rlen);
      this.rlen -= at;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
    this.cluster.linkClosed(this);
  }
}
