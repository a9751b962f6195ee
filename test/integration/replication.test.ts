/**
 * KVIS as a replica of a real redis-server 7 master: full sync in both snapshot forms,
 * the command stream applied with Redis's offsets (the master sees our ACKs match its own
 * offset), read-only, Redis's replica expiry rules, partial resync after a broken link,
 * masterauth, and the --replicaof flag of the compiled binary.
 */
import { describe, expect, test } from "bun:test";
import { datasetOf } from "../helpers/dataset.ts";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ChildServer, freePort, run, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir, waitExpired, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

/** Every key of databases 0-15: type, encoding, absolute expiry and value. */
const dataset = (c: RawClient) => datasetOf(c, Array.from({ length: 16 }, (_, i) => i));

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info.replace(/\r/g, ""))?.[1];

/** Wait until the master lists one online replica whose acknowledged offset equals its own. */
async function waitCaughtUp(master: RawClient): Promise<void> {
  await waitFor(async () => {
    const info = await master.call("INFO", "replication");
    const slave = field(info, "slave0");
    return slave !== undefined && slave.includes("state=online") && slave.includes(`offset=${field(info, "master_repl_offset")},`);
  }, 20_000, "the replica to acknowledge the master's offset");
}

async function withMasterAndReplica(
  masterArgs: string[],
  replicaOptions: Record<string, string>,
  body: (m: RawClient, r: RawClient, redis: ChildServer, replicaPort: number) => Promise<void>,
  prefill = 0,
  loadDuringSync = false,
): Promise<void> {
  // Redis 7.0 syncs disklessly after a 5 s delay by default; tests choose the form and skip the wait.
  const redis = await startRedis(["--repl-diskless-sync-delay", "0", ...masterArgs]);
  if (prefill > 0) {
    // Data present before the replica connects travels in the snapshot, across many reads.
    const c = await RawClient.connect(redis.port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < prefill; i++) parts.push(encodeCommand(["SET", `pre:${i}`, `${i}:`.padEnd(100, "x")]));
    c.write(Buffer.concat(parts));
    await c.readReplies(prefill, 60_000);
    c.close();
  }
  // redis-benchmark writes to the master while the replica connects, syncs and catches up.
  const load = loadDuringSync
    ? run(["redis-benchmark", "-p", String(redis.port), "-t", "set,lpush,sadd,hset,incr", "-n", "40000", "-r", "3000", "-c", "10", "-q"])
    : undefined;
  const kvis = await startKvis({ replicaof: `127.0.0.1 ${redis.port}`, ...replicaOptions });
  await load;
  const m = await RawClient.connect(redis.port);
  const r = await RawClient.connect(kvis.port);
  try {
    await body(m, r, redis, kvis.port);
  } finally {
    m.close();
    r.close();
    await kvis.stop();
    await redis.stop();
  }
}

async function seed(m: RawClient): Promise<void> {
  await m.call("SET", "plain", "hello");
  await m.call("SET", "number", "12345");
  await m.call("SET", "long", "compressible ".repeat(500));
  await m.call("SET", all, all);
  await m.call("SET", "ttl", "v", "EX", "5000");
  // Aggregates in the compact encodings Redis 7 saves (listpack, intset, quicklist) and large.
  await m.call("RPUSH", "list", "a", "1", all);
  await m.call("HSET", "hash", "f", "v", "n", "7");
  await m.call("SADD", "intset", "1", "2", "300000");
  await m.call("SADD", "set", "x", "y");
  await m.call("ZADD", "zset", "1", "a", "2.5", "b");
  await m.call("ZADD", "bigzset", ...Array.from({ length: 300 }, (_, i) => [String(i), `m${i}`]).flat());
  m.write(Buffer.concat(Array.from({ length: 150 }, (_, i) => encodeCommand(["XADD", "stream", `${i + 1}-0`, "n", String(i + 1)]))));
  await m.readReplies(150, 20_000);
  await m.call("XGROUP", "CREATE", "stream", "g", "0");
  await m.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "stream", ">");
  await m.call("SELECT", "3");
  await m.call("SET", "in3", "three");
  await m.call("SELECT", "0");
}

/** The write load, then the replica caught up and holding what the master holds. */
async function sameAfterWriteLoad(m: RawClient, r: RawClient): Promise<void> {
  await writeLoad(m);
  await waitCaughtUp(m);
  expect(await dataset(r)).toEqual(await dataset(m));
}

async function writeLoad(m: RawClient): Promise<void> {
  await m.call("SET", "after", "1");
  await m.call("SET", "after-ttl", "x", "EX", "1000");
  await m.call("DEL", "plain");
  await m.call("EXPIRE", "number", "3000");
  await m.call("PERSIST", "ttl");
  await m.call("RPUSH", "list", "b");
  await m.call("HDEL", "hash", "n");
  await m.call("ZINCRBY", "zset", "5", "a");
  // Streams as the master rewrites them: generated IDs, exact trims, XCLAIMs.
  await m.call("XADD", "stream", "MAXLEN", "~", "60", "*", "auto", "1");
  await m.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "3", "STREAMS", "stream", ">");
  await m.call("XREADGROUP", "GROUP", "g", "carol", "NOACK", "COUNT", "3", "STREAMS", "stream", ">");
  await m.call("XACK", "stream", "g", "103-0");
  await m.call("XAUTOCLAIM", "stream", "g", "dave", "0", "0", "COUNT", "4");
  await m.call("XDEL", "stream", "140-0");
  await m.call("SELECT", "7");
  for (let i = 0; i < 200; i++) await m.call("SET", `bulk:${i}`, `value ${i}`);
  await m.call("SELECT", "3");
  await m.call("FLUSHDB");
  await m.call("SET", "in3-again", "yes");
  await m.call("SELECT", "0");
}

