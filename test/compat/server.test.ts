import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StatField } from "../../src/commands/context.ts";
import { memoryDoctor } from "../../src/commands/introspection.ts";
import { allCommands } from "../../src/commands/table.ts";
import { type Decoded, RawClient, decodeReply, encodeCommand } from "../helpers/resp.ts";
import { startAll, startKvis, startRedis, tempDir, waitFor } from "../helpers/servers.ts";
import { sameScene, usePair } from "./harness.ts";

// Redis's own tests run it with repl-diskless-sync-delay 0, as test servers of KVIS run.
const pair = usePair({}, ["--repl-diskless-sync-delay", "0"]);
beforeEach(async () => {
  await pair().same("FLUSHALL");
  await pair().same("SELECT", "0");
});

describe("unknown commands and arity", () => {
  test("unknown commands quote their first arguments", async () => {
    const p = pair();
    await p.same("FOO");
    await p.same("FOO", "bar", "baz");
    await p.same("FOO", "x".repeat(200), "y");
    await p.same("NOSUCH", "a\r\nb");
    await p.same("");
  });

  test("wrong arity names the command, and subcommands by their full name", async () => {
    const p = pair();
    for (const args of [["PING", "a", "b"], ["ECHO"], ["DBSIZE", "x"], ["TIME", "x"], ["CONFIG"], ["CONFIG", "GET"], ["CONFIG", "SET", "hz"], ["CLIENT"], ["SELECT"]]) {
      await p.same(...args);
    }
  });

  test("MODULE: none loaded; LOAD, LOADEX and UNLOAD refused unless enable-module-command allows them, then failing as in Redis", async () => {
    const p = pair();
    await p.script(`MODULE LIST
MODULE HELP
MODULE LOAD /nonexistent.so
MODULE LOADEX /nonexistent.so CONFIG a b ARGS x
MODULE UNLOAD foo
MODULE
MODULE NOPE
MODULE LIST x
MODULE UNLOAD
COMMAND COUNT
COMMAND INFO module|list module|load module|loadex module|unload module|help`);
    const servers = await startAll([() => startKvis({ "enable-module-command": "yes" }), () => startRedis(["--enable-module-command", "yes"])]);
    const clients = await Promise.all(servers.map((s) => RawClient.connect(s.port)));
    try {
      for (const args of [["MODULE", "LOAD", "/nonexistent.so", "a"], ["MODULE", "LOADEX", "/nonexistent.so"], ["MODULE", "UNLOAD", "foo"], ["MODULE", "LIST"]]) {
        const [k, r] = await Promise.all(clients.map((c) => c.call(...args)));
        expect({ args, reply: k }).toEqual({ args, reply: r });
      }
    } finally {
      for (const c of clients) c.close();
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("a refused DEBUG or MODULE LOAD is refused before authentication, as a rejected call that the slow log does not keep", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await p.same("SLOWLOG", "RESET");
    await p.same("CONFIG", "RESETSTAT");
    await p.same("DEBUG", "SLEEP", "0");
    await p.same("MODULE", "LOAD", "/nonexistent.so");
    const entries = (raw: string) => (decodeReply(raw) as unknown[][]).map((e) => e[3]);
    const [k, r] = (await p.both("SLOWLOG", "GET")).map(entries);
    expect(k).toEqual(r);
    const stats = (info: string) => info.split("\r\n").filter((l) => /^cmdstat_(debug|module)/.test(l)).map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, "")).sort();
    const [ks, rs] = (await p.both("INFO", "commandstats")).map(stats);
    expect(ks).toContain("cmdstat_debug:calls=0,rejected_calls=1,failed_calls=0");
    expect(ks).toEqual(rs);
    await p.same("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    // Refused to a client that has not authenticated as well, rather than NOAUTH.
    await p.same("CONFIG", "SET", "requirepass", "pw");
    const [kc, rc] = await p.connectBoth();
    try {
      for (const args of [["DEBUG", "SLEEP", "0"], ["MODULE", "UNLOAD", "x"], ["MODULE", "LIST"]]) {
        const [a, b] = await Promise.all([kc.call(...args), rc.call(...args)]);
        expect({ args, reply: a }).toEqual({ args, reply: b });
      }
    } finally {
      kc.close();
      rc.close();
      await p.same("AUTH", "pw");
      await p.same("CONFIG", "SET", "requirepass", "");
    }
  });

  test("CLIENT, FUNCTION and COMMAND HELP are Redis 7.0's texts", async () => {
    const p = pair();
    for (const container of ["CLIENT", "FUNCTION", "COMMAND"]) await p.same(container, "HELP");
  });

  test("unknown subcommands point to HELP", async () => {
    const p = pair();
    await p.same("CONFIG", "FOO");
    await p.same("CLIENT", "FOO");
    await p.same("COMMAND", "FOO");
    await p.same("COMMAND", "LIST", "x");
    await p.same("SHUTDOWN", "SAVE", "NOSAVE");
    await p.same("SHUTDOWN", "FOO");
    for (const args of [["ABORT"], ["ABORT", "NOSAVE"], ["NOW", "ABORT"], ["FORCE", "ABORT"]]) await p.same("SHUTDOWN", ...args);
    await p.same("INFO", "nosuchsection");
    await p.same("HELLO", "3", "SETNAME", "a b");
  });
});

describe("PING and ECHO", () => {
  test("replies", async () => {
    const p = pair();
    await p.same("PING");
    await p.same("PING", "hello");
    await p.same("ECHO", "hi\x00there");
  });
});

describe("INFO", () => {
  const fields = (info: string) => info.split("\r\n").slice(1).map((line) => line.split(":")[0]).filter((name) => name !== "kvis_version" && name !== "bun_version");
  const values = (info: string, names: string[]) => names.map((name) => new RegExp(`\r\n${name}:([^\r]*)`).exec(info)?.[1]);

  test("every section has Redis 7.0's fields in Redis's order (KVIS adds kvis_version and bun_version)", async () => {
    const p = pair();
    for (const section of ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster"]) {
      const [k, r] = await p.both("INFO", section);
      expect({ section, fields: fields(k) }).toEqual({ section, fields: fields(r) });
    }
  });

  test("commandstats and errorstats count rejected and failed calls as Redis does; an unknown subcommand is no call of its container", async () => {
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    for (const args of [["PUBSUB", "STORE"], ["PUBSUB"], ["PUBSUB", "NUMPAT", "x"], ["CONFIG", "NOSUCH"], ["OBJECT", "nosuch", "k"], ["GET"], ["NOSUCHCMD"], ["SET", "k", "v", "XX", "NX"], ["INCR", "k"], ["PUBSUB", "NUMPAT"]]) {
      await p.same(...args);
    }
    const stats = (info: string) => info.split("\r\n").filter((l) => /^(cmdstat_|errorstat_|total_error_replies|rejected_calls)/.test(l)).map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, "")).sort();
    const [k, r] = (await p.both("INFO", "commandstats", "errorstats", "stats")).map(stats);
    expect(k).toContain("cmdstat_pubsub:calls=0,rejected_calls=1,failed_calls=0");
    expect(k).toEqual(r);
  });

  test("keyspace's avg_ttl estimates the keys' remaining time to live", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    for (let i = 0; i < 20; i++) await p.same("SET", `t${i}`, "v", "EX", String(1000 + i));
    await p.same("SET", "forever", "v");
    const avg = async (c: RawClient) => Number(/avg_ttl=(\d+)/.exec(await c.call("INFO", "keyspace"))![1]);
    // Redis estimates it in its expiry cycle: wait for its first estimate.
    await waitFor(async () => (await avg(p.redis)) > 0 || undefined, 20_000, "Redis's estimate");
    const [k, r] = [await avg(p.kvis), await avg(p.redis)];
    expect(Math.abs(k - r)).toBeLessThan(20_000);
    await p.same("FLUSHALL");
  });

  test("latencystats lists the commands run, with the percentiles asked for, in microseconds", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.9 100");
    await p.same("CONFIG", "RESETSTAT");
    await p.same("SET", "a", "1");
    await p.same("GET", "a");
    const shape = (info: string) =>
      info.split("\r\n").slice(1).filter((line) => line !== "").map((line) => line.replace(/=\d+\.\d{3}\b/g, "=N")).sort();
    const [k, r] = await p.both("INFO", "latencystats");
    expect(shape(k)).toEqual(shape(r));
    expect(shape(k)).toContain("latency_percentiles_usec_get:p50=N,p99.9=N,p100=N");
    // Not in the default set; empty when latency-tracking is off.
    await p.same("CONFIG", "SET", "latency-tracking", "no");
    await p.same("INFO", "latencystats");
    await p.same("CONFIG", "SET", "latency-tracking", "yes");
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9");
    for (const info of await p.both("INFO")) expect(info).not.toContain("Latencystats");
  });

  test("hz stays within 1..500, and under dynamic-hz it doubles while there are over 200 clients a tick", async () => {
    const p = pair();
    await p.script(`CONFIG SET hz 1000
CONFIG GET hz
CONFIG SET hz 0
CONFIG GET hz
CONFIG SET hz 1`);
    const hz = async () => (await p.both("INFO", "server")).map((info) => /\r\nhz:(\d+)\r\n/.exec(info)![1]);
    const opened: RawClient[] = [];
    try {
      // With the pair's own, 251 clients: 251 a tick at hz 1, 125 at 2.
      for (let i = 0; i < 250; i++) opened.push(...(await p.connectBoth()));
      await waitFor(async () => (await hz()).every((v) => v === "2") || undefined, 20_000, "hz 2 on both servers");
      await p.same("CONFIG", "SET", "dynamic-hz", "no");
      await waitFor(async () => (await hz()).every((v) => v === "1") || undefined, 20_000, "hz 1 on both servers");
    } finally {
      for (const c of opened) c.close();
      await p.same("CONFIG", "SET", "hz", "10", "dynamic-hz", "yes");
    }
  });

  test("counts what Redis counts: subscriptions, tracking, lazily freed values, maxclients", async () => {
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    await p.same("CONFIG", "SET", "maxclients", "500");
    const members = Array.from({ length: 200 }, (_, i) => `m${i}`);
    const [k, r] = await p.connectBoth();
    const [ks, rs] = await p.connectBoth();
    try {
      for (const c of [ks, rs]) {
        c.write(encodeCommand(["SUBSCRIBE", "a", "b"]));
        c.write(encodeCommand(["PSUBSCRIBE", "p*"]));
        c.write(encodeCommand(["SSUBSCRIBE", "s"]));
        await c.readReplies(4);
      }
      for (const c of [k, r]) {
        await c.call("CLIENT", "TRACKING", "ON");
        await c.call("MGET", "t1", "t2");
        await c.call("SADD", "big", ...members);
        await c.call("SADD", "small", "1", "2");
        await c.call("UNLINK", "big", "small");
        await c.call("ZADD", "z", "1", "a");
        await c.call("FLUSHDB", "ASYNC");
        // The lazyfree-lazy-* parameters make DEL, overwrites, expiry and plain FLUSHDB count too.
        await c.call("CONFIG", "SET", "lazyfree-lazy-user-del", "yes", "lazyfree-lazy-server-del", "yes", "lazyfree-lazy-user-flush", "yes", "lazyfree-lazy-expire", "yes");
        await c.call("SADD", "big2", ...members);
        await c.call("DEL", "big2");
        await c.call("SADD", "big3", ...members);
        await c.call("SET", "big3", "now a string");
        await c.call("SADD", "big4", ...members);
        await c.call("PEXPIRE", "big4", "1");
        await waitFor(async () => (await c.call("EXISTS", "big4")) === ":0\r\n" || undefined, 20_000, "big4 to expire");
        await c.call("SET", "x", "y");
        await c.call("FLUSHDB");
        await c.call("CONFIG", "SET", "lazyfree-lazy-user-del", "no", "lazyfree-lazy-server-del", "no", "lazyfree-lazy-user-flush", "no", "lazyfree-lazy-expire", "no");
      }
      // Redis frees lazily in a background thread: wait until it has caught up.
      await waitFor(async () => values(await p.redis.call("INFO", "memory"), ["lazyfree_pending_objects"])[0] === "0" || undefined, 20_000, "Redis's lazy frees");
      const [ki, ri] = await p.both("INFO", "everything");
      const names = [
        "maxclients", "tracking_clients", "pubsub_channels", "pubsub_patterns", "pubsubshard_channels",
        "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes", "lazyfreed_objects", "lazyfree_pending_objects",
      ];
      expect(values(ki, names)).toEqual(values(ri, names));
      // UNLINK (1) and FLUSHDB ASYNC (1 key), then DEL, an overwrite and an expiry made lazy
      // (1 each), and a FLUSHDB made lazy (2 keys).
      expect(values(ki, ["lazyfreed_objects"])).toEqual(["7"]);
    } finally {
      for (const c of [k, r, ks, rs]) c.close();
      await p.same("CONFIG", "SET", "maxclients", "10000");
    }
  });
});

