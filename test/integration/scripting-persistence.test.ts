/**
 * Scripts and functions beyond one process: a script's effects (not the script) reach a
 * real Redis replica of a KVIS master and a KVIS replica of a real Redis master, function
 * libraries travel in the full sync's snapshot and as FUNCTION LOAD in the stream, and the
 * AOF (with and without the RDB preamble) and the RDB file bring both back after a
 * restart, where real redis-server reads KVIS's RDB file with its libraries.
 */
import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { datasetOf } from "../helpers/dataset.ts";
import { RawClient } from "../helpers/resp.ts";
import { run, serverTestTimeout, startKvis, startRedis, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const DBS = [0, 2];
const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info.replace(/\r/g, ""))?.[1];

const LIBRARY = `#!lua name=kvislib
redis.register_function('bump', function(keys, args)
  redis.call('incrby', keys[1], args[1])
  redis.call('rpush', keys[2], redis.call('get', keys[1]))
  return redis.call('llen', keys[2])
end)
redis.register_function{function_name = 'peek', callback = function(keys) return redis.call('get', keys[1]) end, flags = {'no-writes'}}`;

/** Writes made by scripts: several per script, random values, another database, set_repl. */
async function scriptedWrites(c: RawClient, round: number): Promise<void> {
  const ok = async (...args: string[]) => {
    const reply = await c.call(...args);
    if (reply.startsWith("-")) throw new Error(`${args.slice(0, 2).join(" ")}: ${reply}`);
  };
  await ok("EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('expire', KEYS[1], 1000) return redis.call('incr', KEYS[2])", "2", `s:${round}`, "counter", "v");
  // A random value: the replica must get the value, not run the script again.
  await ok("EVAL", "redis.call('set', KEYS[1], tostring(math.random()) .. redis.call('time')[2]) return 1", "1", `rnd:${round}`);
  await ok("EVAL", "redis.call('sadd', KEYS[1], 'a', 'b', 'c', 'd') return redis.call('spop', KEYS[1])", "1", `pop:${round}`);
  await ok("EVAL", "redis.call('select', 2) redis.call('set', KEYS[1], 'in db 2') return 1", "1", `db2:${round}`);
  const sha = (await c.call("SCRIPT", "LOAD", "return redis.call('hincrbyfloat', KEYS[1], 'f', ARGV[1])")).split("\r\n")[1]!;
  await ok("EVALSHA", sha, "1", "hash", "1.5");
  await ok("FCALL", "bump", "2", "n", "history", "3");
  // Kept from replicas and the AOF: only the master has it.
  await ok("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', KEYS[1], 'local') redis.set_repl(redis.REPL_ALL) return 1", "1", `local:${round}`);
}

async function linkUp(replica: RawClient): Promise<void> {
  await waitFor(async () => field(await replica.call("INFO", "replication"), "master_link_status") === "up" || undefined, 20_000, "the replica's link");
}

async function caughtUp(master: RawClient, replica: RawClient): Promise<void> {
  await waitFor(async () => {
    const offset = field(await master.call("INFO", "replication"), "master_repl_offset");
    return offset === field(await replica.call("INFO", "replication"), "slave_repl_offset") || undefined;
  }, 20_000, "the replica to reach the master's offset");
}

/** The dataset without the keys a script kept from replicas and the AOF. */
async function replicated(c: RawClient) {
  const data = await datasetOf(c, DBS);
  return Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith("0:local:")));
}

