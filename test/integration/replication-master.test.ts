/**
 * KVIS as a master to real Redis replicas, and in the middle of mixed topologies: a real
 * redis-server replica syncs from a KVIS master under write load and ends with the same
 * data (WAIT counts it); a killed link continues partially; a promoted KVIS replica lets
 * the other replica of the old master continue partially; and a chain Redis -> KVIS ->
 * Redis carries the stream through.
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { datasetOf } from "../helpers/dataset.ts";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { type ChildServer, freePort, run, type RunningServer, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir, waitBlocked, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const ALL_DBS = Array.from({ length: 16 }, (_, i) => i);
const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info.replace(/\r/g, ""))?.[1];

/** Writes of every kind, including the ones Redis rewrites for replicas. */
function writeLoad(round: number): string[][] {
  const cmds: string[][] = [];
  for (let i = 0; i < 300; i++) cmds.push(["SET", `k:${round}:${i}`, `v${i}`]);
  cmds.push(
    ["SET", "ttl:ex", "x", "EX", "1000"],
    ["SETEX", "ttl:setex", "500", "y"],
    ["SET", "bin", all],
    ["EXPIRE", "k:0:1", "300"],
    ["PEXPIRE", "k:0:2", "300000"],
    ["EXPIRE", "k:0:3", "-1"],
    ["INCRBYFLOAT", "float", "0.1"],
    ["HINCRBYFLOAT", "hfloat", "f", "1.5"],
    ["SADD", "pops", "a", "b", "c", "d", "e", "f"],
    ["SPOP", "pops"],
    ["SPOP", "pops", "2"],
    ["RPUSH", "list", "a", "b", "c"],
    ["LPOP", "list"],
    ["HSET", "hash", "f1", "v1", "f2", "v2"],
    ["ZADD", "zset", "1", "one", "2.5", "two"],
    ["ZINCRBY", "zset", "3", "one"],
    ["INCR", "counter"],
    ["GETEX", "k:0:4", "EX", "200"],
    ["SELECT", "5"],
    ["SET", "in5", String(round)],
    ["FLUSHDB"],
    ["SET", "in5:after", "yes"],
    ["SELECT", "0"],
    ["DEL", "k:0:5", "missing"],
    // A transaction reaches replicas whole, inside MULTI ... EXEC.
    ["MULTI"],
    ["SET", "tx:a", String(round)],
    ["INCRBYFLOAT", "tx:float", "1.25"],
    ["EXEC"],
  );
  // Streams: generated IDs, trims, and consumer groups whose deliveries go out as XCLAIMs.
  const st = `stream:${round}`;
  for (let i = 1; i <= 12; i++) cmds.push(["XADD", st, `${i}-1`, "n", String(i)]);
  cmds.push(
    ["XADD", st, "*", "auto", "1"],
    ["XADD", st, "MAXLEN", "~", "5", "*", "auto", "2"],
    ["XADD", st, "MAXLEN", "=", "12", "*", "auto", "3"],
    ["XGROUP", "CREATE", st, "g", "0"],
    ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", st, ">"],
    ["XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "2", "STREAMS", st, ">"],
    ["XACK", st, "g", "4-1"],
    ["XCLAIM", st, "g", "carol", "0", "5-1", "6-1"],
    ["XDEL", st, "6-1"],
    ["XAUTOCLAIM", st, "g", "dave", "0", "0", "COUNT", "2"],
    ["XTRIM", st, "MINID", "3"],
    ["XGROUP", "CREATECONSUMER", st, "g", "erin"],
    ["XGROUP", "CREATE", st, "late", "$"],
    ["XGROUP", "DELCONSUMER", st, "g", "bob"],
  );
  return cmds;
}

async function pipeline(c: RawClient, cmds: string[][]): Promise<void> {
  c.write(Buffer.concat(cmds.map((cmd) => encodeCommand(cmd))));
  const replies = await c.readReplies(cmds.length, 60_000);
  const errors = replies.filter((r) => r.startsWith("-"));
  if (errors.length > 0) throw new Error(`errors in the write load: ${errors.slice(0, 3).join(" ")}`);
}

/** Wait until `replica` has applied all the master sent, then compare every key. */
async function converged(master: RawClient, replica: RawClient): Promise<void> {
  await waitFor(async () => {
    const offset = field(await master.call("INFO", "replication"), "master_repl_offset");
    const applied = field(await replica.call("INFO", "replication"), "slave_repl_offset");
    return offset === applied || undefined;
  }, 20_000, "the replica to reach the master's offset");
  expect(await datasetOf(replica, ALL_DBS)).toEqual(await datasetOf(master, ALL_DBS));
}

async function linkUp(replica: RawClient): Promise<void> {
  let info = "";
  await waitFor(async () => {
    info = await replica.call("INFO", "replication");
    return field(info, "master_link_status") === "up" || undefined;
  }, 20_000, "the replica's link").catch((e) => {
    throw new Error(`${(e as Error).message}; the replica reports:\n${info}`);
  });
}

async function stopAll(servers: RunningServer[], clients: RawClient[]): Promise<void> {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
}

/** Kill the replica's link, write more, and see the replica continue partially to the same data. */
async function killedLinkContinues(m: RawClient, r: RawClient): Promise<void> {
  expect(await m.call("CLIENT", "KILL", "TYPE", "replica")).toBe(":1\r\n");
  await pipeline(m, writeLoad(1));
  await waitFor(async () => (await m.call("INFO", "stats")).includes("sync_partial_ok:1\r\n") || undefined, 20_000, "a partial resync");
  await converged(m, r);
}

describe("a KVIS master with a real Redis replica", () => {
  test("syncs under write load, follows the stream to the same data, and WAIT counts it", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    const servers: RunningServer[] = [kvis];
    const clients = [m];
    try {
      await pipeline(m, writeLoad(0));
      await m.call("SET", "short", "v", "PX", "300");
      // redis-benchmark writes while the replica connects and loads the snapshot.
      const load = run(["redis-benchmark", "-p", String(kvis.port), "-t", "set,lpush,incr", "-n", "60000", "-r", "5000", "-c", "10", "-q"]);
      const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
      servers.push(redis);
      const r = await RawClient.connect(redis.port);
      clients.push(r);
      await load;
      await linkUp(r);
      await pipeline(m, writeLoad(1));
      expect(await m.call("WAIT", "1", "5000")).toBe(":1\r\n");
      await converged(m, r);
      // The expired key was deleted on the master and the DEL reached the replica.
      expect(await r.call("EXISTS", "short")).toBe(":0\r\n");
      const info = await m.call("INFO", "replication");
      expect(field(info, "connected_slaves")).toBe("1");
      expect(field(info, "slave0")).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
      expect(await m.call("WAIT", "2", "100")).toBe(":1\r\n");
      expect(await m.call("INFO", "stats")).toContain("sync_full:1\r\n");
    } finally {
      await stopAll(servers, clients);
    }
  }, 60_000);

  test("a killed link continues with a partial resync, and the disk form of the snapshot works", async () => {
    const kvis = await startKvis({ "repl-diskless-sync": "no" });
    const m = await RawClient.connect(kvis.port);
    const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
    const r = await RawClient.connect(redis.port);
    try {
      await pipeline(m, writeLoad(0));
      await linkUp(r);
      await converged(m, r);
      await killedLinkContinues(m, r);
      expect(await m.call("INFO", "stats")).toContain("sync_full:1\r\n");
    } finally {
      await stopAll([kvis, redis], [m, r]);
    }
  }, 60_000);

  test("a Redis replica restarted on the snapshot it kept resyncs partially, in both snapshot forms", async () => {
    for (const diskless of ["no", "yes"]) {
      const kvis = await startKvis({ "repl-diskless-sync": diskless });
      const m = await RawClient.connect(kvis.port);
      const dir = tempDir("redis-test-");
      const clients = [m];
      const replicas: RunningServer[] = [];
      try {
        await pipeline(m, writeLoad(0));
        // The stream is in database 5 when the snapshot is made, and moves on from there.
        expect(await m.call("SELECT", "5")).toBe("+OK\r\n");
        let redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`], { dir });
        replicas.push(redis);
        let r = await RawClient.connect(redis.port);
        await linkUp(r);
        await m.call("SET", "in5:during", "1");
        await converged(m, r);
        r.close();
        await redis.stop();
        await m.call("SET", "in5:down", "1");
        await pipeline(m, writeLoad(1));
        redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`], { dir });
        replicas.push(redis);
        r = await RawClient.connect(redis.port);
        clients.push(r);
        await linkUp(r);
        await converged(m, r);
        const stats = await m.call("INFO", "stats");
        expect([field(stats, "sync_full"), field(stats, "sync_partial_ok")]).toEqual(["1", "1"]);
      } finally {
        // A failed check leaves no replica running (stop() of a stopped one does nothing).
        await stopAll([kvis, ...replicas], clients);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);

  test("a backlog resized by CONFIG SET still serves a partial resync from what it kept", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
    const r = await RawClient.connect(redis.port);
    try {
      await pipeline(m, writeLoad(0));
      await linkUp(r);
      await converged(m, r);
      // Smaller, then larger: the newest bytes stay, and a link killed now continues from them.
      expect(await m.call("CONFIG", "SET", "repl-backlog-size", "1")).toBe("+OK\r\n");
      expect(await m.call("CONFIG", "GET", "repl-backlog-size")).toBe("*2\r\n$17\r\nrepl-backlog-size\r\n$5\r\n16384\r\n");
      expect(await m.call("CONFIG", "SET", "repl-backlog-size", "2mb")).toBe("+OK\r\n");
      await killedLinkContinues(m, r);
      expect(await m.call("INFO", "replication")).toContain("repl_backlog_size:2097152\r\n");
    } finally {
      await stopAll([kvis, redis], [m, r]);
    }
  }, 60_000);

  test("a pop served to a blocked client reaches the replica as its non-blocking form", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    const waiter = await RawClient.connect(kvis.port);
    const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
    const r = await RawClient.connect(redis.port);
    try {
      await linkUp(r);
      waiter.write("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
      waiter.write("*3\r\n$8\r\nBZPOPMAX\r\n$1\r\nz\r\n$1\r\n0\r\n");
      await waitBlocked(kvis.port);
      expect(await m.call("RPUSH", "q", "a", "b")).toBe(":2\r\n");
      expect(await m.call("ZADD", "z", "1", "x", "2", "y")).toBe(":2\r\n");
      expect(await waiter.readReplies(2)).toEqual(["*2\r\n$1\r\nq\r\n$1\r\na\r\n", "*3\r\n$1\r\nz\r\n$1\r\ny\r\n$1\r\n2\r\n"]);
      await converged(m, r);
      expect(await r.call("LRANGE", "q", "0", "-1")).toBe("*1\r\n$1\r\nb\r\n");
    } finally {
      waiter.close();
      await stopAll([kvis, redis], [m, r]);
    }
  });

  test("DEBUG REPLICATE sends a command to the replica alone, as a Redis master does", async () => {
    const kvis = await startKvis({ "enable-debug-command": "yes" });
    const m = await RawClient.connect(kvis.port);
    const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
    const r = await RawClient.connect(redis.port);
    try {
      await linkUp(r);
      expect(await m.call("DEBUG", "REPLICATE", "SET", "diverged", "yes")).toBe("+OK\r\n");
      expect(await m.call("DEBUG", "LEAK", "kept forever")).toBe("+OK\r\n");
      await waitFor(async () => (await r.call("GET", "diverged")) === "$3\r\nyes\r\n", 20_000, "the replicated SET");
      expect(await m.call("GET", "diverged")).toBe("$-1\r\n");
    } finally {
      await stopAll([kvis, redis], [m, r]);
    }
  });

  test("a link killed mid-snapshot ends in a fresh full sync and the same data", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    const servers: RunningServer[] = [kvis];
    const clients = [m];
    try {
      for (let batch = 0; batch < 4; batch++) {
        await pipeline(m, Array.from({ length: 30_000 }, (_, i) => ["SET", `big:${batch}:${i}`, "x".repeat(64)]));
      }
      const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
      servers.push(redis);
      const r = await RawClient.connect(redis.port);
      clients.push(r);
      // A diskless transfer shows wait_bgsave until it ends, as Redis shows it.
      await waitFor(async () => /state=wait_bgsave/.test(await m.call("INFO", "replication")) || undefined, 20_000, "the snapshot to be sending");
      expect(await m.call("CLIENT", "KILL", "TYPE", "replica")).toBe(":1\r\n");
      await linkUp(r);
      await pipeline(m, writeLoad(0));
      await converged(m, r);
      expect(await m.call("INFO", "stats")).toContain("sync_full:2\r\n");
    } finally {
      await stopAll(servers, clients);
    }
  }, 60_000);
});

