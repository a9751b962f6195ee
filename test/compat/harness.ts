/**
 * Differential testing: the same commands go to an in-process KVIS and to a real
 * redis-server 7, and the raw reply bytes must be identical, errors included.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, type InProcessKvis, serverTestTimeout, startKvis, startRedis, waitBlocked, waitExpired, waitFor } from "../helpers/servers.ts";

export interface Pair {
  kvis: RawClient;
  redis: RawClient;
  /** Send to both; expect identical raw replies; return the reply. */
  same(...args: string[]): Promise<string>;
  /**
   * Run a script of commands, one per line, arguments split on spaces ("" quotes an
   * argument with spaces or an empty one), comparing every reply.
   */
  script(text: string): Promise<void>;
  /** Send to both; return both replies for a custom comparison. */
  both(...args: string[]): Promise<[kvis: string, redis: string]>;
  /** Send raw bytes to both and compare everything up to the server closing the connection. */
  sameRawUntilClose(bytes: string): Promise<string>;
  /** Another connection to each server (a second client), closed by the caller. */
  connectBoth(): Promise<[kvis: RawClient, redis: RawClient]>;
  /** Send raw bytes to both and compare the next `n` replies. */
  sameRaw(bytes: string, n: number): Promise<string[]>;
  /**
   * Wait until both servers are done with everything sent to them so far and this process
   * has read all they wrote to `watched` (see settle below).
   */
  settle(watched: RawClient[]): Promise<void>;
  /** Wait until `n` clients of each server are blocked (INFO clients' blocked_clients). */
  blocked(n: number): Promise<void>;
  /** Wait until `key` has expired on both servers, without touching it. */
  expired(key: string): Promise<void>;
  /**
   * Run `script` as script() does and expect both servers' change counters (INFO's
   * rdb_changes_since_last_save, what save points count) to grow by as much.
   */
  sameDirtyGrowth(script: string): Promise<void>;
  /**
   * WATCH `key`, have another client send `write` (its replies compared), then run MULTI,
   * `read` and EXEC, comparing each reply: whether the write fails the transaction.
   */
  sameAfterWatchedWrite(key: string, write: string[], read: string[]): Promise<void>;
}

/** Start one KVIS and one Redis for the whole file (stopped in afterAll). */
export function usePair(kvisOptions: Record<string, string> = {}, redisArgs: string[] = []): () => Pair {
  serverTestTimeout();
  let kvis: InProcessKvis | undefined;
  let redis: ChildServer | undefined;
  let pair: Pair | undefined;
  beforeAll(async () => {
    kvis = await startKvis(kvisOptions);
    redis = await startRedis(redisArgs);
    const k = await RawClient.connect(kvis.port);
    const r = await RawClient.connect(redis.port);
    const kPort = kvis.port;
    const rPort = redis.port;
    pair = {
      kvis: k,
      redis: r,
      async both(...args) {
        return Promise.all([k.call(...args), r.call(...args)]);
      },
      async same(...args) {
        const [a, b] = await this.both(...args);
        if (a !== b) {
          // A plain message names the command and both replies; a structural diff hides them.
          throw new Error(`replies differ for ${JSON.stringify(args)}\n  kvis:  ${JSON.stringify(a)}\n  redis: ${JSON.stringify(b)}`);
        }
        expect(a).toBe(b);
        return a;
      },
      async script(text) {
        for (const line of text.split("\n")) {
          const args = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
          if (args.length > 0) await this.same(...args);
        }
      },
      connectBoth() {
        return Promise.all([RawClient.connect(kPort), RawClient.connect(rPort)]);
      },
      async sameRaw(bytes, n) {
        const [a, b] = await Promise.all([
          RawClient.connect(kPort).then(async (c) => { c.write(bytes); try { return await c.readReplies(n); } finally { c.close(); } }),
          RawClient.connect(rPort).then(async (c) => { c.write(bytes); try { return await c.readReplies(n); } finally { c.close(); } }),
        ]);
        expect({ input: bytes, replies: a }).toEqual({ input: bytes, replies: b });
        return a;
      },
      settle(watched) {
        return settle([k, r], watched);
      },
      async blocked(n) {
        await Promise.all([waitBlocked(kPort, n), waitBlocked(rPort, n)]);
      },
      async expired(key) {
        await Promise.all([waitExpired(k, key), waitExpired(r, key)]);
      },
      async sameDirtyGrowth(script) {
        const dirty = async () => (await this.both("INFO", "persistence")).map((info) => Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]));
        const before = await dirty();
        await this.script(script);
        const after = await dirty();
        expect({ script, kvis: after[0]! - before[0]! }).toEqual({ script, kvis: after[1]! - before[1]! });
      },
      async sameAfterWatchedWrite(key, write, read) {
        const [k2, r2] = await this.connectBoth();
        try {
          await this.same("WATCH", key);
          expect(await k2.call(...write)).toBe(await r2.call(...write));
          await this.same("MULTI");
          await this.same(...read);
          await this.same("EXEC");
        } finally {
          k2.close();
          r2.close();
        }
      },
      async sameRawUntilClose(bytes) {
        const [a, b] = await Promise.all([
          RawClient.connect(kPort).then((c) => { c.write(bytes); return c.readUntilClose(); }),
          RawClient.connect(rPort).then((c) => { c.write(bytes); return c.readUntilClose(); }),
        ]);
        expect({ input: bytes, output: a }).toEqual({ input: bytes, output: b });
        return a;
      },
    };
  });
  afterAll(async () => {
    pair?.kvis.close();
    pair?.redis.close();
    await kvis?.stop();
    await redis?.stop();
  });
  return () => pair!;
}

