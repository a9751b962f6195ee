/**
 * Test-side RESP tools: framing of complete replies in a byte stream (so tests can compare
 * raw reply bytes), a request encoder, and a raw socket client that sends bytes and reads
 * back a given number of replies. Independent of the server's own writer on purpose.
 */

/** Length of the first complete RESP value in buf[from..], or -1 if it is incomplete. */
export function replyLength(buf: Uint8Array, from = 0): number {
  if (from >= buf.length) return -1;
  const lineEnd = buf.indexOf(0x0a, from);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buf[from]!);
  const header = Buffer.from(buf.subarray(from + 1, lineEnd - 1)).toString("latin1");
  const afterLine = lineEnd + 1;
  switch (type) {
    case "+": case "-": case ":": case "_": case ",": case "#": case "(":
      return afterLine - from;
    case "$": case "=": case "!": {
      const n = Number(header);
      if (n < 0) return afterLine - from;
      return afterLine + n + 2 <= buf.length ? afterLine + n + 2 - from : -1;
    }
    case "*": case "~": case ">": case "%": case "|": {
      let n = Number(header);
      if (n < 0) return afterLine - from;
      if (type === "%" || type === "|") n *= 2;
      let pos = afterLine;
      for (let i = 0; i < n; i++) {
        const len = replyLength(buf, pos);
        if (len < 0) return -1;
        pos += len;
      }
      return pos - from;
    }
    default:
      throw new Error(`not a RESP reply at ${from}: ${JSON.stringify(Buffer.from(buf.subarray(from, from + 40)).toString("latin1"))}`);
  }
}

/**
 * Encode a command as a RESP multibulk request. Strings are bytes (latin1): the request is
 * built as one string and converted once (tests encode hundreds of thousands of requests;
 * a Buffer per part cost most of a big pipeline's time).
 */
export function encodeCommand(args: Array<string | Uint8Array>): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const a of args) {
    const s = typeof a === "string" ? a : latin1(a, 0, a.length);
    text += `$${s.length}\r\n${s}\r\n`;
  }
  return Buffer.from(text, "latin1");
}

/** Bun's Buffer.prototype.latin1Slice (as Node's; not in the type declarations) takes any Uint8Array. */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** bytes[start, end) as a latin1 string, with no copy or Buffer made first. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(bytes, start, end);
}

