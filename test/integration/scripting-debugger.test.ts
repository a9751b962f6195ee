/**
 * The Lua debugger, SCRIPT DEBUG SYNC (src/scripting/debugger.ts): sessions of debugger
 * commands sent to the compiled ./kvis and to a real redis-server give the same raw
 * replies, stop after stop, through "<endsession>", the EVAL's reply and the connection's
 * close; redis-cli --ldb-sync-mode prints the same session from both. After SCRIPT DEBUG
 * YES (redis-cli --ldb) the same, and then the session's changes are undone, as Redis
 * throws away the forked child it runs that session in. The server waits during a session
 * (it reads the client's socket itself), so each server is a process of its own.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, decodeReply, encodeCommand } from "../helpers/resp.ts";
import { type ChildServer, run, serverTestTimeout, startAll, startKvisBinary, startRedis, tempDir, waitExpired } from "../helpers/servers.ts";

serverTestTimeout();

/** Both servers, with a time limit that makes a script stuck in a loop stop within the test. */
async function bothServers(): Promise<ChildServer[]> {
  const args = ["--busy-reply-threshold", "300"];
  return startAll([() => startKvisBinary(args), () => startRedis(args)]);
}

const SCRIPT = [
  "local a = 1",
  "local t = {1, 2, 'x\\n', {k = 'v'}}",
  "redis.call('set', KEYS[1], ARGV[1])",
  "redis.debug('hi', a, t)",
  "redis.breakpoint()",
  "local g = redis.call('get', KEYS[1])",
  "local function f(x)",
  "  local y = x * 2",
  "  return y",
  "end",
  "local r = f(21)",
  "local big = string.rep('z', 300)",
  "redis.pcall('hget', KEYS[1], 'f')",
  "return {g, r}",
].join("\n");

