import { beforeEach, describe, test } from "bun:test";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("SETBIT and GETBIT", () => {
  test("set, clear and read bits, growing the string with zero bytes", async () => {
    await pair().script(`
      SETBIT b 7 1
      SETBIT b 7 0
      SETBIT b 100 1
      GET b
      STRLEN b
      GETBIT b 100
      GETBIT b 99
      GETBIT b 100000
      GETBIT missing 5
      SETBIT b 1 2
      SETBIT b 1 x
      SETBIT b -1 1
      SETBIT b 4294967296 1
      GETBIT b x
      SET s "hello"
      SETBIT s 0 1
      GET s
      RPUSH l a
      SETBIT l 0 1
      GETBIT l 0`);
  });
});

describe("BITCOUNT and BITPOS", () => {
  test("whole strings, byte and bit ranges", async () => {
    await pair().script(`
      SET s foobar
      BITCOUNT s
      BITCOUNT s 0 0
      BITCOUNT s 1 1
      BITCOUNT s 1 1 BYTE
      BITCOUNT s 5 30 BIT
      BITCOUNT s -3 -1
      BITCOUNT s -1 -3
      BITCOUNT s 0 100
      BITCOUNT s 7 3 BIT
      BITCOUNT s 0
      BITCOUNT s 0 1 WORD
      BITCOUNT s x 1
      BITCOUNT missing
      BITCOUNT missing 0 1
      BITCOUNT missing x 1 BYTE
      BITCOUNT missing 1
      BITCOUNT missing 1 2 3 4
      RPUSH list a
      BITCOUNT list x
      SET p "\\xff\\xf0\\x00"
      BITPOS p 0
      BITPOS p 1
      SET z ""
      BITPOS z 0
      BITPOS z 1
      SETBIT q 10 1
      BITPOS q 1
      BITPOS q 0
      BITPOS q 1 1
      BITPOS q 1 0 0
      BITPOS q 0 0 -1
      BITPOS q 1 2 15 BIT
      BITPOS q 0 9 10 BIT
      BITPOS q 1 11 15 BIT
      BITPOS q 1 0 -1 BYTE
      BITPOS q 0 1 1
      BITPOS q 2
      BITPOS q 1 x
      BITPOS q 1 0 1 WORD
      BITPOS missing 1
      BITPOS missing 0
      SET n -12345
      BITCOUNT n
      BITCOUNT n 1 -2 bit
      BITPOS n 1
      BITPOS n 0 2 -1 Bit
      BITPOS n 1 0 -1 byte`);
  });

  test("BITPOS over long runs of clear or set bytes, and BITCOUNT over many bytes, from every alignment", async () => {
    const p = pair();
    // Runs of 0x00 and of 0xff, each ended by one byte of the other kind, SETRANGEd in so
    // that the strings are held as bytes; starts and ends at every byte and bit alignment.
    await p.same("SETRANGE", "zeros", "0", "\u0000".repeat(100) + "\u0010" + "\u0000".repeat(20));
    await p.same("SETRANGE", "ones", "0", "\u00ff".repeat(100) + "\u00fb" + "\u00ff".repeat(20));
    for (const [key, bit] of [["zeros", "1"], ["ones", "0"], ["zeros", "0"], ["ones", "1"]] as const) {
      for (let start = 0; start < 6; start++) {
        await p.same("BITPOS", key, bit, String(start));
        await p.same("BITPOS", key, bit, String(start), "99");
        await p.same("BITPOS", key, bit, String(start), "-1");
        await p.same("BITPOS", key, bit, String(start * 8 + start), "811", "BIT");
        await p.same("BITPOS", key, bit, String(start * 8 + 3), "802", "BIT");
      }
      await p.same("BITPOS", key, bit, "101");
    }
    // BITCOUNT over bytes of every value, from every alignment, by byte and by bit.
    await p.same("SETRANGE", "mixed", "0", String.fromCharCode(...Array.from({ length: 300 }, (_, i) => (i * 37) % 256)));
    for (let start = 0; start < 6; start++) {
      await p.same("BITCOUNT", "mixed", String(start), "-1");
      await p.same("BITCOUNT", "mixed", String(start), String(start + 40));
      await p.same("BITCOUNT", "mixed", String(start * 9), String(2000 + start), "BIT");
    }
  });

  test("runs of set bits", async () => {
    const p = pair();
    await p.same("SET", "ones", "\xff\xff\xff");
    await p.script(`
      BITPOS ones 0
      BITPOS ones 0 0 -1
      BITPOS ones 0 1
      BITPOS ones 1 8 20 BIT
      BITPOS ones 0 8 20 BIT
      BITCOUNT ones 3 21 BIT`);
  });
});

