/**
 * A script running past busy-reply-threshold: other clients, already connected or new, get
 * -BUSY; SCRIPT KILL and FUNCTION KILL stop a script that has not written; a script that
 * wrote is UNKILLABLE and only SHUTDOWN NOSAVE ends it. The compiled ./kvis (a server in
 * this process would stop this test too) and a real redis-server go through the same
 * steps, and their replies are compared.
 */
import { describe, expect, test } from "bun:test";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, serverTestTimeout, startAll, startKvisBinary, startRedis, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const THRESHOLD = ["--busy-reply-threshold", "100"];

/** Start `script` on a connection of its own; resolves with its reply once it ends. */
async function startBusy(port: number, ...command: string[]): Promise<{ done: Promise<string>; conn: RawClient }> {
  const conn = await RawClient.connect(port);
  return { done: conn.call(...command), conn };
}

/** Wait until the server answers -BUSY (the script is past the threshold). */
async function busy(c: RawClient): Promise<string> {
  return waitFor(async () => {
    const reply = await c.call("PING");
    return reply.startsWith("-BUSY") ? reply : undefined;
  }, 20_000, "the server to answer -BUSY");
}

/** The steps, against one server; returns every reply in order. */
async function scenario(server: ChildServer): Promise<string[]> {
  const replies: string[] = [];
  const other = await RawClient.connect(server.port);
  try {
    // An EVAL that never ends, killed by SCRIPT KILL from a connection opened meanwhile.
    let script = await startBusy(server.port, "EVAL", "local i = 0 while true do i = i + 1 end", "0");
    replies.push(await busy(other));
    replies.push(await other.call("GET", "k"));
    const late = await RawClient.connect(server.port);
    replies.push(await late.call("SET", "k", "v"));
    replies.push(await late.call("FUNCTION", "KILL"));
    replies.push(await late.call("SHUTDOWN"));
    replies.push(await late.call("SCRIPT", "KILL"));
    late.close();
    replies.push(await script.done);
    script.conn.close();
    replies.push(await other.call("PING"));
    replies.push(await other.call("SCRIPT", "KILL"));

    // A function, killed by FUNCTION KILL; FUNCTION STATS names it meanwhile.
    replies.push(await other.call("FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function{function_name = 'spin', callback = function() while true do end end, flags = {'no-writes'}}"));
    script = await startBusy(server.port, "FCALL", "spin", "0");
    replies.push(await busy(other));
    const stats = await other.call("FUNCTION", "STATS");
    expect(stats).toContain("$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n");
    replies.push(await other.call("SCRIPT", "KILL"));
    replies.push(await other.call("FUNCTION", "KILL"));
    replies.push(await script.done);
    script.conn.close();

    // A script that wrote cannot be killed: SHUTDOWN NOSAVE ends the server.
    script = await startBusy(server.port, "EVAL", "redis.call('set', 'written', '1') while true do end", "0");
    // Its reply never comes: the server goes first.
    script.done.catch(() => {});
    replies.push(await busy(other));
    replies.push(await other.call("SCRIPT", "KILL"));
    other.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    replies.push(await other.readUntilClose());
    replies.push(await script.conn.readUntilClose());
    await server.proc.exited;
    return replies;
  } finally {
    other.close();
  }
}

describe("a script past busy-reply-threshold", () => {
  test("a replica that leaves meanwhile is gone from INFO, which the script can wait for, as with redis-server", async () => {
    const [kvis, redis] = await startAll([() => startKvisBinary(THRESHOLD), () => startRedis(THRESHOLD)]);
    const replica = await startRedis();
    try {
      for (const master of [kvis, redis]) {
        const admin = await RawClient.connect(master.port);
        const r = await RawClient.connect(replica.port);
        expect(await r.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
        await waitFor(async () => (await admin.call("INFO", "replication")).includes("connected_slaves:1"), 20_000, "the replica online");
        const script = await startBusy(master.port, "EVAL", "while not string.match(redis.call('info', 'replication'), 'connected_slaves:0') do end return 1", "0");
        await busy(admin);
        expect(await r.call("REPLICAOF", "NO", "ONE")).toBe("+OK\r\n");
        expect(await script.done).toBe(":1\r\n");
        for (const c of [admin, r, script.conn]) c.close();
      }
    } finally {
      await Promise.all([kvis.stop(), redis.stop(), replica.stop()]);
    }
  });

  test("a client waiting on a key the script pushed to is served once the script ends, not by a command served meanwhile", async () => {
    const args = [...THRESHOLD, "--enable-debug-command", "yes"];
    const [kvis, redis] = await startAll([() => startKvisBinary(args), () => startRedis(args)]);
    try {
      for (const server of [kvis, redis]) {
        const waiter = await RawClient.connect(server.port);
        const other = await RawClient.connect(server.port);
        waiter.write("*3\r\n$5\r\nBLPOP\r\n$1\r\nx\r\n$1\r\n0\r\n");
        await waitFor(async () => (await other.call("INFO", "clients")).includes("blocked_clients:1"), 20_000, "the waiter to block");
        // CLIENT LIST inside a script is a test hook (noscript otherwise).
        expect(await other.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1")).toBe("+OK\r\n");
        const script = await startBusy(server.port, "EVAL", "redis.call('lpush', KEYS[1], 'y') while not string.find(redis.call('client', 'list'), 'abortscript') do end redis.call('lpush', KEYS[1], 'z') return 1", "1", "x");
        await busy(other);
        // Allowed while the script runs; it names the connection the script waits for.
        expect(await other.call("HELLO", "2", "SETNAME", "abortscript")).toContain("redis");
        expect(await script.done).toBe(":1\r\n");
        expect(await waiter.readReplies(1)).toEqual(["*2\r\n$1\r\nx\r\n$1\r\nz\r\n"]);
        for (const c of [waiter, other, script.conn]) c.close();
      }
    } finally {
      await Promise.all([kvis.stop(), redis.stop()]);
    }
  });

  test("other clients get -BUSY; SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE are served, as by redis-server", async () => {
    const [kvis, redis] = await startAll([() => startKvisBinary(THRESHOLD), () => startRedis(THRESHOLD)]);
    try {
      const [k, r] = await Promise.all([scenario(kvis), scenario(redis)]);
      expect(k).toEqual(r);
      expect(k[0]).toBe("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
      expect(k[6]).toStartWith("-ERR Script killed by user with SCRIPT KILL...");
    } finally {
      await Promise.all([kvis.stop(), redis.stop()]);
    }
  }, 60_000);
});