/** A raw connection: write bytes, read exact replies, observe the close. */
export class RawClient {
  // Received bytes live in store[0..len); `buf` is that window. The store doubles as it
  // fills so that large replies cost linear time.
  private store = new Uint8Array(64 * 1024);
  private len = 0;
  private out: Uint8Array[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private socket: import("bun").Socket<undefined>) {}

  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    let client!: RawClient;
    const socket = await Bun.connect({
      hostname,
      port,
      socket: {
        data(_s, data) {
          client.append(data);
          client.wake();
        },
        drain() {
          client.flushOut();
        },
        close() {
          client.closed = true;
          client.wake();
        },
        error() {
          client.closed = true;
          client.wake();
        },
      },
    });
    client = new RawClient(socket);
    return client;
  }

  private get buf(): Uint8Array {
    return this.store.subarray(0, this.len);
  }

  private set buf(rest: Uint8Array) {
    const copy = new Uint8Array(Math.max(64 * 1024, rest.length * 2));
    copy.set(rest);
    this.store = copy;
    this.len = rest.length;
  }

  private append(data: Uint8Array): void {
    if (this.len + data.length > this.store.length) {
      const grown = new Uint8Array(Math.max(this.store.length * 2, this.len + data.length));
      grown.set(this.buf);
      this.store = grown;
    }
    this.store.set(data, this.len);
    this.len += data.length;
  }

  /** Write what the socket would not take earlier; keep the rest for the next drain. */
  private flushOut(): void {
    while (this.out.length > 0) {
      const next = this.out[0]!;
      const n = this.socket.write(next);
      if (n < 0) return;
      if (n < next.length) {
        this.out[0] = next.subarray(n);
        return;
      }
      this.out.shift();
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Send bytes, honouring backpressure: what the socket does not take waits for drain. */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    if (this.out.length > 0) {
      this.out.push(bytes.slice());
      return;
    }
    const n = this.socket.write(bytes);
    if (n >= 0 && n < bytes.length) this.out.push(bytes.slice(n));
  }

  /** Send one command and return its raw reply as a latin1 string. */
  async call(...args: Array<string | Uint8Array>): Promise<string> {
    this.write(encodeCommand(args));
    return (await this.readReplies(1))[0]!;
  }

  /** Send one command; its reply and the RESP3 pushes that came before it, in order. */
  async readRepliesAfter(...args: Array<string | Uint8Array>): Promise<string[]> {
    this.write(encodeCommand(args));
    const out: string[] = [];
    do out.push((await this.readReplies(1))[0]!);
    while (out[out.length - 1]!.startsWith(">"));
    return out;
  }

  /** Wait for `n` complete replies (20 s at most) and return them as latin1 strings. */
  async readReplies(n: number, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    // Replies are parsed as they arrive, each once: a server sends a long pipeline's replies
    // over many writes, and parsing from the start at each was quadratic.
    const out: string[] = [];
    let pos = 0;
    for (;;) {
      const buf = this.buf;
      while (out.length < n) {
        const len = replyLength(buf, pos);
        if (len < 0) break;
        out.push(latin1(buf, pos, pos + len));
        pos += len;
      }
      if (out.length === n) {
        this.buf = this.buf.subarray(pos);
        return out;
      }
      if (this.closed) throw new Error(`connection closed after ${out.length} of ${n} replies`);
      if (Date.now() > deadline) throw new Error(`timed out after ${out.length} of ${n} replies`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Everything received until the server closes the connection (20 s at most). */
  async readUntilClose(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    if (!this.closed) throw new Error("the server did not close the connection");
    return Buffer.from(this.buf).toString("latin1");
  }

  /** How many complete replies have arrived and not been taken. */
  pendingReplies(): number {
    let count = 0;
    for (let pos = 0, len = replyLength(this.buf, 0); len >= 0; len = replyLength(this.buf, pos)) {
      pos += len;
      count++;
    }
    return count;
  }

  /** What has arrived and not been taken, left in place. */
  peekAll(): string {
    return Buffer.from(this.buf).toString("latin1");
  }

  /** Everything received and not yet consumed, as a byte string; the buffer is emptied. */
  takeAll(): string {
    const out = Buffer.from(this.buf).toString("latin1");
    this.len = 0;
    return out;
  }

  close(): void {
    this.socket.end();
  }
}

/** A decoded RESP2 reply: strings for simple and bulk strings, numbers, arrays, null, or an error. */
export type Decoded = string | number | null | { error: string } | Decoded[];

/**
 * Decode one whole RESP2 or RESP3 reply (as RawClient.call returns it). RESP3 sets and
 * pushes decode as arrays, maps as flat [key, value, ...] arrays, doubles as strings.
 */
export function decodeReply(raw: string): Decoded {
  let pos = 0;
  const line = (): string => {
    const end = raw.indexOf("\r\n", pos);
    const text = raw.slice(pos, end);
    pos = end + 2;
    return text;
  };
  const read = (): Decoded => {
    const type = raw[pos++];
    const head = line();
    switch (type) {
      case "+":
        return head;
      case "-":
        return { error: head };
      case ":":
        return Number(head);
      case "$": {
        const n = Number(head);
        if (n < 0) return null;
        const s = raw.slice(pos, pos + n);
        pos += n + 2;
        return s;
      }
      case "*":
      case "~":
      case ">": {
        const n = Number(head);
        if (n < 0) return null;
        return Array.from({ length: n }, read);
      }
      case "%":
        return Array.from({ length: Number(head) * 2 }, read);
      case "_":
        return null;
      case ",":
        return head;
      case "#":
        return head === "t" ? 1 : 0;
      default:
        throw new Error(`cannot decode ${JSON.stringify(raw)}`);
    }
  };
  return read();
}