describe("BITOP", () => {
  test("AND, OR, XOR, NOT with missing keys and different lengths", async () => {
    await pair().script(`
      SET a abc
      SET b a
      BITOP AND d a b
      GET d
      BITOP OR d a b missing
      GET d
      BITOP XOR d a b
      GET d
      BITOP NOT d a
      GET d
      BITOP NOT d a b
      BITOP NAND d a b
      BITOP AND d missing other
      EXISTS d
      RPUSH l x
      BITOP OR d a l`);
  });

  test("long operands of odd lengths combine word by word as byte by byte", async () => {
    const p = pair();
    const bytes = (n: number, k: number) => String.fromCharCode(...Array.from({ length: n }, (_, i) => (i * k + 11) % 256));
    await p.same("SET", "x", bytes(103, 37));
    await p.same("SET", "y", bytes(58, 101));
    await p.same("SET", "z", bytes(1, 7));
    for (const op of ["AND", "OR", "XOR"]) {
      await p.same("BITOP", op, "d", "x", "y", "z");
      await p.same("GET", "d");
      await p.same("BITOP", op, "d", "z", "missing", "x");
      await p.same("GET", "d");
    }
    await p.same("BITOP", "NOT", "d", "x");
    await p.same("GET", "d");
    await p.same("BITOP", "NOT", "d", "z");
    await p.same("GET", "d");
  });
});

describe("BITFIELD and BITFIELD_RO", () => {
  test("GET, SET, INCRBY with every overflow mode", async () => {
    await pair().script(`
      BITFIELD b SET i8 0 100 GET i8 0
      BITFIELD b INCRBY i8 0 100
      BITFIELD b OVERFLOW SAT INCRBY i8 0 100 INCRBY i8 0 -300
      BITFIELD b OVERFLOW FAIL INCRBY i8 0 -100 INCRBY i8 0 10
      BITFIELD b SET u4 #1 15 GET u4 #1 GET u4 4
      BITFIELD b OVERFLOW WRAP INCRBY u4 #1 3 OVERFLOW SAT INCRBY u4 #1 100 OVERFLOW FAIL INCRBY u4 #1 1
      BITFIELD b SET u8 16 -1 GET u8 16
      BITFIELD b OVERFLOW SAT SET u8 16 -1 SET i8 24 1000 GET i8 24
      BITFIELD b SET i64 32 -9223372036854775808 INCRBY i64 32 -1 GET i64 32
      BITFIELD b SET u63 100 9223372036854775807 GET u63 100
      BITFIELD b GET i64 1000
      BITFIELD w SET u32 0 4294967295 INCRBY u32 0 1 GET u32 0 SET i32 32 -2147483648 INCRBY i32 32 -1 GET i32 32
      BITFIELD w OVERFLOW SAT INCRBY i32 32 4503599627370496 INCRBY i32 32 -4503599627370496 INCRBY u32 0 9007199254740993 INCRBY u31 1 -9007199254740993
      BITFIELD w OVERFLOW WRAP INCRBY i17 5 4503599627370495 INCRBY u32 40 -4503599627370497 INCRBY i32 40 9223372036854775807 SET i3 64 -5
      BITFIELD w OVERFLOW FAIL SET u8 70 -1 SET i8 70 -128 INCRBY i8 70 -1 INCRBY u1 80 1 INCRBY u1 80 1 SET u32 96 -4294967296
      BITFIELD w SET u8 100 256 SET i16 120 -32769 SET u2 140 -2 GET u2 140 GET i2 140
      BITFIELD missing GET u8 0
      EXISTS missing
      BITFIELD b
      GET b
      BITFIELD b GET u64 0
      BITFIELD b GET i65 0
      BITFIELD b GET i0 0
      BITFIELD b GET x8 0
      BITFIELD b GET I8 0
      BITFIELD b GET u8 -1
      BITFIELD b GET u8 #x
      BITFIELD b SET u8 0 x
      BITFIELD b OVERFLOW BAD
      BITFIELD b GET u8
      BITFIELD b DEL u8 0
      BITFIELD_RO b GET u8 0 GET i4 #2
      BITFIELD_RO b SET u8 0 1
      BITFIELD_RO missing GET u8 0
      RPUSH l x
      BITFIELD l GET u8 0
      BITFIELD_RO l GET u8 0`);
  });
});