describe("SELECT, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB", () => {
  test("flushing what is already empty counts no change; SWAPDB of a database with itself counts one", async () => {
    const p = pair();
    const changes = async () => (await p.both("INFO", "persistence")).map((info) => /rdb_changes_since_last_save:\d+/.exec(info)![0]);
    await p.same("FLUSHALL");
    const before = await changes();
    await p.same("FLUSHALL");
    await p.same("FLUSHDB");
    const after = await changes();
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    // A database swapped with itself counts one, as Redis counts it (and replicates it).
    await p.sameDirtyGrowth("SWAPDB 0 0\nSWAPDB 3 3");
  });

  test("databases are separate and can be swapped", async () => {
    const p = pair();
    await p.same("SET", "a", "0");
    await p.same("SELECT", "1");
    await p.same("DBSIZE");
    await p.same("SET", "b", "1");
    await p.same("SET", "c", "1");
    await p.same("DBSIZE");
    await p.same("SWAPDB", "0", "1");
    await p.same("DBSIZE");
    await p.same("GET", "a");
    await p.same("SWAPDB", "1", "1");
    await p.same("FLUSHDB");
    await p.same("DBSIZE");
    await p.same("SELECT", "0");
    await p.same("DBSIZE");
    await p.same("FLUSHALL", "SYNC");
    await p.same("DBSIZE");
    await p.same("FLUSHDB", "ASYNC");
  });

  test("bad database indexes and flush modes answer Redis's errors", async () => {
    const p = pair();
    for (const args of [
      ["SELECT", "16"], ["SELECT", "-1"], ["SELECT", "x"], ["SWAPDB", "x", "1"], ["SWAPDB", "1", "x"], ["SWAPDB", "0", "16"],
      ["SWAPDB", "-1", "0"], ["FLUSHDB", "foo"], ["FLUSHALL", "ASYNC", "SYNC"],
    ]) {
      await p.same(...args);
    }
  });
});