/** One request in RESP, for sameScene steps. */
export const req = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/**
 * Wait for quiet: a command's effects on other connections (pushes, woken waiters,
 * invalidations) are written in the event-loop turn that runs it, so once a PING round trip
 * on each server's `control` connection leaves what every watched connection has received
 * unchanged, nothing more is on its way. Two round trips at least: the first may overtake a
 * step sent just before it on another socket. What a server's cron does later (a blocking
 * timeout, active expiry) is not covered: wait for that answer first.
 */
async function settle(control: RawClient[], watched: RawClient[]): Promise<void> {
  const received = () => watched.map((c) => c.peekAll().length).join(",");
  let before = received();
  let rounds = 0;
  await waitFor(async () => {
    await Promise.all(control.map((c) => c.call("PING")));
    const after = received();
    const quiet = ++rounds >= 2 && after === before;
    before = after;
    return quiet;
  }, 20_000, "the connections to go quiet");
}

/**
 * Several connections to each server play the same script: [connection index, raw bytes].
 * After every step, what each connection has received must match between the servers,
 * except after a step marked with a leading "~" (HELLO: its reply carries the client id).
 * A step may also be a function: a state to wait for (a key's expiry) before going on.
 */
export async function sameScene(p: Pair, connections: number, steps: Array<[number, string] | (() => Promise<void>)>): Promise<void> {
  const clients: Array<[RawClient, RawClient]> = [];
  for (let i = 0; i < connections; i++) clients.push(await p.connectBoth());
  let received = 0;
  try {
    for (const entry of steps) {
      if (typeof entry === "function") {
        await entry();
        continue;
      }
      const [who, step] = entry;
      const [k, r] = clients[who]!;
      const compare = !step.startsWith("~");
      const bytes = compare ? step : step.slice(1);
      k.write(bytes);
      r.write(bytes);
      // A short timeout (0.01 s, or XREAD's BLOCK 10 ms) is answered when each server's
      // cron notices it: wait for both answers.
      if (/0\.01|BLOCK 10\b/.test(bytes)) await waitFor(() => k.pendingReplies() > 0 && r.pendingReplies() > 0, 20_000, `the timeout of ${JSON.stringify(bytes)}`);
      await p.settle(clients.flat());
      for (const [i, [kc, rc]] of clients.entries()) {
        const out = { step: bytes, connection: i };
        const [a, b] = [kc.takeAll(), rc.takeAll()];
        received += a.length;
        if (compare) expect({ ...out, got: a }).toEqual({ ...out, got: b });
      }
    }
    // A scene in which nothing answered would prove nothing.
    expect(received).toBeGreaterThan(0);
  } finally {
    for (const [k, r] of clients) {
      k.close();
      r.close();
    }
  }
}