describe("what counts as a change", () => {
  const sameDirtyGrowth = (script: string) => pair().sameDirtyGrowth(script);

  test("SETBIT and BITFIELD count only bits that change, a new key or a longer string", async () => {
    await sameDirtyGrowth("SETBIT foo 0 0\nBITFIELD foo2 SET i5 0 0");
    await sameDirtyGrowth("SETBIT foo 0 0\nBITFIELD foo2 SET i5 0 0");
    await sameDirtyGrowth("SETBIT foo 0 1\nSETBIT foo 0 1\nSETBIT foo 0 0\nBITFIELD foo2 SET i5 0 1\nBITFIELD foo2 SET i5 0 1 SET u3 10 2 SET u3 10 2");
    await sameDirtyGrowth("BITFIELD foo3 INCRBY i5 0 1\nBITFIELD foo3 INCRBY i5 0 1 INCRBY u2 8 4\nBITFIELD foo3 OVERFLOW FAIL INCRBY u2 8 9");
    await sameDirtyGrowth("SETBIT foo 90 0\nBITFIELD foo2 SET i5 90 0");
  });

  test("a write that changes nothing leaves WATCH alone (SETBIT, BITFIELD, ZADD NX/XX/GT)", async () => {
    const p = pair();
    await p.script("SETBIT b 3 1\nZADD z 5 m\nBITFIELD f SET u8 0 7");
    const [k2, r2] = await p.connectBoth();
    try {
      for (const write of [["SETBIT", "b", "3", "1"], ["BITFIELD", "f", "SET", "u8", "0", "7"], ["ZADD", "z", "NX", "6", "m"], ["ZADD", "z", "XX", "5", "m"], ["ZADD", "z", "GT", "1", "m"]]) {
        await p.same("WATCH", write[1]!);
        await Promise.all([k2.call(...write), r2.call(...write)]);
        await p.same("MULTI");
        await p.same("PING");
        await p.same("EXEC");
      }
    } finally {
      k2.close();
      r2.close();
    }
  });
});

describe("strings changed where they are held", () => {
  test("SETBIT, SETRANGE, APPEND and BITFIELD change and grow a string in place: bytes, encodings and TTLs as Redis's", async () => {
    const p = pair();
    await p.script(`
      SET n 12345
      APPEND n 678
      OBJECT ENCODING n
      SET e abc
      SETRANGE e 0 ""
      OBJECT ENCODING e
      SETRANGE e 1 X
      OBJECT ENCODING e
      SETRANGE e 10 Y
      GET e
      SETRANGE missing 0 ""
      EXISTS missing
      SETRANGE m2 3 ab
      GET m2
      OBJECT ENCODING m2
      SET i 100
      SETBIT i 3 1
      GET i
      OBJECT ENCODING i
      SET i2 100
      GETBIT i2 2
      GETBIT i2 24
      SET j 7
      SETBIT j 100 1
      GET j
      OBJECT ENCODING j
      SET u hello
      SETBIT u 1 1
      OBJECT ENCODING u
      GETBIT u 1
      BITFIELD nk OVERFLOW FAIL INCRBY u2 100 5
      EXISTS nk
      STRLEN nk
      SET t abc EX 100
      SETRANGE t 1 Z
      TTL t
      SETBIT t 0 1
      APPEND t q
      TTL t
      GET t
      SET notahll foo
      PFADD notahll a
      OBJECT ENCODING notahll
      SET s12 1234567890
      SETRANGE s12 0 9
      GET s12
      SETRANGE s12 -1 x
      SETRANGE s12 536870911 xx
      RPUSH l a
      APPEND l x
      SETRANGE l 0 x`);
    // Growth a byte or a bit at a time, past the cells' size classes and into strings of
    // their own, then read back whole and in parts.
    const appends = Array.from({ length: 1000 }, (_, i) => `APPEND grow ${"abcdefghij".slice(0, 1 + (i % 10))}`);
    const bits = Array.from({ length: 600 }, (_, i) => `SETBIT bits ${i * 61} ${i % 3 === 0 ? 0 : 1}`);
    const ranges = Array.from({ length: 40 }, (_, i) => `SETRANGE grow ${i * 97} ${"xyz".repeat(1 + i)}`);
    await p.script([...appends, ...bits, ...ranges, "GET grow", "STRLEN grow", "GETRANGE grow 1000 1200", "GET bits", "BITCOUNT bits", "BITPOS bits 1 100", "GETBIT bits 36539"].join("\n"));
  });
});
