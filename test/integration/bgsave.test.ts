/**
 * BGSAVE without fork: the file is the dataset as it was when BGSAVE began, however clients
 * write meanwhile, and the server answers them throughout, also at rdb-key-save-delay's
 * pace. Also save points, LASTSAVE,
 * INFO persistence, a failing BGSAVE, and the saves SHUTDOWN and SIGTERM make.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { useClockSource } from "../../src/clock.ts";
import { loadRdb } from "../../src/persistence/rdb-reader.ts";
import { Keyspace, stringOf } from "../../src/store/keyspace.ts";
import { ListValue } from "../../src/store/list.ts";
import { HashValue } from "../../src/store/hash.ts";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { run, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const KEYS = 150_000;

/** Send many commands in one write and wait for all their replies. */
async function pipeline(c: RawClient, commands: string[][]): Promise<string[]> {
  const parts = commands.map((cmd) => encodeCommand(cmd));
  c.write(Buffer.concat(parts).toString("latin1"));
  return c.readReplies(commands.length);
}

async function bgsaveDone(c: RawClient): Promise<string> {
  return waitFor(async () => {
    const info = await c.call("INFO", "persistence");
    return info.includes("rdb_bgsave_in_progress:0") ? info : undefined;
  }, 60_000, "BGSAVE to finish");
}

function loadFile(path: string): Keyspace {
  const ks = new Keyspace(16);
  loadRdb(new Uint8Array(readFileSync(path)), ks, path);
  return ks;
}