describe("CONFIG", () => {
  test("CONFIG REWRITE without a config file, and CONFIG HELP", async () => {
    await pair().script(`CONFIG REWRITE
CONFIG REWRITE x
CONFIG HELP`);
  });

  test("GET with several parameters and glob patterns", async () => {
    const p = pair();
    const asPairs = (reply: string) => {
      const lines = reply.split("\r\n").slice(1, -1).filter((_, i) => i % 2 === 1);
      const out: string[] = [];
      for (let i = 0; i < lines.length; i += 2) out.push(`${lines[i]}=${lines[i + 1]}`);
      return out.sort();
    };
    for (const args of [["hz"], ["databases", "dbfilename"], ["*max-bulk*"], ["HZ"], ["nosuchparam"], ["hz", "hz"], ["appendonly", "save"]]) {
      const [a, b] = await p.both("CONFIG", "GET", ...args);
      expect({ args, reply: asPairs(a) }).toEqual({ args, reply: asPairs(b) });
    }
  });

  test("every parameter of Redis 7.0 is there, with Redis's default (bind and port aside)", async () => {
    const p = pair();
    const values = (reply: string) => {
      const lines = reply.split("\r\n").slice(1, -1).filter((_, i) => i % 2 === 1);
      const out = new Map<string, string>();
      for (let i = 0; i < lines.length; i += 2) out.set(lines[i]!, lines[i + 1]!);
      return out;
    };
    const [k, r] = (await p.both("CONFIG", "GET", "*")).map(values) as [Map<string, string>, Map<string, string>];
    // Each server's own: where it listens, files in its temporary directory, the options the harness sets.
    const own = new Set(["bind", "port", "dir", "pidfile", "logfile", "save", "appendonly", "enable-debug-command", "dbfilename", "appendfilename", "appenddirname", "aclfile", "protected-mode", "daemonize", "loglevel"]);
    expect([...k.keys()].sort()).toEqual([...r.keys()].sort());
    const differing = [...r].filter(([name, value]) => !own.has(name) && k.get(name) !== value);
    expect(differing).toEqual([]);
  });

  test("the parameters KVIS accepts without effect validate as Redis's do", async () => {
    const p = pair();
    try {
      await p.script(`CONFIG SET active-defrag-cycle-max 0
CONFIG SET active-defrag-cycle-max 50
CONFIG SET active-defrag-ignore-bytes 200mb
CONFIG GET active-defrag-ignore-bytes
CONFIG SET activedefrag maybe
CONFIG SET active-expire-effort 11
CONFIG SET active-expire-effort 3
CONFIG SET cluster-enabled yes
CONFIG SET cluster-preferred-endpoint-type hostname
CONFIG SET cluster-preferred-endpoint-type nothing
CONFIG SET cluster-slave-validity-factor 5
CONFIG GET cluster-replica-validity-factor
CONFIG SET maxmemory-clients 10%
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 1mb
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 0
CONFIG SET shutdown-on-sigterm "nosave force"
CONFIG GET shutdown-on-sigterm
CONFIG SET shutdown-on-sigterm "save nosave"
CONFIG SET shutdown-on-sigterm bogus
CONFIG SET shutdown-on-sigterm default
CONFIG SET propagation-error-behavior panic
CONFIG SET propagation-error-behavior ignore
CONFIG SET sanitize-dump-payload clients
CONFIG SET sanitize-dump-payload no
CONFIG SET tls-session-cache-size -1
CONFIG SET unixsocket /tmp/x.sock
CONFIG SET unixsocketperm 700
CONFIG SET io-threads 4
CONFIG SET repl-ping-slave-period 12
CONFIG GET repl-ping-replica-period
CONFIG SET repl-ping-replica-period 10
CONFIG SET slave-announce-port 70000
CONFIG SET tracking-table-max-keys 500
CONFIG GET key-load-delay
CONFIG GET rdb-key-save-delay
CONFIG SET key-load-delay -1
CONFIG GET key*
CONFIG SET repl-backlog-size 1
CONFIG GET repl-backlog-size
CONFIG SET repl-backlog-size 1mb
CONFIG SET rdbchecksum no
CONFIG SET bind 10.255.255.1`);
    } finally {
      await p.script(`CONFIG SET active-defrag-cycle-max 25
CONFIG SET active-defrag-ignore-bytes 100mb
CONFIG SET active-expire-effort 1
CONFIG SET cluster-preferred-endpoint-type ip
CONFIG SET cluster-slave-validity-factor 10
CONFIG SET tracking-table-max-keys 1000000
CONFIG SET key-load-delay 0`);
    }
  });

  test("numbers parse and meet their bounds as in Redis's C types: memory values, unsigned ones, 64-bit ends", async () => {
    const p = pair();
    try {
      // A memory value with no digits is 0; past 2^64-1 it stops there; with a unit it wraps.
      // An unsigned parameter (size_t, unsigned int) sees -1 and 2^63 as past its bound;
      // a long long one sees 2^63 as negative; the bounds print as LLONG_MAX and ULLONG_MAX.
      await p.script(`CONFIG SET hash-max-listpack-value ""
CONFIG GET hash-max-listpack-value
CONFIG SET stream-node-max-bytes kb
CONFIG GET stream-node-max-bytes
CONFIG SET hll-sparse-max-bytes 9223372036854775808
CONFIG SET auto-aof-rewrite-min-size 9223372036854775808
CONFIG SET repl-backlog-size 0
CONFIG SET cluster-link-sendbuf-limit 9223372036854775808
CONFIG GET cluster-link-sendbuf-limit
CONFIG SET cluster-link-sendbuf-limit 99999999999999999999
CONFIG GET cluster-link-sendbuf-limit
CONFIG SET cluster-link-sendbuf-limit 10000000000000000000gb
CONFIG GET cluster-link-sendbuf-limit
CONFIG SET active-defrag-ignore-bytes 0
CONFIG SET hash-max-listpack-entries -1
CONFIG SET maxclients 4294967296
CONFIG SET acllog-max-len -1
CONFIG SET slowlog-max-len 9223372036854775807
CONFIG GET slowlog-max-len
CONFIG SET slowlog-log-slower-than -2
CONFIG SET latency-monitor-threshold -1
CONFIG SET zset-max-listpack-value 0005
CONFIG GET zset-max-listpack-value
CONFIG SET zset-max-listpack-entries 0005
CONFIG SET zset-max-listpack-entries -0
CONFIG SET zset-max-listpack-value +5
CONFIG SET zset-max-listpack-value " 5"`);
      // Percentiles are read by strtod and printed by "%f"; hostnames keep to their characters.
      await p.script(`CONFIG SET latency-tracking-info-percentiles "0x10 1e-7 -0 99.99999999"
CONFIG GET latency-tracking-info-percentiles
CONFIG SET latency-tracking-info-percentiles "1  2"
CONFIG SET latency-tracking-info-percentiles nan
CONFIG SET latency-tracking-info-percentiles ""
CONFIG GET latency-tracking-info-percentiles
CONFIG SET cluster-announce-hostname a_b
CONFIG SET cluster-announce-hostname "10 20"
CONFIG SET cluster-announce-hostname ${"h".repeat(256)}
CONFIG SET cluster-announce-hostname ${"h".repeat(255)}
CONFIG GET cluster-announce-hostname`);
    } finally {
      await p.script(`CONFIG SET hash-max-listpack-value 64 stream-node-max-bytes 4096 cluster-link-sendbuf-limit 0 slowlog-max-len 128
CONFIG SET zset-max-listpack-value 64 latency-tracking-info-percentiles "50 99 99.9" cluster-announce-hostname ""`);
    }
  });

  test("SET validates every pair before applying any", async () => {
    const p = pair();
    for (const args of [
      ["hz", "abc"], ["nosuch", "1"], ["hz", "5", "hz", "6"], ["databases", "5"], ["hz", "20", "nosuch", "1"],
      ["loglevel", "nonsense"], ["hz", "20"],
    ]) {
      await p.same("CONFIG", "SET", ...args);
    }
    await p.same("CONFIG", "GET", "hz");
    await p.same("CONFIG", "SET", "hz", "10");
    await p.same("CONFIG", "RESETSTAT");
  });

  test("client-output-buffer-limit merges classes and validates as Redis does", async () => {
    const p = pair();
    for (const value of ["replica 1mb 512kb 10", "pubsub 1gb 0 0 normal 10 20 30", "bogus 1 1 1", "slave 1 1", "slave x 1 1", "slave 1 1 -1", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"]) {
      await p.same("CONFIG", "SET", "client-output-buffer-limit", value);
      await p.same("CONFIG", "GET", "client-output-buffer-limit");
    }
    await p.same("CONFIG", "SET", "replica-serve-stale-data", "maybe");
    await p.same("CONFIG", "GET", "replica-serve-stale-data");
  });

  test("redis.conf directives of Redis's internals read and validate as in Redis", async () => {
    const p = pair();
    const names = [
      "tcp-backlog", "activerehashing", "always-show-logo", "set-proc-title", "proc-title-template", "disable-thp", "jemalloc-bg-thread", "dynamic-hz",
      "oom-score-adj", "oom-score-adj-values", "lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
      "lazyfree-lazy-user-flush", "replica-lazy-flush", "aof-rewrite-incremental-fsync", "rdb-save-incremental-fsync", "aof-timestamp-enabled",
      "rdb-del-sync-files", "repl-disable-tcp-nodelay", "repl-diskless-load", "repl-diskless-sync-delay", "repl-diskless-sync-max-replicas",
      "replica-priority", "slave-priority", "hll-sparse-max-bytes", "pidfile", "daemonize",
    ];
    for (const name of names) {
      await p.same("CONFIG", "GET", name);
      await p.same("CONFIG", "SET", name, "zzz");
      await p.same("CONFIG", "SET", name, "-1");
    }
    try {
      await p.script(`CONFIG SET oom-score-adj-values "1 2 3000"
CONFIG SET oom-score-adj-values "1 2"
CONFIG SET oom-score-adj-values "-100 0 100"
CONFIG GET oom-score-adj-values
CONFIG SET repl-diskless-load swapdb
CONFIG SET replica-priority 7
CONFIG GET replica-priority`);
    } finally {
      await p.same("CONFIG", "SET", "oom-score-adj-values", "0 200 800", "repl-diskless-load", "disabled", "replica-priority", "100");
    }
  });

  test("encoding limits under their listpack and ziplist names decide OBJECT ENCODING as in Redis", async () => {
    const p = pair();
    const limits = ["hash-max-listpack-entries", "hash-max-listpack-value", "zset-max-listpack-entries", "zset-max-listpack-value", "set-max-intset-entries"];
    try {
      for (const name of [...limits, "hash-max-ziplist-entries", "zset-max-ziplist-value", "list-max-listpack-size", "list-max-ziplist-size", "list-compress-depth", "slave-read-only", "slaveof"]) {
        await p.same("CONFIG", "GET", name);
      }
      const [a, b] = await p.both("CONFIG", "GET", "*max-*-entries");
      const names = (reply: string) => reply.split("\r\n").filter((_, i) => i % 4 === 2).sort();
      expect(names(a)).toEqual(names(b));
      await p.script(`CONFIG SET hash-max-ziplist-entries abc
CONFIG SET hash-max-listpack-entries -1
CONFIG SET hash-max-listpack-entries 9223372036854775807
CONFIG SET hash-max-listpack-entries 9223372036854775808
CONFIG SET zset-max-ziplist-value 1kb
CONFIG GET zset-max-listpack-value
CONFIG SET list-max-listpack-size -6
CONFIG SET list-compress-depth -1
CONFIG SET list-max-ziplist-size 5 list-compress-depth 1
CONFIG GET list-max-listpack-size
FLUSHALL
CONFIG SET hash-max-ziplist-entries 2 hash-max-listpack-value 3
HSET h a 1 b 2
OBJECT ENCODING h
HSET h c 3
OBJECT ENCODING h
HSET h2 f abcd
OBJECT ENCODING h2
CONFIG SET zset-max-listpack-entries 1 zset-max-listpack-value 4
ZADD z 1 a
OBJECT ENCODING z
ZADD z 2 b
OBJECT ENCODING z
ZADD zl 1 abcde
OBJECT ENCODING zl
CONFIG SET zset-max-listpack-entries 0
ZADD z0 1 a
OBJECT ENCODING z0
CONFIG SET set-max-intset-entries 2
SADD s 1 2
OBJECT ENCODING s
SADD s 3
OBJECT ENCODING s
CONFIG SET set-max-intset-entries 0
SADD s0 1
OBJECT ENCODING s0`);
    } finally {
      await p.same("CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64");
      await p.same("CONFIG", "SET", "set-max-intset-entries", "512", "list-max-listpack-size", "-2", "list-compress-depth", "0");
    }
  });
});

describe("protected configs: dir and dbfilename", () => {
  // Loopback clients count as local, so "local" lets these tests set them.
  const local = usePair({ "enable-protected-configs": "local" }, ["--enable-protected-configs", "local"]);

  test("CONFIG SET refuses them unless enable-protected-configs allows it, which is immutable", async () => {
    await pair().script(`CONFIG SET dir /tmp
CONFIG SET dbfilename x.rdb
CONFIG SET hz 10 dbfilename x.rdb
CONFIG GET enable-protected-configs
CONFIG SET enable-protected-configs yes`);
  });

  test("with it, dir must name a directory and moves relative to the current one, as chdir does", async () => {
    const p = local();
    const shared = tempDir();
    try {
      mkdirSync(join(shared, "sub"));
      writeFileSync(join(shared, "file"), "");
      symlinkSync("loop", join(shared, "loop"));
      await p.script(`CONFIG SET dir ${shared}/nosuch
CONFIG SET dir ${shared}/file
CONFIG SET dir ${shared}/loop
CONFIG SET dir ${shared}/${"n".repeat(300)}
CONFIG SET dir ""
CONFIG SET dbfilename a/b.rdb
CONFIG SET dir ${shared}
CONFIG SET dir sub
CONFIG GET dir
CONFIG SET dir .. hz 11
CONFIG GET dir`);
      // The dump goes where dir and dbfilename now say.
      expect(await p.kvis.call("CONFIG", "SET", "dbfilename", "moved.rdb")).toBe("+OK\r\n");
      expect(await p.kvis.call("SAVE")).toBe("+OK\r\n");
      expect(existsSync(join(shared, "moved.rdb"))).toBe(true);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });
});

describe("ROLE and REPLCONF from an ordinary client", () => {
  test("answers as a Redis master with no replicas answers", async () => {
    const p = pair();
    await p.same("ROLE");
    for (const args of [[], ["foo", "bar"], ["listening-port"], ["listening-port", "1234"], ["capa", "eof", "capa", "psync2"], ["ip-address", "1.2.3.4"]]) {
      await p.same("REPLCONF", ...args);
    }
  });
});

describe("RESET", () => {
  test("returns the connection to database 0, RESP2 and no name", async () => {
    const p = pair();
    await p.same("SET", "in0", "x");
    await p.same("SELECT", "3");
    await p.same("CLIENT", "SETNAME", "before-reset");
    await p.both("HELLO", "3");
    await p.same("RESET");
    await p.same("GET", "in0");
    await p.same("CLIENT", "GETNAME");
    await p.same("GET", "missing");
  });
});

describe("AUTH without a password configured", () => {
  test("AUTH explains the configuration; AUTH default works; extra arguments are a syntax error", async () => {
    const p = pair();
    await p.same("AUTH", "x");
    await p.same("AUTH", "default", "anything");
    await p.same("AUTH", "someone", "x");
    await p.same("AUTH", "a", "b", "c");
  });
});

describe("CLIENT", () => {
  test("SETNAME and GETNAME", async () => {
    const p = pair();
    await p.same("CLIENT", "GETNAME");
    await p.same("CLIENT", "SETNAME", "worker-1");
    await p.same("CLIENT", "GETNAME");
    await p.same("CLIENT", "SETNAME", "has space");
    await p.same("CLIENT", "SETNAME", "");
    await p.same("CLIENT", "GETNAME");
  });

  test("LIST filters and their errors", async () => {
    const p = pair();
    for (const args of [["TYPE", "foo"], ["ID", "abc"], ["ID", "0"], ["ID", "-3"], ["FOO"], ["TYPE", "pubsub"], ["ID", "999999"]]) {
      await p.same("CLIENT", "LIST", ...args);
    }
  });

  test("LIST counts a transaction's queued commands in multi-mem as Redis does", async () => {
    const p = pair();
    const [ks, rs] = await p.connectBoth();
    try {
      for (const c of [ks, rs]) {
        await c.call("MULTI");
        await c.call("SET", "a", "bbbbbbbbbb");
        await c.call("RPUSH", "list", "x", "yy", "zzz");
        await c.call("INCR", "n");
      }
      const queued = (list: string) => /multi=[0-9]\S* .*multi-mem=\d+/.exec(list)?.[0].replace(/ qbuf.* argv-mem=\S*/, "");
      const [kl, rl] = await p.both("CLIENT", "LIST", "TYPE", "normal");
      expect(queued(kl)).toBe("multi=3 multi-mem=114");
      expect(queued(kl)).toBe(queued(rl));
    } finally {
      ks.close();
      rs.close();
    }
  });

  test("INFO reports the query buffer, arguments, subscriptions and queued commands as Redis does", async () => {
    const p = pair();
    // What differs by nature: ids, addresses, times, buffer capacities and fill (Redis may
    // not have reset its reply buffer yet), memory totals.
    const mask = (line: string) =>
      line.replace(/^\$\d+\r\n/, "").replace(/\b(id|addr|laddr|fd|age|idle|qbuf-free|rbs|rbp|obl|tot-mem)=\S*/g, "$1=*").replace(/ lib-name=\S* lib-ver=\S*/, "");
    const sameInfo = async () => {
      const [k, r] = await p.both("CLIENT", "INFO");
      expect(mask(k)).toBe(mask(r));
    };
    await sameInfo();
    await p.same("MULTI");
    await p.same("SET", "k", "some value");
    await p.same("INCR", "counter");
    const [k, r] = await p.both("EXEC");
    expect(k).toBe(r);
    await sameInfo();
    // Inside EXEC: the x flag, the queue's length and cmd=exec, as Redis keeps them until
    // EXEC ends (its queue's memory is not counted here).
    await p.same("MULTI");
    await p.same("SET", "k", "v");
    await p.both("CLIENT", "INFO");
    const [ke, re] = (await p.both("EXEC")).map((reply) => mask(reply).replace(/\$\d+\r\n/g, "").replace(/multi-mem=\d+/, "multi-mem=*"));
    expect(ke).toContain(" flags=x ");
    expect(ke).toContain(" multi=2 ");
    expect(ke).toContain(" cmd=exec ");
    expect(ke).toBe(re);
    const [ks, rs] = await p.connectBoth();
    try {
      for (const c of [ks, rs]) {
        await c.call("SUBSCRIBE", "a", "b");
        await c.call("PSUBSCRIBE", "x*");
      }
      const listed = async () => (await p.both("CLIENT", "LIST", "TYPE", "pubsub")).map(mask);
      const [kl, rl] = await listed();
      expect(kl).toBe(rl);
    } finally {
      ks.close();
      rs.close();
    }
    // A blocked client keeps its command's arguments (argv-mem) while it waits.
    const [kb, rb] = await p.connectBoth();
    try {
      for (const c of [kb, rb]) c.write("CLIENT SETNAME waiter\r\nBLPOP somekey 0\r\n");
      await p.blocked(1);
      const waiter = (list: string) => mask(list.split("\n").find((line) => line.includes("name=waiter"))!);
      const [kw, rw] = (await p.both("CLIENT", "LIST")).map(waiter);
      expect(kw).toBe(rw);
      expect(kw).toContain("argv-mem=13 ");
    } finally {
      kb.close();
      rb.close();
    }
  });

  test("flags: a WATCHed key changed (d), blocked in WAIT or by a pause (b), MONITOR (O), as Redis shows them", async () => {
    const p = pair();
    const mask = (line: string) => line.replace(/\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|rbs|rbp|obl|tot-mem)=\S*/g, "$1=*").replace(/ lib-name=\S* lib-ver=\S*/, "");
    const named = async (name: string) => (await p.both("CLIENT", "LIST")).map((list) => mask(list.split("\n").find((line) => line.includes(`name=${name} `)) ?? ""));
    const clients = [await p.connectBoth(), await p.connectBoth(), await p.connectBoth()];
    try {
      const [[kd, rd], [kw, rw], [km, rm]] = clients;
      for (const c of [kd!, rd!]) c.write("CLIENT SETNAME dirty\r\nWATCH w\r\nSET w 1\r\n");
      for (const c of [kw!, rw!]) c.write("CLIENT SETNAME waiting\r\nWAIT 1 0\r\n");
      for (const c of [km!, rm!]) c.write("CLIENT SETNAME monitor\r\nMONITOR\r\n");
      await p.blocked(1);
      // A monitor is never quiet (it sees the settling PINGs): it has its two replies.
      await Promise.all([km!.readReplies(2), rm!.readReplies(2)]);
      await p.settle([kd!, rd!, kw!, rw!]);
      for (const name of ["dirty", "waiting", "monitor"]) {
        const [k, r] = await named(name);
        expect(k).toBe(r);
      }
      expect((await named("dirty"))[0]).toContain(" flags=d ");
      expect((await named("monitor"))[0]).toContain(" flags=O ");
      // Held by a pause: blocked too.
      await p.same("CLIENT", "PAUSE", "100000", "WRITE");
      for (const c of [kd!, rd!]) c.write("SET w 2\r\n");
      await p.blocked(2);
      const [k, r] = await named("dirty");
      expect(k).toBe(r);
      expect(k).toContain(" flags=bd ");
    } finally {
      await p.same("CLIENT", "UNPAUSE");
      for (const [k, r] of clients) {
        k.close();
        r.close();
      }
    }
  });

  test("KILL errors", async () => {
    const p = pair();
    await p.same("CLIENT", "KILL", "TYPE", "foo");
    await p.same("CLIENT", "KILL", "ADDR");
    await p.same("CLIENT", "KILL", "1.2.3.4:5");
    await p.same("CLIENT", "KILL", "ID", "abc");
    await p.same("CLIENT", "KILL", "ID", "999999");
    await p.same("CLIENT", "KILL", "FOO", "bar");
    await p.same("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "maybe");
  });
});

describe("HELLO", () => {
  const maskId = (s: string) => s.replace(/id\r\n:\d+/, "id\r\n:N");
  test("HELLO 2 and HELLO 3 answer the same map apart from the client id", async () => {
    const p = pair();
    for (const ver of ["3", "2"]) {
      const [a, b] = await p.both("HELLO", ver);
      expect(maskId(a)).toBe(maskId(b));
    }
  });

  test("bad versions and options", async () => {
    const p = pair();
    for (const args of [["4"], ["1"], ["x"], ["3", "FOO"], ["3", "AUTH", "a"], ["3", "SETNAME"]]) await p.same("HELLO", ...args);
  });

  test("in RESP3 null is _ and CONFIG GET is a map", async () => {
    const p = pair();
    await p.both("HELLO", "3");
    await p.same("GET", "missing");
    await p.same("CONFIG", "GET", "hz");
    await p.same("CLIENT", "GETNAME");
    await p.same("PING");
    // Flags and categories are RESP3 sets, key specs are maps.
    for (const name of ["get", "set", "del", "expire", "config|get"]) await p.same("COMMAND", "INFO", name);
    await p.both("HELLO", "2");
    await p.same("GET", "missing");
  });
});

describe("COMMAND", () => {
  test("COMMAND LIST FILTERBY ACLCAT, PATTERN and MODULE select as Redis does", async () => {
    const p = pair();
    const names = (raw: string) => raw.split("\r\n").filter((l) => l !== "" && !l.startsWith("$") && !l.startsWith("*")).sort();
    // Redis has a few commands KVIS lacks (MIGRATE, modules...): the lists agree on the rest.
    const ours = new Set(names(await p.kvis.call("COMMAND", "LIST")));
    for (const filter of [["ACLCAT", "geo"], ["aclcat", "HyperLogLog"], ["ACLCAT", "nosuchcategory"], ["PATTERN", "config*"], ["PATTERN", "*RANGE*"], ["MODULE", "any"]]) {
      const [k, r] = await p.both("COMMAND", "LIST", "FILTERBY", ...filter);
      expect({ filter, names: names(k) }).toEqual({ filter, names: names(r).filter((name) => ours.has(name)) });
    }
    await p.same("COMMAND", "LIST", "FILTERBY", "ACLCAT");
    await p.same("COMMAND", "LIST", "FILTERBY", "FOO", "bar");
    await p.same("COMMAND", "LIST", "x");
  });

  test("MEMORY HELP and DOCTOR answer as Redis does", async () => {
    const p = pair();
    await p.same("MEMORY", "HELP");
    // An empty server holds too little for the doctor to judge; its reports on more are
    // built from figures given here.
    await p.same("MEMORY", "DOCTOR");
    const stats = (total: number, peak: number): StatField[] => [["peak.allocated", peak, "integer"], ["total.allocated", total, "integer"], ["clients.normal", 0, "integer"]];
    expect(memoryDoctor(stats(64 << 20, 64 << 20), 0, 0, 1)).toBe("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n");
    const report = memoryDoctor(stats(64 << 20, 200 << 20), 1001, 0, 1);
    expect(report.startsWith("Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory:")).toBe(true);
    expect(report).toContain(" * Many scripts:");
    expect(report.endsWith("I'm here to keep you safe, Sam. I want to help you.\n")).toBe(true);
  });

  test("COMMAND INFO and DOCS describe commands as Redis does", async () => {
    const p = pair();
    // Every command and subcommand KVIS declares, except CLIENT SETINFO and NO-TOUCH (Redis
    // 7.2; the oracle is 7.0). Containers are compared through their subcommands one by one: Redis
    // lists a container's subcommands in hash-table order.
    for (const cmd of allCommands()) {
      for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
        if (each.name === "client|setinfo" || each.name === "client|no-touch" || each.subcommands !== undefined) continue;
        await p.same("COMMAND", "INFO", each.name);
      }
    }
    await p.same("COMMAND", "INFO", "nosuchcommand");
    await p.same("COMMAND", "INFO", "get|key", "config|get|key", "config|get", "config|nosuch");
  });

  test("COMMAND DOCS tells each command's arguments, history and doc flags as Redis does", async () => {
    const p = pair();
    const newer = new Set(["client|setinfo", "client|no-touch"]);
    const leaves = allCommands().flatMap((cmd) => (cmd.subcommands ? [...cmd.subcommands.values()] : [cmd])).filter((cmd) => !newer.has(cmd.name));
    // Redis lists commands, and a container's subcommands, in its hash table's order: the
    // whole reply is compared as pairs of name and docs sorted by name.
    const sortedPairs = (flat: Decoded[]): Decoded[] => {
      const pairs: Decoded[][] = [];
      for (let i = 0; i < flat.length; i += 2) if (!newer.has(flat[i] as string)) pairs.push([flat[i]!, withSortedSubcommands(flat[i + 1] as Decoded[])]);
      return pairs.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
    };
    const withSortedSubcommands = (docs: Decoded[]): Decoded[] => docs.map((field, i) => (docs[i - 1] === "subcommands" ? sortedPairs(field as Decoded[]) : field));
    for (const protocol of ["2", "3"]) {
      await p.both("HELLO", protocol);
      for (const cmd of leaves) await p.same("COMMAND", "DOCS", cmd.name);
      const [k, r] = await p.both("COMMAND", "DOCS");
      expect(sortedPairs(decodeReply(k) as Decoded[])).toEqual(sortedPairs(decodeReply(r) as Decoded[]));
    }
    await p.same("COMMAND", "DOCS", "nosuchcommand", "get", "config|nosuch", "zadd");
  });
});

describe("protocol errors over the wire", () => {
  for (const input of ["*x\r\n", "*1\r\nx\r\n", "*1\r\n$-5\r\n", "*1\r\n$600000000\r\n", 'set a "b\r\n', "*1\r\n$4\r\nPING\r\n*+1\r\n"]) {
    test(`${JSON.stringify(input)} is answered and the connection closed`, async () => {
      await pair().sameRawUntilClose(input);
    });
  }

  test("inline commands and empty requests", async () => {
    await pair().sameRaw("*0\r\n*-1\r\nPING\r\n\r\nECHO 'a\\'b' \"c\\x41\"\n", 2);
    // Queued and run later, watched, and mixed with multibulk requests in one write.
    await pair().sameRaw("MULTI\r\nSET  inline:k\tv1\r\n*2\r\n$3\r\nGET\r\n$8\r\ninline:k\r\nLPUSH inline:l a b\nEXEC\r\nLRANGE inline:l 0 -1\r\n", 6);
  });
});

describe("CLIENT REPLY, NO-EVICT, PAUSE and UNPAUSE", () => {
  test("replies switched off, skipped and back on, as Redis sends them", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    try {
      const script = "PING\r\nCLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\nCLIENT REPLY SKIP\r\nGET a\r\nGET a\r\nCLIENT REPLY FOO\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n";
      k.write(script);
      r.write(script);
      // Seven replies: PING, ON, GET, the GET after the skipped one, FOO's error, ON, PING.
      expect(await k.readReplies(7)).toEqual(await r.readReplies(7));
      await p.settle([k, r]);
      expect(k.takeAll()).toBe(r.takeAll());
    } finally {
      k.close();
      r.close();
    }
    // CLIENT REPLY ON right after SKIP is answered: it turns replies on before replying.
    await p.sameRaw("CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n", 2);
    await p.script(`CLIENT NO-EVICT on
CLIENT NO-EVICT maybe
CLIENT NO-EVICT off
CLIENT PAUSE abc
CLIENT PAUSE -1
CLIENT PAUSE 10 foo
CLIENT UNPAUSE`);
  });

  test("a WRITE pause holds writes but not reads; UNPAUSE releases them in order", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    const [k2, r2] = await p.connectBoth();
    try {
      await p.same("CLIENT", "PAUSE", "5000", "WRITE");
      // Commands that may replicate wait too (PUBLISH, PFCOUNT), as in Redis 7.0.
      for (const c of [k2, r2]) c.write("PUBLISH ch x\r\nPFCOUNT h\r\n");
      for (const c of [k, r]) c.write("GET a\r\nSET a paused\r\nGET a\r\n");
      // The read answers at once; the write, and the read behind it, wait, as do the
      // PUBLISH and PFCOUNT: two clients held on each server.
      expect(await k.readReplies(1)).toEqual(await r.readReplies(1));
      await p.blocked(2);
      await p.same("GET", "a");
      await p.settle([k, r, k2, r2]);
      for (const c of [k, r, k2, r2]) expect(c.takeAll()).toBe("");
      await p.same("CLIENT", "UNPAUSE");
      expect(await k.readReplies(2)).toEqual(await r.readReplies(2));
      expect(await k2.readReplies(2)).toEqual(await r2.readReplies(2));
      await p.same("GET", "a");
    } finally {
      k.close();
      r.close();
      k2.close();
      r2.close();
    }
  });

  test("after UNPAUSE each held client runs its command and what it sent meanwhile before the next; one that blocks again waits", async () => {
    await sameScene(pair(), 3, [
      [0, "CLIENT PAUSE 100000 WRITE\r\n"],
      // The first held client's GET of b comes before the second's SET of b.
      [1, "SET a 1\r\n"],
      [1, "GET b\r\n"],
      [2, "SET b 2\r\n"],
      [2, "GET a\r\n"],
      [0, "CLIENT UNPAUSE\r\nGET a\r\n"],
      // A held BLPOP of an empty list blocks when it runs, and what followed it waits.
      [0, "CLIENT PAUSE 100000 WRITE\r\n"],
      [1, "BLPOP l 0\r\n"],
      [1, "GET b\r\n"],
      [0, "CLIENT UNPAUSE\r\n"],
      [0, "RPUSH l x\r\n"],
      // CLIENT REPLY SKIP still silences the held command when it runs.
      [2, "CLIENT REPLY SKIP\r\n"],
      [0, "CLIENT PAUSE 100000 WRITE\r\n"],
      [2, "SET c 3\r\n"],
      [2, "GET c\r\n"],
      [0, "CLIENT UNPAUSE\r\n"],
    ]);
    await pair().same("FLUSHALL");
  });

  test("CLIENT REPLY OFF and SKIP silence a blocked command's reply when it comes", async () => {
    await sameScene(pair(), 2, [
      [0, "CLIENT REPLY OFF\r\n"],
      [0, "BLPOP l 0\r\n"],
      [1, "RPUSH l a\r\n"],
      [0, "CLIENT REPLY ON\r\n"],
      [0, "CLIENT REPLY SKIP\r\n"],
      [0, "BLMOVE l m LEFT RIGHT 0\r\n"],
      [1, "RPUSH l b\r\n"],
      [0, "LRANGE m 0 -1\r\n"],
      [0, "CLIENT REPLY SKIP\r\n"],
      // Its timeout's answer is skipped too; the GET behind it is answered.
      [0, "BRPOP l 0.01\r\nGET k\r\n"],
    ]);
    await pair().same("FLUSHALL");
  });
});