describe("a master's timers: repl-timeout and repl-backlog-ttl", () => {
  test("a replica that stops acknowledging is disconnected after repl-timeout seconds, as Redis disconnects it", async () => {
    const servers = await startAll([startKvisBinary, startRedis].map((start) => () => start(["--repl-timeout", "1", "--repl-diskless-sync", "no"])));
    try {
      const seen = await Promise.all(servers.map(async (server) => {
        // A replica that syncs and then says nothing: no REPLCONF ACK ever.
        const c = await RawClient.connect(server.port);
        expect(await c.call("REPLCONF", "listening-port", "5555")).toBe("+OK\r\n");
        c.write(encodeCommand(["PSYNC", "?", "-1"]));
        const received = await c.readUntilClose();
        const told = (await server.output()).split("\n").find((line) => line.includes("Disconnecting timedout replica"));
        return { fullSync: received.startsWith("+FULLRESYNC"), told: told?.replace(/^.*? # /, "") };
      }));
      expect(seen[0]).toEqual({ fullSync: true, told: "Disconnecting timedout replica (streaming sync): 127.0.0.1:5555" });
      expect(seen[0]).toEqual(seen[1]!);
    } finally {
      await stopAll(servers, []);
    }
  }, 30_000);

  test("a backlog without replicas for repl-backlog-ttl seconds is freed, with a new replication ID, as Redis frees it", async () => {
    const servers = await startAll([startKvisBinary, startRedis].map((start) => () => start(["--repl-backlog-ttl", "1", "--repl-diskless-sync", "no"])));
    try {
      const seen = await Promise.all(servers.map(async (server) => {
        const m = await RawClient.connect(server.port);
        const before = await m.call("INFO", "replication");
        // A replica comes (the backlog is made), takes its snapshot and goes.
        const c = await RawClient.connect(server.port);
        c.write(encodeCommand(["PSYNC", "?", "-1"]));
        await waitFor(async () => field(await m.call("INFO", "replication"), "repl_backlog_active") === "1" || undefined, 20_000, "the backlog");
        c.close();
        await waitFor(async () => field(await m.call("INFO", "replication"), "repl_backlog_active") === "0" || undefined, 20_000, "the backlog to be freed");
        const after = await m.call("INFO", "replication");
        m.close();
        const told = (await server.output()).split("\n").find((line) => line.includes("Replication backlog freed"));
        return {
          newId: field(after, "master_replid") !== field(before, "master_replid"),
          replid2: field(after, "master_replid2"),
          told: told?.replace(/^.*? \* /, ""),
        };
      }));
      expect(seen[0]).toEqual({ newId: true, replid2: "0".repeat(40), told: "Replication backlog freed after 1 seconds without connected replicas." });
      expect(seen[0]).toEqual(seen[1]!);
    } finally {
      await stopAll(servers, []);
    }
  }, 30_000);
});

describe("diskless full syncs: repl-diskless-sync-delay and -max-replicas", () => {
  test("replicas gather for one snapshot, by count or after the delay, and one arriving mid-transfer waits for the next; as Redis", async () => {
    const seen: unknown[][] = [];
    for (const start of [startKvisBinary, startRedis]) {
      const out: unknown[] = [];
      seen.push(out);
      const master = await start(["--repl-diskless-sync-delay", "60", "--repl-diskless-sync-max-replicas", "2", "--enable-debug-command", "yes"]);
      const servers: RunningServer[] = [master];
      const m = await RawClient.connect(master.port);
      const states = async () => (await m.call("INFO", "replication")).split("\r\n").filter((l) => l.startsWith("slave")).map((l) => /state=(\w+)/.exec(l)![1]).sort();
      const log = async () => (await master.output()).split("\n").map((l) => l.replace(/^.*? [*#] /, "")).filter((l) => /BGSAVE|Synchronization with replica/.test(l)).map((l) => l.replace(/127\.0\.0\.1:\d+/, "a replica"));
      try {
        for (let i = 0; i < 100; i++) await m.call("SET", `k${i}`, `v${i}`);
        // The first replica waits: the delay is long and one is not enough.
        servers.push(await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]));
        await waitFor(async () => (await states()).length === 1 || undefined, 20_000, "the first replica to ask");
        out.push(await states(), await log());
        // The second makes two: one snapshot for both.
        servers.push(await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]));
        await waitFor(async () => (await states()).join() === "online,online" || undefined, 20_000, "both replicas to sync");
        out.push(await log());
        // One alone after a delay of a second.
        await m.call("CONFIG", "SET", "repl-diskless-sync-delay", "1", "repl-diskless-sync-max-replicas", "0");
        servers.push(await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]));
        await waitFor(async () => (await states()).join() === "online,online,online" || undefined, 20_000, "the third replica to sync");
        // A transfer that cannot end (40 MB, more than the sockets hold, to a replica stopped
        // as soon as it asked, made slowly): one more asking meanwhile waits for the next snapshot.
        await m.call("DEBUG", "POPULATE", "100", "big", "400000");
        await m.call("CONFIG", "SET", "repl-diskless-sync-delay", "0", "rdb-key-save-delay", "20000");
        const stalled = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]);
        servers.push(stalled);
        await waitFor(async () => (await states()).length === 4 || undefined, 20_000, "the fourth replica to ask");
        stalled.proc.kill("SIGSTOP");
        servers.push(await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]));
        await waitFor(async () => (await states()).length === 5 || undefined, 20_000, "the fifth replica to ask");
        out.push(await states(), (await log()).slice(3));
        await m.call("CONFIG", "SET", "rdb-key-save-delay", "0");
        stalled.proc.kill("SIGCONT");
        await waitFor(async () => (await states()).every((s) => s === "online") || undefined, 30_000, "every replica to sync");
        out.push((await log()).slice(6), field(await m.call("INFO", "stats"), "sync_full"));
        for (const replica of servers.slice(1)) {
          const r = await RawClient.connect(replica.port);
          out.push(await r.call("GET", "k99"));
          r.close();
        }
      } finally {
        await stopAll(servers.reverse(), [m]);
      }
    }
    expect(seen[0]).toEqual(seen[1]!);
    expect(seen[0]![0]).toEqual(["wait_bgsave"]);
  }, 90_000);
});

