import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "../helpers/servers.ts";
import { req, sameScene, usePair } from "./harness.ts";

const pair = usePair();
afterEach(async () => {
  await pair().same("CONFIG", "SET", "notify-keyspace-events", "");
});

/**
 * With `flags` set, run `script` on one connection and compare what a PSUBSCRIBEr to every
 * event receives, once at least `atLeast` messages have arrived from each server.
 */
async function sameEvents(flags: string, script: string[][], atLeast = 1): Promise<void> {
  const p = pair();
  await p.same("FLUSHALL");
  await p.same("CONFIG", "SET", "notify-keyspace-events", flags);
  const [ks, rs] = await p.connectBoth();
  try {
    for (const c of [ks, rs]) c.write("PSUBSCRIBE __key*\r\n");
    expect(await ks.readReplies(1)).toEqual(await rs.readReplies(1));
    for (const cmd of script) {
      const [a, b] = await p.both(...cmd);
      expect({ cmd, reply: a }).toEqual({ cmd, reply: b });
    }
    await waitFor(() => ks.pendingReplies() >= atLeast && rs.pendingReplies() >= atLeast, 20_000, `${atLeast} events from each server`);
    await p.settle([ks, rs]);
    expect(ks.takeAll()).toBe(rs.takeAll());
  } finally {
    ks.close();
    rs.close();
  }
}

const s = (line: string) => line.split(" ");

