/**
 * Small replies wait for the end of the event loop's turn and go out then, every client's
 * in one pass, as Redis writes its clients' buffers in beforeSleep once all the turn's
 * reads are served. Written at once, each reply to a client waiting in epoll_wait woke it
 * (on loopback the kernel does the receiver's work in the sender's write: an interprocess
 * wake-up, a VM exit on a virtual machine); written after the turn's last read, the
 * clients woken first are still busy reading when the others' replies arrive.
 *
 * The replies are copied into one buffer reused every turn; a client holds views of it
 * (Client.pendingOut) until `release`, which keeps a copy of only what a socket did not take.
 */
export interface TurnHolder {
  /** Send the replies held for the turn (Client.releaseTurn). */
  releaseTurn(): void;
}

/** A turn's replies past this many bytes are written at once, as before. */
const MAX_BYTES = 1 << 20;
/**
 * A turn that has served reads for this long (ms) lets the replies it holds go: a turn of
 * fifty clients' big reads (pipelined 64 KB SETs) lasts tens of milliseconds, and the
 * replies of its first reads would wait for all of it.
 */
const MAX_WAIT_MS = 1;

export class TurnOutput {
  private buffer = new Uint8Array(64 * 1024);
  private used = 0;
  /** Bytes taken this turn (a grown buffer starts again at 0: the views of the last one keep it). */
  private total = 0;
  private holders: TurnHolder[] = [];
  private scheduled = false;
  /** When the first of the replies held now was taken (performance.now()). */
  private since = 0;

  /** `beforeRelease` runs first at the end of the turn: the AOF is written before any reply goes. */
  constructor(private readonly beforeRelease: () => void) {}

  /**
   * `bytes` copied into the turn's buffer, or undefined when the turn holds too much
   * already; `holder` is released at the end of the turn (null: it holds bytes already).
   */
  take(bytes: Uint8Array, holder: TurnHolder | null): Uint8Array | undefined {
    const n = bytes.length;
    if (this.total + n > MAX_BYTES) return undefined;
    if (this.used + n > this.buffer.length) {
      this.buffer = new Uint8Array(Math.min(MAX_BYTES, Math.max(n, this.buffer.length * 2)));
      this.used = 0;
    }
    const start = this.used;
    this.buffer.set(bytes, start);
    this.used += n;
    this.total += n;
    if (holder !== null) {
      if (this.holders.length === 0) this.since = performance.now();
      this.holders.push(holder);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.release);
    }
    return this.buffer.subarray(start, start + n);
  }

  /** After a read is served, at `now` (performance.now()): the replies go now if the first of them has waited long enough. */
  releaseIfLong(now: number): void {
    if (this.holders.length > 0 && now - this.since >= MAX_WAIT_MS) this.release();
  }

  /** The turn is over: every holder's replies go, in the order they were taken. */
  readonly release = (): void => {
    this.scheduled = false;
    this.beforeRelease();
    const holders = this.holders;
    this.holders = [];
    for (let i = 0; i < holders.length; i++) holders[i]!.releaseTurn();
    // Replies taken while releasing (a write that closed a client...) wait for the next release.
    if (this.holders.length === 0) this.used = this.total = 0;
  };
}