describe("BGSAVE", () => {
  test("writes the dataset as of its start while clients change it, and serves them meanwhile", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    try {
      const fill: string[][] = [];
      for (let i = 0; i < KEYS; i++) fill.push(["SET", `k:${i}`, `v:${i}`]);
      fill.push(["RPUSH", "list", "a", "b"], ["HSET", "hash", "f", "1"], ["SET", "ttl", "x"], ["EXPIREAT", "ttl", "4102444800"]);
      fill.push(["SELECT", "5"], ["SET", "five", "5"], ["SET", "five:gone", "x"], ["SELECT", "0"]);
      await pipeline(c, fill);

      expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
      expect(await c.call("BGSAVE")).toBe("-ERR Background save already in progress\r\n");
      expect(await c.call("SAVE")).toBe("-ERR Background save already in progress\r\n");
      // The save goes a slice a turn: the writes below start while it runs (a big pipeline
      // is itself served a thousand requests a turn, so the save may end before they do).
      const duringSave = await c.call("INFO", "persistence");
      expect(duringSave).toContain("rdb_bgsave_in_progress:1\r\n");
      expect(duringSave).toMatch(/current_save_keys_total:150005\r\n/);
      // Writes of every kind while the save runs: overwrite, delete, create, change in
      // place, change TTLs, in the database being walked and in one not reached yet.
      const writes: string[][] = [];
      for (let i = 0; i < KEYS; i += 7) writes.push(["SET", `k:${i}`, "changed"]);
      for (let i = 3; i < KEYS; i += 11) writes.push(["DEL", `k:${i}`]);
      for (let i = 0; i < 1000; i++) writes.push(["SET", `new:${i}`, "n"]);
      // Strings changed where the keyspace holds their bytes, and grown.
      for (let i = 5; i < KEYS; i += 13) writes.push(["SETRANGE", `k:${i}`, "0", "Z"]);
      for (let i = 6; i < KEYS; i += 17) writes.push(["SETBIT", `k:${i}`, "0", "1"]);
      for (let i = 8; i < KEYS; i += 19) writes.push(["APPEND", `k:${i}`, "xyz"]);
      writes.push(["RPUSH", "list", "c"], ["HSET", "hash", "f", "2", "g", "3"], ["PERSIST", "ttl"], ["EXPIRE", "k:1", "100"]);
      writes.push(["SELECT", "5"], ["SET", "five", "changed"], ["DEL", "five:gone"], ["SET", "five:new", "n"], ["SELECT", "0"]);
      const replies = await pipeline(c, writes);
      expect(replies.every((r) => !r.startsWith("-"))).toBe(true);
      expect(await c.call("GET", "k:0")).toBe("$7\r\nchanged\r\n");

      const info = await bgsaveDone(c);
      expect(info).toContain("rdb_last_bgsave_status:ok\r\n");
      expect(info).toContain("rdb_saves:1\r\n");
      const ks = loadFile(join(kvis.dir, "dump.rdb"));
      const db0 = ks.dbs[0]!;
      expect(db0.size).toBe(KEYS + 3);
      for (let i = 0; i < KEYS; i++) {
        const v = db0.peek(`k:${i}`);
        if (v === undefined || stringOf(v as string) !== `v:${i}`) throw new Error(`k:${i} is ${String(v)}`);
      }
      expect(db0.has("new:0")).toBe(false);
      expect([...(db0.peek("list") as ListValue)]).toEqual(["a", "b"]);
      expect((db0.peek("hash") as HashValue).toFlatArray()).toEqual(["f", "1"]);
      expect(db0.getExpire("ttl")).toBe(4102444800000);
      expect(db0.getExpire("k:1")).toBe(-1);
      expect([...ks.dbs[5]!.keys()].sort()).toEqual(["five", "five:gone"]);
      expect(stringOf(ks.dbs[5]!.peek("five") as string)).toBe("5");

      const check = await run(["redis-check-rdb", join(kvis.dir, "dump.rdb")]);
      expect(check.stdout + check.stderr).toContain("RDB looks OK!");
    } finally {
      c.close();
      await kvis.stop();
    }
  });

  test("FLUSHALL and SWAPDB during a save leave the saved image complete", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    try {
      const fill: string[][] = [];
      for (let i = 0; i < 50_000; i++) fill.push(["SET", `k:${i}`, String(i)]);
      fill.push(["SELECT", "1"], ["SET", "one", "1"], ["SELECT", "0"]);
      await pipeline(c, fill);
      for (const change of [["SWAPDB", "0", "1"], ["FLUSHALL"]]) {
        expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
        expect(await c.call(...change)).toBe("+OK\r\n");
        await bgsaveDone(c);
        const ks = loadFile(join(kvis.dir, "dump.rdb"));
        const [big, small] = change[0] === "SWAPDB" ? [0, 1] : [1, 0];
        expect(ks.dbs[big]!.size).toBe(50_000);
        expect(ks.dbs[small]!.size).toBe(1);
      }
    } finally {
      c.close();
      await kvis.stop();
    }
  });

  test("rdb-key-save-delay paces the save as Redis's child is slowed, and the server answers meanwhile", async () => {
    const DELAY_US = 10_000;
    const KEYS_SAVED = 100;
    /** What a server shows of a save of KEYS_SAVED keys at DELAY_US a key; checks the pace. */
    async function pacedSave(port: number): Promise<string[]> {
      const c = await RawClient.connect(port);
      try {
        await pipeline(c, Array.from({ length: KEYS_SAVED }, (_, i) => ["SET", `k:${i}`, String(i)]));
        const seen = [await c.call("CONFIG", "SET", "rdb-key-save-delay", String(DELAY_US))];
        const started = performance.now();
        seen.push(await c.call("BGSAVE"));
        seen.push((await c.call("INFO", "persistence")).match(/rdb_bgsave_in_progress:\d/)![0]);
        seen.push(await c.call("PING"));
        // The save's own setting is the one at its start, as a forked child's is.
        seen.push(await c.call("CONFIG", "SET", "rdb-key-save-delay", "0"));
        await waitFor(async () => {
          const info = await c.call("INFO", "persistence");
          // A key is written no sooner than its turn: never faster than the pace, however slow the machine.
          const done = Number(/current_save_keys_processed:(\d+)/.exec(info)![1]);
          expect(performance.now() - started).toBeGreaterThanOrEqual(((done - 1) * DELAY_US) / 1000);
          return info.includes("rdb_bgsave_in_progress:0") || undefined;
        }, 60_000, "the paced save to finish");
        expect(performance.now() - started).toBeGreaterThanOrEqual(((KEYS_SAVED - 1) * DELAY_US) / 1000);
        seen.push((await c.call("INFO", "persistence")).match(/rdb_last_bgsave_status:\w+/)![0]);
        return seen;
      } finally {
        c.close();
      }
    }
    const kvis = await startKvis();
    const redis = await startRedis();
    try {
      const [k, r] = await Promise.all([pacedSave(kvis.port), pacedSave(redis.port)]);
      expect(k).toEqual(r);
      expect(k[2]).toBe("rdb_bgsave_in_progress:1");
      expect(loadFile(join(kvis.dir, "dump.rdb")).dbs[0]!.size).toBe(KEYS_SAVED);
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });

  test("BGSAVE and BGREWRITEAOF count in total_forks, SAVE does not, as with Redis's forks", async () => {
    const servers = await startAll([() => startKvis(), () => startRedis()]);
    try {
      const counts: number[][] = [];
      for (const server of servers) {
        const c = await RawClient.connect(server.port);
        const forks = async () => Number(/total_forks:(\d+)/.exec(await c.call("INFO", "stats"))![1]);
        const idle = () =>
          waitFor(async () => {
            const info = await c.call("INFO", "persistence");
            return info.includes("rdb_bgsave_in_progress:0") && info.includes("aof_rewrite_in_progress:0");
          }, 60_000, "background jobs to end");
        try {
          await c.call("SET", "a", "1");
          const seen = [await forks()];
          await c.call("SAVE");
          seen.push(await forks());
          await c.call("BGSAVE");
          await idle();
          seen.push(await forks());
          await c.call("BGREWRITEAOF");
          await idle();
          seen.push(await forks());
          counts.push(seen);
        } finally {
          c.close();
        }
      }
      expect(counts[0]).toEqual([0, 0, 1, 2]);
      expect(counts[0]).toEqual(counts[1]!);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("a BGSAVE that cannot write reports err in INFO and leaves the old dump alone", async () => {
    const kvis = await startKvis({ dir: "/nonexistent/kvis-bgsave-test" });
    const c = await RawClient.connect(kvis.port);
    try {
      await c.call("SET", "a", "1");
      expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
      const info = await bgsaveDone(c);
      expect(info).toContain("rdb_last_bgsave_status:err\r\n");
      expect(info).toContain("rdb_changes_since_last_save:1\r\n");
      expect(existsSync("/nonexistent/kvis-bgsave-test")).toBe(false);
    } finally {
      c.close();
      await kvis.stop();
    }
  });
});

describe("save points", () => {
  test("a due save point starts a BGSAVE; LASTSAVE and the change counter follow", async () => {
    let fakeNow = Date.now();
    const restoreClock = useClockSource(() => fakeNow);
    const kvis = await startKvis({ save: "1 2" });
    const c = await RawClient.connect(kvis.port);
    try {
      const before = Number((await c.call("LASTSAVE")).slice(1, -2));
      await c.call("SET", "a", "1");
      // The clock moves 3 s on and the cron runs: the time has come, but one change is
      // below the threshold of two, so nothing is saved.
      fakeNow += 3000;
      const loops = kvis.server.cronLoops;
      await waitFor(() => kvis.server.cronLoops >= loops + 3, 20_000, "three cron runs");
      expect(existsSync(join(kvis.dir, "dump.rdb"))).toBe(false);
      await c.call("SET", "b", "2");
      await waitFor(() => existsSync(join(kvis.dir, "dump.rdb")), 20_000, "the save point's BGSAVE");
      const info = await bgsaveDone(c);
      expect(info).toContain("rdb_changes_since_last_save:0\r\n");
      expect(Number((await c.call("LASTSAVE")).slice(1, -2))).toBeGreaterThan(before);
      expect(loadFile(join(kvis.dir, "dump.rdb")).dbs[0]!.size).toBe(2);
    } finally {
      c.close();
      await kvis.stop();
      restoreClock();
    }
  });

  test("CONFIG SET save validates as Redis does", async () => {
    const kvis = await startKvis();
    const redis = await startRedis();
    const k = await RawClient.connect(kvis.port);
    const r = await RawClient.connect(redis.port);
    try {
      for (const value of ["abc", "10", "0 1", "10 -1", "100 1  ", "10 1 20 2", ""]) {
        const args = ["CONFIG", "SET", "save", value];
        expect(await k.call(...args)).toBe(await r.call(...args));
        expect(await k.call("CONFIG", "GET", "save")).toBe(await r.call("CONFIG", "GET", "save"));
      }
      for (const args of [["BGSAVE", "foo"], ["BGSAVE", "schedule", "x"]]) expect(await k.call(...args)).toBe(await r.call(...args));
    } finally {
      k.close();
      r.close();
      await kvis.stop();
      await redis.stop();
    }
  });
});

describe("saving on the way out", () => {
  test("with save points, SIGTERM and SHUTDOWN save; SHUTDOWN NOSAVE does not", async () => {
    const dir = tempDir();
    try {
      for (const [how, saves] of [["SIGTERM", true], ["SHUTDOWN", true], ["SHUTDOWN NOSAVE", false]] as const) {
        rmSync(join(dir, "dump.rdb"), { force: true });
        const server = await startKvisBinary(["--save", "3600 1"], { dir });
        try {
          const c = await RawClient.connect(server.port);
          await c.call("SET", "key", how);
          if (how === "SIGTERM") server.proc.kill("SIGTERM");
          else c.write(encodeCommand(how.split(" ")).toString());
          expect(await server.proc.exited).toBe(0);
          expect(existsSync(join(dir, "dump.rdb"))).toBe(saves);
          if (saves) expect(stringOf(loadFile(join(dir, "dump.rdb")).dbs[0]!.peek("key") as string)).toBe(how);
        } finally {
          await server.stop();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
