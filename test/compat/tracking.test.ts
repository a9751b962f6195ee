/**
 * Client-side caching against Redis 7.0: CLIENT TRACKING in the default mode and in BCAST
 * mode, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, invalidations of a client's own writes
 * (after its reply, after a whole EXEC), FLUSHALL, expiry, REDIRECT to a RESP2 subscriber
 * and to a closed client, and every option error.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { waitFor } from "../helpers/servers.ts";
import { req, sameScene, usePair } from "./harness.ts";

const pair = usePair({ "enable-debug-command": "yes" }, ["--enable-debug-command", "yes"]);
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

/** HELLO 3's reply carries the connection id: not compared. */
const HELLO3 = `~${req("HELLO", "3")}`;

describe("CLIENT TRACKING, default mode", () => {
  test("a read key is invalidated once, by others' writes and (after the reply) by one's own", async () => {
    await sameScene(pair(), 2, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON")],
      [0, req("GET", "a")],
      [0, req("MGET", "b", "c")],
      [0, req("HGETALL", "h")],
      [1, req("SET", "a", "1")],
      [1, req("SET", "a", "2")],
      [1, req("DEL", "b", "c")],
      [1, req("HSET", "h", "f", "v")],
      [0, req("GET", "a")],
      [0, req("SET", "a", "3")],
      [0, req("CLIENT", "TRACKINGINFO")],
      [0, req("CLIENT", "GETREDIR")],
      [0, req("GET", "a")],
      [1, req("FLUSHALL")],
      [0, req("GET", "a")],
      [0, req("FLUSHDB")],
      [0, req("CLIENT", "TRACKING", "OFF")],
      [0, req("CLIENT", "TRACKINGINFO")],
      [0, req("CLIENT", "GETREDIR")],
      [1, req("SET", "a", "4")],
    ]);
  });

  test("inside MULTI the invalidations of one's own keys follow EXEC's reply", async () => {
    await sameScene(pair(), 1, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON")],
      [0, req("GET", "a")],
      [0, req("GET", "b")],
      [0, req("MULTI")],
      [0, req("SET", "a", "1")],
      [0, req("GET", "a")],
      [0, req("SET", "b", "1")],
      [0, req("EXEC")],
    ]);
  });

  test("a flush's invalidation held for the running client comes after EXEC's reply even if the transaction turned tracking off", async () => {
    await sameScene(pair(), 1, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON", "NOLOOP")],
      [0, req("MULTI")],
      [0, req("FLUSHDB")],
      [0, req("CLIENT", "TRACKING", "OFF")],
      [0, req("EXEC")],
      [0, req("PING")],
    ]);
  });

  test("two keys a command changes are invalidated in Redis's order: RENAME's source first, LMOVE's destination first", async () => {
    const readAll = req("MGET", "a", "b", "l1", "l2", "s1", "s2");
    await sameScene(pair(), 2, [
      [1, HELLO3],
      [1, req("CLIENT", "TRACKING", "ON")],
      [0, req("SET", "a", "1")], [0, req("RPUSH", "l1", "x", "y")], [0, req("SADD", "s1", "m")],
      [1, readAll], [0, req("RENAME", "a", "b")],
      [1, readAll], [0, req("LMOVE", "l1", "l2", "LEFT", "RIGHT")],
      [1, readAll], [0, req("RPOPLPUSH", "l1", "l2")],
      [1, readAll], [0, req("SMOVE", "s1", "s2", "m")],
      [1, readAll], [0, req("RENAMENX", "b", "a")],
    ]);
  });

  test("OPTIN, OPTOUT and CLIENT CACHING pick the reads that are tracked; NOLOOP skips one's own writes", async () => {
    await sameScene(pair(), 2, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP")],
      [0, req("GET", "a")],
      [0, req("CLIENT", "CACHING", "YES")],
      [0, req("CLIENT", "TRACKINGINFO")],
      [0, req("GET", "b")],
      [0, req("GET", "c")],
      [1, req("MSET", "a", "1", "b", "1", "c", "1")],
      [0, req("CLIENT", "CACHING", "YES")],
      [0, req("GET", "b")],
      [0, req("SET", "b", "2")],
      [0, req("CLIENT", "TRACKING", "OFF")],
      [0, req("CLIENT", "TRACKING", "ON", "OPTOUT")],
      [0, req("CLIENT", "CACHING", "NO")],
      [0, req("GET", "x")],
      [0, req("GET", "y")],
      [1, req("MSET", "x", "1", "y", "1")],
    ]);
  });

  test("an expired key is invalidated", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    try {
      for (const c of [k, r]) {
        await c.call("HELLO", "3");
        // Long enough to be read before it expires, however busy the machine: which server
        // expires it first does not matter, only what each tracker finally receives.
        expect(await c.call("SET", "k", "v", "PX", "1000")).toBe("+OK\r\n");
        expect(await c.call("CLIENT", "TRACKING", "ON")).toBe("+OK\r\n");
        expect(await c.call("GET", "k")).toBe("$1\r\nv\r\n");
      }
      // Once its time has passed, a read deletes it where active expiry has not yet.
      await p.expired("k");
      await p.same("GET", "k");
      await waitFor(() => k.pendingReplies() > 0 && r.pendingReplies() > 0, 20_000, "the invalidations");
      await p.settle([k, r]);
      const [a, b] = [k.takeAll(), r.takeAll()];
      expect(a).toBe(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
      expect(a).toBe(b);
    } finally {
      k.close();
      r.close();
    }
  });
});

