/**
 * What a replica receives after its snapshot, byte for byte against Redis 7.0: a raw
 * connection syncs (SYNC), another runs commands, and the two replication streams must be
 * the same, SELECTs and MULTI/EXEC framing included.
 */
import { describe, expect, test } from "bun:test";
import { type RawClient, decodeReply } from "../helpers/resp.ts";
import { waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

const pair = usePair({ "enable-debug-command": "yes" }, ["--enable-debug-command", "yes"]);

/**
 * Attach as a replica with SYNC; resolves once the snapshot has been read past. Redis sends
 * a newline every second to a replica whose snapshot is still being saved (its cron's
 * keep-alive), so newlines may come first, as a replica skips them: under load, a save that
 * outlasted a cron tick left the `$<len>` line unparsed and the wait ran out.
 */
async function attach(c: RawClient): Promise<void> {
  c.write("SYNC\r\n");
  const received = () => c.peekAll().replace(/^\n+/, "");
  // The snapshot comes as $<len>\r\n and <len> bytes, with no CRLF after it.
  await waitFor(() => {
    const got = received();
    const end = got.indexOf("\r\n");
    return end > 0 && got.length >= end + 2 + Number(got.slice(1, end));
  }, 20_000, "the snapshot");
  const got = c.takeAll().replace(/^\n+/, "");
  const end = got.indexOf("\r\n");
  // Nothing was written yet: nothing may follow the snapshot.
  expect(got.slice(end + 2 + Number(got.slice(1, end)))).toBe("");
}

/**
 * Run `script` on each server and return what each replica link received, up to a marker
 * write. A step may be a function, run between the commands (a waiter to block).
 */
async function sameStream(script: Array<string[] | (() => Promise<void>)>, mask = (s: string) => s): Promise<string> {
  const p = pair();
  const [k, r] = await p.connectBoth();
  try {
    await Promise.all([attach(k), attach(r)]);
    for (const cmd of [...script, ["SET", "end-of-script", "1"]]) {
      if (typeof cmd === "function") await cmd();
      else await p.both(...cmd);
    }
    await waitFor(() => [k, r].every((c) => c.peekAll().includes("end-of-script")), 20_000, "the stream to reach the marker");
    // A replica is PINGed every repl-ping-replica-period; those PINGs are not the script's.
    const strip = (s: string) => s.replaceAll("*1\r\n$4\r\nPING\r\n", "");
    const [a, b] = [mask(strip(k.takeAll())), mask(strip(r.takeAll()))];
    expect(a).toBe(b);
    return a;
  } finally {
    k.close();
    r.close();
  }
}

describe("the replication stream", () => {
  test("a transaction that writes once goes out as that write; several writes inside MULTI/EXEC; none, nothing", async () => {
    await pair().same("FLUSHALL");
    const stream = await sameStream([
      ["MULTI"], ["SET", "one", "1"], ["EXEC"],
      ["MULTI"], ["SET", "a", "1"], ["GET", "a"], ["SELECT", "2"], ["SET", "b", "2"], ["SELECT", "0"], ["EXEC"],
      ["MULTI"], ["GET", "a"], ["EXEC"],
      ["MULTI"], ["DEL", "nosuchkey"], ["EXEC"],
      ["MULTI"], ["EXEC"],
      ["MULTI"], ["SELECT", "3"], ["INCR", "counter"], ["SELECT", "0"], ["EXEC"],
    ]);
    expect(stream).toContain("*3\r\n$3\r\nSET\r\n$3\r\none\r\n$1\r\n1\r\n");
  });

  test("CONFIG SET maxmemory inside a transaction evicts after it, not between its commands", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    try {
      const stream = await sameStream([["MULTI"], ["INCR", "x"], ["CONFIG", "SET", "maxmemory", "1"], ["INCR", "x"], ["EXEC"], ["CONFIG", "SET", "maxmemory", "0"]]);
      const incr = "*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n";
      const at = [stream.indexOf(incr), stream.lastIndexOf(incr), stream.indexOf("*1\r\n$4\r\nEXEC\r\n"), stream.indexOf("*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n")];
      expect(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!))).toBe(true);
      // With lazyfree-lazy-eviction an evicted key goes out as an UNLINK.
      await p.same("CONFIG", "SET", "lazyfree-lazy-eviction", "yes");
      expect(await sameStream([["FLUSHALL"], ["SET", "x", "1"], ["CONFIG", "SET", "maxmemory", "1"], ["CONFIG", "SET", "maxmemory", "0"]])).toContain("*2\r\n$6\r\nUNLINK\r\n$1\r\nx\r\n");
    } finally {
      await p.same("CONFIG", "SET", "lazyfree-lazy-eviction", "no");
      await p.same("CONFIG", "SET", "maxmemory", "0");
      await p.same("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }
  });

  test("FLUSHALL and FLUSHDB go out even when there was nothing to flush", async () => {
    await pair().same("FLUSHALL");
    await sameStream([["FLUSHALL"], ["SELECT", "4"], ["FLUSHDB"], ["SET", "k", "v"], ["FLUSHDB"], ["SELECT", "0"], ["FLUSHALL", "ASYNC"]]);
  });

  test("LMPOP, BLMPOP, GETDEL, GETEX and relative TTLs go out in the form Redis gives them", async () => {
    await pair().same("FLUSHALL");
    await pair().same("SET", "g", "v");
    await pair().same("SET", "h", "v");
    await pair().same("RPUSH", "l", "a", "b", "c", "d");
    await sameStream([["LMPOP", "1", "l", "LEFT", "COUNT", "2"], ["BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "5"], ["GETDEL", "g"], ["GETDEL", "missing"], ["GETEX", "h", "PERSIST"], ["SET", "p", "v", "PXAT", "4102444800123"], ["PEXPIREAT", "h", "4102444800456"]]);
  });

  test("LPOP and RPOP of a small list go out as sent, the one that empties it too; of no list, nothing", async () => {
    await pair().same("FLUSHALL");
    const stream = await sameStream([["RPUSH", "p", "a", "b"], ["LPOP", "p"], ["RPOP", "p"], ["LPOP", "p"], ["RPOP", "nolist"], ["EXISTS", "p"]]);
    expect(stream).toContain("*2\r\n$4\r\nRPOP\r\n$1\r\np\r\n");
    expect(stream).not.toContain("nolist");
  });

  test("SPOP of a small set's last member goes out as the SREM of it", async () => {
    await pair().same("FLUSHALL");
    const stream = await sameStream([["SADD", "s", "only"], ["SPOP", "s"], ["SPOP", "s"], ["SADD", "t", "7"], ["SPOP", "t"]]);
    expect(stream).toContain("*3\r\n$4\r\nSREM\r\n$1\r\ns\r\n$4\r\nonly\r\n");
  });

  test("GEOADD goes out as the ZADD it makes; geo searches that store go out as sent", async () => {
    await pair().same("FLUSHALL");
    await sameStream([
      ["GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
      ["GEOADD", "g", "nx", "13", "38", "Palermo"],
      // On the upper edge of the longitudes the score is above 2^53: written exactly, as Redis does.
      ["GEOADD", "g", "180", "37.502669", "edge"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "near"],
      ["GEOSEARCHSTORE", "box", "g", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "STOREDIST"],
      ["GEORADIUSBYMEMBER", "g", "Palermo", "1", "m", "STOREDIST", "box"],
    ]);
  });

  test("RESTORE with a relative TTL goes out as the request with the absolute time and ABSTTL", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("SET", "src", "value");
    const latin1 = decodeReply(await p.same("DUMP", "src")) as string;
    // Absolute times differ between the two servers by the milliseconds between the requests.
    const stream = await sameStream([
      ["RESTORE", "a", "100000", latin1],
      ["restore", "b", "0", latin1, "REPLACE"],
      ["RESTORE", "c", "4102444800123", latin1, "ABSTTL"],
      ["RESTORE", "d", "1", latin1, "ABSTTL"],
    ], (s) => s.replace(/\$13\r\n1\d{12}\r\n/g, "$13\r\n<abs>\r\n"));
    expect(stream).toContain("ABSTTL");
  });

  test("SET with a relative TTL goes out with the absolute time (PXAT), in a transaction too", async () => {
    await pair().same("FLUSHALL");
    const stream = await sameStream([
      ["SET", "e", "v", "EX", "100"], ["set", "p", "12", "px", "100000"], ["SET", "e", "w", "EX", "100"], ["SET", "g", "v", "EX", "100", "GET"],
      ["MULTI"], ["SET", "m", "v", "PX", "5000"], ["SET", "n", "v"], ["EXEC"], ["SET", "bad", "v", "EX", "0"],
      ["SET", "lock", "t", "NX", "PX", "30000"], ["SET", "lock", "t", "NX", "PX", "30000"], ["SET", "lock", "u", "XX"], ["SET", "other", "v", "NX"],
    ], (s) => s.replace(/\$13\r\n1\d{12}\r\n/g, "$13\r\n<abs>\r\n"));
    expect(stream).toContain("*5\r\n$3\r\nSET\r\n$1\r\ne\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n<abs>\r\n");
  });

  test("GETSET and SET ... GET go out as SET without GET; an XADD ID given in full as given; EXPIREAT keeps its options", async () => {
    await pair().same("FLUSHALL");
    await sameStream([
      ["SET", "g", "a"], ["GETSET", "g", "b"], ["SET", "g", "c", "GET"], ["SET", "g", "d", "get", "XX", "GET", "KEEPTTL"], ["SET", "g", "e", "NX", "GET"],
      ["SET", "g", "f", "GET", "EX", "100"], ["XADD", "s", "3", "f", "v"], ["XADD", "s", "4-*", "f", "v"], ["XADD", "s", "5-5", "f", "v"], ["XADD", "s", "07", "f", "v"],
      ["EXPIREAT", "g", "4102444800", "NX"], ["EXPIREAT", "g", "4102444801", "gt"], ["PEXPIRE", "g", "100000000", "XX", "LT"], ["EXPIRE", "g", "0"],
    ], (s) => s.replace(/\$13\r\n1\d{12}\r\n/g, "$13\r\n<abs>\r\n"));
  });

  test("keys a command finds expired go out as DELs with its writes, in one MULTI/EXEC when there are several; UNLINKs with lazyfree-lazy-expire", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // DEBUG SLEEP makes sure each 1 ms deadline has passed on the server's own clock.
      const expiring = (...keys: string[]) => [...keys.map((k) => ["SET", k, "1", "PX", "1"]), ["DEBUG", "SLEEP", "0.003"]];
      const script = () => [
        ...expiring("a", "b"), ["GET", "a"], ["MGET", "a", "b"],
        ...expiring("a", "b"), ["MSET", "a", "2", "b", "2"],
        ...expiring("a", "b"), ["EVAL", "redis.call('get', 'a') redis.call('set', 'b', '3') return 1", "0"],
        ...expiring("a", "b"), ["MULTI"], ["GET", "a"], ["SET", "b", "4"], ["EXEC"],
        ...expiring("a", "c"), ["LPUSH", "a", "x"], ["SUNIONSTORE", "c", "a"],
        ["SET", "d", "1"], ["EXPIRE", "d", "0"], ["SET", "d", "1"], ["GETEX", "d", "PXAT", "1"],
        // SCAN and RANDOMKEY send each DEL alone (in an order of their tables').
        ["FLUSHALL"], ...expiring("a", "b"), ["SCAN", "0"], ["FLUSHALL"], ...expiring("a", "b"), ["RANDOMKEY"],
      ];
      const del = (key: string, cmd = "DEL") => `*2\r\n$${cmd.length}\r\n${cmd}\r\n$1\r\n${key}\r\n`;
      const mask = (s: string) =>
        s.replace(/\$13\r\n1\d{12}\r\n/g, "$13\r\n<abs>\r\n").replaceAll(del("b") + del("a"), del("a") + del("b")).replaceAll(del("b", "UNLINK") + del("a", "UNLINK"), del("a", "UNLINK") + del("b", "UNLINK"));
      expect(await sameStream(script(), mask)).toContain("MULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n*5\r\n$4\r\nMSET");
      await p.same("CONFIG", "SET", "lazyfree-lazy-expire", "yes");
      expect(await sameStream(script(), mask)).toContain("UNLINK");
    } finally {
      await p.same("CONFIG", "SET", "lazyfree-lazy-expire", "no");
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  test("BRPOPLPUSH goes out as RPOPLPUSH, BLMOVE as LMOVE with its ends as sent or, served after a wait, as Redis names them", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    const [wk, wr] = await p.connectBoth();
    const block = (command: string) => async () => {
      for (const c of [wk, wr]) c.write(command);
      await p.blocked(1);
    };
    try {
      await sameStream([
        ["RPUSH", "s", "a", "b", "c"], ["BLMOVE", "s", "d", "left", "Right", "0"], ["BRPOPLPUSH", "s", "d", "0"],
        block("BRPOPLPUSH x y 0\r\n"), ["RPUSH", "x", "1"], block("BLMOVE x y RIGHT LEFT 0\r\n"), ["RPUSH", "x", "2"],
        // A waiter whose destination has expired: its DEL and the move in one transaction.
        ["SET", "dst", "v", "PX", "1"], ["DEBUG", "SLEEP", "0.003"], block("BLMOVE src dst LEFT RIGHT 0\r\n"), ["LPUSH", "src", "a"],
      ], (s) => s.replace(/\$13\r\n1\d{12}\r\n/g, "$13\r\n<abs>\r\n"));
    } finally {
      wk.close();
      wr.close();
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  test("PFCOUNT that caches its count in the HyperLogLog goes out; one answered from the cache does not", async () => {
    await pair().same("FLUSHALL");
    await sameStream([["PFADD", "h", "a", "b"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFADD", "h", "c"], ["PFCOUNT", "h", "nosuch"], ["PFCOUNT", "h"]]);
  });

  test("XREADGROUP of history goes out as nothing, not even a SELECT", async () => {
    await pair().same("FLUSHALL");
    await sameStream([
      ["SELECT", "3"], ["XADD", "st", "1-1", "a", "1"], ["XGROUP", "CREATE", "st", "g", "0"], ["SELECT", "0"], ["SET", "k", "v"], ["SELECT", "3"],
      ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", "0"], ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "5", "STREAMS", "st", "0"], ["SELECT", "0"],
    ]);
  });

  test("PUBLISH and SPUBLISH reach replicas, alone or in a transaction", async () => {
    await pair().same("FLUSHALL");
    await sameStream([["PUBLISH", "ch", "hello"], ["MULTI"], ["PUBLISH", "bla", "bla"], ["EXEC"], ["MULTI"], ["SET", "k", "v"], ["SPUBLISH", "sh", "x"], ["EXEC"]]);
  });

  test("ZMPOP and BZMPOP go out as ZPOPMIN or ZPOPMAX with the count popped", async () => {
    await pair().same("FLUSHALL");
    await sameStream([
      ["ZADD", "z", "1", "one", "2", "two", "3", "three"], ["ZMPOP", "1", "z", "MIN"], ["ZMPOP", "1", "z", "MAX", "COUNT", "1"],
      ["ZMPOP", "2", "z", "z2", "MIN", "COUNT", "10"], ["ZMPOP", "2", "z", "z2", "MAX", "COUNT", "10"],
      ["ZADD", "z2", "1", "a", "2", "b", "3", "c"], ["BZMPOP", "0", "2", "z", "z2", "MAX", "COUNT", "2"], ["BZMPOP", "0", "1", "z2", "MIN"],
    ]);
  });
});
