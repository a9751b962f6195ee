import { beforeEach, describe, expect, test } from "bun:test";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  const p = pair();
  await p.same("FLUSHALL");
  await p.same("SCRIPT", "FLUSH");
  await p.same("FUNCTION", "FLUSH");
  await p.both("HELLO", "2");
});

/** The bytes of a raw bulk reply ("$<len>\r\n<bytes>\r\n"). */
function bulkBytes(reply: string): Uint8Array {
  const start = reply.indexOf("\r\n") + 2;
  return Buffer.from(reply.slice(start, start + Number(reply.slice(1, start - 2))), "latin1");
}

/** EVAL `body` with no keys (and `args`) on both servers, comparing the raw replies. */
const evalBoth = (body: string, ...args: string[]) => pair().same("EVAL", body, "0", ...args);

describe("EVAL: Lua 5.1 as Redis 7.0 embeds it", () => {
  test("numbers are doubles and print as Lua 5.1 prints them", async () => {
    await evalBoth("return tostring(10/2) .. ' ' .. tostring(3/2) .. ' ' .. tostring(1e15) .. ' ' .. tostring(2^53) .. ' ' .. tostring(0.1)");
    await evalBoth("return {3/2, -3.9, 2^53, 1e300, 0/0 == 0/0}");
    await evalBoth("return string.format('%d %5.2f %x %s %q', 2^53, 3.14159, -1, 12, 'a\\0b')");
    await evalBoth("return tonumber('0x10') + tonumber('  12  ') + math.floor(-3.5) + math.fmod(7, 3) + math.mod(7, 3) + math.pow(2, 10)");
  });

  test("the globals and libraries Redis 7.0 loads, and no others", async () => {
    for (const name of ["unpack", "loadstring", "table.getn", "math.mod", "coroutine", "cjson", "cmsgpack", "struct", "bit", "xpcall", "gcinfo", "load", "_G", "_VERSION"]) {
      await evalBoth(`return type(${name})`);
    }
    for (const name of ["os", "io", "package", "print", "dofile", "loadfile", "require", "setfenv", "getfenv", "newproxy", "debug", "module"]) {
      await evalBoth(`return type(${name})`);
    }
  });

  test("the sandbox: globals cannot be created or read before being set, and tables are read-only", async () => {
    await evalBoth("a = 5");
    await evalBoth("return b");
    await evalBoth("local t = {} t.x = 1 return t.x");
    await evalBoth("string.len = nil");
    await evalBoth("redis.call = nil");
    await evalBoth("_G.x = 1");
    await evalBoth("rawset(_G, 'x', 1)");
    await evalBoth("setmetatable(_G, nil)");
    await evalBoth("getmetatable('').__index = {}");
    await evalBoth("KEYS = {}");
  });

  test("cjson, cmsgpack, struct and bit give Redis's results", async () => {
    await evalBoth("return cjson.encode({1, 2, 'x', {a = {true, false}}})");
    await evalBoth("return cjson.decode('[1, 2.5, \"x\", null, {\"a\": [true]}]')[2]");
    await evalBoth("return cjson.encode(cjson.decode('{\"k\": 123456789012}'))");
    await evalBoth("local t = cmsgpack.unpack(cmsgpack.pack({1, 'two', {3}, 2^40, -7})) return {t[1], t[2], t[3][1], t[4], t[5]}");
    await evalBoth("return cmsgpack.pack({a = 1})");
    await evalBoth("return {struct.pack('>iHb', 1, 2, 3), struct.unpack('<l', struct.pack('<l', -2)), struct.size('lT')}");
    await evalBoth("return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.lshift(1, 31), bit.tohex(255), bit.bnot(0)}");
  });

  test("math.random follows Redis's generator, seeded or not", async () => {
    await evalBoth("return {math.random(100), math.random(100), math.random(1, 6), math.random() < 1}");
    await evalBoth("math.randomseed(42) return {math.random(1000), math.random(1000)}");
  });

  test("SORT BY a constant returns a set sorted by bytes to a script", async () => {
    const p = pair();
    await p.same("SADD", "myset", "a", "b", "c", "z", "aa", "aaa", "azz", "10", "9");
    await p.same("EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", "myset");
    await p.same("EVAL", "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')", "1", "myset");
  });

  test("KEYS and ARGV, numkeys checks", async () => {
    const p = pair();
    await p.same("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", "2", "k1", "k2", "a1");
    await p.same("EVAL", "return 1", "3", "k1");
    await p.same("EVAL", "return 1", "-1");
    await p.same("EVAL", "return 1", "x");
    await p.same("EVAL", "return 1");
    // numkeys is checked before the script is compiled, and an EVALSHA's sha1 length first.
    await p.same("EVAL", "return 'x' ..", "x");
    await p.same("EVALSHA", "abc", "x");
    await p.same("EVALSHA", "0000000000000000000000000000000000000000", "x");
  });
});

