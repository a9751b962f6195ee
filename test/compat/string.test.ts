import { beforeEach, describe, expect, test } from "bun:test";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("GET", () => {
  test("GET of a missing key, a string, and the wrong arity", async () => {
    const p = pair();
    await p.same("GET", "missing");
    await p.same("SET", "k", "v");
    await p.same("GET", "k");
    await p.same("GET");
    await p.same("GET", "a", "b");
  });

  test("every byte 0-255 round-trips in keys and values", async () => {
    const p = pair();
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    await p.same("SET", all, all);
    await p.same("GET", all);
    await p.same("EXISTS", all);
  });
});

describe("SET", () => {
  test("NX and XX set only when the key is missing or present", async () => {
    const p = pair();
    await p.same("SET", "k", "1", "XX");
    await p.same("SET", "k", "1", "NX");
    await p.same("SET", "k", "2", "NX");
    await p.same("SET", "k", "3", "XX");
    await p.same("GET", "k");
  });

  test("GET returns the old value, also with NX and XX", async () => {
    const p = pair();
    await p.same("SET", "k", "1", "GET");
    await p.same("SET", "k", "2", "GET");
    await p.same("SET", "k", "3", "NX", "GET");
    await p.same("SET", "nokey", "3", "XX", "GET");
    await p.same("GET", "k");
  });

  test("EX, PX, EXAT, PXAT and KEEPTTL set or keep the TTL", async () => {
    const p = pair();
    await p.same("SET", "k", "v", "EX", "100");
    await p.same("TTL", "k");
    await p.same("SET", "k", "v", "PX", "100000");
    await p.same("TTL", "k");
    await p.same("SET", "k", "v", "EXAT", "4102444800");
    await p.same("EXPIRETIME", "k");
    await p.same("SET", "k", "v", "PXAT", "4102444800123");
    await p.same("PEXPIRETIME", "k");
    await p.same("SET", "k", "w", "KEEPTTL");
    await p.same("PEXPIRETIME", "k");
    await p.same("SET", "k", "x");
    await p.same("TTL", "k");
  });

  test("SET NX/XX with EX/PX (a lock, a cache refresh) in any order and case, over absent, present, typed and expired keys", async () => {
    const p = pair();
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await p.script(`SET lock t1 NX PX 30000
SET lock t2 NX PX 30000
GET lock
SET lock t3 px 30000 nx
SET miss v XX EX 100
EXISTS miss
SET lock t4 XX EX 100
TTL lock
GET lock
SET lock t5 XX
TTL lock
SET lock t6 NX NX
SET lock t7 nx
SET n 123 NX EX 100
OBJECT ENCODING n
HSET h f v
SET h v NX PX 1000
TYPE h
SET h v XX PX 100000
TYPE h
SET gone v PX 1`);
      await p.expired("gone");
      await p.script(`SET gone w NX EX 100
GET gone
SET gone2 v PX 1`);
      await p.expired("gone2");
      await p.script(`SET gone2 w XX EX 100
EXISTS gone2`);
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  test("MGET: null for a missing key, a key of another type and one past its deadline; hits and misses counted as Redis counts them", async () => {
    const p = pair();
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await p.script(`SET s1 hello
SET n1 42
RPUSH l a
SET "bin\xff" v
SET gone v PX 1`);
      await p.expired("gone");
      const stats = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0].split("\r\n").map((l) => Number(l.split(":")[1])));
      const before = await stats();
      await p.same("MGET", "s1", "missing", "n1", "l", "gone", "s1", "bin\xff");
      await p.same("EXISTS", "gone");
      const after = await stats();
      expect(after[0]!.map((n, i) => n - before[0]![i]!)).toEqual(after[1]!.map((n, i) => n - before[1]![i]!));
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  test("SET with conflicting or incomplete options is a syntax error", async () => {
    const p = pair();
    for (const opts of [
      ["NX", "XX"], ["XX", "NX"], ["EX", "10", "PX", "10"], ["KEEPTTL", "EX", "10"], ["EX", "10", "KEEPTTL"],
      ["EX"], ["PXAT"], ["FOO"], ["EX", "10", "EX", "10"], ["nx", "get", "ex", "10", "bogus"],
    ]) {
      await p.same("SET", "k", "v", ...opts);
    }
  });

  test("SET with a bad expire time answers Redis's errors in Redis's order", async () => {
    const p = pair();
    for (const opts of [
      ["EX", "0"], ["EX", "-5"], ["PX", "0"], ["EX", "abc"], ["EX", "1.5"], ["PX", "9223372036854775807"],
      ["EX", "9223372036854775807"], ["EXAT", "0"], ["EX", "abc", "NX", "XX"],
    ]) {
      await p.same("SET", "k", "v", ...opts);
    }
  });

  test("SET GET on a key of another type is WRONGTYPE", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    await p.same("SET", "k", "v", "GET");
  });

  test("SET with the wrong arity", async () => {
    await pair().same("SET", "k");
  });

  test("plain SET and MSET drop the TTL of a key they overwrite and expire a key past its deadline first", async () => {
    const p = pair();
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await p.same("CONFIG", "RESETSTAT");
      await p.script(`SET a 1 EX 1000
SET b 2 EX 1000
SET other x EX 1000
SET gone soon PX 1
SET gone2 soon PX 1`);
      await p.expired("gone");
      await p.expired("gone2");
      await p.script(`SET a 10
MSET b 20 c 30 gone2 back
SET gone here
TTL a
TTL b
TTL other
MGET a b c gone gone2
DBSIZE`);
      const expired = async () => (await p.both("INFO", "stats")).map((info) => /expired_keys:\d+/.exec(info)![0]);
      const [k, r] = await expired();
      expect(k).toBe(r);
      expect(k).toBe("expired_keys:2");
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });
});

describe("INCR, DECR, INCRBY, DECRBY", () => {
  test("count from a missing key, keep the TTL, and reply integers", async () => {
    await pair().script(`
      INCR n
      INCR n
      DECR n
      INCRBY n 100
      DECRBY n 42
      EXPIRE n 100
      INCR n
      TTL n
      OBJECT ENCODING n
      INCRBY n -9223372036854775000
      GET n`);
  });

  test("non-integers, overflow and bad increments answer Redis's errors", async () => {
    await pair().script(`
      SET s abc
      INCR s
      SET s " 1"
      INCR s
      SET s 01
      INCR s
      SET s 1.5
      INCR s
      SET big 9223372036854775807
      INCR big
      INCRBY big 0
      DECRBY big -1
      SET small -9223372036854775808
      DECR small
      DECRBY small 1
      DECRBY n -9223372036854775808
      INCRBY n 9223372036854775808
      INCRBY n abc
      INCRBY n 1.0
      RPUSH l a
      INCR l
      INCR
      INCRBY n`);
  });

  test("a number added to in place: changes counted, the last safe integer and past it, WATCH", async () => {
    const p = pair();
    await p.sameDirtyGrowth(`
      SET n 9007199254740990
      INCR n
      INCR n
      INCR n
      GET n
      DECRBY n 3
      SET m -9007199254740991
      DECR m
      INCRBY m 0
      GET m
      OBJECT ENCODING m`);
    // A watched key is changed by name: the other client's EXEC fails, as in Redis.
    await p.same("SET", "w", "5");
    const [a, b] = [p.kvis, p.redis];
    for (const c of [a, b]) await c.call("WATCH", "w");
    await p.same("INCR", "w");
    for (const c of [a, b]) await c.call("MULTI");
    await p.same("EXEC");
  });

  test("values past 2^53 stay exact", async () => {
    await pair().script(`
      SET n 9007199254740993
      INCR n
      INCRBY n 1000000000000000
      DECRBY n 9007199254740993
      SET m -9223372036854775807
      DECR m
      GET m`);
  });
});

describe("INCRBYFLOAT", () => {
  test("sums print as Redis's long double formatting prints them", async () => {
    await pair().script(`
      INCRBYFLOAT f 0.1
      INCRBYFLOAT f 0.2
      SET f 10.50
      INCRBYFLOAT f 0.1
      INCRBYFLOAT f -5
      SET f 5.0e3
      INCRBYFLOAT f 2.0e2
      INCRBYFLOAT f 1e300
      SET f 3
      INCRBYFLOAT f 1.1
      INCRBYFLOAT f -4.1
      INCRBYFLOAT f 0.000000000000000001
      INCRBYFLOAT f 123456789.123456789
      INCRBYFLOAT f -0.1`);
  });

  test("plain integers and decimals, summed exactly without long double arithmetic, print as Redis prints them", async () => {
    const p = pair();
    // Seeded, so that a failure comes back the same way.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const digits = (n: number) => Array.from({ length: n }, () => random(10)).join("");
    const number = () => {
      const sign = random(3) === 0 ? "-" : "";
      const whole = random(4) === 0 ? digits(1 + random(16)) : String(random(20)).padStart(1 + random(2), "0");
      const places = random(3) === 0 ? 0 : 1 + random(16);
      return `${sign}${whole}${places === 0 ? "" : `.${digits(places)}`}`;
    };
    for (let i = 0; i < 300; i++) {
      const [a, b] = [number(), number()];
      await p.same("SET", "f", a);
      await p.same("INCRBYFLOAT", "f", b);
      await p.same("HSET", "h", "x", a);
      await p.same("HINCRBYFLOAT", "h", "x", b);
    }
    await p.script(`
      SET f -0
      INCRBYFLOAT f 0
      INCRBYFLOAT f -0
      SET f 15.99999999999999
      INCRBYFLOAT f 15.99999999999999
      INCRBYFLOAT f -31.99999999999998
      SET f 999999999999999
      INCRBYFLOAT f 999999999999999
      SET f 007.50
      INCRBYFLOAT f -7.5`);
  });

  test("strtold's hexadecimal form counts, to the ends of a long double's range", async () => {
    await pair().script(`
      SET f 1
      INCRBYFLOAT f 0x10
      INCRBYFLOAT f 0x1.8p3
      INCRBYFLOAT f -0x.8
      INCRBYFLOAT f 0X1P+2
      INCRBYFLOAT f 0x
      INCRBYFLOAT f 0x1p
      SET f 0x1p2
      INCRBYFLOAT f 1
      SET f 0
      INCRBYFLOAT f 0x1.fffffffffffffffep16383
      SET f 0
      INCRBYFLOAT f 0x1.ffffffffffffffffp16383
      INCRBYFLOAT f 0x1p-16445
      INCRBYFLOAT f 0x1p-16446
      INCRBYFLOAT f 1e-5000
      INCRBYFLOAT f 1.8e-4951
      HINCRBYFLOAT h x 0x10
      HINCRBYFLOAT h x 0x1p-1`);
  });

  test("a result that reads as a 64-bit integer is embstr, as Redis encodes only what it was given as one; copies keep it, a new value drops it", async () => {
    await pair().script(`
      SET f 9223372036854775806
      OBJECT ENCODING f
      INCRBYFLOAT f 1
      OBJECT ENCODING f
      COPY f g
      OBJECT ENCODING g
      RENAME g h
      OBJECT ENCODING h
      GETSET f 9223372036854775807
      OBJECT ENCODING f
      INCRBYFLOAT f 0.1
      OBJECT ENCODING f
      MSET f 1234567890123456789
      OBJECT ENCODING f
      INCRBYFLOAT f -1e15
      OBJECT ENCODING f
      APPEND f 0
      OBJECT ENCODING f`);
  });

  test("invalid floats, NaN and infinity answer Redis's errors", async () => {
    await pair().script(`
      SET f 1
      INCRBYFLOAT f abc
      INCRBYFLOAT f ""
      INCRBYFLOAT f " 1"
      INCRBYFLOAT f nan
      INCRBYFLOAT f inf
      INCRBYFLOAT f 1e5000
      SET f abc
      INCRBYFLOAT f 1
      SET f inf
      INCRBYFLOAT f 1
      RPUSH l a
      INCRBYFLOAT l 1`);
  });
});

describe("APPEND, STRLEN, GETRANGE, SETRANGE", () => {
  test("APPEND creates and extends; STRLEN counts bytes", async () => {
    await pair().script(`
      APPEND a hello
      APPEND a " world"
      STRLEN a
      STRLEN missing
      GET a
      SET n 1
      APPEND n 2
      GET n
      RPUSH l x
      APPEND l x
      STRLEN l`);
    // STRLEN of an integer counts its digits; of a key past its deadline, 0 (and the key goes).
    const p = pair();
    await p.script(`
      SET i -1234
      STRLEN i
      SET gone v PX 1`);
    await p.expired("gone");
    await p.same("STRLEN", "gone");
    await p.same("DBSIZE");
  });

  test("APPEND to a string grows it in place: every byte, its encoding, its TTL, the length limit, changes counted", async () => {
    const p = pair();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    await p.same("SET", "b", bytes.slice(0, 100));
    await p.same("APPEND", "b", bytes.slice(100));
    await p.same("APPEND", "b", "");
    await p.same("GET", "b");
    await p.same("OBJECT", "ENCODING", "b");
    await p.sameDirtyGrowth(`
      SET t short EX 1000
      APPEND t " and longer than forty-four bytes, past an embedded string"
      TTL t
      OBJECT ENCODING t
      SET e ""
      APPEND e x
      GET e
      SET n 12
      APPEND n 3
      OBJECT ENCODING n
      HSET h f v
      APPEND h x`);
    // Past proto-max-bulk-len (its least, 1 MB) nothing changes.
    await p.same("CONFIG", "SET", "proto-max-bulk-len", String(1024 * 1024));
    await p.same("SET", "big", "x".repeat(1024 * 1024 - 2));
    await p.same("APPEND", "big", "yyy");
    await p.same("STRLEN", "big");
    await p.same("APPEND", "big", "yy");
    await p.same("STRLEN", "big");
    await p.same("CONFIG", "SET", "proto-max-bulk-len", String(512 * 1024 * 1024));
    // A watched key's APPEND fails the transaction.
    await p.sameAfterWatchedWrite("b", ["APPEND", "b", "z"], ["GET", "b"]);
  });

  test("GETRANGE clamps negative and out-of-range offsets as Redis does", async () => {
    const p = pair();
    await p.same("SET", "s", "This is a string");
    for (const [a, b] of [["0", "3"], ["-3", "-1"], ["0", "-1"], ["10", "100"], ["5", "3"], ["-1", "-5"], ["-100", "2"], ["100", "200"], ["0", "0"], ["-1", "0"]]) {
      await p.same("GETRANGE", "s", a!, b!);
    }
    await p.script(`
      GETRANGE missing 0 -1
      GETRANGE s x 1
      SUBSTR s 1 3
      SET e ""
      GETRANGE e 0 -1`);
  });

  test("SETRANGE pads with zero bytes and refuses bad offsets", async () => {
    await pair().script(`
      SETRANGE s 5 hello
      GET s
      SETRANGE s 0 HE
      GET s
      SETRANGE s 8 "long tail"
      GET s
      SETRANGE s -1 x
      SETRANGE s 536870911 xy
      SETRANGE new 3 ""
      EXISTS new
      SETRANGE s 1 ""
      SETRANGE s abc x
      RPUSH l a
      SETRANGE l 0 x`);
  });
});

describe("MGET, MSET, MSETNX, SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX", () => {
  test("the multi-key forms", async () => {
    await pair().script(`
      MSET a 1 b 2 c 3
      MGET a b c missing
      RPUSH l x
      MGET a l
      MSET a 1 b
      MSETNX a 9 z 9
      MSETNX y 1 z 2
      MGET y z a
      EXPIRE a 100
      MSET a 5
      TTL a`);
  });

  test("SETNX, SETEX and PSETEX", async () => {
    await pair().script(`
      SETNX k v
      SETNX k w
      GET k
      SETEX k 100 v2
      TTL k
      PSETEX k 100000 v3
      TTL k
      SETEX k 0 v
      SETEX k -1 v
      SETEX k abc v
      PSETEX k 0 v
      SETEX k 9223372036854775807 v`);
  });

  test("GETSET, GETDEL and GETEX", async () => {
    await pair().script(`
      GETSET k 1
      GETSET k 2
      EXPIRE k 100
      GETSET k 3
      TTL k
      GETDEL k
      GETDEL k
      EXISTS k
      SET k v
      GETEX k
      GETEX k EX 100
      TTL k
      GETEX k PERSIST
      TTL k
      GETEX k PX 100000
      TTL k
      GETEX k EXAT 1
      EXISTS k
      GETEX missing EX 10
      SET k v
      GETEX k EX 10 PX 10
      GETEX k PERSIST EX 10
      GETEX k KEEPTTL
      GETEX k NX
      GETEX k EX 0
      GETEX k EX abc
      RPUSH l a
      GETEX l
      GETDEL l
      GETSET l x`);
  });
});

describe("LCS", () => {
  test("the common subsequence, its length and its ranges", async () => {
    await pair().script(`
      MSET key1 ohmytext key2 mynewtext
      LCS key1 key2
      LCS key1 key2 LEN
      LCS key1 key2 IDX
      LCS key1 key2 IDX MINMATCHLEN 4
      LCS key1 key2 IDX MINMATCHLEN 2 WITHMATCHLEN
      LCS key1 key2 IDX WITHMATCHLEN
      LCS key1 missing
      LCS missing1 missing2 IDX
      LCS key1 key2 LEN IDX
      LCS key1 key2 MINMATCHLEN
      LCS key1 key2 MINMATCHLEN x
      LCS key1 key2 MINMATCHLEN -5 IDX
      LCS key1 key2 BOGUS
      MSET a abcabcabcdefxyz b xxabcdabcyzdef
      LCS a b IDX WITHMATCHLEN
      LCS a b
      RPUSH l x
      LCS key1 l`);
  });
});

describe("integer values", () => {
  test("integers are stored as Redis's int encoding and read back byte for byte", async () => {
    await pair().script(`
      SET a 123
      OBJECT ENCODING a
      GET a
      SET b -9007199254740991
      GET b
      OBJECT ENCODING b
      SET c 9223372036854775807
      OBJECT ENCODING c
      INCR c
      SET d 007
      OBJECT ENCODING d
      SET e -0
      OBJECT ENCODING e
      APPEND f 42
      OBJECT ENCODING f
      APPEND f 1
      OBJECT ENCODING f
      GET f
      INCR f
      OBJECT ENCODING f
      SET g 5.0e3
      INCRBYFLOAT g 200
      OBJECT ENCODING g
      INCR g
      OBJECT ENCODING g
      MSET h 1 i 2
      MGET h i a b
      OBJECT REFCOUNT h
      SET j 12345
      OBJECT REFCOUNT j
      STRLEN a
      GETRANGE a 1 -1
      SETBIT a 0 1
      GET a
      OBJECT ENCODING a
      INCR counter
      INCRBY counter 9007199254740990
      INCR counter
      GET counter
      OBJECT ENCODING counter`);
  });
});
