/**
 * Server behaviour over real sockets: pipelining, backpressure, QUIT, protocol errors,
 * authentication, and active expiry reclaiming keys nobody touches.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { useClockSource } from "../../src/clock.ts";
import { type InProcessKvis, sendAsOwnRead, serverTestTimeout, startKvis, startRedis, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

let kvis: InProcessKvis;
beforeAll(async () => {
  kvis = await startKvis();
});
afterAll(async () => {
  await kvis.stop();
});

describe("pipelining and backpressure", () => {
  test("10,000 pipelined commands in one write are answered in order", async () => {
    const c = await RawClient.connect(kvis.port);
    try {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 10_000; i++) parts.push(encodeCommand(["SET", `p${i}`, `v${i}`]), encodeCommand(["GET", `p${i}`]));
      c.write(Buffer.concat(parts));
      const replies = await c.readReplies(20_000);
      for (let i = 0; i < 10_000; i++) {
        expect(replies[2 * i]).toBe("+OK\r\n");
        expect(replies[2 * i + 1]).toBe(`$${`v${i}`.length}\r\nv${i}\r\n`);
      }
    } finally {
      c.close();
    }
  });

  test("large replies to a slow reader arrive complete and in order", async () => {
    // 8 MB values, asked for 6 times in one pipeline: far more than a socket buffer holds,
    // so the server must keep the tail and continue on drain.
    const value = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    const c = await RawClient.connect(kvis.port);
    try {
      await c.call("SET", "big", value);
      const requests: Uint8Array[] = [];
      for (let i = 0; i < 6; i++) requests.push(encodeCommand(["GET", "big"]), encodeCommand(["ECHO", `marker${i}`]));
      c.write(Buffer.concat(requests));
      const replies = await c.readReplies(12, 60_000);
      const expectedBulk = `$${value.length}\r\n${value.toString("latin1")}\r\n`;
      for (let i = 0; i < 6; i++) {
        expect(replies[2 * i] === expectedBulk).toBe(true);
        expect(replies[2 * i + 1]).toBe(`$7\r\nmarker${i}\r\n`);
      }
    } finally {
      c.close();
    }
  }, 60_000);

  test("a request arriving one byte at a time is answered once complete", async () => {
    const c = await RawClient.connect(kvis.port);
    try {
      const bytes = encodeCommand(["ECHO", "slowly"]);
      for (const b of bytes) await sendAsOwnRead(kvis, 1, () => c.write(Uint8Array.of(b)));
      expect(await c.readReplies(1)).toEqual(["$6\r\nslowly\r\n"]);
    } finally {
      c.close();
    }
  });
});

describe("QUIT and protocol errors", () => {
  test("QUIT answers OK, closes, and ignores what follows it", async () => {
    const c = await RawClient.connect(kvis.port);
    c.write(Buffer.concat([encodeCommand(["SET", "after-quit", "0"]), encodeCommand(["QUIT"]), encodeCommand(["SET", "after-quit", "1"])]));
    expect(await c.readUntilClose()).toBe("+OK\r\n+OK\r\n");
    expect(kvis.server.keyspace.dbs[0]!.lookupString("after-quit")).toBe("0");
  });

  test("a protocol error is answered, then the connection closes; the server keeps serving", async () => {
    const c = await RawClient.connect(kvis.port);
    c.write("*1\r\n$4\r\nPING\r\n*1\r\n$-7\r\n");
    expect(await c.readUntilClose()).toBe("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    const d = await RawClient.connect(kvis.port);
    expect(await d.call("PING")).toBe("+PONG\r\n");
    d.close();
  });
});

describe("CONFIG SET at run time", () => {
  test("a lower proto-max-bulk-len refuses larger bulks on existing connections", async () => {
    const server = await startKvis();
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "GET", "proto-max-bulk-len")).toBe("*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n");
      c.write(`*2\r\n$4\r\nECHO\r\n$${2 * 1024 * 1024}\r\n`);
      expect(await c.readUntilClose()).toBe("-ERR Protocol error: invalid bulk length\r\n");
      expect(await (await RawClient.connect(server.port)).call("CONFIG", "SET", "loglevel", "warning")).toBe("+OK\r\n");
      expect(server.server.log.level).toBe("warning");
    } finally {
      await server.stop();
    }
  });
});

describe("active expiry", () => {
  test("100,000 short-TTL keys vanish from DBSIZE and memory without being accessed", async () => {
    const server = await startKvis({ hz: "100" });
    const c = await RawClient.connect(server.port);
    try {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 100_000; i++) parts.push(encodeCommand(["SET", `ttl:${i}`, "x".repeat(32), "PX", "200"]));
      await c.call("SET", "survivor", "1");
      c.write(Buffer.concat(parts));
      const replies = await c.readReplies(100_000, 60_000);
      expect(replies.every((r) => r === "+OK\r\n")).toBe(true);
      await waitFor(async () => (await c.call("DBSIZE")) === ":1\r\n", 20_000, "expired keys to be reclaimed");
      const db = server.server.keyspace.dbs[0]!;
      // Nothing of the expired keys is left behind: no key, no deadline.
      expect(db.size).toBe(1);
      expect(db.expiresCount).toBe(0);
      expect(await c.call("INFO", "stats")).toContain("expired_keys:100000\r\n");
      expect(await c.call("GET", "survivor")).toBe("$1\r\n1\r\n");
    } finally {
      c.close();
      await server.stop();
    }
  }, 60_000);
});

describe("requirepass", () => {
  test("commands need AUTH, answered exactly as Redis answers them", async () => {
    const ours = await startKvis({ requirepass: "s3cret" });
    const redis = await startRedis(["--requirepass", "s3cret"]);
    const k = await RawClient.connect(ours.port);
    const r = await RawClient.connect(redis.port);
    try {
      const steps: string[][] = [
        ["GET", "k"], ["NOSUCH"], ["PING"], ["HELLO", "3"], ["AUTH", "wrong"], ["AUTH", "default", "wrong"],
        ["HELLO", "2", "AUTH", "default", "wrong"], ["AUTH", "s3cret"], ["GET", "k"], ["RESET"], ["GET", "k"],
        ["AUTH", "default", "s3cret"], ["SET", "k", "v"], ["GET", "k"],
      ];
      for (const step of steps) {
        const [a, b] = await Promise.all([k.call(...step), r.call(...step)]);
        expect({ step, reply: a }).toEqual({ step, reply: b });
      }
      // HELLO with AUTH authenticates and switches protocol in one step.
      const fresh = await RawClient.connect(ours.port);
      const hello = await fresh.call("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "app");
      expect(hello.startsWith("%7\r\n")).toBe(true);
      expect(await fresh.call("CLIENT", "GETNAME")).toBe("$3\r\napp\r\n");
      fresh.close();
    } finally {
      k.close();
      r.close();
      await ours.stop();
      await redis.stop();
    }
  });

  test("before AUTH, oversized requests are refused as protocol errors", async () => {
    const ours = await startKvis({ requirepass: "pw" });
    const c = await RawClient.connect(ours.port);
    try {
      c.write("*20\r\n");
      expect(await c.readUntilClose()).toBe("-ERR Protocol error: unauthenticated multibulk length\r\n");
    } finally {
      await ours.stop();
    }
  });
});

describe("CLIENT KILL and SHUTDOWN", () => {
  test("CLIENT KILL ID closes another connection; killing yourself still gets the reply", async () => {
    const victim = await RawClient.connect(kvis.port);
    const idReply = await victim.call("CLIENT", "ID");
    const id = idReply.slice(1, -2);
    const killer = await RawClient.connect(kvis.port);
    expect(await killer.call("CLIENT", "KILL", "ID", id)).toBe(":1\r\n");
    await waitFor(() => victim.closed, 20_000, "victim to be closed");
    const self = await killer.call("CLIENT", "ID");
    killer.write(encodeCommand(["CLIENT", "KILL", "ID", self.slice(1, -2), "SKIPME", "no"]));
    expect(await killer.readUntilClose()).toBe(":1\r\n");
  });

  test("SHUTDOWN closes the server without a reply", async () => {
    const server = await startKvis();
    try {
      const c = await RawClient.connect(server.port);
      c.write(encodeCommand(["SHUTDOWN", "NOSAVE"]));
      expect(await c.readUntilClose()).toBe("");
    } finally {
      await server.stop();
    }
  });
});

describe("DEBUG (enable-debug-command yes) and the slow log", () => {
  test("DEBUG SLEEP stalls the server and lands in SLOWLOG; SET-ACTIVE-EXPIRE and CHANGE-REPL-ID", async () => {
    const debug = await startKvis({ "enable-debug-command": "yes" });
    const c = await RawClient.connect(debug.port);
    const other = await RawClient.connect(debug.port);
    try {
      await c.call("SLOWLOG", "RESET");
      // The sleep (50 ms > 10 ms) is logged; a command under the threshold is not. The GET
      // is fast unless the machine holds it up for 10 ms, so what is pinned is that every
      // entry took the threshold at least.
      await c.call("GET", "k");
      const started = Date.now();
      const sleeping = c.call("DEBUG", "SLEEP", "0.05");
      // The whole server sleeps: another client waits too.
      expect(await other.call("PING")).toBe("+PONG\r\n");
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(await sleeping).toBe("+OK\r\n");
      const all = await c.call("SLOWLOG", "GET", "-1");
      const durations = [...all.matchAll(/\*6\r\n:\d+\r\n:\d+\r\n:(\d+)\r\n/g)].map((m) => Number(m[1]));
      expect(Math.min(...durations)).toBeGreaterThanOrEqual(10_000);
      // The sleep's entry, found among all of them: on a loaded machine the SLOWLOG GET just
      // sent may itself pass the threshold and be the newest entry by the time it is asked for.
      const entry = /\*6\r\n:\d+\r\n:\d+\r\n:(\d+)\r\n\*3\r\n\$5\r\nDEBUG\r\n\$5\r\nSLEEP\r\n\$4\r\n0\.05\r\n\$\d+\r\n127\.0\.0\.1:\d+\r\n\$0\r\n\r\n/.exec(all);
      expect(entry).not.toBeNull();
      expect(Number(entry![1])).toBeGreaterThanOrEqual(50_000);

      // With active expiry off a key nobody reads stays until read: the clock moves past its
      // deadline and the cron runs several times, and it is still there.
      expect(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("+OK\r\n");
      let fakeNow = Date.now();
      const restoreClock = useClockSource(() => fakeNow);
      try {
        await c.call("SET", "short", "v", "PX", "10");
        fakeNow += 1000;
        const loops = debug.server.cronLoops;
        await waitFor(() => debug.server.cronLoops >= loops + 3, 20_000, "three cron runs");
        expect(await c.call("DBSIZE")).toBe(":1\r\n");
        expect(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")).toBe("+OK\r\n");
        await waitFor(async () => (await c.call("DBSIZE")) === ":0\r\n" || undefined, 20_000, "active expiry");
      } finally {
        restoreClock();
      }

      const before = await c.call("INFO", "replication");
      expect(await c.call("DEBUG", "CHANGE-REPL-ID")).toBe("+OK\r\n");
      const replid = (info: string) => /master_replid:(\w+)/.exec(info)![1];
      expect(replid(await c.call("INFO", "replication"))).not.toBe(replid(before));
    } finally {
      c.close();
      other.close();
      await debug.stop();
    }
  });
});