describe("KVIS replica of a real Redis master", () => {
  test("full sync from disk, then the stream: same data, acknowledged offsets, read-only", async () => {
    await withMasterAndReplica(["--repl-diskless-sync", "no"], {}, async (m, r) => {
      await seed(m);
      await waitFor(async () => field(await r.call("INFO", "replication"), "master_link_status") === "up", 20_000, "link up");
      await sameAfterWriteLoad(m, r);
      expect(await r.call("DBSIZE")).toBe(await m.call("DBSIZE"));

      const info = await r.call("INFO", "replication");
      expect(field(info, "role")).toBe("slave");
      expect(field(info, "master_repl_offset")).toBe(field(await m.call("INFO", "replication"), "master_repl_offset"));
      expect(await r.call("SET", "x", "y")).toBe("-READONLY You can't write against a read only replica.\r\n");
      expect(await r.call("ROLE")).toMatch(/^\*5\r\n\$5\r\nslave\r\n\$9\r\n127\.0\.0\.1\r\n:\d+\r\n\$9\r\nconnected\r\n:\d+\r\n$/);
      expect(await r.call("CLIENT", "LIST", "TYPE", "master")).toContain("flags=M");
    }, 20_000);
  }, 30_000);

  test("the snapshot received becomes the replica's dump file, or goes with rdb-del-sync-files, as on a Redis replica", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(master.port);
    try {
      await seed(m);
      for (const delSyncFiles of ["no", "yes"]) {
        const redisReplica = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`, "--rdb-del-sync-files", delSyncFiles]);
        const kvis = await startKvis({ replicaof: `127.0.0.1 ${master.port}`, "rdb-del-sync-files": delSyncFiles });
        try {
          for (const port of [redisReplica.port, kvis.port]) {
            const c = await RawClient.connect(port);
            await waitFor(async () => field(await c.call("INFO", "replication"), "master_link_status") === "up", 20_000, "link up");
            c.close();
          }
          // No temp file is left, and the dump is there unless rdb-del-sync-files removed it.
          expect(readdirSync(kvis.dir).sort()).toEqual(readdirSync(redisReplica.dir).sort());
          expect(readdirSync(kvis.dir)).toEqual(delSyncFiles === "no" ? ["dump.rdb"] : []);
        } finally {
          await kvis.stop();
          await redisReplica.stop();
        }
      }
      // The dump a sync left loads: the master's data, in a KVIS started on it alone.
      const dir = tempDir();
      const replica = await startKvis({ dir, replicaof: `127.0.0.1 ${master.port}` });
      try {
        const c = await RawClient.connect(replica.port);
        await waitFor(async () => field(await c.call("INFO", "replication"), "master_link_status") === "up", 20_000, "link up");
        c.close();
      } finally {
        await replica.stop();
      }
      const restarted = await startKvis({ dir });
      const c = await RawClient.connect(restarted.port);
      try {
        expect(await dataset(c)).toEqual(await dataset(m));
      } finally {
        c.close();
        await restarted.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      m.close();
      await master.stop();
    }
  }, 60_000);

  test("restarted on its dump (a sync's snapshot, then its own SAVE), the replica resyncs partially", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(master.port);
    const dir = tempDir();
    const stat = async (name: string) => field(await m.call("INFO", "stats"), name);
    const restart = async (between: () => Promise<void>) => {
      const kvis = await startKvis({ dir, replicaof: `127.0.0.1 ${master.port}` });
      const r = await RawClient.connect(kvis.port);
      try {
        await waitFor(async () => field(await r.call("INFO", "replication"), "master_link_status") === "up", 20_000, "link up");
        await waitCaughtUp(m);
        expect(await dataset(r)).toEqual(await dataset(m));
        await between();
        // Written while the replica runs, in another database than the stream's last.
        await m.call("SELECT", "5");
        await m.call("INCR", "counter");
        await m.call("SELECT", "0");
        await waitCaughtUp(m);
        expect(await r.call("SAVE")).toBe("+OK\r\n");
        await m.call("SELECT", "5");
        await m.call("INCR", "counter");
        await waitCaughtUp(m);
      } finally {
        r.close();
        await kvis.stop();
      }
    };
    try {
      await seed(m);
      await restart(async () => {});
      // Down meanwhile: written in the stream's database (5) without a SELECT.
      await m.call("INCR", "counter");
      await m.call("SELECT", "0");
      await writeLoad(m);
      expect([await stat("sync_full"), await stat("sync_partial_ok")]).toEqual(["1", "0"]);
      await restart(async () => expect([await stat("sync_full"), await stat("sync_partial_ok")]).toEqual(["1", "1"]));
      await restart(async () => expect([await stat("sync_full"), await stat("sync_partial_ok")]).toEqual(["1", "2"]));
    } finally {
      m.close();
      await master.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("diskless sync (the $EOF: form) under a running write load gives the same data", async () => {
    await withMasterAndReplica(["--repl-diskless-sync", "yes"], {}, async (m, r) => {
      await seed(m);
      await waitFor(async () => field(await r.call("INFO", "replication"), "master_link_status") === "up", 20_000, "link up");
      await sameAfterWriteLoad(m, r);
    }, 20_000, true);
  }, 30_000);

  test("a broken link reconnects and continues with a partial resync", async () => {
    await withMasterAndReplica([], {}, async (m, r) => {
      await seed(m);
      await waitCaughtUp(m);
      expect(await m.call("CLIENT", "KILL", "TYPE", "replica")).toBe(":1\r\n");
      await m.call("SET", "while-down", "1");
      await waitCaughtUp(m);
      expect(field(await m.call("INFO", "stats"), "sync_partial_ok")).toBe("1");
      expect(field(await m.call("INFO", "stats"), "sync_full")).toBe("1");
      await sameAfterWriteLoad(m, r);
    });
  }, 30_000);

  test("a master silent for repl-timeout seconds is given up; once it answers again the link continues with a partial resync", async () => {
    await withMasterAndReplica(["--repl-ping-replica-period", "1"], { "repl-timeout": "2" }, async (m, r, redis) => {
      await seed(m);
      await waitCaughtUp(m);
      // The master stops (SIGSTOP): its socket stays open, nothing comes through it.
      redis.proc.kill("SIGSTOP");
      try {
        await waitFor(async () => field(await r.call("INFO", "replication"), "master_link_status") === "down", 20_000, "the replica to give the silent master up");
      } finally {
        redis.proc.kill("SIGCONT");
      }
      await waitCaughtUp(m);
      expect(field(await m.call("INFO", "stats"), "sync_partial_ok")).toBe("1");
      // (Right after XREADGROUP a replica, Redis's too, has no entries-read: compared after more writes.)
      await sameAfterWriteLoad(m, r);
    });
  }, 30_000);

  test("the master's commands find keys past their deadline on the replica's clock, as a Redis replica does: nothing diverges", async () => {
    await withMasterAndReplica(["--enable-debug-command", "yes"], { "enable-debug-command": "yes" }, async (m, r) => {
      await m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      // Inside the transaction the master's time stands still, so its reads find k alive;
      // the replica applies them more than 10 ms after k's deadline.
      const tx = [["MULTI"], ["SET", "k", "5", "PX", "1"], ["DEBUG", "SLEEP", "0.01"], ["COPY", "k", "copied", "DB", "1"], ["BITOP", "OR", "bits", "k"],
        ["SORT", "k", "STORE", "sorted"], ["RENAME", "k", "renamed"], ["EXEC"]];
      for (const cmd of tx) await m.call(...cmd);
      await waitCaughtUp(m);
      const digest = async (c: RawClient) => (await c.call("DEBUG", "DIGEST")).trim();
      expect(await digest(r)).toBe(await digest(m));
      expect(await r.call("GET", "bits")).toBe("$1\r\n5\r\n");
    });
  }, 30_000);

  test("a command from the master that fails on the replica is logged and counted as a Redis replica does it", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const replicaArgs = ["--replicaof", `127.0.0.1 ${master.port}`, "--replica-read-only", "no"];
    const replicas = await startAll([() => startKvisBinary(replicaArgs), () => startRedis(replicaArgs)]).catch(async (e) => {
      await master.stop();
      throw e;
    });
    const m = await RawClient.connect(master.port);
    try {
      await waitFor(async () => (await m.call("INFO", "replication")).match(/state=online/g)?.length === 2 || undefined, 20_000, "two replicas online");
      // A key only the (writable) replicas have, of another type than the master's write wants.
      for (const r of replicas) {
        const c = await RawClient.connect(r.port);
        expect(await c.call("MSET", "k", "v", "k2", "v")).toBe("+OK\r\n");
        c.close();
      }
      expect(await m.call("LPUSH", "k", "x")).toBe(":1\r\n");
      // Inside a transaction the error is told as EXEC's.
      for (const args of [["MULTI"], ["LPUSH", "k2", "x"], ["SET", "z", "1"]]) await m.call(...args);
      expect(await m.call("EXEC")).toBe("*2\r\n:1\r\n+OK\r\n");
      const seen = await Promise.all(replicas.map(async (r) => {
        const c = await RawClient.connect(r.port);
        try {
          await waitFor(async () => field(await c.call("INFO", "stats"), "unexpected_error_replies") === "2" || undefined, 20_000, "the failed commands counted");
        } finally {
          c.close();
        }
        return (await r.output()).split("\n").filter((l) => l.includes("== CRITICAL ==")).map((l) => l.replace(/^.*? # /, ""));
      }));
      const told = (command: string) => `== CRITICAL == This replica is sending an error to its master: '-WRONGTYPE Operation against a key holding the wrong kind of value' after processing the command '${command}'`;
      expect(seen[0]).toEqual([told("lpush"), told("exec")]);
      expect(seen[0]).toEqual(seen[1]!);
    } finally {
      m.close();
      for (const r of replicas) await r.stop();
      await master.stop();
    }
  }, 30_000);

  test("replica-announce-ip and replica-announce-port: the master lists the replica under them; replica-announced no tells Sentinel to leave it out", async () => {
    const options = { "replica-announce-ip": "10.1.2.3", "replica-announce-port": "4444", "replica-announced": "no" };
    await withMasterAndReplica([], options, async (m, r) => {
      await waitCaughtUp(m);
      expect(field(await m.call("INFO", "replication"), "slave0")).toStartWith("ip=10.1.2.3,port=4444,state=online,");
      expect(field(await r.call("INFO", "replication"), "replica_announced")).toBe("0");
    });
  }, 30_000);

  test("bind-source-addr: the link to the master comes from that address, as a Redis replica's does", async () => {
    // Another loopback address: protected mode would refuse it, as Redis's does.
    await withMasterAndReplica(["--protected-mode", "no"], { "bind-source-addr": "127.0.0.2" }, async (m, _r, master) => {
      const redis = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`, "--bind-source-addr", "127.0.0.3"]);
      try {
        await waitFor(async () => field(await m.call("INFO", "replication"), "connected_slaves") === "2" || undefined, 20_000, "both replicas");
        const info = await m.call("INFO", "replication");
        const ips = [field(info, "slave0"), field(info, "slave1")].map((line) => /^ip=([\d.]+),/.exec(line ?? "")?.[1]).sort();
        expect(ips).toEqual(["127.0.0.2", "127.0.0.3"]);
      } finally {
        await redis.stop();
      }
    });
  }, 30_000);

  test("a replica that cannot save stops at its master's next write, or applies it with replica-ignore-disk-write-errors; as Redis", async () => {
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(master.port);
    try {
      const seen: Record<string, unknown[]> = { kvis: [], redis: [] };
      for (const kind of ["kvis", "redis"] as const) {
        for (const ignore of ["no", "yes"]) {
          const args = ["--replicaof", `127.0.0.1 ${master.port}`, "--save", "3600 1", "--replica-ignore-disk-write-errors", ignore, "--use-exit-on-panic", "yes", "--enable-protected-configs", "yes"];
          const replica = kind === "kvis" ? await startKvisBinary(args) : await startRedis(args);
          const r = await RawClient.connect(replica.port);
          try {
            await waitFor(async () => field(await r.call("INFO", "replication"), "master_link_status") === "up" || undefined, 20_000, "the replica's sync");
            // Its folder goes: the next BGSAVE fails, and with save points writes cannot reach the disk.
            const gone = join(replica.dir, "gone");
            mkdirSync(gone);
            await r.call("CONFIG", "SET", "dir", gone);
            rmSync(gone, { recursive: true });
            await r.call("BGSAVE");
            await waitFor(async () => field(await r.call("INFO", "persistence"), "rdb_last_bgsave_status") === "err" || undefined, 20_000, "the failed save");
            await m.call("SET", `written:${kind}:${ignore}`, "1");
            if (ignore === "no") {
              replica.expectFailure();
              // Redis's panic report sometimes ends in a crash of its own (139): stopped with an error, either way.
              seen[kind]!.push((await replica.proc.exited) !== 0, (await replica.output()).includes("Replica was unable to write command to disk"));
            } else {
              await waitFor(async () => (await r.call("EXISTS", `written:${kind}:${ignore}`)) === ":1\r\n" || undefined, 20_000, "the write applied");
              seen[kind]!.push((await replica.output()).includes("Replica is applying a command even though it is unable to write to disk."));
            }
          } finally {
            r.close();
            await replica.stop();
          }
        }
      }
      expect(seen.kvis).toEqual(seen.redis!);
      expect(seen.kvis).toEqual([true, true, true]);
    } finally {
      m.close();
      await master.stop();
    }
  }, 60_000);

  test("a client the master's DEL releases with an error is not an error of the master's stream", async () => {
    await withMasterAndReplica([], { "replica-read-only": "no" }, async (m, r, _redis, port) => {
      expect(await m.call("XGROUP", "CREATE", "st", "g", "$", "MKSTREAM")).toBe("+OK\r\n");
      await waitCaughtUp(m);
      const waiter = await RawClient.connect(port);
      try {
        waiter.write(encodeCommand(["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "st", ">"]));
        await waitFor(async () => (await r.call("INFO", "clients")).includes("blocked_clients:1"), 20_000, "the waiter to block");
        expect(await m.call("DEL", "st")).toBe(":1\r\n");
        expect(await waiter.readReplies(1)).toEqual(["-UNBLOCKED the stream key no longer exists\r\n"]);
        // Not counted as an error in reply to the master's stream, and the link goes on.
        await waitCaughtUp(m);
        expect(await r.call("INFO", "stats")).toContain("\r\nunexpected_error_replies:0\r\n");
        expect(await r.call("INFO", "replication")).toContain("master_link_status:up");
      } finally {
        waiter.close();
      }
    });
  });

  test("on a writable replica, keys its own clients gave a TTL expire there, and a client's write finds none past its deadline, as on a Redis replica", async () => {
    await withMasterAndReplica(["--enable-debug-command", "yes"], { "replica-read-only": "no" }, async (m, r) => {
      // The master's key with a TTL waits for the master's DEL (its active expiry is off).
      expect(await m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("+OK\r\n");
      expect(await m.call("SET", "theirs", "v", "PX", "50")).toBe("+OK\r\n");
      await waitCaughtUp(m);
      const expired = async () => Number(/expired_keys:(\d+)/.exec(await r.call("INFO", "stats"))![1]);
      const before = await expired();
      // Through SET PX, EXPIRE, a transaction and a script.
      expect(await r.call("SET", "mine", "v", "PX", "1")).toBe("+OK\r\n");
      expect(await r.call("SET", "mine2", "v")).toBe("+OK\r\n");
      expect(await r.call("PEXPIRE", "mine2", "1")).toBe(":1\r\n");
      r.write("MULTI\r\nSET mine3 v PX 1\r\nEXEC\r\n");
      expect((await r.readReplies(3)).at(-1)).toBe("*1\r\n+OK\r\n");
      expect(await r.call("EVAL", "return redis.call('SET', KEYS[1], 'v', 'PX', 1)", "1", "mine4")).toBe("+OK\r\n");
      // Deleted by the replica's cron, without a read.
      await waitFor(async () => (await expired()) === before + 4, 20_000, "the replica's own keys to expire");
      expect(await r.call("DBSIZE")).toBe(":1\r\n");
      expect(await r.call("GET", "theirs")).toBe("$-1\r\n");
      // A client's write to the master's key past its deadline deletes it first, as a
      // writable Redis replica forces: SET NX then stores.
      expect(await r.call("SET", "theirs", "w", "NX")).toBe("+OK\r\n");
      expect(await r.call("GET", "theirs")).toBe("$1\r\nw\r\n");
    });
  });

  test("CLIENT PAUSE WRITE on a replica holds its master's writes: read on, applied once it ends, as on a Redis replica", async () => {
    // No PINGs from the master: the stream is the writes alone.
    const master = await startRedis(["--repl-ping-replica-period", "3600", "--repl-diskless-sync-delay", "0"]);
    const replicaOf = `127.0.0.1 ${master.port}`;
    const replicas = await startAll([() => startRedis(["--replicaof", ...replicaOf.split(" ")]), () => startKvis({ replicaof: replicaOf })]);
    const m = await RawClient.connect(master.port);
    const rs = await Promise.all(replicas.map((r) => RawClient.connect(r.port)));
    const offsets = async (r: RawClient) => {
      const info = await r.call("INFO", "replication");
      return { read: Number(field(info, "slave_read_repl_offset")), applied: Number(field(info, "slave_repl_offset")) };
    };
    const masterOffset = async () => Number(field(await m.call("INFO", "replication"), "master_repl_offset"));
    try {
      await m.call("SET", "foo", "bar");
      let offset = await masterOffset();
      for (const r of rs) await waitFor(async () => (await offsets(r)).applied === offset, 20_000, "the replica to apply the stream");
      const before = offset;
      for (const r of rs) expect(await r.call("CLIENT", "PAUSE", "100000", "WRITE")).toBe("+OK\r\n");
      // One write held, the stream's last: its own offset, not a later request's, moves the replica on.
      await m.call("SET", "foo2", "bar2");
      offset = await masterOffset();
      const seen: unknown[] = [];
      for (const r of rs) {
        await waitFor(async () => (await offsets(r)).read === offset, 20_000, "the paused replica to read the stream");
        seen.push([await offsets(r), await r.call("GET", "foo2")]);
      }
      // What comes before the first write (a SELECT the master sent after the second sync) is applied.
      const [held, value] = seen[1] as [{ read: number; applied: number }, string];
      expect(held.read).toBe(offset);
      expect(held.applied).toBeGreaterThanOrEqual(before);
      expect(held.applied).toBeLessThan(offset);
      expect(value).toBe("$-1\r\n");
      expect(seen[1]).toEqual(seen[0]);
      for (const r of rs) {
        expect(await r.call("CLIENT", "UNPAUSE")).toBe("+OK\r\n");
        await waitFor(async () => (await offsets(r)).applied === offset, 20_000, "the replica to apply what the pause held");
        expect(await r.call("GET", "foo2")).toBe("$4\r\nbar2\r\n");
      }
    } finally {
      m.close();
      for (const r of rs) r.close();
      await Promise.all([master.stop(), ...replicas.map((r) => r.stop())]);
    }
  });

  test("an expired key reads as missing on the replica but stays until the master deletes it", async () => {
    await withMasterAndReplica(["--enable-debug-command", "yes"], {}, async (m, r) => {
      // With active expiry off on the master, nothing deletes the key but a read on the master.
      expect(await m.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("+OK\r\n");
      await m.call("SET", "short", "v", "PX", "150");
      await waitCaughtUp(m);
      await waitExpired(m, "short");
      expect(await r.call("GET", "short")).toBe("$-1\r\n");
      expect(await r.call("DBSIZE")).toBe(":1\r\n");
      expect(await m.call("GET", "short")).toBe("$-1\r\n"); // the master expires it and sends DEL
      await waitFor(async () => (await r.call("DBSIZE")) === ":0\r\n", 20_000, "the master's DEL to arrive");
    });
  });

  test("masterauth authenticates to a master with requirepass", async () => {
    await withMasterAndReplica(["--requirepass", "sekret"], { masterauth: "sekret" }, async (m, r) => {
      expect(await m.call("AUTH", "sekret")).toBe("+OK\r\n");
      await m.call("SET", "guarded", "yes");
      await waitCaughtUp(m);
      expect(await r.call("GET", "guarded")).toBe("$3\r\nyes\r\n");
    });
  });

  test("a wrong masterauth is logged as a Redis replica logs it; the right one, binary, links up", async () => {
    // A password with a zero byte, set on the master and given to the replica by CONFIG SET.
    const password = "abc\x00def";
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(master.port);
    const kvis = await startKvisBinary();
    const r = await RawClient.connect(kvis.port);
    try {
      expect(await m.call("CONFIG", "SET", "requirepass", password)).toBe("+OK\r\n");
      expect(await m.call("AUTH", password)).toBe("+OK\r\n");
      expect(await r.call("CONFIG", "SET", "masterauth", "abc")).toBe("+OK\r\n");
      expect(await r.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
      await waitFor(async () => (await kvis.output()).includes("Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled."), 20_000, "the AUTH refusal in the log");
      expect(await r.call("INFO", "replication")).toContain("master_link_status:down");
      expect(await r.call("CONFIG", "SET", "masterauth", password)).toBe("+OK\r\n");
      await waitFor(async () => (await r.call("INFO", "replication")).includes("master_link_status:up"), 20_000, "the link with the right password");
    } finally {
      r.close();
      m.close();
      await kvis.stop();
      await master.stop();
    }
  });

  const LOADING = "-LOADING Redis is loading the dataset in memory\r\n";

  /**
   * A KVIS binary made the replica of a real Redis master of 200,000 keys, in a
   * disk-based sync (the master streams right after the snapshot, while it loads), PINGed
   * until it answers -LOADING, when `duringLoad` runs (the old code loaded in one go and
   * answered +PONG after it); then `after`.
   */
  async function withLoadingReplica(
    duringLoad: (master: ChildServer, m: RawClient, c: RawClient) => Promise<void>,
    after: (m: RawClient, c: RawClient) => Promise<void>,
  ): Promise<void> {
    const master = await startRedis(["--repl-diskless-sync", "no", "--enable-debug-command", "yes"]);
    const m = await RawClient.connect(master.port);
    // 200,000 keys, the event loop turning every 64 KB of them: a hundred turns that answer
    // the PINGs sent meanwhile. One key in ten waits (key-load-delay -10: 1 µs asked, the
    // kernel's timer slack makes it 50-80), so that the load lasts a second or more however
    // fast the machine: a load of a fifth of a second sometimes ended between two of the
    // test's polls on a machine running other tests meanwhile.
    const kvis = await startKvisBinary(["--loading-process-events-interval-bytes", "65536", "--key-load-delay", "-10"]);
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await m.call("DEBUG", "POPULATE", "200000")).toBe("+OK\r\n");
      expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
      let seen = false;
      await waitFor(async () => {
        if ((await c.call("PING")) === LOADING) {
          seen = true;
          await duringLoad(master, m, c);
          return true;
        }
        return (await c.call("INFO", "replication")).includes("master_link_status:up");
      }, 60_000, "the snapshot's load");
      expect(seen).toBe(true);
      await after(m, c);
    } finally {
      c.close();
      m.close();
      await kvis.stop();
      await master.stop();
    }
  }

  test("while the sync's snapshot loads the replica answers -LOADING, then has it all, with the writes made meanwhile", async () => {
    let loadingInfo = "";
    await withLoadingReplica(async (_master, m, c) => {
      loadingInfo = await c.call("INFO");
      await m.call("SET", "during-load", "yes");
    }, async (m, c) => {
      expect(loadingInfo).toContain("\r\nloading:1\r\n");
      expect(loadingInfo).toContain("\r\nmaster_sync_in_progress:1\r\n");
      expect(loadingInfo).toMatch(/\r\nloading_total_bytes:[1-9]\d*\r\n/);
      // The sync's progress as a Redis replica shows it while loading: all read, none left.
      const total = /\r\nmaster_sync_total_bytes:(\d+)\r\n/.exec(loadingInfo)?.[1];
      expect(Number(total)).toBeGreaterThan(0);
      expect(loadingInfo).toContain(`\r\nmaster_sync_read_bytes:${total}\r\nmaster_sync_left_bytes:0\r\nmaster_sync_perc:100.00\r\nmaster_sync_last_io_seconds_ago:`);
      expect(loadingInfo).toContain("\r\nmaster_link_down_since_seconds:-1\r\nslave_priority:");
      await waitFor(async () => (await c.call("INFO", "replication")).includes("master_link_status:up"), 60_000, "the link");
      await waitCaughtUp(m);
      expect(await c.call("GET", "during-load")).toBe("$3\r\nyes\r\n");
      expect(await c.call("DBSIZE")).toBe(":200001\r\n");
      expect(await c.call("INFO", "persistence")).toContain("\r\nloading:0\r\n");
    });
  }, 120_000);

  test("a master gone while its snapshot loads: the replica finishes the load, keeps it, and serves", async () => {
    await withLoadingReplica(async (master) => {
      master.proc.kill("SIGKILL");
      await master.proc.exited;
    }, async (_m, c) => {
      await waitFor(async () => (await c.call("PING")) === "+PONG\r\n", 60_000, "the end of the load");
      expect(await c.call("DBSIZE")).toBe(":200000\r\n");
      const info = await c.call("INFO", "replication");
      expect(info).toContain("master_link_status:down");
      expect(info).toContain("master_sync_in_progress:0");
    });
  }, 120_000);

  test("promoted while the snapshot loads, a replica drops the half it loaded and serves as a master", async () => {
    const master = await startRedis(["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(master.port);
    const kvis = await startKvis({ "loading-process-events-interval-bytes": "65536" });
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await m.call("DEBUG", "POPULATE", "200000")).toBe("+OK\r\n");
      expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
      await waitFor(async () => (await c.call("PING")) === LOADING, 60_000, "the snapshot's load");
      // REPLICAOF is refused while loading; a cluster failover promotes this way.
      kvis.server.promote();
      await waitFor(async () => (await c.call("PING")) === "+PONG\r\n", 60_000, "the load to stop");
      expect(await c.call("DBSIZE")).toBe(":0\r\n");
      expect(await c.call("INFO", "replication")).toContain("role:master");
      expect(await c.call("SET", "k", "v")).toBe("+OK\r\n");
      expect(readdirSync(kvis.dir).filter((f) => f.startsWith("temp-"))).toEqual([]);
    } finally {
      c.close();
      m.close();
      await kvis.stop();
      await master.stop();
    }
  }, 120_000);

  test("INFO replication names the same fields as a Redis replica's while the link is down: never up, then lost", async () => {
    /** The replica fields' names, in order, and master_link_down_since_seconds. */
    const fields = async (port: number) => {
      const c = await RawClient.connect(port);
      const info = await c.call("INFO", "replication");
      c.close();
      const lines = info.split("\r\n").filter((l) => l.includes(":"));
      const names = lines.map((l) => l.split(":")[0]!);
      const offsets = lines.filter((l) => /^slave_(read_)?repl_offset:/.test(l));
      return { names: names.slice(0, names.indexOf("slave_priority")), down: Number(/master_link_down_since_seconds:(-?\d+)/.exec(info)?.[1]), offsets };
    };
    const linkIs = (port: number, state: string) => waitFor(async () => {
      const c = await RawClient.connect(port);
      const up = (await c.call("INFO", "replication")).includes(`master_link_status:${state}`);
      c.close();
      return up;
    }, 20_000, `master_link_status:${state}`);
    const master = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const nowhere = freePort();
    const redisReplica = await startRedis(["--replicaof", `127.0.0.1 ${nowhere}`]);
    const kvis = await startKvis({ replicaof: `127.0.0.1 ${nowhere}` });
    try {
      const [r0, k0] = [await fields(redisReplica.port), await fields(kvis.port)];
      expect(k0.names).toEqual(r0.names);
      expect([k0.down, r0.down]).toEqual([-1, -1]);
      // Before any sync both offsets read 1, as Redis prints them with no master.
      expect(k0.offsets).toEqual(r0.offsets);
      for (const port of [redisReplica.port, kvis.port]) {
        const c = await RawClient.connect(port);
        expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
        c.close();
        await linkIs(port, "up");
      }
      await master.stop();
      await linkIs(redisReplica.port, "down");
      await linkIs(kvis.port, "down");
      const [r1, k1] = [await fields(redisReplica.port), await fields(kvis.port)];
      expect(k1.names).toEqual(r1.names);
      expect(k1.names).toContain("master_link_down_since_seconds");
      expect(k1.down).toBeGreaterThanOrEqual(0);
      expect(r1.down).toBeGreaterThanOrEqual(0);
    } finally {
      await kvis.stop();
      await redisReplica.stop();
      await master.stop();
    }
  });

  test("during a full sync that REPLICAOF started, the offsets shown are the former master's own, as Redis's cached master", async () => {
    // A save of 20 keys at 100 ms a key: the transfer waits on it.
    const master = await startRedis(["--enable-debug-command", "yes", "--repl-diskless-sync", "no", "--rdb-key-save-delay", "100000"]);
    const redisReplica = await startRedis();
    const kvis = await startKvis();
    try {
      const m = await RawClient.connect(master.port);
      expect(await m.call("DEBUG", "POPULATE", "20")).toBe("+OK\r\n");
      m.close();
      const offsets = async (port: number) => {
        const c = await RawClient.connect(port);
        expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
        const info = await waitFor(async () => {
          const text = await c.call("INFO", "replication");
          return text.includes("master_sync_in_progress:1") ? text : undefined;
        }, 20_000, "the full sync to start");
        c.close();
        return info.split("\r\n").filter((l) => /^slave_(read_)?repl_offset:/.test(l));
      };
      const [r, k] = [await offsets(redisReplica.port), await offsets(kvis.port)];
      expect(k).toEqual(r);
      expect(k).toEqual(["slave_read_repl_offset:0", "slave_repl_offset:0"]);
    } finally {
      await kvis.stop();
      await redisReplica.stop();
      await master.stop();
    }
  });

  test("./kvis --replicaof \"HOST PORT\" replicates", async () => {
    const redis = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(redis.port);
    const kvis = await startKvisBinary(["--replicaof", `127.0.0.1 ${redis.port}`]);
    try {
      await m.call("SET", "from-cli", "ok");
      await waitCaughtUp(m);
      const r = await RawClient.connect(kvis.port);
      expect(await r.call("GET", "from-cli")).toBe("$2\r\nok\r\n");
      r.close();
    } finally {
      m.close();
      await kvis.stop();
      await redis.stop();
    }
  });
});

describe("a replica's full sync loaded from disk or memory (repl-diskless-load), side by side with a Redis replica", () => {
  const LOADING = "-LOADING Redis is loading the dataset in memory\r\n";

  /** A replica's "MASTER <-> REPLICA sync: ..." lines, in order (KVIS adds the time taken to the last). */
  const syncLines = async (replica: ChildServer) =>
    (await replica.output()).split("\n").flatMap((l) => {
      const line = /MASTER <-> REPLICA sync: (.*?)( \([\d.]+ seconds\))?\r?$/.exec(l)?.[1];
      return line === undefined ? [] : [line];
    });

  /**
   * Wait until each replica has loaded its snapshot (its link is up) and the master lists
   * them online, each having acknowledged its whole stream. The master alone does not
   * tell: after a diskless sync it lists a replica still loading as online at offset 0,
   * which is its own offset until a write comes.
   */
  async function waitAllCaughtUp(master: RawClient, replicas: { c: RawClient }[]): Promise<void> {
    await waitFor(async () => {
      for (const r of replicas) if (field(await r.c.call("INFO", "replication"), "master_link_status") !== "up") return false;
      const info = await master.call("INFO", "replication");
      const offset = field(info, "master_repl_offset");
      return replicas.every((_, i) => {
        const s = field(info, `slave${i}`);
        return s?.includes("state=online") && s.includes(`offset=${offset},`);
      });
    }, 20_000, `${replicas.length} replicas to acknowledge the master's offset`);
  }

  /** A Redis replica and a KVIS replica of one Redis master, started with `args`. */
  async function withBothReplicas(
    masterArgs: string[],
    replicaArgs: string[],
    body: (m: RawClient, replicas: { server: ChildServer; c: RawClient; name: string }[], replicaOf: (c: RawClient) => Promise<string>) => Promise<void>,
  ): Promise<void> {
    const master = await startRedis(["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes", ...masterArgs]);
    const m = await RawClient.connect(master.port);
    const servers = await startAll([
      () => startRedis(["--enable-debug-command", "yes", ...replicaArgs]),
      () => startKvisBinary(["--enable-debug-command", "yes", ...replicaArgs]),
    ]);
    const replicas = await Promise.all(servers.map(async (server, i) => ({ server, c: await RawClient.connect(server.port), name: i === 0 ? "redis" : "kvis" })));
    try {
      await body(m, replicas, (c) => c.call("REPLICAOF", "127.0.0.1", String(master.port)));
    } finally {
      m.close();
      for (const r of replicas) r.c.close();
      await Promise.all([master.stop(), ...servers.map((s) => s.stop())]);
    }
  }

  for (const [mode, form, replicaHasKeys] of [
    ["on-empty-db", "yes", false],
    ["on-empty-db", "no", false],
    ["on-empty-db", "yes", true],
    ["swapdb", "yes", false],
    ["swapdb", "no", true],
  ] as const) {
    test(`${mode}, ${form === "yes" ? "a streamed ($EOF:)" : "a $<len>"} snapshot, ${replicaHasKeys ? "a replica holding keys" : "an empty replica"}: the same data, log lines and files as Redis's`, async () => {
      await withBothReplicas(["--repl-diskless-sync", form], ["--repl-diskless-load", mode], async (m, replicas, replicaOf) => {
        await seed(m);
        expect(await m.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}")).toBe("$3\r\nlib\r\n");
        for (const r of replicas) {
          if (replicaHasKeys) expect(await r.c.call("SET", "mine", "1")).toBe("+OK\r\n");
          expect(await replicaOf(r.c)).toBe("+OK\r\n");
        }
        await writeLoad(m);
        await waitAllCaughtUp(m, replicas);
        const expected = await dataset(m);
        const seen = [];
        for (const r of replicas) {
          expect(await dataset(r.c)).toEqual(expected);
          seen.push({ lines: await syncLines(r.server), files: readdirSync(r.server.dir).filter((f) => f.endsWith(".rdb")), f: await r.c.call("FCALL_RO", "f", "0") });
        }
        expect(seen[1]).toEqual(seen[0]!);
        // Loaded from memory only when nothing would be lost by it or swapdb keeps it.
        expect(seen[1]!.lines.some((l) => l.endsWith("to parser"))).toBe(mode === "swapdb" || !replicaHasKeys);
      });
    });
  }

  test("on-empty-db: the snapshot loads as it arrives, keys in before the master has sent them all, as on a Redis replica", async () => {
    // The master writes its snapshot to the socket one key each 300 µs.
    await withBothReplicas(["--repl-diskless-sync", "yes", "--rdb-key-save-delay", "300"], ["--repl-diskless-load", "on-empty-db", "--loading-process-events-interval-bytes", "1024"], async (m, replicas, replicaOf) => {
      expect(await m.call("DEBUG", "POPULATE", "3000")).toBe("+OK\r\n");
      const seen = [];
      for (const r of replicas) {
        expect(await replicaOf(r.c)).toBe("+OK\r\n");
        let keys = 0;
        let info = "";
        await waitFor(async () => {
          info = await r.c.call("INFO");
          keys = Number(/\r\ndb0:keys=(\d+)/.exec(info)?.[1] ?? 0);
          return keys > 0 || info.includes("master_link_status:up");
        }, 30_000, `${r.name}'s first keys`);
        seen.push({
          partial: keys > 0 && keys < 3000,
          masterSending: field(await m.call("INFO", "persistence"), "rdb_bgsave_in_progress"),
          fields: ["loading", "async_loading", "loading_total_bytes", "master_sync_in_progress", "master_sync_total_bytes", "master_sync_read_bytes"].map((f) => field(info, f)),
          dbsize: await r.c.call("DBSIZE"),
        });
        await waitAllCaughtUp(m, replicas.slice(0, replicas.indexOf(r) + 1));
      }
      expect(seen[0]).toEqual({ partial: true, masterSending: "1", fields: ["1", "0", "0", "1", "0", "0"], dbsize: LOADING });
      expect(seen[1]).toEqual(seen[0]!);
      const expected = await dataset(m);
      for (const r of replicas) expect(await dataset(r.c)).toEqual(expected);
      expect(await syncLines(replicas[1]!.server)).toEqual(await syncLines(replicas[0]!.server));
    });
  }, 60_000);

  test("on-empty-db: a snapshot arriving faster than it loads is read as the load goes, with the same data as Redis's", async () => {
    // 9 MB uncompressed, loaded one key each 200 µs: the replica stops reading past 4 MB ahead (PiecesWindow).
    await withBothReplicas(["--repl-diskless-sync", "yes", "--rdbcompression", "no"], ["--repl-diskless-load", "on-empty-db", "--key-load-delay", "200"], async (m, replicas, replicaOf) => {
      expect(await m.call("DEBUG", "POPULATE", "3000", "key", "3000")).toBe("+OK\r\n");
      for (const r of replicas) expect(await replicaOf(r.c)).toBe("+OK\r\n");
      // The master counts a diskless replica online once it has sent the snapshot: the loads are awaited.
      for (const r of replicas) {
        await waitFor(async () => {
          const info = await r.c.call("INFO");
          return info.includes("\r\nloading:0\r\n") && info.includes("\r\nmaster_link_status:up\r\n");
        }, 30_000, `${r.name}'s load`);
      }
      await waitAllCaughtUp(m, replicas);
      const expected = await dataset(m);
      for (const r of replicas) expect(await dataset(r.c)).toEqual(expected);
      expect(await syncLines(replicas[1]!.server)).toEqual(await syncLines(replicas[0]!.server));
    });
  }, 60_000);

  /**
   * The replicas sync 5,000 keys; then, slowed to load one key each 500 µs, they are stopped
   * while their links are cut and the master moves on past its backlog (16 KB): their next
   * sync is full, in the history they follow.
   */
  async function fullSyncAgain(m: RawClient, replicas: { server: ChildServer; c: RawClient }[], replicaOf: (c: RawClient) => Promise<string>): Promise<void> {
    expect(await m.call("DEBUG", "POPULATE", "5000", "old")).toBe("+OK\r\n");
    for (const r of replicas) expect(await replicaOf(r.c)).toBe("+OK\r\n");
    await waitAllCaughtUp(m, replicas);
    for (const r of replicas) expect(await r.c.call("CONFIG", "SET", "key-load-delay", "500")).toBe("+OK\r\n");
    for (const r of replicas) r.server.proc.kill("SIGSTOP");
    expect(await m.call("CLIENT", "KILL", "TYPE", "replica")).toBe(`:${replicas.length}\r\n`);
    m.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => encodeCommand(["SET", `old:${i}`, "new".padEnd(100, "!")]))));
    await m.readReplies(400);
    for (const r of replicas) r.server.proc.kill("SIGCONT");
  }

  test("a full sync after a lost link, loaded from disk: INFO's offsets and ROLE while it loads are a Redis replica's", async () => {
    await withBothReplicas(["--repl-diskless-sync", "yes", "--repl-backlog-size", "16384"], ["--loading-process-events-interval-bytes", "1024"], async (m, replicas, replicaOf) => {
      await fullSyncAgain(m, replicas, replicaOf);
      const seen = [];
      for (const r of replicas) {
        await waitFor(async () => (await r.c.call("INFO", "persistence")).includes("\r\nloading:1\r\n"), 30_000, `${r.name}'s load`);
        const info = await r.c.call("INFO", "replication");
        seen.push({
          offsets: ["master_link_status", "master_sync_in_progress", "slave_read_repl_offset", "slave_repl_offset"].map((f) => field(info, f)),
          role: await r.c.call("ROLE"),
        });
      }
      for (const r of replicas) expect(await r.c.call("CONFIG", "SET", "key-load-delay", "0")).toBe("+OK\r\n");
      await waitAllCaughtUp(m, replicas);
      expect(seen[0]!.offsets).toEqual(["down", "1", "1", "1"]);
      expect(seen[1]).toEqual(seen[0]!);
    });
  }, 60_000);

  test("swapdb within the same history: the old data answers while the new loads, no-async-loading commands get -LOADING, as on a Redis replica", async () => {
    await withBothReplicas(["--repl-diskless-sync", "yes", "--repl-backlog-size", "16384"], ["--repl-diskless-load", "swapdb", "--loading-process-events-interval-bytes", "1024"], async (m, replicas, replicaOf) => {
      await fullSyncAgain(m, replicas, replicaOf);
      const seen = [];
      for (const r of replicas) {
        await waitFor(async () => (await r.c.call("INFO", "persistence")).includes("\r\nasync_loading:1\r\n"), 30_000, `${r.name}'s async load`);
        const info = await r.c.call("INFO", "persistence");
        const replication = await r.c.call("INFO", "replication");
        seen.push({
          loading: field(info, "loading"),
          loadingStart: field(info, "loading_start_time") !== undefined,
          sync: ["master_link_status", "master_sync_in_progress", "master_sync_total_bytes", "master_sync_read_bytes", "master_sync_left_bytes"].map((f) => field(replication, f)),
          // The place in the stream, while the old data answers: none yet, as a Redis replica shows it.
          offsets: ["slave_read_repl_offset", "slave_repl_offset", "master_repl_offset"].map((f) => field(replication, f)),
          role: await r.c.call("ROLE"),
          get: await r.c.call("GET", "old:1"),
          dbsize: await r.c.call("DBSIZE"),
          bgsave: await r.c.call("BGSAVE"),
          write: await r.c.call("SET", "x", "1"),
        });
      }
      for (const r of replicas) {
        expect(await r.c.call("CONFIG", "SET", "key-load-delay", "0")).toBe("+OK\r\n");
        await waitFor(async () => (await r.c.call("INFO", "persistence")).includes("\r\nasync_loading:0\r\n"), 60_000, `${r.name}'s load to end`);
      }
      await waitAllCaughtUp(m, replicas);
      const { offsets, role, ...rest } = seen[0]!;
      expect(offsets).toEqual(["0", "0", "0"]);
      expect(role).toContain("$4\r\nsync\r\n:-1\r\n");
      expect(rest).toEqual({ loading: "0", loadingStart: true, sync: ["down", "1", "0", "0", "0"], get: "$7\r\nvalue:1\r\n", dbsize: ":5000\r\n", bgsave: LOADING, write: "-READONLY You can't write against a read only replica.\r\n" });
      expect(seen[1]).toEqual(seen[0]!);
      for (const r of replicas) expect(await r.c.call("GET", "old:1")).toBe(`$100\r\n${"new".padEnd(100, "!")}\r\n`);
      expect(await syncLines(replicas[1]!.server)).toEqual(await syncLines(replicas[0]!.server));
    });
  }, 120_000);

  /**
   * A master that answers the handshake and then sends `payload` after +FULLRESYNC, once;
   * later PSYNCs get no answer, so the replica stays as the first sync left it. Each PSYNC's
   * arguments go to `psyncs`.
   */
  function fakeMaster(payload: Uint8Array, thenClose: boolean, psyncs: string[] = []) {
    let served = false;
    return Bun.listen<{ text: string; first: boolean }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { text: "", first: !served };
          served = true;
        },
        data(socket, chunk) {
          socket.data.text += Buffer.from(chunk).toString("latin1");
          // One reply per request: PING, REPLCONF..., PSYNC.
          for (let m; (m = /^\*\d+\r\n\$\d+\r\n(\w+)\r\n((?:\$\d+\r\n[^\r]*\r\n)*)/i.exec(socket.data.text)); ) {
            socket.data.text = socket.data.text.slice(m[0].length);
            const command = m[1]!.toUpperCase();
            if (command === "PSYNC") psyncs.push(m[2]!.split("\r\n").filter((_, i) => i % 2 === 1).join(" "));
            if (command === "PING") socket.write("+PONG\r\n");
            else if (command === "PSYNC") {
              if (!socket.data.first) continue;
              socket.write(`+FULLRESYNC ${"f".repeat(40)} 0\r\n`);
              socket.write(payload);
              if (thenClose) socket.end();
            } else socket.write("+OK\r\n");
          }
        },
      },
    });
  }

  /**
   * A replica (holding one key, unless `empty`) after its first sync from a fake master
   * sending `payload`, once it has logged `failed`.
   */
  async function afterFailedSync(start: () => Promise<ChildServer>, payload: Uint8Array, thenClose: boolean, failed = "MASTER <-> REPLICA sync: Discarding temporary DB in background", empty = false) {
    const master = fakeMaster(payload, thenClose);
    const server = await start();
    const c = await RawClient.connect(server.port);
    try {
      if (!empty) await c.call("SET", "old", "kept");
      expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
      await waitFor(async () => (await server.output()).includes(failed), 20_000, "the sync to fail");
      const info = await c.call("INFO", "persistence");
      return { old: await c.call("GET", "old"), dbsize: await c.call("DBSIZE"), loading: field(info, "loading"), async: field(info, "async_loading"), files: readdirSync(server.dir), log: await server.output() };
    } finally {
      c.close();
      master.stop(true);
      await server.stop();
    }
  }

  const mark = "m".repeat(40);
  const kept = { old: "$4\r\nkept\r\n", dbsize: ":1\r\n", loading: "0", async: "0", files: [] };

  test("swapdb: a transfer cut off leaves the old data in place, as on a Redis replica", async () => {
    const payload = Buffer.from(`$EOF:${mark}\r\nREDIS0010\xfa\x09redis-ver`, "latin1");
    const [redis, kvis] = await Promise.all([
      afterFailedSync(() => startRedis(["--repl-diskless-load", "swapdb"]), payload, true),
      afterFailedSync(() => startKvisBinary(["--repl-diskless-load", "swapdb"]), payload, true),
    ]);
    const { log: _, ...state } = redis;
    expect(state).toEqual(kept);
    expect(kvis).toMatchObject(state);
  });

  test("on-empty-db: a transfer cut off halfway through a real snapshot, half loaded, leaves the replica empty, as a Redis replica", async () => {
    const redis = await startRedis(["--enable-debug-command", "yes"]);
    let image: Uint8Array;
    try {
      const c = await RawClient.connect(redis.port);
      expect(await c.call("DEBUG", "POPULATE", "3000")).toBe("+OK\r\n");
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      c.close();
      image = new Uint8Array(await Bun.file(join(redis.dir, "dump.rdb")).arrayBuffer());
    } finally {
      await redis.stop();
    }
    const payload = Buffer.concat([Buffer.from(`$EOF:${mark}\r\n`), image.subarray(0, image.length >> 1)]);
    const failed = "Failed trying to load the MASTER synchronization DB from socket";
    const [redisReplica, kvis] = await Promise.all([
      afterFailedSync(() => startRedis(["--repl-diskless-load", "on-empty-db"]), payload, true, failed, true),
      afterFailedSync(() => startKvisBinary(["--repl-diskless-load", "on-empty-db"]), payload, true, failed, true),
    ]);
    const { log: _, ...state } = redisReplica;
    expect(state).toEqual({ old: "$-1\r\n", dbsize: ":0\r\n", loading: "0", async: "0", files: [] });
    expect(kvis).toMatchObject(state);
  });

  test("swapdb: a snapshot that does not load leaves the old data in place and the replica retries (Redis 7.0 exits)", async () => {
    const payload = Buffer.from(`$EOF:${mark}\r\nREDIS0010\xf0\xf0\xf0 not an RDB body${mark}`, "latin1");
    const kvis = await afterFailedSync(() => startKvisBinary(["--repl-diskless-load", "swapdb"]), payload, false);
    expect(kvis).toMatchObject(kept);
    expect(kvis.log).toContain("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
  });

  test("a snapshot loaded from disk that does not load leaves no place in the old stream: the next sync asks for a full one", async () => {
    const psyncs: string[] = [];
    const master = fakeMaster(Buffer.from("$20\r\nREDIS0010\xf0 not an RDB", "latin1"), false, psyncs);
    const kvis = await startKvisBinary();
    const c = await RawClient.connect(kvis.port);
    try {
      await c.call("SET", "old", "gone");
      expect(await c.call("REPLICAOF", "127.0.0.1", String(master.port))).toBe("+OK\r\n");
      await waitFor(() => psyncs.length >= 2, 20_000, "a second PSYNC");
      // The first continues this server's own history, as Redis's synthesized cached master;
      // after the failed load the data is gone, and a partial resync would build on nothing.
      expect(psyncs[0]).toMatch(/^[0-9a-f]{40} 1$/);
      expect(psyncs[1]).toBe("? -1");
      expect(await c.call("DBSIZE")).toBe(":0\r\n");
      expect(await kvis.output()).toContain("Failed trying to load the MASTER synchronization DB from disk, check server logs.");
    } finally {
      c.close();
      master.stop(true);
      await kvis.stop();
    }
  });
});