describe("keyspace notifications", () => {
  test("CONFIG SET and GET of the flags", async () => {
    const p = pair();
    for (const v of ["Kg", "g", "KEA", "Elx", "KE$lshzxetd", "KEn", "Kq", "Am", "KEmn", "mnx", ""]) {
      await p.same("CONFIG", "SET", "notify-keyspace-events", v);
      await p.same("CONFIG", "GET", "notify-keyspace-events");
    }
  });

  test("a script's writes notify as the same commands do, in the script's database", async () => {
    await sameEvents("KEA", [
      ["EVAL", "redis.call('set', KEYS[1], 'v') redis.call('lpush', 'l', 'a') redis.call('select', 3) redis.call('incr', 'n') return 1", "1", "k"],
      ["EVAL", "redis.call('del', 'l') return redis.call('expire', KEYS[1], 100)", "1", "k"],
    ], 6);
  });

  test("string, generic and expiry events in Redis's order", async () => {
    await sameEvents("KEA", [
      s("SET a 1"), s("SET a 2 EX 100"), s("SETEX b 10 x"), s("SETNX c 1"), s("SETNX c 2"), s("MSET d 1 e 2"), s("DEL a b nothere"),
      s("INCR n"), s("DECRBY n 5"), s("INCRBYFLOAT n 1.5"), s("APPEND s hi"), s("SETRANGE s 5 x"), s("SETBIT bits 3 1"),
      s("RENAME n m"), s("EXPIRE m 100"), s("PERSIST m"), s("PERSIST m"), s("EXPIRE m -1"), s("GETDEL s"), s("SET g v"),
      s("GETEX g EX 50"), s("GETEX g PERSIST"), s("GETSET g w"), s("UNLINK g"),
    ]);
  });

  test("aggregate events, with del when a removal empties the key", async () => {
    await sameEvents("KEA", [
      s("LPUSH l a b"), s("RPUSH l c"), s("LPUSHX l z"), s("LSET l 0 y"), s("LINSERT l BEFORE c q"), s("LREM l 1 q"), s("LTRIM l 0 1"),
      s("LPOP l"), s("RPOP l"), s("HSET h f v g w"), s("HSETNX h f x"), s("HINCRBY h n 2"), s("HINCRBYFLOAT h x 1.5"), s("HDEL h f g n x"),
      s("SADD st a b"), s("SREM st a"), s("SPOP st"), s("ZADD z 1 a 2 b"), s("ZADD z INCR 5 a"), s("ZINCRBY z 1 b"), s("ZREM z a"),
      s("ZPOPMIN z"), s("ZADD z 1 x 2 y"), s("ZPOPMAX z 5"),
    ]);
  });

  test("pops that empty a small list held in its key's cell: lpop or rpop, then del; a pop of no list, nothing", async () => {
    await sameEvents("KEA", [s("RPUSH p a"), s("LPOP p"), s("LPOP p"), s("LPUSH q a b"), s("RPOP q"), s("RPOP q"), s("RPOP nolist"), s("SET end 1")], 7);
  });

  test("LTRIM announces a trim that removed nothing, and del after one that removed all; LREM only what it removed", async () => {
    await sameEvents("KEA", [
      s("RPUSH l a b c"), s("LTRIM l 0 -1"), s("LTRIM l 1 -1"), s("LTRIM nolist 0 1"), s("LREM l 0 x"), s("LREM l 1 b"), s("LTRIM l 5 6"), s("SET end 1"),
    ], 8);
  });

  test("LMOVE and RPOPLPUSH between small lists: the push, the pop, and the del of an emptied source", async () => {
    await sameEvents("KEA", [s("RPUSH a x y"), s("RPUSH b z"), s("LMOVE a b LEFT RIGHT"), s("RPOPLPUSH a new"), s("RPOPLPUSH a b"), s("LMOVE b b LEFT RIGHT"), s("SET end 1")], 9);
  });

  test("removals that empty small hashes, sets and sorted sets held in their keys' cells; zincr, and none for an increment of 0", async () => {
    await sameEvents("KEA", [
      s("HSET h f v g w"), s("HDEL h f nope"), s("HDEL h g"), s("HDEL h g"), s("SADD st 1 a"), s("SREM st a"), s("SREM st 1"), s("SREM st 1"),
      s("ZADD z 1 a 2 b"), s("ZINCRBY z 2 a"), s("ZINCRBY z 0 a"), s("ZADD z XX CH 5 b"), s("ZREM z a b"), s("ZREM z a"), s("SADD sp x"), s("SPOP sp"), s("SPOP sp"), s("SET end 1"),
    ], 18);
  });

  test("stream events: xadd, xtrim, xdel, xsetid, xgroup-*, consumers created by reads and claims", async () => {
    await sameEvents("KEA", [
      s("XADD st 1-1 f 1"), s("XADD st MAXLEN 1 2-1 f 2"), s("XADD st 3-1 f 3"), s("XDEL st 3-1"), s("XDEL st 9-9"), s("XTRIM st MAXLEN 0"),
      s("XTRIM st MAXLEN 0"), s("XSETID st 10-0"), s("XADD st 11-1 f 1"), s("XGROUP CREATE st g 0"), s("XGROUP CREATE fresh g $ MKSTREAM"),
      s("XGROUP SETID st g 0"), s("XGROUP CREATECONSUMER st g c1"), s("XREADGROUP GROUP g c2 STREAMS st >"), s("XCLAIM st g c3 0 11-1"),
      s("XAUTOCLAIM st g c4 0 0"), s("XACK st g 11-1"), s("XGROUP DELCONSUMER st g c1"), s("XGROUP DESTROY st g"), s("XADD st NOMKSTREAM 12-1 f 1"),
    ]);
  });

  test("stores, moves, copies, range removals, multi-pops and HyperLogLogs", async () => {
    await sameEvents("KEA", [
      s("RPUSH l a b c"), s("SADD s1 a b"), s("SADD s2 b c"), s("ZADD z 1 a 2 b 3 c"), s("SORT l ALPHA STORE sorted"), s("SINTERSTORE si s1 s2"),
      s("SUNIONSTORE su s1 s2"), s("SDIFFSTORE sd s1 s2"), s("SINTERSTORE empty s1 nosuch"), s("SINTERSTORE si s1 nosuch"), s("ZUNIONSTORE zu 1 z"),
      s("ZINTERSTORE zi 1 z"), s("ZDIFFSTORE zd 1 z"), s("ZRANGESTORE zr z 0 1"), s("COPY l lcopy"), s("MOVE lcopy 1"), s("LMOVE l l2 LEFT RIGHT"),
      s("RPOPLPUSH l l2"), s("SMOVE s1 s3 a"), s("ZREMRANGEBYRANK z 0 0"), s("ZREMRANGEBYSCORE z 2 2"), s("ZADD zl 0 a 0 b"),
      s("ZREMRANGEBYLEX zl - +"), s("LMPOP 1 l2 LEFT"), s("ZADD zz 1 a"), s("ZMPOP 1 zz MAX"), s("SET b1 a"), s("BITOP AND b2 b1"),
      s("BITFIELD bf SET u8 0 1"), s("PFADD h a"), s("PFMERGE h2 h"), s("SADD single x"), s("SPOP single 1"), s("LPUSH lp x"), s("LTRIM lp 1 0"), s("BITOP AND b2 nosuch"),
      s("RPUSH bl x y"), s("BLPOP bl 0"), s("BRPOP bl 0"), s("ZADD bz 1 a"), s("BZPOPMIN bz 0"), s("RPUSH bm a"), s("BLMPOP 0 1 bm RIGHT"),
      s("RPUSH bv a"), s("BLMOVE bv bw RIGHT LEFT 0"), s("SADD lone m"), s("SMOVE lone s3 m"),
    ]);
  });

  test("a RESP3 client listening to its own events gets them before or after each reply as Redis writes them", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const commands = [
      "SET s 1", "SET n 5", "APPEND s x", "INCR n", "DECRBY n 2", "INCRBYFLOAT n 1.5", "SETRANGE s 1 q", "GETSET s 4", "SETBIT bm 2 1", "PFADD hl a", "PFMERGE hl2 hl",
      "RPUSH l a b c", "LINSERT l BEFORE b w", "LREM l 1 w", "LMOVE l l2 LEFT RIGHT", "RPOPLPUSH l l2", "LTRIM l 0 0", "HSET h f 1 g 2", "HDEL h g", "HDEL h f",
      "SADD st a", "SPOP st", "SADD st a b c", "SREM st a", "ZADD z 1 a 2 b 3 c", "ZINCRBY z 1 a", "ZREM z b", "ZREMRANGEBYSCORE z 0 1", "ZUNIONSTORE z2 1 z",
      "ZRANGESTORE z3 z 0 -1", "XADD x 1-1 f v", "XGROUP CREATE x g $", "XGROUP SETID x g 0", "XGROUP DESTROY x g", "XSETID x 5-0", "SET e v", "EXPIRE e 100",
      "PEXPIREAT e 4102444800000", "PERSIST e", "SET e w GET", "ZADD p 1 a 2 b 3 c 4 d", "ZPOPMIN p", "ZPOPMAX p 2", "ZMPOP 1 p MIN COUNT 5",
      "MULTI", "INCR q", "EXPIRE q 100", "EXEC",
    ];
    await sameScene(p, 1, [[0, `~${req("HELLO", "3")}`], [0, req("PSUBSCRIBE", "__keyevent@0__:*", "__keyspace@0__:*")], ...commands.map((c): [number, string] => [0, req(...c.split(" "))])]);
  });

  test("class filters, keyspace or keyevent only, and new keys", async () => {
    for (const flags of ["Kg", "E$", "Kl", "KEn", "Ex"]) {
      // Nothing in the script expires: with "Ex" no event is due.
      await sameEvents(flags, [s("SET a 1"), s("DEL a"), s("LPUSH l x"), s("LPOP l"), s("SET t v PX 100000"), s("DEL t")], flags === "Ex" ? 0 : 1);
    }
  });

  test("a read of a missing key announces keymiss (m), OBJECT's does not; a write command's sources are reads", async () => {
    const script = ["GET nokey", "MGET a nokey b", "EXISTS nokey", "TTL nokey", "SET a 1", "GET a", "OBJECT ENCODING nokey", "GETSET g v", "SET g2 v GET", "SADD s1 x",
      "SINTERSTORE d s1 nos", "ZUNIONSTORE d 2 noz s1", "SDIFFSTORE d nos s1", "LRANGE nol 0 -1", "HGET noh f"].map(s);
    for (const flags of ["Km", "Em", "KEA", "KEAm"]) await sameEvents(flags, script, flags === "KEA" ? 1 : 13);
    // The same reads as hits and misses in INFO.
    const p = pair();
    const stats = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0]);
    await p.same("CONFIG", "RESETSTAT");
    for (const cmd of script) await p.both(...cmd);
    const [k, r] = await stats();
    expect(k).toBe(r);
    // A RESP3 client listening to its own keymiss events gets each before the reply, with
    // the set's event after it (SET ... GET, GETSET).
    await p.same("FLUSHALL");
    await p.same("CONFIG", "SET", "notify-keyspace-events", "KEAm");
    const own = ["GET nokey", "SET g v GET", "GETSET g3 v", "SINTERSTORE d nos1 nos2", "LRANGE nol 0 -1", "MGET x y"];
    await sameScene(p, 1, [[0, `~${req("HELLO", "3")}`], [0, req("PSUBSCRIBE", "__keyevent@0__:*", "__keyspace@0__:*")], ...own.map((c): [number, string] => [0, req(...c.split(" "))])]);
  });

  test("reads of a missing hash, sorted set, list, set or string answer, count and announce the miss as Redis's", async () => {
    const reads = [
      "HGET noh f", "HMGET noh f g", "HGETALL noh", "HKEYS noh", "HVALS noh", "HEXISTS noh f", "HLEN noh", "HSTRLEN noh f",
      "ZSCORE noz m", "ZMSCORE noz m n", "ZCARD noz", "ZCOUNT noz -inf +inf", "ZLEXCOUNT noz - +", "ZRANK noz m", "ZREVRANK noz m",
      "ZRANGE noz 0 -1 WITHSCORES", "ZRANGE noz (1 5 BYSCORE REV LIMIT 0 2", "ZRANGEBYLEX noz - +", "ZREVRANGEBYSCORE noz +inf -inf WITHSCORES",
      "LLEN nol", "LRANGE nol 0 -1", "LPOS nol x", "LPOS nol x COUNT 0 RANK -1", "SISMEMBER nos m", "SMISMEMBER nos m n", "SMEMBERS nos", "SCARD nos", "STRLEN nostr",
    ].map(s);
    await sameEvents("Km", reads, reads.length);
    // Their arguments are still checked, and in RESP3 they answer in its types; hits and misses count alike.
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    await p.both("HELLO", "3");
    for (const cmd of [...reads, s("ZCOUNT noz x 1"), s("ZRANGE noz 0 x"), s("LRANGE nol 0 x"), s("LPOS nol x RANK 0"), s("ZLEXCOUNT noz a b")]) await p.same(...cmd);
    await p.both("HELLO", "2");
    const stats = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0]);
    const [k, r] = await stats();
    expect(k).toBe(r);
  });

  test("keys loaded by DEBUG RELOAD are not announced as new", async () => {
    await sameEvents("KEn", [s("SET k v"), s("SET t v EX 1000"), s("DEBUG RELOAD"), s("SET after v")], 3);
  });

  test("a key that expires untouched announces expired", async () => {
    // Both servers' active expiry finds it: one keyspace and one keyevent message each. One
    // key only: Redis samples expiring keys at random, so several expire in any order.
    await sameEvents("KEx", [s("SET t v PX 10")], 2);
  });
});
