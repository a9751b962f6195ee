import { beforeEach, describe, expect, test } from "bun:test";
import { encodeCommand } from "../helpers/resp.ts";
import { sameScene as scene, usePair } from "./harness.ts";

const pair = usePair();
const sameScene = (connections: number, steps: Array<[number, string]>) => scene(pair(), connections, steps);
beforeEach(async () => {
  await pair().same("FLUSHALL");
});


describe("blocking pops", () => {
  test("an immediate answer, argument errors, timeouts, and null inside MULTI", async () => {
    await sameScene(1, [
      [0, "RPUSH l a b\r\n"], [0, "BLPOP none l 0\r\n"], [0, "BRPOP l 0\r\n"], [0, "BLPOP nx abc\r\n"], [0, "BLPOP nx -1\r\n"],
      [0, "BLPOP nx 1e400\r\n"], [0, "BLPOP nx 0.01\r\n"], [0, "BZPOPMIN nz 0.01\r\n"], [0, "BLMOVE nx d LEFT RIGHT 0.01\r\n"],
      [0, "BLMPOP 0.01 1 nx LEFT\r\n"], [0, "BZMPOP 0.01 1 nz MIN\r\n"], [0, "MULTI\r\nBLPOP nx 0\r\nEXEC\r\n"], [0, "SET s x\r\nBLPOP s 0\r\n"],
    ]);
  });

  test("inside MULTI: BLMOVE's null is a bulk one; timeouts read as a long double; BLMPOP and BZMPOP read the timeout last", async () => {
    // A long double holds 1e-400 and 1e400 (1e5000 is past it); its milliseconds round up
    // (ceill), so a negative timeout above -1 ms is 0, and past a long long they are negative.
    const timeouts = ["1e-400", "-1e-400", "1e400", "1e5000", "-1e5000", "1e-5000", "-0.0001", "-0.001", "-0.0011", "-0.002", "-0", "0x1p-2000", "inf", "-inf", "9223372036854775.807", "9223372036854775.808"];
    await sameScene(1, [
      [0, "MULTI\r\nBLMOVE nx d LEFT RIGHT 0\r\nBRPOPLPUSH nx d 0\r\nBLPOP nx 0\r\nBZPOPMIN nz 0\r\nEXEC\r\n"],
      [0, `MULTI\r\n${timeouts.map((t) => `BLPOP nx ${t}\r\n`).join("")}EXEC\r\n`],
      [0, "BLMPOP x 0 nx LEFT\r\nBLMPOP -1 1 nx\r\nBLMPOP -1 1 nx UP\r\nBLMPOP -1 1 nx LEFT COUNT 0\r\nBLMPOP -1 1 nx LEFT\r\n"],
      [0, "BZMPOP x 0 nz MIN\r\nBZMPOP -1 1 nz\r\nBZMPOP -1 1 nz UP\r\nBZMPOP -1 1 nz MIN COUNT x\r\nBZMPOP -1 1 nz MIN\r\n"],
    ]);
  });

  test("a push wakes the first waiter, first come first served, and the pipeline behind it waits", async () => {
    await sameScene(3, [
      [0, "BLPOP q1 q2 0\r\nPING\r\n"], [1, "BLPOP q2 0\r\n"], [2, "RPUSH q2 a b c\r\n"], [2, "LRANGE q2 0 -1\r\n"],
    ]);
  });

  test("BLMOVE, BRPOPLPUSH and BLMPOP wake on a push and move or pop as their non-blocking forms", async () => {
    await sameScene(3, [
      [0, "BLMOVE src dst LEFT RIGHT 0\r\n"], [1, "BRPOPLPUSH src2 dst 0\r\n"], [2, "LPUSH src v1\r\n"], [2, "RPUSH src2 v2 v3\r\n"],
      [2, "LRANGE dst 0 -1\r\n"], [0, "BLMPOP 0 2 m1 m2 RIGHT COUNT 2\r\n"], [2, "RPUSH m2 x y z\r\n"], [2, "LRANGE m2 0 -1\r\n"],
    ]);
  });

  test("a waiter on several keys is served from the key that became ready, though an earlier one now holds another type", async () => {
    await sameScene(3, [
      [1, "BLPOP b l 0\r\n"], [2, "BLMPOP 0 2 b l RIGHT COUNT 2\r\n"], [0, "SET b string\r\n"], [0, "RPUSH l x y z\r\n"],
      [1, "BZPOPMIN b z 0\r\n"], [2, "BZMPOP 0 2 b z MAX\r\n"], [0, "ZADD z 1 m 2 n\r\n"],
      // SWAPDB brings a list in while the first key is a string there.
      [1, "BLPOP b q 0\r\n"], [0, "SELECT 1\r\nSET b string\r\nRPUSH q w\r\nSWAPDB 0 1\r\nSELECT 0\r\n"],
    ]);
  });

  test("a waiting BRPOPLPUSH or BLMOVE into a key of another type gets WRONGTYPE and the element stays", async () => {
    await sameScene(3, [
      [2, "SET target nolist\r\n"], [0, "BRPOPLPUSH blist target 0\r\n"], [1, "BLMOVE blist target LEFT LEFT 0\r\n"],
      [2, "RPUSH blist foo\r\n"], [2, "LRANGE blist 0 -1\r\n"], [2, "GET target\r\n"],
      // A source of another type keeps the waiter waiting; a push to it later serves it.
      [0, "BLMOVE other dst LEFT LEFT 0\r\n"], [2, "SET other str\r\n"], [2, "DEL other\r\n"], [2, "RPUSH other x\r\n"], [2, "LRANGE dst 0 -1\r\n"],
    ]);
  });

  test("SWAPDB wakes a client waiting on a key the swap brings in", async () => {
    await sameScene(2, [
      [1, "SELECT 1\r\n"], [1, "RPUSH k hello\r\n"], [0, "SELECT 9\r\n"], [0, "BRPOP k 0\r\n"], [1, "SWAPDB 1 9\r\n"], [1, "LLEN k\r\n"],
    ]);
  });

  test("BZPOPMIN, BZPOPMAX and BZMPOP in RESP2 and RESP3", async () => {
    await sameScene(2, [
      [0, "BZPOPMIN z 0\r\n"], [1, "ZADD z 2 b 1 a 3 c\r\n"], [0, "BZPOPMAX z 0\r\n"], [0, "BZMPOP 0 1 z MIN COUNT 5\r\n"],
      [0, "~HELLO 3\r\n"], [0, "BZPOPMIN z2 0\r\n"], [1, "ZADD z2 1.5 m\r\n"], [0, "BZMPOP 0 1 z3 MAX\r\n"], [1, "ZADD z3 7 q\r\n"],
    ]);
  });

  test("a push inside MULTI wakes the waiter after EXEC; a key of another type keeps it waiting", async () => {
    await sameScene(2, [
      [0, "BLPOP m 0\r\n"], [1, "MULTI\r\nRPUSH m x\r\nRPUSH m y\r\nLLEN m\r\nEXEC\r\n"], [1, "LLEN m\r\n"],
      [0, "BLPOP w 0\r\n"], [1, "SET w str\r\n"], [1, "DEL w\r\n"], [1, "RPUSH w z\r\n"],
    ]);
  });

  test("CLIENT UNBLOCK releases a waiter with a timeout or an error", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    const ids = [Number((await k.call("CLIENT", "ID")).slice(1, -2)), Number((await r.call("CLIENT", "ID")).slice(1, -2))];
    try {
      await p.same("CONFIG", "RESETSTAT");
      for (const reason of ["TIMEOUT", "ERROR"]) {
        k.write("BLPOP nothing 0\r\n");
        r.write("BLPOP nothing 0\r\n");
        await p.blocked(1);
        expect(await p.kvis.call("CLIENT", "UNBLOCK", String(ids[0]), reason)).toBe(await p.redis.call("CLIENT", "UNBLOCK", String(ids[1]), reason));
        expect(await k.readReplies(1)).toEqual(await r.readReplies(1));
      }
      // Both count as failed calls of BLPOP, as Redis counts them, and the error as an error.
      const stats = (info: string) => /cmdstat_blpop:calls=(\d+),.*failed_calls=(\d+)/.exec(info)!.slice(1).join(" ");
      const [ks, rs] = await p.both("INFO", "commandstats");
      expect(stats(ks)).toBe(stats(rs));
      await p.same("INFO", "errorstats");
      const errors = (info: string) => /total_error_replies:\d+/.exec(info)![0];
      const [ke, re] = await p.both("INFO", "stats");
      expect(errors(ke)).toBe(errors(re));
      await p.same("CLIENT", "UNBLOCK", String(ids[0]), "MAYBE");
      await p.same("CLIENT", "UNBLOCK", "abc");
      await p.same("CLIENT", "UNBLOCK", "999999");
    } finally {
      k.close();
      r.close();
    }
  });
});