describe("conversions between Lua and Redis", () => {
  test("Lua values become replies: numbers truncated, false is nil, arrays stop at the first nil", async () => {
    await evalBoth("return 3.99");
    await evalBoth("return -3.99");
    await evalBoth("return 'str'");
    await evalBoth("return true");
    await evalBoth("return false");
    await evalBoth("return nil");
    await evalBoth("return {1, 'a', {2, {3}}, false, 'after'}");
    await evalBoth("return {1, nil, 3}");
    await evalBoth("return {ok = 'fine'}");
    await evalBoth("return {err = 'My Error'}");
    await evalBoth("return {err = 'ERR with\\r\\nnewlines'}");
    await evalBoth("return {ok = 'line\\r\\nbreak'}");
    await evalBoth("return {a = 1}");
    await evalBoth("return redis.status_reply('FINE')");
    await evalBoth("return redis.error_reply('My Error')");
    await evalBoth("return redis.error_reply('x')");
    await evalBoth("return redis.error_reply('-CODE x')");
    await evalBoth("return redis.error_reply(1)");
  });

  test("replies become Lua values: integers, bulks, nil, status and error tables, nested arrays", async () => {
    const p = pair();
    await p.same("RPUSH", "l", "a", "b", "c");
    await p.same("SET", "s", "v");
    await evalBoth("return redis.call('llen', 'l') + 0.5");
    await evalBoth("return type(redis.call('get', 'nope'))");
    await evalBoth("return redis.call('get', 'nope') == false");
    await evalBoth("return redis.call('set', 'x', 'y')['ok']");
    await evalBoth("return redis.call('lrange', 'l', 0, -1)");
    await evalBoth("return #redis.call('lrange', 'l', 0, -1)");
    await evalBoth("local r = redis.pcall('incr', 's') return {type(r), r['err']}");
    await evalBoth("return redis.pcall('incr', 's')");
    await evalBoth("return redis.call('incr', 's')");
    await evalBoth("return redis.call('exists', 's', 'l', 'nope')");
    await evalBoth("return redis.call('set', 'n', 3.5) and redis.call('get', 'n')");
    await evalBoth("return redis.call('set', 'n', 1e20) and redis.call('get', 'n')");
    await evalBoth("return redis.call('set', 'n', 2^53 + 1) and redis.call('get', 'n')");
    // Numbers as arguments print as %.17g would, at the edges of the integer shortcut too.
    for (const n of ["0", "-0", "1000", "-1000", "0.1", "1e16", "99999999999999999", "1e17", "-1e17", "-99999999999999990", "2^63", "-2^63", "1/0", "-1/0"]) {
      await evalBoth(`redis.call('set', 'n', ${n}) return redis.call('get', 'n')`);
    }
    // Integer replies at the ends of the 64-bit range, as doubles.
    await p.same("SET", "big", "9223372036854775807");
    await p.same("SET", "small", "-9223372036854775808");
    await evalBoth("return tostring(redis.call('strlen', 'big')) .. ' ' .. tostring(redis.call('incrby', 'big', 0)) .. ' ' .. tostring(redis.call('decrby', 'small', 0))");
  });

  test("RESP3: redis.setresp(3) gives maps, sets, doubles and booleans; the caller's protocol shapes the reply", async () => {
    const p = pair();
    await p.same("HSET", "h", "f", "v");
    await p.same("SADD", "set", "m");
    await p.same("ZADD", "z", "1.5", "m");
    for (const proto of ["2", "3"]) {
      await p.both("HELLO", proto);
      await evalBoth("redis.setresp(3) return redis.call('hgetall', 'h')");
      await evalBoth("redis.setresp(3) return redis.call('smembers', 'set')");
      await evalBoth("redis.setresp(3) return redis.call('zscore', 'z', 'm')");
      await evalBoth("redis.setresp(3) local r = redis.call('zscore', 'z', 'm') return {type(r), r['double']}");
      await evalBoth("redis.setresp(3) return redis.call('get', 'nope')");
      await evalBoth("redis.setresp(3) return {type(redis.call('get', 'nope'))}");
      await evalBoth("redis.setresp(3) return true");
      await evalBoth("redis.setresp(3) return false");
      await evalBoth("return true");
      await evalBoth("return false");
      await evalBoth("return {double = 3.25}");
      await evalBoth("return {double = 1/0}");
      await evalBoth("return {big_number = '123456789012345678901234567890'}");
      await evalBoth("return {big_number = '123\\r\\n123'}");
      await evalBoth("return {map = {a = 1}}");
      await evalBoth("return {set = {x = true}}");
      await evalBoth("return {verbatim_string = {format = 'txt', string = 'hello'}}");
      await evalBoth("redis.setresp(3) return redis.call('hgetall', 'nope')");
    }
    await evalBoth("redis.setresp(4)");
    await evalBoth("redis.setresp()");
  });
});

