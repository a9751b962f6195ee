/**
 * The append-only file: Redis 7's multi-part layout (base, incremental files, manifest),
 * every appendfsync policy, with and without the RDB preamble, BGREWRITEAOF and automatic
 * rewrites, CONFIG SET appendonly at run time, torn and corrupt files at start-up, INFO's
 * aof_* fields, -MISCONF on a full disk, and interop both ways with real Redis 7
 * (redis-check-aof and redis-server read KVIS's directory; KVIS reads Redis's).
 */
import { describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { datasetOf } from "../helpers/dataset.ts";
import { type Decoded, RawClient, encodeCommand } from "../helpers/resp.ts";
import { KVIS_BINARY, freePort, run, type RunningServer, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir, waitExpired, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const DBS = [0, 3];
const AOF_DIR = "appendonlydir";

/** Writes of every type and of every kind propagation rewrites (relative TTLs, SPOP, floats, MULTI, streams, several databases). */
function workload(tag: string): string[][] {
  const w: string[][] = [
    ["SET", `${tag}:s`, "value"], ["APPEND", `${tag}:s`, "+more"],
    ["SET", `${tag}:bin`, Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1")],
    ["SET", `${tag}:ttl`, "x", "EX", "100000"], ["SETEX", `${tag}:setex`, "100000", "y"],
    ["INCRBYFLOAT", `${tag}:f`, "1.5"], ["INCR", `${tag}:n`], ["INCRBY", `${tag}:n`, "41"],
    ["RPUSH", `${tag}:l`, "a", "b", "c", "d"], ["LPOP", `${tag}:l`], ["LSET", `${tag}:l`, "0", "B"],
    ["HSET", `${tag}:h`, "a", "1", "b", "2"], ["HINCRBYFLOAT", `${tag}:h`, "c", "2.5"], ["HDEL", `${tag}:h`, "a"],
    ["SADD", `${tag}:set`, "1", "2", "3"], ["SADD", `${tag}:strset`, "x", "y"],
    ["ZADD", `${tag}:z`, "1", "a", "2.5", "b", "-inf", "c"], ["ZINCRBY", `${tag}:z`, "3", "a"],
    ["XADD", `${tag}:st`, "1-1", "f", "v"], ["XADD", `${tag}:st`, "2-1", "g", "w"], ["XADD", `${tag}:st`, "3-1", "h", "x"],
    ["XGROUP", "CREATE", `${tag}:st`, "grp", "0"], ["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", `${tag}:st`, ">"],
    ["XACK", `${tag}:st`, "grp", "1-1"], ["XDEL", `${tag}:st`, "3-1"],
    // An empty stream whose last ID is 0-0 (a rewrite cannot XADD that ID).
    ["XGROUP", "CREATE", `${tag}:empty`, "grp", "$", "MKSTREAM"],
    ["PFADD", `${tag}:hll`, "a", "b", "c"], ["SETBIT", `${tag}:bits`, "100", "1"],
    ["SET", `${tag}:gone`, "x"], ["DEL", `${tag}:gone`], ["SET", `${tag}:persist`, "p", "EX", "100"], ["PERSIST", `${tag}:persist`],
    ["MULTI"], ["SET", `${tag}:m1`, "1"], ["RPUSH", `${tag}:m2`, "x"], ["EXEC"],
    ["SELECT", "3"], ["SET", `${tag}:three`, "3"], ["EXPIRE", `${tag}:three`, "5000"], ["SELECT", "0"],
  ];
  const members: string[] = [];
  for (let i = 0; i < 300; i++) members.push(`member-${i}`);
  w.push(["SADD", `${tag}:bigset`, ...members], ["SPOP", `${tag}:bigset`, "3"]);
  for (let i = 0; i < 200; i++) w.push(["SET", `${tag}:k:${i}`, `${"long value that compresses ".repeat(4)}${i}`]);
  return w;
}

async function send(c: RawClient, commands: string[][]): Promise<string[]> {
  c.write(Buffer.concat(commands.map((cmd) => encodeCommand(cmd))));
  return c.readReplies(commands.length, 60_000);
}

async function withClient<T>(server: { port: number }, body: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(server.port);
  try {
    return await body(c);
  } finally {
    c.close();
  }
}

async function rewriteDone(c: RawClient): Promise<void> {
  await waitFor(async () => (await c.call("INFO", "persistence")).includes("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0"), 30_000, "the AOF rewrite");
}

function files(dir: string): string[] {
  return readdirSync(join(dir, AOF_DIR)).sort();
}

function manifest(dir: string): string {
  return readFileSync(join(dir, AOF_DIR, "appendonly.aof.manifest"), "latin1");
}

/** The data a server loads from a copy of `dir`'s AOF directory (KVIS in process, or redis-server). */
async function loadedBy(dir: string, loader: "kvis" | "redis", options: Record<string, string> = {}) {
  const copy = tempDir();
  cpSync(join(dir, AOF_DIR), join(copy, AOF_DIR), { recursive: true });
  const server = loader === "kvis" ? await startKvis({ dir: copy, appendonly: "yes", ...options }) : await startRedis(["--appendonly", "yes"], { dir: copy });
  try {
    return await withClient(server, (c) => datasetOf(c, DBS));
  } finally {
    await server.stop();
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * A dataset without what a reload changes in Redis too: short strings built by APPEND or
 * SETBIT come back embstr, and a group's entries-read is not in the XCLAIMs that replay it.
 */
function reloaded(data: Awaited<ReturnType<typeof datasetOf>>) {
  return Object.fromEntries(
    Object.entries(data).map(([key, entry]) => {
      const [type, , expiry, value] = entry as Decoded[];
      return [key, [type, expiry, type === "stream" ? "(compared with Redis)" : value]];
    }),
  );
}

async function checkAof(dir: string): Promise<void> {
  const checked = await run(["redis-check-aof", join(dir, AOF_DIR, "appendonly.aof.manifest")]);
  expect(checked.stdout).toContain("All AOF files and manifest are valid");
  expect(checked.code).toBe(0);
}

describe("appendonly yes", () => {
  for (const [fsync, preamble] of [["everysec", "yes"], ["always", "no"], ["no", "yes"]] as const) {
    test(`appendfsync ${fsync}, aof-use-rdb-preamble ${preamble}: every write survives a restart and a rewrite; redis-check-aof and redis-server agree`, async () => {
      const dir = tempDir();
      const options = { appendfsync: fsync, "aof-use-rdb-preamble": preamble };
      try {
        const kvis = await startKvis({ dir, appendonly: "yes", ...options });
        let before;
        try {
          before = await withClient(kvis, async (c) => {
            await send(c, workload("a"));
            expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
            // Written while the rewrite runs: they belong in the new incremental file.
            await send(c, workload("b"));
            await rewriteDone(c);
            await send(c, workload("c"));
            return datasetOf(c, DBS);
          });
        } finally {
          await kvis.stop();
        }
        const base = `appendonly.aof.2.base.${preamble === "yes" ? "rdb" : "aof"}`;
        expect(files(dir)).toEqual([base, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
        expect(manifest(dir)).toBe(`file ${base} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n`);
        expect(Object.keys(before).length).toBeGreaterThan(600);
        await checkAof(dir);
        const byKvis = await loadedBy(dir, "kvis", options);
        expect(reloaded(byKvis)).toEqual(reloaded(before));
        expect(byKvis).toEqual(await loadedBy(dir, "redis"));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test("the RDB file is not read when AOF is on, and expired keys are replayed as Redis replays them", async () => {
    const dir = tempDir();
    try {
      // A dump that must be ignored.
      const plain = await startKvis({ dir });
      await withClient(plain, async (c) => {
        await c.call("SET", "from-rdb", "1");
        expect(await c.call("SAVE")).toBe("+OK\r\n");
      });
      await plain.stop();
      const kvis = await startKvis({ dir, appendonly: "yes" });
      const before = await withClient(kvis, async (c) => {
        expect(await c.call("EXISTS", "from-rdb")).toBe(":0\r\n");
        await send(c, [["SET", "short", "x", "PX", "30"], ["SET", "kept", "y"]]);
        await waitExpired(c, "short");
        // Expired by access: propagated as DEL.
        expect(await c.call("GET", "short")).toBe("$-1\r\n");
        return datasetOf(c, DBS);
      });
      await kvis.stop();
      expect(readFileSync(join(dir, AOF_DIR, "appendonly.aof.1.incr.aof"), "latin1")).toContain("*2\r\n$3\r\nDEL\r\n$5\r\nshort\r\n");
      expect(await loadedBy(dir, "kvis")).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("automatic rewrites when the files grow past auto-aof-rewrite-percentage", async () => {
    const kvis = await startKvis({ appendonly: "yes", "auto-aof-rewrite-min-size": "0", "auto-aof-rewrite-percentage": "100", hz: "100" });
    try {
      await withClient(kvis, async (c) => {
        // Each round writes three times what a rewrite keeps: 200% growth each time.
        const value = "v".repeat(1000);
        for (let round = 1; round <= 3; round++) {
          for (let times = 0; times < 3; times++) await send(c, Array.from({ length: 200 }, (_, i) => ["SET", `k:${i}`, value]));
          // At least one rewrite per round: a busy machine may see the files grow past the
          // threshold twice within a round, and count two.
          await waitFor(async () => Number(/aof_rewrites:(\d+)/.exec(await c.call("INFO", "persistence"))![1]) >= round, 20_000, `rewrite ${round}`);
          await rewriteDone(c);
        }
        const info = await c.call("INFO", "persistence");
        expect(info).toContain("aof_last_bgrewrite_status:ok");
        // Each rewrite left one base and one incremental file.
        expect(files(kvis.dir).filter((f) => f.includes(".base.")).length).toBe(1);
        expect(await c.call("DBSIZE")).toBe(":200\r\n");
      });
    } finally {
      await kvis.stop();
    }
  });

  test("CONFIG SET appendonly yes writes a base of the data already there; no stops appending", async () => {
    const dir = tempDir();
    try {
      const kvis = await startKvis({ dir });
      const before = await withClient(kvis, async (c) => {
        await send(c, workload("early"));
        expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe("+OK\r\n");
        await rewriteDone(c);
        expect(await c.call("INFO", "persistence")).toContain("aof_enabled:1\r\n");
        await send(c, workload("late"));
        const data = await datasetOf(c, DBS);
        expect(await c.call("CONFIG", "SET", "appendonly", "no")).toBe("+OK\r\n");
        expect(await c.call("SET", "after-off", "1")).toBe("+OK\r\n");
        return data;
      });
      await kvis.stop();
      expect(files(dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]);
      const byKvis = await loadedBy(dir, "kvis");
      expect(reloaded(byKvis)).toEqual(reloaded(before));
      expect(byKvis).toEqual(await loadedBy(dir, "redis"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("BGREWRITEAOF and BGSAVE wait for each other with Redis's replies", async () => {
    const kvis = await startKvis({ appendonly: "yes" });
    try {
      await withClient(kvis, async (c) => {
        await send(c, Array.from({ length: 100_000 }, (_, i) => ["SET", `key:${i}`, `value:${i}`]));
        expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        expect(await c.call("BGREWRITEAOF")).toBe("-ERR Background append only file rewriting already in progress\r\n");
        expect(await c.call("BGSAVE")).toBe(
          "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n",
        );
        expect(await c.call("BGSAVE", "SCHEDULE")).toBe("+Background saving scheduled\r\n");
        await rewriteDone(c);
        // The scheduled save runs once the rewrite is over.
        await waitFor(async () => /rdb_saves:1\r\n/.test(await c.call("INFO", "persistence")), 30_000, "the scheduled BGSAVE");
        expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
        expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting scheduled\r\n");
        await rewriteDone(c);
        expect(await c.call("INFO", "persistence")).toContain("aof_rewrites:2\r\n");
      });
    } finally {
      await kvis.stop();
    }
  });

  test("a rewrite that switches files while a background fsync runs on the old one refuses no write", async () => {
    const kvis = await startKvis({ appendonly: "yes", appendfsync: "everysec" });
    try {
      await withClient(kvis, async (c) => {
        const aof = kvis.server.aof;
        for (let round = 0; round < 20; round++) {
          // The reply comes once the write is in the file: it has something to sync.
          expect(await c.call("SET", "k", String(round))).toBe("+OK\r\n");
          // The once-a-second fsync starts off the event loop, and at once, before it can
          // end, the rewrite switches writes to a new incremental file.
          aof.cron(Date.now() + 10_000);
          expect(aof.startRewrite()).toBe("started");
          await rewriteDone(c);
          await waitFor(async () => (await c.call("INFO", "persistence")).includes("aof_pending_bio_fsync:0"), 30_000, "the fsync to end");
          expect(await c.call("INFO", "persistence")).toContain("aof_last_write_status:ok\r\n");
          expect(await c.call("SET", "after", String(round))).toBe("+OK\r\n");
        }
      });
    } finally {
      await kvis.stop();
    }
  });

  test("aof-timestamp-enabled annotates each second's first write and a command-form base, as Redis does; redis-check-aof truncates at a timestamp", async () => {
    const options = ["--appendonly", "yes", "--aof-timestamp-enabled", "yes", "--aof-use-rdb-preamble", "no"];
    const servers = await startAll([() => startKvisBinary(options), () => startRedis(options)]);
    try {
      const seen = await Promise.all(servers.map((server) => withClient(server, async (c) => {
        // Writes in two different seconds, then a rewrite and a write in a third.
        const second = async () => {
          const now = Math.floor(Date.now() / 1000);
          await waitFor(() => Math.floor(Date.now() / 1000) > now, 20_000, "the next second");
        };
        await send(c, [["SET", "a", "1"], ["SET", "b", "2"]]);
        await second();
        await send(c, [["MULTI"], ["INCR", "a"], ["SET", "c", "3"], ["EXEC"]]);
        expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        await rewriteDone(c);
        await second();
        await send(c, [["SET", "d", "4"]]);
        await second();
        await send(c, [["SET", "e", "5"]]);
        const dir = (await c.call("CONFIG", "GET", "dir")).split("\r\n")[4]!;
        await waitFor(() => files(dir).some((f) => f.endsWith(".incr.aof") && readFileSync(join(dir, AOF_DIR, f), "latin1").includes("$1\r\ne\r\n")), 20_000, "the last write in the file");
        const text = (name: string) => readFileSync(join(dir, AOF_DIR, name), "latin1");
        const base = files(dir).find((f) => f.includes(".base."))!;
        const incr = files(dir).find((f) => f.endsWith(".incr.aof"))!;
        await checkAof(dir);
        return { dir, base: text(base).replace(/#TS:\d+/g, "#TS:N"), incr: text(incr).replace(/#TS:\d+/g, "#TS:N"), stamps: [...text(incr).matchAll(/#TS:(\d+)/g)].map((m) => Number(m[1])) };
      })));
      expect(seen[0]!.base).toStartWith("#TS:N\r\n");
      expect(seen[0]!.incr).toStartWith("#TS:N\r\n*2\r\n$6\r\nSELECT");
      expect({ base: seen[0]!.base.slice(0, 7), incr: seen[0]!.incr }).toEqual({ base: seen[1]!.base.slice(0, 7), incr: seen[1]!.incr });
      // Cut at the incremental file's first second: the write of the next one goes.
      const cut = await run(["redis-check-aof", "--truncate-to-timestamp", String(seen[0]!.stamps[0]!), join(seen[0]!.dir, AOF_DIR, "appendonly.aof.manifest")]);
      expect(cut.stdout).toContain(`Successfully truncated AOF appendonly.aof.2.incr.aof to timestamp ${seen[0]!.stamps[0]}`);
      const data = await loadedBy(seen[0]!.dir, "redis");
      expect(Object.keys(data).sort()).toEqual(["0:a", "0:b", "0:c", "0:d"]);
    } finally {
      for (const s of servers) await s.stop();
    }
  });

  test("aof-disable-auto-gc keeps what rewrites replaced as history in the manifest, removed once set back to no, as Redis does", async () => {
    const options = ["--appendonly", "yes", "--aof-disable-auto-gc", "yes"];
    const servers = await startAll([() => startKvisBinary(options), () => startRedis(options)]);
    try {
      const seen = await Promise.all(servers.map((server) => withClient(server, async (c) => {
        const dir = (await c.call("CONFIG", "GET", "dir")).split("\r\n")[4]!;
        for (let i = 0; i < 2; i++) {
          await send(c, [["SET", `k${i}`, "v"]]);
          expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
          await rewriteDone(c);
        }
        const kept = { manifest: manifest(dir), files: files(dir) };
        expect(await c.call("CONFIG", "SET", "aof-disable-auto-gc", "no")).toBe("+OK\r\n");
        return { kept, after: { manifest: manifest(dir), files: files(dir) } };
      })));
      expect(seen[0]!.kept.manifest).toContain(" type h\n");
      expect(seen[0]!.after.manifest).not.toContain(" type h\n");
      expect(seen[0]).toEqual(seen[1]!);
    } finally {
      for (const s of servers) await s.stop();
    }
  });

  test("INFO persistence has Redis's aof_* fields, in its order", async () => {
    const kvis = await startKvis({ appendonly: "yes" });
    const redis = await startRedis(["--appendonly", "yes"]);
    try {
      const names = async (s: RunningServer) =>
        withClient(s, async (c) => (await c.call("INFO", "persistence")).split("\r\n").filter((l) => /^(aof|module)_/.test(l)).map((l) => l.split(":")[0]));
      expect(await names(kvis)).toEqual(await names(redis));
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });
});

describe("damaged files at start-up", () => {
  async function writtenDir(): Promise<{ dir: string; incr: string; before: Awaited<ReturnType<typeof datasetOf>> }> {
    const dir = tempDir();
    const kvis = await startKvis({ dir, appendonly: "yes" });
    const before = await withClient(kvis, async (c) => {
      await send(c, workload("t"));
      return datasetOf(c, DBS);
    });
    await kvis.stop();
    return { dir, incr: join(dir, AOF_DIR, "appendonly.aof.1.incr.aof"), before };
  }

  test("a torn last command is cut off with a warning (aof-load-truncated yes), or stops start-up (no)", async () => {
    const { dir, incr, before } = await writtenDir();
    try {
      const good = readFileSync(incr);
      const torn = "*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval";
      appendFileSync(incr, torn);
      const refused = await run(["./kvis", "--port", String(freePort()), "--dir", dir, "--appendonly", "yes", "--aof-load-truncated", "no"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toContain("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof");
      expect(readFileSync(incr).length).toBe(good.length + torn.length);

      const kvis = await startKvisBinary(["--appendonly", "yes"], { dir });
      try {
        expect(reloaded(await withClient(kvis, (c) => datasetOf(c, DBS)))).toEqual(reloaded(before));
      } finally {
        await kvis.stop();
      }
      expect(await kvis.output()).toContain("!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!");
      expect(readFileSync(incr).equals(good)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("corruption before the end stops start-up with a clear message and leaves the file as it was", async () => {
    const { dir, incr } = await writtenDir();
    try {
      const bytes = readFileSync(incr);
      const at = bytes.indexOf("$5\r\nvalue");
      bytes[at + 1] = "x".charCodeAt(0);
      writeFileSync(incr, bytes);
      const refused = await run(["./kvis", "--port", String(freePort()), "--dir", dir, "--appendonly", "yes"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("Bad file format reading the append only file appendonly.aof.1.incr.aof");
      expect(readFileSync(incr).equals(bytes)).toBe(true);
      // A manifest naming a file that is not there.
      rmSync(incr);
      const missing = await run(["./kvis", "--port", String(freePort()), "--dir", dir, "--appendonly", "yes"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("appendonly.aof.1.incr.aof");
      expect(manifest(dir)).toContain("appendonly.aof.1.incr.aof");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a command of the AOF that fails on loading", () => {
  test("is logged as Redis logs it and counted; with propagation-error-behavior panic it stops start-up", async () => {
    // SET k, then LPUSH k: WRONGTYPE, as no file Redis wrote would have it.
    const dirWith = () => {
      const dir = tempDir();
      mkdirSync(join(dir, AOF_DIR));
      writeFileSync(join(dir, AOF_DIR, "appendonly.aof.manifest"), "file appendonly.aof.1.incr.aof seq 1 type i\n");
      const commands = [["SELECT", "0"], ["SET", "k", "v"], ["LPUSH", "k", "x"], ["SET", "z", "1"]];
      writeFileSync(join(dir, AOF_DIR, "appendonly.aof.1.incr.aof"), Buffer.concat(commands.map((c) => encodeCommand(c))));
      return dir;
    };
    const critical = (out: string) => out.split("\n").filter((l) => / # (== CRITICAL|Guru Meditation)/.test(l)).map((l) => l.replace(/^.*? # /, "").replace(/ #\S+:\d+$/, ""));
    const told = ["== CRITICAL == This server is sending an error to its AOF-loading-client: '-WRONGTYPE Operation against a key holding the wrong kind of value' after processing the command 'lpush'"];
    const dirs: string[] = [];
    try {
      const [kvis, redis] = await startAll([() => startKvisBinary(["--appendonly", "yes"], { dir: dirWith() }), () => startRedis(["--appendonly", "yes"], { dir: dirWith() })]);
      dirs.push(kvis.dir, redis.dir);
      try {
        for (const server of [kvis, redis]) {
          expect(critical(await server.output())).toEqual(told);
          await withClient(server, async (c) => {
            expect(await c.call("MGET", "k", "z")).toBe("*2\r\n$1\r\nv\r\n$1\r\n1\r\n");
            expect(await c.call("INFO", "stats")).toContain("\r\nunexpected_error_replies:1\r\n");
          });
        }
      } finally {
        await kvis.stop();
        await redis.stop();
      }
      const panicked = await Promise.all([KVIS_BINARY, "redis-server"].map(async (bin) => {
        const dir = dirWith();
        dirs.push(dir);
        const got = await run([bin, "--port", String(freePort()), "--dir", dir, "--save", "", "--appendonly", "yes", "--propagation-error-behavior", "panic"]);
        return { exited: got.code !== 0, told: critical(got.stdout) };
      }));
      expect(panicked[0]).toEqual({ exited: true, told: [...told, "Guru Meditation: This server panicked sending an error to its AOF-loading-client after processing the command 'lpush'"] });
      expect(panicked[0]).toEqual(panicked[1]!);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("interop with real Redis", () => {
  test("a directory written by redis-server (base, rewrite, incremental files) loads in KVIS as in Redis", async () => {
    for (const preamble of ["yes", "no"]) {
      const dir = tempDir("redis-test-");
      try {
        const redis = await startRedis(["--appendonly", "yes", "--aof-use-rdb-preamble", preamble], { dir });
        try {
          await withClient(redis, async (c) => {
            await send(c, workload("a"));
            expect(await c.call("BGREWRITEAOF")).toStartWith("+Background");
            await rewriteDone(c);
            await send(c, workload("b"));
          });
        } finally {
          await redis.stop();
        }
        expect(manifest(dir)).toContain("seq 2 type b");
        expect(await loadedBy(dir, "kvis")).toEqual(await loadedBy(dir, "redis"));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe("disk errors", () => {
  test("a failing background save makes writes and PING answer Redis's -MISCONF (stop-writes-on-bgsave-error)", async () => {
    const errors: string[][] = [];
    for (const start of [(dir: string) => startKvisBinary(["--save", "3600 1"], { dir }), (dir: string) => startRedis(["--save", "3600 1"], { dir })]) {
      const dir = tempDir();
      const server = await start(dir);
      try {
        // The dump's name is taken by a directory: the save cannot rename its file into place.
        mkdirSync(join(dir, "dump.rdb"));
        errors.push(
          await withClient(server, async (c) => {
            expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
            await waitFor(async () => (await c.call("INFO", "persistence")).includes("rdb_last_bgsave_status:err"), 20_000, "the save to fail");
            const refused = [await c.call("SET", "k", "v"), await c.call("PING"), await c.call("GET", "k")];
            expect(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")).toBe("+OK\r\n");
            refused.push(await c.call("SET", "k", "v"));
            return refused;
          }),
        );
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(errors[0]![0]).toStartWith("-MISCONF Redis is configured to save RDB snapshots");
    expect(errors[0]).toEqual(errors[1]!);
  });

  test("a full disk makes writes answer -MISCONF as Redis does; acknowledged writes survive, and writing resumes when space returns", async () => {
    // A 4 MB tmpfs of its own where the test may mount one (root, as in CI); elsewhere the
    // next incremental file is made a link to /dev/full, which has no way back to free space.
    const mount = tempDir("kvis-full-");
    const tmpfs = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount]).exitCode === 0;
    const replies: string[][] = [];
    try {
      for (const which of ["kvis", "redis"] as const) {
        const dir = join(mount, which);
        mkdirSync(dir);
        const args = ["--appendonly", "yes", "--appendfsync", "everysec"];
        const server = which === "kvis" ? await startKvisBinary(args, { dir }) : await startRedis(args, { dir });
        const filler = join(mount, `filler-${which}`);
        try {
          replies.push(
            await withClient(server, async (c) => {
              if (tmpfs) fillDisk(filler);
              else {
                symlinkSync("/dev/full", join(dir, AOF_DIR, "appendonly.aof.2.incr.aof"));
                expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
                await rewriteDone(c);
              }
              // Write until writes are refused.
              const acked: string[] = [];
              const value = "x".repeat(1000);
              let refusal = "";
              for (let i = 0; i < 10_000 && refusal === ""; i++) {
                const reply = await c.call("SET", `key:${i}`, value);
                if (reply === "+OK\r\n") acked.push(`key:${i}`);
                else refusal = reply;
              }
              expect(await c.call("INFO", "persistence")).toContain("aof_last_write_status:err");
              const refused = [refusal, await c.call("PING"), await c.call("GET", "key:0"), await c.call("SET", "refused", "1")];
              if (!tmpfs) return refused;
              // Space returns: the buffered writes go out on a retry and writes are accepted again.
              rmSync(filler);
              await waitFor(async () => (await c.call("SET", "resumed", "1")) === "+OK\r\n", 20_000, "writes to resume");
              expect(await c.call("INFO", "persistence")).toContain("aof_last_write_status:ok");
              acked.push("resumed");
              if (which === "kvis") {
                await server.stop();
                const again = await startKvisBinary(["--appendonly", "yes"], { dir });
                try {
                  await withClient(again, async (c2) => {
                    for (const key of acked) expect(await c2.call("EXISTS", key)).toBe(":1\r\n");
                    expect(await c2.call("EXISTS", "refused")).toBe(":0\r\n");
                  });
                } finally {
                  await again.stop();
                }
              }
              return refused;
            }),
          );
        } finally {
          await server.stop();
          rmSync(filler, { force: true });
          rmSync(dir, { recursive: true, force: true });
        }
      }
    } finally {
      if (tmpfs) Bun.spawnSync(["umount", mount]);
      rmSync(mount, { recursive: true, force: true });
    }
    expect(replies[0]![0]).toBe("-MISCONF Errors writing to the AOF file: No space left on device\r\n");
    expect(replies[0]).toEqual(replies[1]!);
  });
});

/** Write zeros to `path` until the disk is full. */
function fillDisk(path: string): void {
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) appendFileSync(path, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  }
  // What is left is smaller than a chunk: fill it too.
  try {
    for (;;) appendFileSync(path, new Uint8Array(512));
  } catch {}
}