describe("a blocked client's waiting input", () => {
  test("counts in CLIENT LIST's qbuf until the pop is served, then runs", async () => {
    const p = pair();
    const [k, r] = await p.connectBoth();
    try {
      for (const c of [k, r]) c.write("CLIENT SETNAME blk\r\nBLPOP q 0\r\nPING\r\nECHO hello\r\n");
      await p.blocked(1);
      const qbuf = async (c: typeof k) => /name=blk .*?qbuf=(\d+)/.exec(await c.call("CLIENT", "LIST"))?.[1];
      const [kq, rq] = [await qbuf(p.kvis), await qbuf(p.redis)];
      expect(kq).toBe(rq);
      expect(kq).toBe(String("PING\r\nECHO hello\r\n".length));
      await p.same("LPUSH", "q", "v");
      const [kr, rr] = [await k.readReplies(4), await r.readReplies(4)];
      expect(kr).toEqual(rr);
      expect(kr.slice(1)).toEqual(["*2\r\n$1\r\nq\r\n$1\r\nv\r\n", "+PONG\r\n", "$5\r\nhello\r\n"]);
    } finally {
      k.close();
      r.close();
    }
  });

  test("closes the client once it passes client-query-buffer-limit, as unread input does", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "client-query-buffer-limit", "1mb");
    const [k, r] = await p.connectBoth();
    try {
      for (const c of [k, r]) c.write("CLIENT SETNAME blk\r\nBLPOP q 0\r\n");
      await p.blocked(1);
      // Whole requests, 1.5 MB of them: none runs while the pop waits.
      const requests = Buffer.concat(Array(1500).fill(encodeCommand(["SET", "k", "v".repeat(1000)])));
      for (const c of [k, r]) c.write(requests);
      const [kc, rc] = await Promise.all([k.readUntilClose(), r.readUntilClose()]);
      expect(kc).toBe(rc);
      expect(kc).toBe("+OK\r\n");
      for (const list of await p.both("CLIENT", "LIST")) expect(list).not.toContain("name=blk");
      await p.same("EXISTS", "k");
    } finally {
      k.close();
      r.close();
      await p.same("CONFIG", "SET", "client-query-buffer-limit", "1gb");
    }
  });
});
