import { beforeEach, describe, expect, test } from "bun:test";
import { waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

// DEBUG SET-ACTIVE-EXPIRE keeps stale keys in place for the WATCH tests.
const pair = usePair({ "enable-debug-command": "yes" }, ["--enable-debug-command", "yes"]);
beforeEach(async () => {
  const p = pair();
  await p.same("UNWATCH");
  await p.same("FLUSHALL");
});

describe("MULTI and EXEC", () => {
  test("commands queue, run in order, and runtime errors do not roll back", async () => {
    await pair().script(`MULTI
SET a 1
INCR a
LPUSH a x
GET a
EXEC
GET a
MULTI
EXEC`);
  });

  test("a refused command aborts the transaction; nested MULTI and WATCH inside MULTI do not", async () => {
    await pair().script(`MULTI
SET a
EXEC
MULTI
NOSUCHCOMMAND x
SET b 1
EXEC
EXISTS b
MULTI
MULTI
WATCH a
SET c 1
EXEC
GET c`);
  });

  test("EXEC and DISCARD without MULTI, DISCARD drops the queue, RESET leaves MULTI", async () => {
    await pair().script(`EXEC
DISCARD
MULTI
SET a 1
DISCARD
EXISTS a
MULTI
SET a 1
EXEC
EXISTS a`);
    const p = pair();
    await p.same("MULTI");
    await p.same("RESET");
    await p.same("EXEC");
  });

  test("a refused EXEC quotes Redis's words for the reason, without ERR; SSUBSCRIBE may not run inside EXEC", async () => {
    const p = pair();
    try {
      await p.script(`MULTI
EXEC x
MULTI
SSUBSCRIBE s
SUBSCRIBE a
EXEC
EXEC
EXEC x
PING
RESET`);
    } finally {
      await p.both("RESET");
    }
  });

  test("commands that may not run inside a transaction", async () => {
    await pair().script(`MULTI
SAVE
PING
EXEC`);
  });

  test("RESP3: a transaction and a failed WATCH", async () => {
    const p = pair();
    await p.same("HELLO", "3").catch(() => {});
    await p.script(`MULTI
SET a 1
HSET h f v
HGETALL h
EXEC
WATCH a
SET a 2
MULTI
GET a
EXEC`);
    await p.same("HELLO", "2").catch(() => {});
  });
});

describe("saves and rewrites asked for inside a transaction", () => {
  test("BGSAVE and BGREWRITEAOF are scheduled for after EXEC, and then run", async () => {
    const p = pair();
    const field = (info: string, name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
    const before = await p.both("INFO", "persistence");
    await p.script(`MULTI
SET foo bar
BGREWRITEAOF
EXEC
MULTI
SET foo baz
BGSAVE
EXEC`);
    await waitFor(async () => {
      const now = await p.both("INFO", "persistence");
      return now.every((info, i) => field(info, "aof_rewrites") > field(before[i]!, "aof_rewrites") && field(info, "rdb_saves") > field(before[i]!, "rdb_saves"));
    }, 20_000, "the scheduled rewrite and save to run");
  });

  test("CONFIG SET appendonly yes inside a transaction starts the AOF's first rewrite after EXEC", async () => {
    const p = pair();
    const field = (info: string, name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
    const before = await p.both("INFO", "persistence");
    try {
      await p.script(`MULTI
SET foo bar
CONFIG SET appendonly yes
EXEC`);
      await waitFor(async () => {
        const now = await p.both("INFO", "persistence");
        return now.every((info, i) => field(info, "aof_enabled") === 1 && field(info, "aof_rewrite_in_progress") === 0 && field(info, "aof_rewrites") > field(before[i]!, "aof_rewrites"));
      }, 20_000, "the AOF's rewrite after the transaction");
    } finally {
      await p.same("CONFIG", "SET", "appendonly", "no");
    }
  });
});

describe("WATCH", () => {
  test("a change by another client, by the same client, by FLUSHALL or SWAPDB makes EXEC answer null", async () => {
    const p = pair();
    const [k2, r2] = await p.connectBoth();
    try {
      const other = async (...args: string[]) => expect(await k2.call(...args)).toBe(await r2.call(...args));
      for (const change of [["SET", "a", "x"], ["DEL", "a"], ["EXPIRE", "a", "100"], ["LPUSH", "l", "y"], ["FLUSHALL"], ["SWAPDB", "0", "1"]]) {
        await p.same("SET", "a", "1");
        await p.same("RPUSH", "l", "x");
        await p.same("WATCH", "a", "l");
        await other(...change);
        await p.script(`MULTI
INCR a
EXEC`);
      }
      // The watching client's own write counts too; UNWATCH forgets.
      await p.script(`SET a 1
WATCH a
SET a 2
MULTI
INCR a
EXEC
WATCH a
SET a 3
UNWATCH
MULTI
INCR a
EXEC
WATCH missing
MULTI
SET missing 1
EXEC`);
      // A change to a key nobody watches, and a read of a watched one, change nothing.
      await p.same("WATCH", "a");
      await other("SET", "unrelated", "1");
      await other("GET", "a");
      await p.script(`MULTI
INCR a
EXEC`);
    } finally {
      k2.close();
      r2.close();
    }
  });

  test("a watched key that expires before EXEC fails the transaction", async () => {
    const p = pair();
    // Live when watched on both servers, however busy the machine; expired before EXEC.
    await p.same("SET", "a", "1", "PX", "500");
    await p.same("WATCH", "a");
    await p.expired("a");
    await p.script(`MULTI
SET b 1
EXEC
EXISTS b`);
  });

  test("a key already expired when WATCHed that is then deleted, flushed or swapped away is no change", async () => {
    const p = pair();
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // Each scene: make stale keys, WATCH, touch them in a way that changes nothing logically, EXEC.
      const scenes: string[][] = [
        ["SET x foo PX 1", "WATCH x", "EXISTS x"],
        ["SET x foo PX 1", "WATCH x", "FLUSHDB"],
        ["SELECT 1", "FLUSHDB", "SELECT 0", "SET x foo PX 1", "WATCH x", "SWAPDB 0 1"],
        ["SELECT 1", "FLUSHDB", "SET x bar PX 1", "SELECT 0", "WATCH x", "SWAPDB 0 1"],
        ["SELECT 1", "FLUSHDB", "SET x bar PX 1", "SELECT 0", "SET x foo PX 1", "WATCH x", "SWAPDB 0 1"],
        ["SET x foo PX 1", "WATCH x", "SET x live"],
      ];
      for (const scene of scenes) {
        await p.same("FLUSHALL");
        for (const line of scene) {
          if (line.startsWith("WATCH")) {
            // Every key made so far must have expired first (KEYS skips stale keys without deleting them).
            for (const db of ["0", "1"]) {
              await p.same("SELECT", db);
              await p.expired("x");
            }
            await p.same("SELECT", "0");
          }
          await p.script(line);
        }
        await p.script(`MULTI
PING
EXEC`);
        await p.same("UNWATCH");
      }
    } finally {
      await p.same("SELECT", "0");
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });
});

describe("min-replicas-to-write", () => {
  test("writes, write scripts and EXEC of writes are refused without enough good replicas", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "min-replicas-to-write", "1");
    try {
      await p.script(`SET a 1
GET a
EVAL "return redis.call('set', 'a', '2')" 0`);
      await p.same("EVAL", "#!lua\nreturn 1", "0");
      await p.same("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "0");
      await p.script(`MULTI
INCR n
EXEC
MULTI
GET a
EXEC`);
    } finally {
      await p.same("CONFIG", "SET", "min-replicas-to-write", "0");
    }
  });
});

describe("EXEC on a server that became a replica", () => {
  test("a transaction holding a write, a script with write flags included, is refused whole", async () => {
    const p = pair();
    const [k1, r1] = await p.connectBoth();
    try {
      await p.same("MULTI");
      await p.same("SET", "x", "1");
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "127.0.0.1", "1")).toBe("+OK\r\n");
      await p.same("EXEC");
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "NO", "ONE")).toBe("+OK\r\n");
      await p.same("MULTI");
      await p.same("EVAL", "#!lua\nreturn 1", "0");
      await p.same("GET", "x");
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "127.0.0.1", "1")).toBe("+OK\r\n");
      await p.same("EXEC");
      // A script that declares no writes runs.
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "NO", "ONE")).toBe("+OK\r\n");
      await p.same("MULTI");
      await p.same("EVAL", "#!lua flags=no-writes\nreturn 1", "0");
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "127.0.0.1", "1")).toBe("+OK\r\n");
      await p.same("EXEC");
    } finally {
      for (const c of [k1, r1]) {
        await c.call("REPLICAOF", "NO", "ONE");
        c.close();
      }
    }
  });
});

describe("EXEC on a stale replica", () => {
  test("a transaction holding a command not allowed on a stale replica is refused at EXEC", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "replica-serve-stale-data", "no");
    await p.same("SET", "xx", "1");
    const [k1, r1] = await p.connectBoth();
    try {
      await p.same("MULTI");
      await p.same("GET", "xx");
      // A master that cannot be reached: the link stays down, the replica is stale.
      for (const c of [k1, r1]) expect(await c.call("REPLICAOF", "127.0.0.1", "1")).toBe("+OK\r\n");
      await p.same("EXEC");
      await p.same("MULTI");
      await p.same("PING");
      await p.same("EXEC");
    } finally {
      for (const c of [k1, r1]) {
        await c.call("REPLICAOF", "NO", "ONE");
        c.close();
      }
      await p.same("CONFIG", "SET", "replica-serve-stale-data", "yes");
    }
  });
});