describe("replication of scripts", () => {
  test("a real Redis replica of a KVIS master gets the effects and the libraries", async () => {
    const kvis = await startKvis();
    const m = await RawClient.connect(kvis.port);
    const clients = [m];
    const servers: Array<{ stop(): Promise<void> }> = [kvis];
    try {
      expect(await m.call("FUNCTION", "LOAD", LIBRARY)).toBe("$7\r\nkvislib\r\n");
      await scriptedWrites(m, 0);
      const redis = await startRedis(["--replicaof", `127.0.0.1 ${kvis.port}`]);
      servers.push(redis);
      const r = await RawClient.connect(redis.port);
      clients.push(r);
      await linkUp(r);
      await scriptedWrites(m, 1);
      // A library loaded after the sync goes down the stream as FUNCTION LOAD.
      expect(await m.call("FUNCTION", "LOAD", "#!lua name=later\nredis.register_function{function_name = 'later', callback = function() return 'later' end, flags = {'no-writes'}}")).toBe("$5\r\nlater\r\n");
      await caughtUp(m, r);
      expect(await replicated(r)).toEqual(await replicated(m));
      expect(await r.call("EXISTS", "local:1")).toBe(":0\r\n");
      expect(await m.call("EXISTS", "local:1")).toBe(":1\r\n");
      expect(await r.call("FCALL_RO", "peek", "1", "n")).toBe("$1\r\n6\r\n");
      expect(await r.call("FCALL_RO", "later", "0")).toBe("$5\r\nlater\r\n");
      expect(await r.call("FUNCTION", "LIST", "LIBRARYNAME", "kvislib", "WITHCODE")).toContain("redis.register_function('bump'");
      await m.call("FUNCTION", "DELETE", "later");
      await caughtUp(m, r);
      expect(await r.call("FCALL_RO", "later", "0")).toBe("-ERR Function not found\r\n");
    } finally {
      for (const c of clients) c.close();
      for (const s of servers.reverse()) await s.stop();
    }
  }, 60_000);

  test("a KVIS replica of a real Redis master gets its libraries in the snapshot and its scripts' effects", async () => {
    // No waiting for more replicas before a diskless sync starts (Redis waits 5 s by default).
    const redis = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const m = await RawClient.connect(redis.port);
    const clients = [m];
    const servers: Array<{ stop(): Promise<void> }> = [redis];
    try {
      await m.call("FUNCTION", "LOAD", LIBRARY);
      await scriptedWrites(m, 0);
      const kvis = await startKvis({ replicaof: `127.0.0.1 ${redis.port}` });
      servers.push(kvis);
      const k = await RawClient.connect(kvis.port);
      clients.push(k);
      await linkUp(k);
      await scriptedWrites(m, 1);
      await caughtUp(m, k);
      expect(await replicated(k)).toEqual(await replicated(m));
      expect(await k.call("FCALL_RO", "peek", "1", "n")).toBe("$1\r\n6\r\n");
      // A write script on a read-only replica is refused before it runs (its flags make
      // the command a write); a script without a shebang fails at its write.
      expect(await k.call("FCALL", "bump", "2", "n", "history", "1")).toBe("-READONLY You can't write against a read only replica.\r\n");
      expect(await k.call("EVAL", "#!lua\nreturn 1", "0")).toBe("-READONLY You can't write against a read only replica.\r\n");
      expect(await k.call("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'n')", "0")).toBe("$1\r\n6\r\n");
      const body = "return redis.call('set', 'x', 'y')";
      const sha = new Bun.CryptoHasher("sha1").update(body).digest("hex");
      expect(await k.call("EVAL", body, "0")).toBe(`-READONLY You can't write against a read only replica. script: ${sha}, on @user_script:1.\r\n`);
    } finally {
      for (const c of clients) c.close();
      for (const s of servers.reverse()) await s.stop();
    }
  }, 60_000);
});

describe("persistence of scripts and functions", () => {
  for (const preamble of ["yes", "no"]) {
    test(`the AOF (aof-use-rdb-preamble ${preamble}) replays the effects and keeps the libraries through a rewrite`, async () => {
      const dir = tempDir();
      const options = { dir, appendonly: "yes", "aof-use-rdb-preamble": preamble };
      let kvis = await startKvis(options);
      let c = await RawClient.connect(kvis.port);
      try {
        await c.call("FUNCTION", "LOAD", LIBRARY);
        await scriptedWrites(c, 0);
        const before = await replicated(c);
        c.close();
        await kvis.stop();
        kvis = await startKvis(options);
        c = await RawClient.connect(kvis.port);
        expect(await replicated(c)).toEqual(before);
        expect(await c.call("EXISTS", "local:0")).toBe(":0\r\n");
        expect(await c.call("FCALL", "bump", "2", "n", "history", "1")).toBe(":2\r\n");
        const after = await replicated(c);
        expect(await c.call("BGREWRITEAOF")).toStartWith("+");
        await waitFor(async () => field(await c.call("INFO", "persistence"), "aof_rewrite_in_progress") === "0" && field(await c.call("INFO", "persistence"), "aof_rewrites") === "1" || undefined, 20_000, "the rewrite");
        c.close();
        await kvis.stop();
        kvis = await startKvis(options);
        c = await RawClient.connect(kvis.port);
        expect(await replicated(c)).toEqual(after);
        expect(await c.call("FUNCTION", "LIST", "LIBRARYNAME", "kvislib")).toContain("kvislib");
        expect(await c.call("FCALL_RO", "peek", "1", "n")).toBe("$1\r\n4\r\n");
      } finally {
        c.close();
        await kvis.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }

  test("the RDB file keeps the libraries: KVIS and real redis-server both load it", async () => {
    const dir = tempDir();
    let kvis = await startKvis({ dir });
    let c = await RawClient.connect(kvis.port);
    try {
      await c.call("FUNCTION", "LOAD", LIBRARY);
      await c.call("FCALL", "bump", "2", "n", "history", "5");
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      expect((await run(["redis-check-rdb", join(dir, "dump.rdb")])).stdout).toContain("RDB looks OK!");
      c.close();
      await kvis.stop();
      kvis = await startKvis({ dir });
      c = await RawClient.connect(kvis.port);
      expect(await c.call("FCALL_RO", "peek", "1", "n")).toBe("$1\r\n5\r\n");
      const redis = await startRedis([], { dir });
      const r = await RawClient.connect(redis.port);
      try {
        expect(await r.call("FCALL_RO", "peek", "1", "n")).toBe("$1\r\n5\r\n");
        expect(await r.call("FCALL", "bump", "2", "n", "history", "1")).toBe(":2\r\n");
      } finally {
        r.close();
        await redis.stop();
      }
    } finally {
      c.close();
      await kvis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
