/**
 * The connections KVIS makes itself: a replica's to its master, a cluster node's bus link
 * to another. They are Bun's sockets, except when bind-source-addr names the address to
 * connect from: Bun.connect cannot bind one, so node:net's (node:tls's over TLS) are used,
 * loaded then only, as Redis's connConnect binds its source address.
 */
import type { TLSOptions } from "bun";

/** What the callers use of such a connection. */
export interface OutgoingSocket {
  /** Bytes the socket took (node:net's buffer all of them). */
  write(data: Uint8Array): number;
  /** Close once what was written has gone. */
  end(): void;
  /** Close at once. */
  terminate(): void;
  /** Stop reading (what the peer sends waits in the kernel's buffers, then the peer's), and read again. */
  pause(): void;
  resume(): void;
  readonly localAddress?: string;
  readonly remoteAddress?: string;
}

export interface OutgoingHandlers {
  open(socket: OutgoingSocket): void;
  data(chunk: Uint8Array): void;
  /** The socket can take more after a write it took only part of. */
  drain?(): void;
  /** Closed, or failed, once open. */
  closed(): void;
  /** It never opened. */
  failed(): void;
}

export interface OutgoingTarget {
  host: string;
  port: number;
  /** bind-source-addr ("" for the system's choice). */
  source: string;
  tls?: TLSOptions;
}

export function connectOutgoing(target: OutgoingTarget, handlers: OutgoingHandlers): void {
  if (target.source !== "") return connectFrom(target, handlers);
  let opened = false;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    if (opened) handlers.closed();
    else handlers.failed();
  };
  Bun.connect({
    hostname: target.host,
    port: target.port,
    ...(target.tls === undefined ? {} : { tls: target.tls }),
    socket: {
      binaryType: "uint8array",
      open: (socket) => {
        opened = true;
        handlers.open(socket);
      },
      data: (_socket, chunk) => handlers.data(chunk),
      drain: () => handlers.drain?.(),
      close: finish,
      error: finish,
      connectError: finish,
    },
  }).catch(finish);
}

/** node:net (or node:tls), which can bind the source address. */
function connectFrom(target: OutgoingTarget, handlers: OutgoingHandlers): void {
  const options = { host: target.host, port: target.port, localAddress: target.source };
  const socket = target.tls === undefined
    ? (require("node:net") as typeof import("node:net")).connect(options)
    : (require("node:tls") as typeof import("node:tls")).connect({ ...options, ...(target.tls as import("node:tls").ConnectionOptions) });
  let opened = false;
  let done = false;
  const wrapped: OutgoingSocket = {
    write: (data) => {
      socket.write(data);
      return data.length;
    },
    end: () => void socket.end(),
    terminate: () => void socket.destroy(),
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    get localAddress() {
      return socket.localAddress;
    },
    get remoteAddress() {
      return socket.remoteAddress;
    },
  };
  socket.once(target.tls === undefined ? "connect" : "secureConnect", () => {
    opened = true;
    handlers.open(wrapped);
  });
  socket.on("data", (chunk: Buffer) => handlers.data(chunk));
  socket.on("drain", () => handlers.drain?.());
  const finish = () => {
    if (done) return;
    done = true;
    if (opened) handlers.closed();
    else handlers.failed();
  };
  socket.on("error", finish);
  socket.on("close", finish);
}
