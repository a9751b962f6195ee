/**
 * MIGRATE against Redis 7.0: KVIS and Redis each move keys to a real redis-server of their
 * own, and the replies, what stays behind and what arrives must be the same.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, freePort, startRedis, waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
let targets: [ChildServer, ChildServer];
let clients: [RawClient, RawClient];

beforeAll(async () => {
  targets = [await startRedis(), await startRedis()];
  clients = [await RawClient.connect(targets[0].port), await RawClient.connect(targets[1].port)];
});
afterAll(async () => {
  for (const c of clients ?? []) c.close();
  await Promise.all((targets ?? []).map((t) => t.stop()));
});
beforeEach(async () => {
  await pair().same("FLUSHALL");
  for (const c of clients) await c.call("FLUSHALL");
});

/** MIGRATE from each source to its own target (`args` after host and port); the replies must match. */
async function sameMigrate(...args: string[]): Promise<string> {
  const p = pair();
  const [k, r] = await Promise.all([
    p.kvis.call("MIGRATE", "127.0.0.1", String(targets[0].port), ...args),
    p.redis.call("MIGRATE", "127.0.0.1", String(targets[1].port), ...args),
  ]);
  expect({ args, reply: k }).toEqual({ args, reply: r });
  return k;
}

/** The same command on both targets must answer the same. */
async function sameOnTargets(...args: string[]): Promise<void> {
  const [k, r] = await Promise.all(clients.map((c) => c.call(...args)));
  expect({ args, reply: k }).toEqual({ args, reply: r });
}

describe("MIGRATE", () => {
  test("moves, copies and replaces keys, and answers the target's errors", async () => {
    const p = pair();
    await p.script(`SET a 1
RPUSH l x y z
HSET h f v
SET e v PX 100000`);
    expect(await sameMigrate("a", "0", "1000")).toBe("+OK\r\n");
    await p.same("EXISTS", "a");
    await sameOnTargets("GET", "a");
    expect(await sameMigrate("", "2", "1000", "COPY", "KEYS", "l", "e", "nosuch")).toBe("+OK\r\n");
    await p.same("EXISTS", "l", "e");
    await sameOnTargets("SELECT", "2");
    await sameOnTargets("LRANGE", "l", "0", "-1");
    const ttls = await Promise.all(clients.map((c) => c.call("PTTL", "e")));
    for (const ttl of ttls) expect(Number(ttl.slice(1))).toBeGreaterThan(90_000);
    await sameMigrate("", "2", "1000", "KEYS", "l");
    await p.same("EXISTS", "l");
    await sameMigrate("", "2", "1000", "REPLACE", "KEYS", "l", "h");
    await p.same("EXISTS", "l", "h");
    await sameOnTargets("HGETALL", "h");
    await sameMigrate("nosuch", "0", "1000");
    await sameMigrate("e", "0", "1000", "AUTH", "secret");
    await sameMigrate("e", "0", "1000", "AUTH2", "user", "secret");
    await p.same("EXISTS", "e");
    // One connection to the target, kept for the next MIGRATE.
    const cached = async (c: RawClient) => /migrate_cached_sockets:(\d+)/.exec(await c.call("INFO", "stats"))![1];
    expect(await cached(p.kvis)).toBe(await cached(p.redis));
  });

  test("argument errors in Redis's order, and a target that is not there", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    for (const args of [
      ["k", "0", "1000", "FOO"], ["k", "0", "1000", "KEYS", "k"], ["k", "0", "1000", "AUTH"], ["k", "0", "1000", "AUTH2", "u"],
      ["k", "0", "abc"], ["k", "x", "1000"], ["k", "0", "1000", "COPY", "REPLACE", "BAD"],
    ]) {
      await sameMigrate(...args);
    }
    const closed = String(freePort());
    await p.same("MIGRATE", "127.0.0.1", closed, "k", "0", "200");
    await p.same("EXISTS", "k");
  });

  test("other clients wait while a transfer runs, as behind Redis's blocking MIGRATE", async () => {
    const p = pair();
    await p.same("SET", "moving", "v");
    // A target that takes the RESTORE and answers only when told to.
    let received = "";
    let answer: (() => void) | undefined;
    const fake = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(socket, chunk) {
          received += Buffer.from(chunk).toString("latin1");
          // One +OK for each request (a SELECT comes first on a new connection).
          const requests = received.match(/\*\d+\r\n\$\d+\r\n[A-Z]+\r\n/g)?.length ?? 0;
          if (received.includes("RESTORE")) answer = () => socket.write("+OK\r\n".repeat(requests));
        },
      },
    });
    const [other, unused] = await p.connectBoth();
    unused.close();
    try {
      const migrated = p.kvis.call("MIGRATE", "127.0.0.1", String(fake.port), "moving", "0", "20000");
      await waitFor(() => answer !== undefined, 20_000, "the RESTORE at the target");
      // Sent while the transfer waits: served after it, so the key is gone.
      const read = other.call("GET", "moving");
      answer!();
      expect(await migrated).toBe("+OK\r\n");
      expect(await read).toBe("$-1\r\n");
    } finally {
      other.close();
      fake.stop(true);
    }
  });
});
