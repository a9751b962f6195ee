import { beforeEach, describe, expect, test } from "bun:test";
import { decodeReply, type RawClient } from "../helpers/resp.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

/** Run a whole SCAN-family iteration on one server; returns every item it returned. */
async function fullScan(client: RawClient, command: string[], options: string[] = [], between?: (round: number) => Promise<void>): Promise<string[]> {
  const items: string[] = [];
  let cursor = "0";
  let round = 0;
  do {
    const reply = decodeReply(await client.call(...command, cursor, ...options)) as [string, string[]];
    cursor = reply[0];
    items.push(...reply[1]);
    if (between) await between(round++);
  } while (cursor !== "0");
  return items;
}

async function fillBoth(n: number, make: (i: number) => string[]): Promise<void> {
  const p = pair();
  for (let i = 0; i < n; i++) await p.same(...make(i));
}

describe("SCAN", () => {
  test("a full iteration returns every key, MATCH and TYPE filter, and bad options fail as in Redis", async () => {
    const p = pair();
    await fillBoth(300, (i) => (i % 3 === 0 ? ["RPUSH", `list:${i}`, "x"] : ["SET", `key:${i}`, "v"]));
    for (const options of [[], ["COUNT", "7"], ["MATCH", "key:1*"], ["TYPE", "list"], ["TYPE", "string", "MATCH", "*5", "COUNT", "1000"], ["TYPE", "nosuchtype"]]) {
      const [k, r] = await Promise.all([fullScan(p.kvis, ["SCAN"], options), fullScan(p.redis, ["SCAN"], options)]);
      expect(new Set(k).size).toBe(k.length);
      expect(k.sort()).toEqual(r.sort());
    }
    await p.script(`
      SCAN abc
      SCAN 0 COUNT 0
      SCAN 0 COUNT x
      SCAN 0 MATCH
      SCAN 0 BOGUS 1
      SCAN 18446744073709551616
      SCAN`);
    // Cursors read as strtoull reads them, on both paths (plain short ones, and the rest).
    await p.same("FLUSHALL");
    await p.script(`
      SCAN 007
      SCAN -1
      SCAN -0
      SCAN +1
      SCAN 999999999
      SCAN 1000000000
      SCAN 18446744073709551615
      SCAN 1x
      SCAN ""
      SCAN +
      SCAN -
      SCAN 000000000000000000000000001
      SCAN -18446744073709551615
      SCAN -18446744073709551616
      SSCAN missing -5
      SSCAN missing 12
      HSCAN missing 99999999999
      ZSCAN missing " 1"`);
    // HSCAN, SSCAN and ZSCAN read the cursor before the key, and a missing key's options
    // are never read; TYPE and NOVALUES are not theirs in 7.0.
    await p.script(`
      SET str v
      HSET h f v
      HSCAN str x
      ZSCAN str 1x MATCH
      SSCAN str 0 MATCH
      HSCAN missing 0 MATCH
      ZSCAN missing 0 COUNT x
      SSCAN missing 0 TYPE hash
      SSCAN missing x
      HSCAN h 0 TYPE hash
      HSCAN h 0 NOVALUES
      HSCAN h 0 MATCH`);
  });

  test("keys present from start to end are all returned while others come and go", async () => {
    const p = pair();
    await fillBoth(500, (i) => ["SET", `stable:${i}`, "v"]);
    for (const client of [p.kvis, p.redis]) {
      let added = 0;
      const seen = await fullScan(client, ["SCAN"], ["COUNT", "20"], async (round) => {
        // Churn between calls: new keys arrive and short-lived ones are deleted.
        for (let j = 0; j < 30; j++) await client.call("SET", `churn:${round}:${j}`, "v");
        await client.call("DEL", `churn:${round - 1}:0`, `churn:${round - 1}:1`);
        added += 30;
      });
      const stable = new Set(seen.filter((k) => k.startsWith("stable:")));
      expect(stable.size).toBe(500);
      expect(added).toBeGreaterThan(0);
    }
  });
});