describe("CLIENT TRACKING, who is current", () => {
  test("a script's writes are the caller's: NOLOOP skips them, else they follow EVAL's reply", async () => {
    const write = req("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "key1", "2");
    await sameScene(pair(), 2, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON", "NOLOOP")],
      [0, req("SET", "key1", "1")],
      [0, req("GET", "key1")],
      [0, write],
      [0, req("GET", "key1")],
      [0, req("CLIENT", "TRACKING", "OFF")],
      [0, req("CLIENT", "TRACKING", "ON")],
      [0, req("GET", "key1")],
      [0, write],
      [1, req("GET", "key1")],
    ]);
  });

  test("a BLMOVE served by another's push gets its reply, then the invalidation of its destination", async () => {
    await sameScene(pair(), 2, [
      [1, req("RPUSH", "list2", "a")],
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON")],
      [0, req("LRANGE", "list2", "0", "-1")],
      [0, req("BLMOVE", "list1", "list2", "LEFT", "LEFT", "0")],
      [1, req("RPUSH", "list1", "foo")],
    ]);
  });

  test("a write held by CLIENT PAUSE and released by another's UNPAUSE gets its reply, then its invalidation", async () => {
    await sameScene(pair(), 2, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON")],
      [0, req("GET", "k")],
      [1, req("CLIENT", "PAUSE", "100000", "WRITE")],
      [0, req("SET", "k", "v")],
      [1, req("CLIENT", "UNPAUSE")],
    ]);
  });

  test("a key evicted before a command is invalidated before that command's reply", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    try {
      const replies: string[] = [];
      for (const c of [k, r]) {
        await c.call("HELLO", "3");
        await c.call("CLIENT", "TRACKING", "ON");
        const used = Number(/used_memory:(\d+)/.exec(await c.call("INFO", "memory"))![1]);
        await c.call("CONFIG", "SET", "maxmemory", String(used + 100 * 1024));
        // The one key with a TTL is the only one volatile-random may evict.
        await c.call("CONFIG", "SET", "maxmemory-policy", "volatile-random");
        await c.call("SETEX", "volatile-key", "10000", "x");
        await c.call("GET", "volatile-key");
        await c.call("SETBIT", "big-key", "1600000", "0");
        replies.push((await c.readRepliesAfter("GETBIT", "big-key", "0")).join(""));
        await c.call("CONFIG", "SET", "maxmemory", "0");
        await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      }
      expect(replies[0]).toBe(">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n:0\r\n");
      expect(replies[0]).toBe(replies[1]!);
    } finally {
      k.close();
      r.close();
    }
  });
});

describe("tracking-table-max-keys", () => {
  test("past the limit keys are invalidated before the next command, queued ones too; INFO counts the table", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    try {
      await p.same("CONFIG", "SET", "tracking-table-max-keys", "2");
      await p.same("DEBUG", "PAUSE-CRON", "1");
      const seen: string[] = [];
      for (const c of [k, r]) {
        await c.call("HELLO", "3");
        await c.call("CLIENT", "TRACKING", "ON");
        await c.call("MGET", "1{tag}", "2{tag}");
        await c.call("MULTI");
      }
      const totals = async () => (await p.both("INFO", "stats")).map((info) => info.match(/tracking_total_\w+:\d+/g)!.join(" "));
      const [kt, rt] = await totals();
      expect(kt).toBe("tracking_total_keys:2 tracking_total_items:2 tracking_total_prefixes:0");
      expect(kt).toBe(rt);
      await p.same("CONFIG", "SET", "tracking-table-max-keys", "1");
      for (const c of [k, r]) {
        // Redis drops a random key of the two, KVIS the oldest: either is right.
        const replies = await c.readRepliesAfter("PING");
        seen.push(replies.join("").replace(/\$6\r\n[12]\{tag\}/, "$6\r\nN{tag}"));
        seen.push((await c.call("EXEC")));
      }
      expect(seen[0]).toBe(">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nN{tag}\r\n+QUEUED\r\n");
      expect(seen.slice(0, 2)).toEqual(seen.slice(2));
      expect((await totals())[0]).toBe((await totals())[1]!);
    } finally {
      await p.same("DEBUG", "PAUSE-CRON", "0");
      await p.same("CONFIG", "SET", "tracking-table-max-keys", "1000000");
      k.close();
      r.close();
    }
  });
});