describe("FAILOVER", () => {
  test("without replicas, and its syntax, answer as Redis does; PSYNC FAILOVER to a master is refused", async () => {
    await pair().script(`FAILOVER
FAILOVER ABORT
FAILOVER ABORT NOW
FAILOVER TIMEOUT 0
FAILOVER TIMEOUT -5
FAILOVER TIMEOUT x
FAILOVER TIMEOUT
FAILOVER TO host
FAILOVER TO host x
FAILOVER TO host 1 TO host 2
FAILOVER FORCE FORCE
FAILOVER FORCE
FAILOVER TO host 1 FORCE
FAILOVER BOGUS
PSYNC abc 1 FAILOVER`);
    const states = (await pair().both("INFO", "replication")).map((info) => /master_failover_state:\S+/.exec(info)![0]);
    expect(states).toEqual(["master_failover_state:no-failover", "master_failover_state:no-failover"]);
  });
});

describe("LOLWUT", () => {
  test("the art Redis draws where it is not random, its shape where it is, and argument errors", async () => {
    const p = pair();
    // Schotter's first two rows of squares are straight; the skyline of one cell has no tower.
    for (const args of [[], ["VERSION", "5", "66", "8", "2"], ["VERSION", "5", "10", "2", "1"], ["VERSION", "5", "1", "1", "1"], ["VERSION", "6", "1", "1"],
      ["VERSION", "49", "3", "1", "1"], ["VERSION", "59"], ["VERSION", "-1"], ["VERSION", "x"], ["VERSION", "5", "x"], ["VERSION", "6", "0", "x"], ["VERSION"], ["10", "20"]]) {
      await p.same("LOLWUT", ...args);
    }
    // Random art: the same lines of the same widths, and the same signature.
    for (const args of [["VERSION", "5"], ["VERSION", "5", "40", "5", "7"], ["VERSION", "6", "30", "8"], ["VERSION", "6"]]) {
      const shape = (raw: string) => {
        const lines = Buffer.from(raw, "latin1").toString("utf8").split("\n");
        return [lines.length, lines.map((line) => line.replace(/\x1b\[[0-9;]*m/g, "").length).join(","), lines.slice(-3).join("|")];
      };
      const [k, r] = await p.both("LOLWUT", ...args);
      expect(shape(k)).toEqual(shape(r));
    }
  });
});

describe("CLIENT PAUSE and the data", () => {
  test("while paused keys expire for readers but are not deleted; after UNPAUSE they are", async () => {
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    await p.script(`MULTI
SET foo bar PX 10
SET bar foo PX 10
CLIENT PAUSE 50000 WRITE
EXEC`);
    await p.expired("foo");
    await p.expired("bar");
    // The active expiry has had its turns meanwhile: nothing was deleted.
    for (const c of [p.kvis, p.redis]) {
      const loops = async () => Number(/lru_clock:(\d+)/.exec(await c.call("INFO", "server"))![1]);
      const start = await loops();
      await waitFor(async () => (await loops()) >= start + 1, 20_000, "a second of cron");
    }
    await p.same("GET", "foo");
    await p.same("DBSIZE");
    const expired = async () => (await p.both("INFO", "stats")).map((info) => /expired_keys:\d+/.exec(info)![0]);
    expect(await expired()).toEqual(["expired_keys:0", "expired_keys:0"]);
    await p.same("CLIENT", "UNPAUSE");
    await p.same("GET", "foo");
    await p.same("GET", "bar");
    expect(await expired()).toEqual(["expired_keys:2", "expired_keys:2"]);
  });
});

describe("SLOWLOG and DEBUG", () => {
  /** SLOWLOG GET with the parts that differ by server masked: ids, times, durations, addresses. */
  async function sameSlowlog(p: ReturnType<typeof pair>, ...args: string[]): Promise<void> {
    const [a, b] = await p.both("SLOWLOG", "GET", ...args);
    const mask = (s: string) => s.replace(/\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n/g, "*6\r\n:I\r\n:T\r\n:U\r\n").replace(/\$\d+\r\n127\.0\.0\.1:\d+\r\n/g, "$A\r\n");
    expect(mask(a)).toBe(mask(b));
  }

  test("with a zero threshold every command is logged as Redis logs it: long arguments cut, AUTH redacted", async () => {
    const p = pair();
    try {
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await p.same("SLOWLOG", "RESET");
      await p.same("SET", "k", "x".repeat(300));
      await p.same("RPUSH", "many", ...Array.from({ length: 40 }, (_, i) => `e${i}`));
      await p.same("AUTH", "user", "secret");
      await p.same("CLIENT", "SETNAME", "logged");
      await p.same("GET", "k");
      // Inside a transaction MULTI and each command are logged, EXEC is not.
      await p.same("MULTI");
      await p.same("SET", "k", "y");
      await p.same("EXEC");
      // Secrets are redacted: CONFIG SET of a password, MIGRATE's AUTH and AUTH2 (no such key: +NOKEY).
      await p.same("CONFIG", "SET", "masterauth", "secret", "masteruser", "someone");
      await p.same("MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000", "AUTH", "pw");
      await p.same("MIGRATE", "127.0.0.1", "1", "nokey", "9", "5000", "AUTH2", "user", "pw");
      await p.same("CONFIG", "SET", "masterauth", "", "masteruser", "");
      await sameSlowlog(p);
      await sameSlowlog(p, "2");
      await sameSlowlog(p, "-1");
      await p.script(`SLOWLOG GET -2
SLOWLOG GET x
SLOWLOG GET 1 2
SLOWLOG FOO
SLOWLOG HELP
CONFIG SET slowlog-max-len 2
SLOWLOG LEN
CONFIG SET slowlog-log-slower-than -1
SLOWLOG RESET
GET k
SLOWLOG LEN
CONFIG GET slowlog-max-len
CONFIG GET slowlog-log-slower-than
DEBUG SLEEP 0`);
    } finally {
      await p.same("CLIENT", "SETNAME", "");
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      await p.same("CONFIG", "SET", "slowlog-max-len", "128");
    }
  });

  test("a script is logged after the commands it ran, which are logged as run by no address", async () => {
    const p = pair();
    try {
      await p.same("FUNCTION", "FLUSH");
      await p.same("FUNCTION", "LOAD", "#!lua name=sl\nredis.register_function('f', function(keys) return redis.call('incr', keys[1]) end)");
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await p.same("SLOWLOG", "RESET");
      await p.same("EVAL", "redis.call('set', KEYS[1], 'v') return redis.call('get', KEYS[1])", "1", "k");
      await p.same("FCALL", "f", "1", "n");
      await p.same("EVAL", "return redis.pcall('nosuchcommand')", "0");
      await sameSlowlog(p);
    } finally {
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      await p.same("FUNCTION", "FLUSH");
    }
  });

  test("a blocked command is logged once served, after what served it", async () => {
    const p = pair();
    try {
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "0");
      await sameScene(p, 2, [
        [0, "BLPOP l 0\r\n"],
        [1, "MULTI\r\nLPUSH l foo\r\nSLOWLOG RESET\r\nEXEC\r\n"],
        [0, "XREAD BLOCK 0 STREAMS s $\r\n"],
        [1, "XADD s 1-1 f v\r\n"],
        [0, "BLPOP none 0.01\r\n"],
      ]);
      // The harness's own PINGs (how many depends on timing) left out.
      const logged = (raw: string) =>
        raw.replace(/\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n/g, "\0").replace(/\$\d+\r\n127\.0\.0\.1:\d+\r\n/g, "").split("\0").slice(1).filter((e) => !e.startsWith("*1\r\n$4\r\nPING"));
      const [k, r] = await p.both("SLOWLOG", "GET", "100");
      expect(logged(k)).toEqual(logged(r));
      // Served commands are logged, the one that timed out is not (as in Redis 7.0).
      expect(logged(k)[0]).toStartWith("*6\r\n$5\r\nXREAD\r\n");
    } finally {
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    }
  });
});

describe("CLUSTER without cluster mode", () => {
  test("every subcommand answers that cluster support is disabled; unknown ones and bad arity as Redis", async () => {
    await pair().script(`CLUSTER INFO
CLUSTER NODES
CLUSTER SLOTS
CLUSTER MYID
CLUSTER KEYSLOT foo
CLUSTER RESET HARD
CLUSTER HELP
CLUSTER NOSUCH
CLUSTER
CLUSTER KEYSLOT`);
  });
});
