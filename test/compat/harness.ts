/**
 * Differential testing: the same commands go to an in-process KVIS and to a real
 * redis-server 7, and the raw reply bytes must be identical, errors included.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, type InProcessKvis, startKvis, startRedis } from "../helpers/servers.ts";

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
}

/** Start one KVIS and one Redis for the whole file (stopped in afterAll). */
export function usePair(kvisOptions: Record<string, string> = {}, redisArgs: string[] = []): () => Pair {
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
 * Several connections to each server play the same script: [connection index, raw bytes].
 * After every step, what each connection has received must match between the servers,
 * except after a step marked with a leading "~" (HELLO: its reply carries the client id).
 */
export async function sameScene(p: Pair, connections: number, steps: Array<[number, string]>): Promise<void> {
  const clients: Array<[RawClient, RawClient]> = [];
  for (let i = 0; i < connections; i++) clients.push(await p.connectBoth());
  try {
    for (const [who, step] of steps) {
      const [k, r] = clients[who]!;
      const compare = !step.startsWith("~");
      const bytes = compare ? step : step.slice(1);
      k.write(bytes);
      r.write(bytes);
      // Redis checks timeouts of blocked clients on its cron (hz 10): a step with a short
      // timeout (0.01 s, or XREAD's BLOCK 10 ms) gets time to expire.
      await Bun.sleep(/0\.01|BLOCK 10\b/.test(bytes) ? 300 : 40);
      // On a loaded machine one server may answer later: give it up to a second more
      // before comparing (the comparison itself is unchanged).
      for (let waited = 0; compare && waited < 1000 && clients.some(([kc, rc]) => kc.peekAll() !== rc.peekAll()); waited += 20) await Bun.sleep(20);
      for (const [i, [kc, rc]] of clients.entries()) {
        const out = { step: bytes, connection: i };
        const [a, b] = [kc.takeAll(), rc.takeAll()];
        if (compare) expect({ ...out, got: a }).toEqual({ ...out, got: b });
      }
    }
  } finally {
    for (const [k, r] of clients) {
      k.close();
      r.close();
    }
  }
}