describe("errors as Redis prints them", () => {
  test("runtime errors carry the script's sha and line", async () => {
    await evalBoth("error('boom')");
    await evalBoth("error({err = 'X y'})");
    await evalBoth("\n\nlocal x = nil\nreturn x.y");
    await evalBoth("return redis.call('nosuch')");
    await evalBoth("return redis.call('get')");
    await evalBoth("return redis.call('multi')");
    await evalBoth("return redis.call('cluster', 'reset', 'hard')");
    await evalBoth("return redis.call('cluster', 'info')");
    await evalBoth("return redis.call()");
    await evalBoth("return redis.call({})");
    await evalBoth("return redis.call('set', 'a', {})");
    await evalBoth("return 'x' ..");
    await evalBoth("return redis.sha1hex('abc')");
    await evalBoth("return redis.sha1hex()");
    await evalBoth("redis.log(redis.LOG_WARNING)");
    await evalBoth("redis.log('x', 'y')");
    await evalBoth("redis.log(99, 'y')");
    await evalBoth("redis.set_repl(99)");
    await evalBoth("return {redis.breakpoint(), redis.replicate_commands(), redis.debug('x'), redis.set_repl(redis.REPL_AOF)}");
    await evalBoth("return {type(redis.REDIS_VERSION), redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}");
  });

  test("pcall catches errors and gives their text", async () => {
    await evalBoth("return {pcall(function() error('x') end)}");
    await evalBoth("return {pcall(function() error({err = 'CODE msg'}) end)}");
    await evalBoth("return {pcall(function() redis.call('incr', 'nonnum') end)}");
    await evalBoth("local ok, e = pcall(function() return redis.call('nosuch') end) return e");
    await evalBoth("return pcall()");
  });

  test("the command's own error counts once in errorstats", async () => {
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    await p.same("SET", "s", "v");
    await evalBoth("return redis.call('incr', 's')");
    await evalBoth("return redis.pcall('incr', 's')");
    await evalBoth("error('x')");
    await evalBoth("return {err = 'OWN returned'}");
    await evalBoth("redis.pcall('incr', 's') return 'fine'");
    const [k, r] = await p.both("INFO", "errorstats");
    expect(k.split("\r\n").filter((l) => l.startsWith("errorstat"))).toEqual(r.split("\r\n").filter((l) => l.startsWith("errorstat")));
    // Calls and failures per command (times differ).
    const counts = (info: string) => info.split("\r\n").filter((l) => /^cmdstat_(eval|incr):/.test(l)).map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, ""));
    const [kc, rc] = await p.both("INFO", "commandstats");
    expect(counts(kc).sort()).toEqual(counts(rc).sort());
  });
});