describe("CLIENT TRACKING, BCAST mode", () => {
  test("changed keys under a prefix arrive together, sorted; NOLOOP leaves out one's own", async () => {
    await sameScene(pair(), 2, [
      [0, HELLO3],
      [0, req("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "obj:", "NOLOOP")],
      [1, req("MSET", "user:2", "a", "user:1", "b", "other", "c")],
      [1, req("SET", "obj:1", "x")],
      [0, req("SET", "user:3", "x")],
      [0, req("CLIENT", "TRACKINGINFO")],
      [0, req("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "use")],
      [0, req("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "new:")],
      [0, req("CLIENT", "TRACKINGINFO")],
      [1, req("SET", "new:1", "x")],
      [0, req("CLIENT", "TRACKING", "OFF")],
      [0, req("CLIENT", "TRACKING", "ON", "BCAST")],
      [1, req("SET", "anything", "x")],
    ]);
  });
});

describe("CLIENT TRACKING errors", () => {
  test("options are checked as Redis checks them", async () => {
    await pair().script(`CLIENT TRACKING
CLIENT TRACKING MAYBE
CLIENT TRACKING ON BOGUS
CLIENT TRACKING ON PREFIX a
CLIENT TRACKING ON BCAST OPTIN
CLIENT TRACKING ON OPTIN OPTOUT
CLIENT TRACKING ON REDIRECT x
CLIENT TRACKING ON REDIRECT 987654
CLIENT TRACKING ON BCAST PREFIX ab PREFIX a
CLIENT CACHING YES
CLIENT TRACKING ON OPTIN
CLIENT CACHING NO
CLIENT CACHING MAYBE
CLIENT TRACKING ON OPTOUT
CLIENT TRACKING ON BCAST
CLIENT TRACKING OFF
CLIENT CACHING YES
CLIENT GETREDIR
CLIENT TRACKINGINFO`);
  });
});

describe("CLIENT TRACKING REDIRECT", () => {
  test("to a RESP2 connection subscribed to __redis__:invalidate, and to one that went away", async () => {
    const p = pair();
    const [k0, r0] = await p.connectBoth();
    const [k1, r1] = await p.connectBoth();
    try {
      // Each server numbers its connections its own way: the redirect names the local id.
      for (const [tracker, sink] of [[k0, k1], [r0, r1]] as const) {
        const id = (await sink.call("CLIENT", "ID")).slice(1, -2);
        expect(await sink.call("SUBSCRIBE", "__redis__:invalidate")).toContain("subscribe");
        expect(await tracker.call("CLIENT", "TRACKING", "ON", "REDIRECT", id)).toBe("+OK\r\n");
        await tracker.call("GET", "rk");
        await tracker.call("SET", "rk", "1");
        await tracker.call("GET", "rk");
      }
      await p.same("FLUSHALL");
      await waitFor(() => k1.pendingReplies() > 0 && r1.pendingReplies() > 0, 20_000, "the invalidations");
      await p.settle([k1, r1]);
      expect(k1.takeAll()).toBe(r1.takeAll());
      k1.close();
      r1.close();
      // Both servers have seen the redirect's connection go: the pair's own and k0/r0 remain.
      for (const c of [p.kvis, p.redis]) await waitFor(async () => (await c.call("INFO", "clients")).includes("\r\nconnected_clients:2\r\n"), 20_000, "the close");
      await k0.call("HELLO", "3");
      await r0.call("HELLO", "3");
      for (const c of [k0, r0]) await c.call("GET", "rk2");
      await p.same("SET", "rk2", "x");
      await waitFor(() => k0.pendingReplies() > 0 && r0.pendingReplies() > 0, 20_000, "the pushes");
      await p.settle([k0, r0]);
      const redirect = /:(\d+)\r\n$/;
      expect(k0.takeAll().replace(redirect, ":ID\r\n")).toBe(r0.takeAll().replace(redirect, ":ID\r\n"));
      const [ki, ri] = [await k0.call("CLIENT", "TRACKINGINFO"), await r0.call("CLIENT", "TRACKINGINFO")];
      expect(ki.replace(/redirect\r\n:\d+/, "redirect\r\n:ID")).toBe(ri.replace(/redirect\r\n:\d+/, "redirect\r\n:ID"));
    } finally {
      for (const c of [k0, r0, k1, r1]) c.close();
    }
  });
});