/** Sessions: the commands sent after SCRIPT DEBUG SYNC, the first of them the EVAL. */
const SESSIONS: string[][][] = [
  // Every debugger command, and the script's own redis.debug, redis.breakpoint and calls.
  [
    ["EVAL", SCRIPT, "1", "key", "val"],
    ["help"], ["s"], ["p"], ["p", "a"], ["p", "nosuch"], ["p", "KEYS"], ["p", "ARGV"], ["l"], ["l", "2", "1"], ["l", "0"], ["w"],
    ["b", "9"], ["b"], ["b", "99"], ["b", "-3"], ["b", "x"], ["t"], ["e", "1 + 1"], ["e", "x ="], ["e", "error('boom')"], ["e"],
    ["r", "get", "key"], ["r", "nosuchcmd"], ["r", "config", "get", "maxmemory"], ["r", "set", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"],
    ["r"], ["m"], ["m", "10"], ["zzz"], ["hello\0world"], ["\0hello"],
    ["s"], ["s"], ["s"], ["c"], ["c"], ["t"], ["p"], ["b", "0"], ["s"], ["s"], ["s"], ["p", "big"], ["m", "0"], ["p", "big"], ["s"], ["s"], ["s"],
  ],
  // abort: the script stops with Redis's error, its writes kept.
  [["EVAL", "redis.call('set', 'x', '1')\nreturn 2", "0"], ["s"], ["a"]],
  // A loop stops by itself once past the time limit; a command of 100 arguments is refused.
  [["EVAL", "local i = 0\nwhile true do i = i + 1 end", "0"], ["c"], ["p", "i"], ["redis", ...Array<string>(100).fill("test")], ["a"]],
];

/**
 * redis-cli's debugger (`flag`: --ldb or --ldb-sync-mode) on one script with the same input
 * against each server: both must print the same session. Returns what it printed.
 */
async function cliSessions(servers: ChildServer[], flag: string, input: string): Promise<string> {
  const file = join(tempDir(), "script.lua");
  writeFileSync(file, "local a = 1\nredis.call('set', KEYS[1], ARGV[1])\nlocal v = redis.call('get', KEYS[1])\nreturn v\n");
  const outputs = await Promise.all(servers.map((s) => run(["redis-cli", "-p", String(s.port), flag, "--eval", file, "mykey", ",", "myval"], input)));
  expect(outputs[0]).toEqual(outputs[1]!);
  return outputs[1]!.stdout;
}

/** Run `session` on a fresh connection: every reply, then the EVAL's, then how the connection ends. */
async function runSession(port: number, session: string[][], mode = "SYNC"): Promise<string[]> {
  const c = await RawClient.connect(port);
  const replies = [await c.call("SCRIPT", "DEBUG", mode)];
  try {
    for (const command of session) {
      const reply = await c.call(...command);
      // A loop's count of instructions is no one's to compare: the point is where it stopped.
      replies.push(reply.replace(/<value> [\d.e+]+/, "<value> N"));
      if (reply.includes("<endsession>")) {
        replies.push(...(await c.readReplies(1)));
        replies.push(`closed: ${JSON.stringify(await c.readUntilClose())}`);
        break;
      }
    }
  } finally {
    c.close();
  }
  return replies;
}

describe("SCRIPT DEBUG SYNC, side by side with redis-server", () => {
  test("sessions of every debugger command give Redis's replies, word for word", async () => {
    const servers = await bothServers();
    try {
      for (const session of SESSIONS) {
        const [kvis, redis] = await Promise.all(servers.map((s) => runSession(s.port, session)));
        expect(redis.at(-1)).toBe('closed: ""');
        expect(kvis).toEqual(redis!);
      }
      // The aborted script's write stayed; the servers serve again.
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        expect(await c.call("GET", "x")).toBe("$1\r\n1\r\n");
        c.close();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("redis-cli --ldb-sync-mode prints the same session from KVIS as from Redis; a client gone mid-session leaves the script to finish", async () => {
    const servers = await bothServers();
    try {
      expect(await cliSessions(servers, "--ldb-sync-mode", "s\np\nn\nprint v\nc\n")).toContain("(Lua debugging session ended)");
      const after = [];
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        expect(await c.call("SCRIPT", "DEBUG", "SYNC")).toBe("+OK\r\n");
        expect(await c.call("EVAL", "redis.call('set', 'left', 'yes')\nreturn 1", "0")).toContain("Stopped at 1");
        c.close();
        const d = await RawClient.connect(s.port);
        after.push([await d.call("GET", "left"), await d.call("PING")]);
        d.close();
      }
      expect(after[0]).toEqual(["$3\r\nyes\r\n", "+PONG\r\n"]);
      expect(after[1]).toEqual(after[0]!);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("SCRIPT DEBUG's refusals: EVALSHA in a session, a bad mode, a pipeline, EXEC", async () => {
    const [kvis, redis] = await bothServers();
    try {
      const seen = [];
      for (const s of [kvis!, redis!]) {
        const c = await RawClient.connect(s.port);
        const replies = [await c.call("SCRIPT", "DEBUG", "MAYBE"), await c.call("SCRIPT", "DEBUG", "SYNC"), await c.call("EVALSHA", "0".repeat(40), "0"), await c.call("SCRIPT", "DEBUG", "NO"), await c.call("EVAL", "return 1", "0")];
        // After a pipelined command's reply, and inside EXEC (whose reply has begun), SCRIPT DEBUG is refused.
        c.write(Buffer.concat([encodeCommand(["PING"]), encodeCommand(["SCRIPT", "DEBUG", "SYNC"])]));
        replies.push(...(await c.readReplies(2)));
        replies.push(await c.call("MULTI"), await c.call("SCRIPT", "DEBUG", "SYNC"), await c.call("EXEC"));
        seen.push(replies);
        c.close();
      }
      expect(seen[0]).toEqual(seen[1]!);
      expect(seen[1]!.filter((r) => r === "-ERR SCRIPT DEBUG must be called outside a pipeline\r\n").length).toBe(1);
    } finally {
      await Promise.all([kvis!.stop(), redis!.stop()]);
    }
  });
});

/** Every key of databases 0 and 1 with its DUMP and its deadline (PEXPIRETIME: TTL would move while a loaded machine runs the sessions), sorted: what a session must leave as it found. */
async function dataset(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of ["0", "1"]) {
    await c.call("SELECT", db);
    const keys = decodeReply(await c.call("KEYS", "*")) as string[];
    for (const key of keys.sort()) out.push(`${db} ${key} ${await c.call("DUMP", key)} ${await c.call("PEXPIRETIME", key)}`);
  }
  await c.call("SELECT", "0");
  return out;
}

/** Fields of INFO persistence a session's writes would move (save points' count, the AOF's size). */
async function persistence(c: RawClient): Promise<string[]> {
  return (await c.call("INFO", "persistence")).split("\r\n").filter((l) => /^(rdb_changes_since_last_save|aof_current_size):/.test(l));
}

describe("SCRIPT DEBUG YES (redis-cli --ldb): Redis forks the session and throws its changes away; KVIS undoes them", () => {
  // The session changes every type, another database, TTLs; PUBLISHes; expires a key lazily;
  // then the debugger's redis command swaps the databases or flushes everything.
  const SCRIPT_YES = [
    "redis.call('set', 's', 'new')",
    "redis.call('hset', 'h', 'f2', 'v2')",
    "redis.call('rpush', 'l', 'c')",
    "redis.call('zadd', 'z', 2, 'm2')",
    "redis.call('sadd', 'st', 'y')",
    "redis.call('xadd', 'x', '2-1', 'f', 'v')",
    "redis.call('persist', 'ttl')",
    "redis.call('get', 'gone')",
    "redis.call('select', 1)",
    "redis.call('set', 'other', '2')",
    "redis.call('set', 'new1', 'x')",
    "local n = redis.call('publish', 'ch', 'msg')",
    "return n",
  ].join("\n");
  const YES_SESSIONS: string[][][] = [
    [["EVAL", SCRIPT_YES, "0"], ["s"], ["r", "swapdb", "0", "1"], ["r", "del", "s"], ["c"]],
    [["EVAL", SCRIPT_YES, "0"], ["r", "flushall"], ["r", "set", "after", "flush"], ["c"]],
  ];

  test("the session is SYNC's; then the dataset is as before, and no write, event, message or touch got out", async () => {
    const args = ["--appendonly", "yes", "--notify-keyspace-events", "KEA", "--enable-debug-command", "yes"];
    const servers = await startAll([() => startKvisBinary(args), () => startRedis(args)]);
    try {
      const seen = [];
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        for (const cmd of [["SET", "s", "old"], ["EXPIRE", "s", "1000"], ["HSET", "h", "f", "v"], ["RPUSH", "l", "a", "b"], ["ZADD", "z", "1", "m"],
          ["SADD", "st", "x"], ["XADD", "x", "1-1", "f", "v"], ["SET", "ttl", "v", "EX", "500"], ["SELECT", "1"], ["SET", "other", "1"], ["SELECT", "0"]]) await c.call(...cmd);
        // A key past its deadline, still there for the session's lookup to expire.
        expect(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("+OK\r\n");
        await c.call("SET", "gone", "v", "PX", "1");
        await waitExpired(c, "gone");
        const subscriber = await RawClient.connect(s.port);
        await subscriber.call("PSUBSCRIBE", "*");
        const watcher = await RawClient.connect(s.port);
        await watcher.call("WATCH", "s", "h", "other");
        const before = [await dataset(c), await persistence(c)];
        const sessions = [];
        for (const session of YES_SESSIONS) sessions.push(await runSession(s.port, session, "YES"));
        const after = [await dataset(c), await persistence(c)];
        expect(after).toEqual(before);
        // The watcher's transaction runs; the subscriber heard nothing before its PING's reply.
        await watcher.call("MULTI");
        await watcher.call("PING");
        const exec = await watcher.call("EXEC");
        const heard = await subscriber.readRepliesAfter("PING");
        seen.push({ sessions, exec, heard, gone: await c.call("EXISTS", "gone") });
        for (const x of [c, subscriber, watcher]) x.close();
      }
      expect(seen[1]!.exec).toBe("*1\r\n+PONG\r\n");
      expect(seen[1]!.sessions[0]!.at(-2)).toBe(":1\r\n");
      expect(seen[0]).toEqual(seen[1]!);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("redis-cli --ldb prints the same session from KVIS as from Redis, ending with the changes rolled back", async () => {
    const servers = await bothServers();
    try {
      expect(await cliSessions(servers, "--ldb", "s\np\nn\nprint v\nrestart\nc\n")).toContain("(Lua debugging session ended -- dataset changes rolled back)");
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        expect(await c.call("EXISTS", "mykey")).toBe(":0\r\n");
        c.close();
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