describe("the script cache", () => {
  test("SCRIPT LOAD, EXISTS, EVALSHA in either case, NOSCRIPT, FLUSH", async () => {
    const p = pair();
    await p.same("SCRIPT", "LOAD", "return 'cached'");
    await p.same("SCRIPT", "EXISTS", "6b7cd3c8cd8a1bdcb8e3bc0b1d3ec4deb0a3c4b2", "5b0a8b4d1b1d1d4bd4a5b3f9a8ff7e1c7de1c3b3");
    const sha = (await p.kvis.call("SCRIPT", "LOAD", "return 'cached'")).split("\r\n")[1]!;
    await p.same("SCRIPT", "EXISTS", sha, sha.toUpperCase(), "0000000000000000000000000000000000000000");
    await p.same("EVALSHA", sha, "0");
    await p.same("EVALSHA", sha.toUpperCase(), "0");
    await p.same("EVALSHA_RO", sha, "0");
    await p.same("EVALSHA", "abc", "0");
    await p.same("SCRIPT", "LOAD", "return 'x' ..");
    await p.same("SCRIPT", "FLUSH", "ASYNC");
    await p.same("SCRIPT", "FLUSH", "LATER");
    await p.same("EVALSHA", sha, "0");
    await p.same("SCRIPT", "KILL");
    await p.same("FUNCTION", "KILL");
    await p.same("EVAL", "return 1", "0");
    await p.same("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  });
});

describe("shebang flags", () => {
  test("flags are parsed and checked", async () => {
    const p = pair();
    await p.same("EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'x', 'y')", "0");
    await p.same("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'x')", "0");
    await p.same("EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", "0");
    await p.same("EVAL", "#!lua\nreturn redis.call('set', 'x', 'y')", "0");
    await p.same("EVAL", "#!lua flags=bad\nreturn 1", "0");
    await p.same("EVAL", "#!lu\nreturn 1", "0");
    await p.same("EVAL", "#!lua", "0");
    await p.same("EVAL", "#!lua other=1\nreturn 1", "0");
    await p.same("EVAL", "#!lua\nerror('line two')", "0");
  });

  test("EVAL_RO refuses writes, before or during the run", async () => {
    const p = pair();
    await p.same("EVAL_RO", "return redis.call('set', 'x', 'y')", "1", "x");
    await p.same("EVAL_RO", "#!lua\nreturn 1", "0");
    await p.same("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', 'x')", "0");
    await p.same("EVAL_RO", "return redis.call('publish', 'c', 'm')", "0");
  });
});

describe("functions", () => {
  const lib = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)\n" +
    "redis.register_function{function_name = 'f2', callback = function() return redis.call('set', 'k', 'v') end, flags = {'no-writes'}, description = 'writes'}";

  test("FUNCTION LOAD, FCALL, FCALL_RO, LIST, STATS, DELETE", async () => {
    const p = pair();
    await p.same("FUNCTION", "LOAD", lib);
    await p.same("FUNCTION", "LOAD", lib);
    await p.same("FUNCTION", "LOAD", "REPLACE", lib);
    await p.same("FCALL", "f1", "1", "k", "a");
    await p.same("FCALL_RO", "f1", "1", "k", "a");
    await p.same("FCALL", "f2", "0");
    await p.same("FCALL", "nope", "0");
    await p.same("FCALL", "f1", "x");
    await p.same("FCALL", "f1", "-1");
    await p.same("FCALL", "f1", "5");
    await p.same("FUNCTION", "LIST", "LIBRARYNAME", "nothing");
    await p.same("FUNCTION", "LIST", "LIBRARYNAME");
    await p.same("FUNCTION", "LIST", "bad");
    await p.same("FUNCTION", "STATS");
    await p.same("FUNCTION", "DELETE", "nope");
    await p.same("FUNCTION", "DELETE", "mylib");
    await p.same("FCALL", "f1", "0");
    await p.same("FUNCTION", "FLUSH", "bad");
    await p.same("FUNCTION", "FLUSH", "sync", "extra");
    await p.same("FUNCTION", "RESTORE", "a", "b", "c");
    await p.same("SCRIPT", "FLUSH", "sync", "extra");
    await p.same("FUNCTION", "LIST", "WITHCODE", "WITHCODE");
  });

  test("FUNCTION LIST shows flags, descriptions and code", async () => {
    const p = pair();
    const one = "#!lua name=one\nredis.register_function{function_name = 'g', callback = function() return 1 end, flags = {'no-writes', 'allow-stale'}, description = 'the g'}";
    await p.same("FUNCTION", "LOAD", one);
    await p.same("FUNCTION", "LIST");
    await p.same("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "o*");
    await p.both("HELLO", "3");
    await p.same("FUNCTION", "LIST", "WITHCODE");
    await p.same("FUNCTION", "STATS");
  });

  test("what a library may do while it loads, and the errors when it does not register well", async () => {
    const p = pair();
    for (const body of [
      "redis.register_function('f', function() end)\nredis.register_function('f', function() end)",
      "return 1",
      "redis.call('ping')",
      "redis.register_function('f-', function() end)",
      "redis.register_function{function_name = 'f', callback = function() end, flags = {'bad'}}",
      "redis.register_function{function_name = 'f'}",
      "redis.register_function{callback = function() end}",
      "redis.register_function{function_name = 'f', callback = function() end, other = 1}",
      "redis.register_function('f')",
      "redis.register_function(1, 2, 3)",
      "syntax error",
      "string.len('x')",
      "local x = math.floor(1.5)",
      "redis.log(redis.LOG_NOTICE, 'loading') redis.register_function('f', function() return redis.REDIS_VERSION_NUM > 0 end)",
    ]) {
      await p.same("FUNCTION", "LOAD", `#!lua name=x\n${body}`);
      await p.same("FUNCTION", "FLUSH");
    }
    for (const header of ["", "#!lua", "#!lua name=a name=b", "#!lua name=a-b", "#!lua foo=bar", "#!js name=a", "#!lua NAME=up", '#!lua name="quoted"', "#!lua  name='single'  ", '#!lua name="open']) {
      await p.same("FUNCTION", "LOAD", `${header}\nredis.register_function('f', function() return 1 end)`);
    }
    await p.same("FUNCTION", "LOAD", "#!lua name=x");
    // A library's code that runs too long (500 ms) stops FUNCTION LOAD.
    await p.same("FUNCTION", "LOAD", "#!lua name=x\nwhile true do end");
  });

  test("a function name is unique across libraries", async () => {
    const p = pair();
    await p.same("FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('f', function() return 'a' end)");
    await p.same("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('f', function() return 'b' end)");
    await p.same("FUNCTION", "LOAD", "REPLACE", "#!lua name=a\nredis.register_function('g', function() return 'g' end)");
    await p.same("FCALL", "f", "0");
    await p.same("FCALL", "g", "0");
  });

  test("libraries keep globals of their own and see the usual libraries when called", async () => {
    const p = pair();
    await p.same("FUNCTION", "LOAD", "#!lua name=a\nlocal n = 0\nredis.register_function('count', function() n = n + 1 return {n, string.len('abc'), cjson.encode({1})} end)");
    await p.same("FCALL", "count", "0");
    await p.same("FCALL", "count", "0");
    await p.same("FUNCTION", "LOAD", "#!lua name=b\nredis.register_function('glob', function() x = 1 end)");
    await p.same("FCALL", "glob", "0");
    await p.same("FUNCTION", "LOAD", "#!lua name=c\nredis.register_function('ro', function() return redis.call('set', 'a', 'b') end)");
    await p.same("FCALL_RO", "ro", "0");
    await p.same("FUNCTION", "LOAD", "#!lua name=d\nredis.register_function{function_name = 'rw', callback = function() return redis.call('set', 'a', 'b') end}");
    await p.same("FCALL_RO", "rw", "0");
    await p.same("FCALL", "rw", "0");
  });

  test("FUNCTION DUMP and RESTORE move libraries between KVIS and Redis", async () => {
    const p = pair();
    await p.same("FUNCTION", "LOAD", lib);
    await p.same("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('o', function() return 'o' end)");
    // Each server's dump restores on the other one.
    const [kDump, rDump] = (await p.both("FUNCTION", "DUMP")).map(bulkBytes) as [Uint8Array, Uint8Array];
    await p.same("FUNCTION", "FLUSH");
    expect(await p.kvis.call("FUNCTION", "RESTORE", rDump)).toBe("+OK\r\n");
    expect(await p.redis.call("FUNCTION", "RESTORE", kDump)).toBe("+OK\r\n");
    await p.same("FCALL", "o", "0");
    await p.same("FCALL", "f1", "1", "key", "arg");
    await p.same("FUNCTION", "RESTORE", "garbage");
    const restoreBoth = (...extra: string[]) => Promise.all([p.kvis.call("FUNCTION", "RESTORE", rDump, ...extra), p.redis.call("FUNCTION", "RESTORE", kDump, ...extra)]);
    for (const policy of [["BAD"], [], ["APPEND"], ["REPLACE"]]) {
      const [k, r] = await restoreBoth(...policy);
      expect(k).toBe(r);
    }
    await p.same("FUNCTION", "FLUSH");
    expect(await p.kvis.call("FUNCTION", "RESTORE", kDump, "FLUSH")).toBe("+OK\r\n");
    expect(await p.redis.call("FUNCTION", "RESTORE", rDump, "FLUSH")).toBe("+OK\r\n");
    await p.same("FCALL", "o", "0");
  });
});

describe("scripts and the rest of the server", () => {
  test("a script's write fails another client's WATCH; a script inside MULTI runs at EXEC", async () => {
    const p = pair();
    const [k2, r2] = await p.connectBoth();
    try {
      for (const c of [k2, r2]) {
        expect(await c.call("WATCH", "w")).toBe("+OK\r\n");
        expect(await c.call("MULTI")).toBe("+OK\r\n");
        expect(await c.call("EVAL", "return redis.call('get', 'w')", "0")).toBe("+QUEUED\r\n");
      }
      await evalBoth("return redis.call('set', 'w', 'changed')");
      const [k, r] = await Promise.all([k2.call("EXEC"), r2.call("EXEC")]);
      expect(k).toBe(r);
      await p.same("MULTI");
      await p.same("EVAL", "return redis.call('incr', 'tx')", "0");
      await p.same("EVALSHA", "0000000000000000000000000000000000000000", "0");
      await p.same("EXEC");
    } finally {
      k2.close();
      r2.close();
    }
  });

  test("ACL rules apply to the commands a script runs", async () => {
    const p = pair();
    await p.same("ACL", "SETUSER", "scripter", "on", "nopass", "+@all", "-set", "~allowed*", "resetchannels");
    const [k2, r2] = await p.connectBoth();
    try {
      for (const c of [k2, r2]) await c.call("AUTH", "scripter", "x");
      for (const args of [
        ["EVAL", "return redis.call('set', 'allowed', 'v')", "0"],
        ["EVAL", "return redis.call('get', 'secret')", "0"],
        ["EVAL", "return redis.pcall('get', 'secret')", "0"],
        ["EVAL", "return redis.call('publish', 'chan', 'm')", "0"],
        ["EVAL", "return redis.call('get', 'allowed')", "0"],
        ["EVAL", "return {redis.acl_check_cmd('set', 'allowed', 'v'), redis.acl_check_cmd('get', 'allowed'), redis.acl_check_cmd('get', 'secret')}", "0"],
        ["EVAL", "return redis.acl_check_cmd('nosuch')", "0"],
      ]) {
        const [k, r] = await Promise.all([k2.call(...args), r2.call(...args)]);
        if (k !== r) throw new Error(`replies differ for ${JSON.stringify(args)}\n  kvis:  ${JSON.stringify(k)}\n  redis: ${JSON.stringify(r)}`);
      }
      // The ACL log names the script context.
      const [kl, rl] = await p.both("ACL", "LOG", "1");
      expect(kl).toContain("$7\r\ncontext\r\n$3\r\nlua\r\n");
      expect(rl).toContain("$7\r\ncontext\r\n$3\r\nlua\r\n");
    } finally {
      k2.close();
      r2.close();
      await p.same("ACL", "DELUSER", "scripter");
    }
  });
});