describe("the replica's socket", () => {
  /** TCP_NODELAY of a socket of this process (the in-process master's), through getsockopt. */
  function noDelay(fd: number): number {
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
    try {
      const value = new Int32Array(1);
      const len = new Uint32Array([4]);
      // IPPROTO_TCP, TCP_NODELAY
      expect(libc.symbols.getsockopt(fd, 6, 1, ptr(value), ptr(len))).toBe(0);
      return value[0]!;
    } finally {
      libc.close();
    }
  }

  test("repl-disable-tcp-nodelay turns TCP_NODELAY off for a replica that full-syncs, as Redis's SYNC does", async () => {
    for (const [setting, expected] of [["no", 1], ["yes", 0]] as const) {
      const kvis = await startKvis({ "repl-disable-tcp-nodelay": setting });
      const servers: RunningServer[] = [kvis];
      const m = await RawClient.connect(kvis.port);
      try {
        servers.push(await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]));
        const fd = await waitFor(async () => /fd=(\d+) [^\n]*flags=S /.exec(await m.call("CLIENT", "LIST"))?.[1], 20_000, "the replica's connection");
        expect(noDelay(Number(fd))).toBe(expected);
      } finally {
        await stopAll(servers.reverse(), [m]);
      }
    }
  });
});

describe("backups through the replication protocol", () => {
  test("redis-cli --rdb takes a backup in the disk and diskless forms that redis-check-rdb accepts and Redis loads the same", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    try {
      await pipeline(m, writeLoad(0));
      for (const diskless of ["no", "yes"]) {
        expect(await m.call("CONFIG", "SET", "repl-diskless-sync", diskless)).toBe("+OK\r\n");
        const dir = tempDir("kvis-backup-");
        try {
          const got = await run(["redis-cli", "-p", String(kvis.port), "--rdb", join(dir, "backup.rdb")]);
          expect({ diskless, code: got.code }).toEqual({ diskless, code: 0 });
          expect(got.stdout + got.stderr).toContain("Transfer finished with success");
          expect((await run(["redis-check-rdb", join(dir, "backup.rdb")])).stdout).toContain("RDB looks OK");
          const redis = await startRedis(["--dbfilename", "backup.rdb"], { dir });
          const r = await RawClient.connect(redis.port);
          try {
            expect(await datasetOf(r, ALL_DBS)).toEqual(await datasetOf(m, ALL_DBS));
          } finally {
            await stopAll([redis], [r]);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      // Each backup was a full sync whose link ended with it: no replica stays attached.
      expect(field(await m.call("INFO", "stats"), "sync_full")).toBe("2");
      expect(field(await m.call("INFO", "replication"), "connected_slaves")).toBe("0");
    } finally {
      await stopAll([kvis], [m]);
    }
  }, 60_000);

  test("redis-cli --functions-rdb (REPLCONF rdb-filter-only) takes the function libraries alone, as from Redis", async () => {
    const lib = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    // A filtered snapshot goes to the socket, after repl-diskless-sync-delay.
    const [kvis, redis] = await startAll([() => startKvis({ "repl-diskless-sync-delay": "0" }), () => startRedis(["--repl-diskless-sync-delay", "0"])]);
    const dir = tempDir("kvis-backup-");
    try {
      const listed: string[] = [];
      for (const server of [kvis, redis]) {
        const c = await RawClient.connect(server.port);
        expect(await c.call("FUNCTION", "LOAD", lib)).toBe("$3\r\nlib\r\n");
        expect(await c.call("SET", "k", "v")).toBe("+OK\r\n");
        const replies = [];
        for (const filter of ["foo", "", "functions", "FUNCTIONS functions", "functions x", 'a"b']) replies.push(await c.call("REPLCONF", "rdb-filter-only", filter));
        listed.push(replies.join(""));
        c.close();
        const file = join(dir, `${server === kvis ? "kvis" : "redis"}.rdb`);
        const got = await run(["redis-cli", "-p", String(server.port), "--functions-rdb", file]);
        expect(got.stdout + got.stderr).toContain("Transfer finished with success");
        expect((await run(["redis-check-rdb", file])).stdout).toContain("RDB looks OK");
        // Loaded by Redis: the library, and no key.
        const loaded = await startRedis(["--dbfilename", `${server === kvis ? "kvis" : "redis"}.rdb`], { dir });
        const l = await RawClient.connect(loaded.port);
        try {
          listed.push(await l.call("FUNCTION", "LIST"), await l.call("DBSIZE"));
        } finally {
          await stopAll([loaded], [l]);
        }
      }
      expect(listed.slice(0, 3)).toEqual(listed.slice(3));
      expect(listed[2]).toBe(":0\r\n");
      expect(listed[1]).toContain("lib");
    } finally {
      await stopAll([kvis, redis], []);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("REPLCONF rdb-only and SYNC answer as Redis does: the snapshot alone, then the connection closes", async () => {
    const framing: string[][] = [];
    for (const start of [() => startKvis({ "repl-diskless-sync": "no" }), () => startRedis(["--repl-diskless-sync", "no"])]) {
      const server = await start();
      const c = await RawClient.connect(server.port);
      try {
        const replies = [];
        for (const value of ["5", "abc", "1"]) replies.push(await c.call("REPLCONF", "rdb-only", value));
        c.write(encodeCommand(["SYNC"]));
        // Newlines may come first: Redis's keep-alive to a replica whose snapshot is still being saved.
        const payload = (await c.readUntilClose()).replace(/^\n+/, "");
        // The length line and the RDB header; the rest differs (versions, times, encodings).
        replies.push(/^\$\d+\r\nREDIS\d{4}/.exec(payload)?.[0].replace(/\d+\r\n/, "N\r\n") ?? payload.slice(0, 40));
        framing.push(replies);
      } finally {
        c.close();
        await server.stop();
      }
    }
    expect(framing[0]![3]).toBe("$N\r\nREDIS0010");
    expect(framing[0]).toEqual(framing[1]!);
  });
});

describe("KVIS among real Redis servers", () => {
  test("a promoted KVIS replica lets the old master's other replica continue partially", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const kvis = await startKvis({ replicaof: `127.0.0.1 ${master.port}` });
    const other = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]);
    const m = await RawClient.connect(master.port);
    const k = await RawClient.connect(kvis.port);
    const o = await RawClient.connect(other.port);
    try {
      await linkUp(k);
      await linkUp(o);
      await pipeline(m, writeLoad(0));
      await converged(m, k);
      await converged(m, o);
      expect(await k.call("REPLICAOF", "NO", "ONE")).toBe("+OK\r\n");
      expect(await k.call("ROLE")).toStartWith("*3\r\n$6\r\nmaster\r\n");
      expect(await o.call("REPLICAOF", "127.0.0.1", String(kvis.port))).toBe("+OK\r\n");
      await linkUp(o);
      await pipeline(k, writeLoad(1));
      await converged(k, o);
      const info = await k.call("INFO", "stats");
      expect(info).toContain("sync_partial_ok:1\r\n");
      expect(info).toContain("sync_full:0\r\n");
    } finally {
      await stopAll([other, kvis, master], [m, k, o]);
    }
  }, 60_000);

  test("a chain Redis -> KVIS -> Redis carries the stream to the end", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const kvis = await startKvis({ replicaof: `127.0.0.1 ${master.port}` });
    const m = await RawClient.connect(master.port);
    const k = await RawClient.connect(kvis.port);
    const servers: ChildServer[] = [];
    const clients = [m, k];
    try {
      await pipeline(m, writeLoad(0));
      await linkUp(k);
      const tail = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
      servers.push(tail);
      const t = await RawClient.connect(tail.port);
      clients.push(t);
      await linkUp(t);
      await pipeline(m, writeLoad(1));
      await converged(m, k);
      await converged(m, t);
      expect(field(await t.call("INFO", "replication"), "master_replid")).toBe(field(await m.call("INFO", "replication"), "master_replid"));
    } finally {
      await stopAll([...servers, kvis, master], clients);
    }
  }, 60_000);
});

describe("limits and a lost master", () => {
  test("a replica that reads nothing is dropped at client-output-buffer-limit replica", async () => {
    const kvis = await startKvis({ "client-output-buffer-limit": "replica 1mb 256kb 60" });
    const m = await RawClient.connect(kvis.port);
    // A "replica" that asks for the stream and then never reads from its socket.
    const mute = Bun.spawn(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${kvis.port}; printf 'REPLCONF capa psync2\\r\\nPSYNC ? -1\\r\\n' >&3; sleep 60`]);
    try {
      await waitFor(async () => field(await m.call("INFO", "replication"), "connected_slaves") === "1" || undefined, 20_000, "the replica to attach");
      const value = "v".repeat(10_000);
      // Far more than the kernel's socket buffers and the 1 MB limit.
      for (let round = 0; round < 40 && field(await m.call("INFO", "replication"), "connected_slaves") !== "0"; round++) {
        await pipeline(m, Array.from({ length: 100 }, (_, i) => ["SET", `big:${round}:${i}`, value]));
      }
      expect(field(await m.call("INFO", "replication"), "connected_slaves")).toBe("0");
      expect(await m.call("PING")).toBe("+PONG\r\n");
    } finally {
      mute.kill();
      await stopAll([kvis], [m]);
    }
  }, 30_000);

  test("with replica-serve-stale-data no, a replica without its master answers MASTERDOWN as Redis does", async () => {
    const nowhere = String(freePort());
    const kvis = await startKvis({ replicaof: `127.0.0.1 ${nowhere}`, "replica-serve-stale-data": "no" });
    const redis = await startRedis(["--replicaof", `127.0.0.1 ${nowhere}`, "--replica-serve-stale-data", "no"]);
    const k = await RawClient.connect(kvis.port);
    const r = await RawClient.connect(redis.port);
    try {
      for (const args of [["GET", "a"], ["PING"], ["SET", "a", "1"], ["CONFIG", "GET", "replica-serve-stale-data"], ["ROLE"]]) {
        const [a, b] = [await k.call(...args), await r.call(...args)];
        expect({ args, reply: args[0] === "ROLE" ? a.split("\r\n").slice(0, 3) : a }).toEqual({ args, reply: args[0] === "ROLE" ? b.split("\r\n").slice(0, 3) : b });
      }
      expect(await k.call("CONFIG", "SET", "replica-serve-stale-data", "yes")).toBe("+OK\r\n");
      expect(await k.call("GET", "a")).toBe("$-1\r\n");
    } finally {
      await stopAll([kvis, redis], [k, r]);
    }
  });
});
