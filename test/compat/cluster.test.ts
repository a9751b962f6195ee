/**
 * Cluster commands and redirections against Redis 7.0, each server a one-node cluster
 * (cluster-enabled yes, its own bus port): CLUSTER's replies and error texts, hash slots
 * and hash tags, -CLUSTERDOWN for unserved slots, -CROSSSLOT, -TRYAGAIN in a slot being
 * migrated, the commands a cluster refuses (SELECT beyond 0, MOVE, SWAPDB, REPLICAOF,
 * FAILOVER), and scripts' keys kept to one slot. Node ids and ports differ between the
 * two and are masked where a reply carries them.
 */
import { describe, expect, test } from "bun:test";
import { keyHashSlot } from "../../src/store/slots.ts";
import { freePort, waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

const pair = usePair({ "cluster-enabled": "yes", "cluster-port": String(freePort()) }, ["--cluster-enabled", "yes", "--cluster-port", String(freePort())]);

/** Both replies with node ids and the servers' own ports masked. */
async function masked(...args: string[]): Promise<[string, string]> {
  const p = pair();
  const [k, r] = await p.both(...args);
  const [kid, rid] = await p.both("CLUSTER", "MYID");
  const mask = (s: string, id: string) => s.replaceAll(id.split("\r\n")[1]!, "<id>").replace(/:\d+(@\d+)?/g, ":<port>").replace(/\$\d+\r\n(?=[^\r]*<)/g, "$N\r\n");
  return [mask(k, kid), mask(r, rid)];
}

async function sameMasked(...args: string[]): Promise<string> {
  const [k, r] = await masked(...args);
  expect(k).toBe(r);
  return k;
}

async function bothOk(): Promise<void> {
  await waitFor(async () => (await pair().both("CLUSTER", "INFO")).every((r) => r.includes("cluster_state:ok")), 20_000, "cluster_state:ok");
}

describe("a one-node cluster", () => {
  test("CLUSTER KEYSLOT, hash tags and argument errors", async () => {
    await pair().script(`CLUSTER KEYSLOT foo
CLUSTER KEYSLOT ""
CLUSTER KEYSLOT {user1000}.following
CLUSTER KEYSLOT {user1000}.followers
CLUSTER KEYSLOT foo{}{bar}
CLUSTER KEYSLOT foo{{bar}}zap
CLUSTER KEYSLOT foo{bar}{zap}
CLUSTER KEYSLOT {}
CLUSTER KEYSLOT a{
CLUSTER KEYSLOT
CLUSTER NOSUCH
CLUSTER HELP
CLUSTER ADDSLOTS
CLUSTER ADDSLOTS 16384
CLUSTER ADDSLOTS -1
CLUSTER ADDSLOTS x
CLUSTER ADDSLOTSRANGE 5 1
CLUSTER ADDSLOTSRANGE 1
CLUSTER DELSLOTS 7
CLUSTER COUNTKEYSINSLOT 16384
CLUSTER COUNTKEYSINSLOT x
CLUSTER GETKEYSINSLOT 0 -1
CLUSTER GETKEYSINSLOT 16384 1
CLUSTER COUNT-FAILURE-REPORTS 0123456789012345678901234567890123456789
CLUSTER FORGET nosuch
CLUSTER REPLICATE nosuch
CLUSTER REPLICAS nosuch
CLUSTER FAILOVER
CLUSTER FAILOVER NOW
CLUSTER RESET MEDIUM
CLUSTER SETSLOT 1 NODE nosuch
CLUSTER SETSLOT 1 MIGRATING nosuch
CLUSTER SETSLOT 1 FOO
CLUSTER SETSLOT 99999 STABLE
CLUSTER MEET 127.0.0.1 x
CLUSTER MEET nohost 7000
CLUSTER SET-CONFIG-EPOCH -1
GET nokey
SET k v
MGET a b
READONLY
READWRITE
ASKING
SELECT 0
SELECT 1
SWAPDB 0 1
MOVE k 1
REPLICAOF 127.0.0.1 1
SLAVEOF NO ONE
FAILOVER`);
    // Commands naming the node itself, each server's own id.
    const p = pair();
    const [kid, rid] = (await p.both("CLUSTER", "MYID")).map((r) => r.split("\r\n")[1]!);
    for (const sub of ["FORGET", "REPLICATE", "COUNT-FAILURE-REPORTS", "REPLICAS"]) {
      const [k, r] = await Promise.all([p.kvis.call("CLUSTER", sub, kid!), p.redis.call("CLUSTER", sub, rid!)]);
      expect(k).toBe(r);
    }
    // The announced address shows at once.
    await p.same("CONFIG", "SET", "cluster-announce-ip", "10.9.8.7");
    expect(await sameMasked("CLUSTER", "NODES")).toContain(" 10.9.8.7:<port> myself,master");
    await p.same("CONFIG", "SET", "cluster-announce-ip", "");
  });

  test("slots: ADDSLOTS, ADDSLOTSRANGE, DELSLOTS, the state and the keys in a slot", async () => {
    await pair().script(`CLUSTER ADDSLOTS 0 1 1
CLUSTER ADDSLOTS 0 1 2
CLUSTER ADDSLOTS 2
CLUSTER ADDSLOTSRANGE 3 100 200 300
CLUSTER ADDSLOTSRANGE 50 60
CLUSTER DELSLOTS 0 7
CLUSTER DELSLOTS 5
CLUSTER DELSLOTSRANGE 3 4
CLUSTER SET-CONFIG-EPOCH 3
CLUSTER SET-CONFIG-EPOCH 4
CLUSTER BUMPEPOCH
CLUSTER ADDSLOTSRANGE 0 0 3 5 7 7 101 199 301 16383`);
    await sameMasked("CLUSTER", "NODES");
    await sameMasked("CLUSTER", "SLOTS");
    await sameMasked("CLUSTER", "SHARDS");
    await bothOk();
    const info = async () => (await masked("CLUSTER", "INFO")).map((r) => r.split("\r\n").filter((l) => !l.startsWith("cluster_stats") && !l.startsWith("$") && !l.startsWith("txt:")).join("\n"));
    const [ki, ri] = await info();
    expect(ki).toBe(ri);
    await pair().script(`SET {tag}a 1
SET {tag}b 2
SET other 3
MSET {tag}a 1 {tag}b 2
MSET {tag}a 1 other 2
MGET {tag}a other
CLUSTER COUNTKEYSINSLOT 8338
CLUSTER GETKEYSINSLOT 8338 0
CLUSTER FLUSHSLOTS
CLUSTER RESET
MULTI
SET {tag}a 1
SET other 1
EXEC
MULTI
GET {tag}a
GET {tag}b
EXEC
RPUSH {tag}l 1 2
SORT {tag}l BY {tag}w:*
SORT {tag}l BY nosort
SORT {tag}l GET #
SORT_RO {tag}l GET {tag}o:*
DEL {tag}a {tag}b other {tag}l`);
  });

  test("cluster-require-full-coverage and cluster-allow-reads-when-down", async () => {
    const p = pair();
    await bothOk();
    const keyIn = (slot: number) => {
      for (let i = 0; ; i++) if (keyHashSlot(Buffer.from(`k${i}`)) === slot) return `k${i}`;
    };
    const [last, nextToLast] = [keyIn(16383), keyIn(16382)];
    await p.script(`SET k v
CONFIG SET cluster-require-full-coverage no
CLUSTER DELSLOTS 16383
GET ${last}
GET k`);
    await p.script(`CONFIG SET cluster-require-full-coverage yes
CLUSTER DELSLOTS 16382`);
    await waitFor(async () => (await p.both("CLUSTER", "INFO")).every((r) => r.includes("cluster_state:fail")), 5000, "cluster_state:fail");
    await p.script(`GET k
GET ${nextToLast}
CONFIG SET cluster-allow-reads-when-down yes
GET k
SET k w
CONFIG SET cluster-allow-reads-when-down no
CLUSTER ADDSLOTS 16382 16383`);
    await bothOk();
    await p.same("DEL", "k");
  });

  test("cluster-announce-hostname and cluster-preferred-endpoint-type in CLUSTER SLOTS, SHARDS and NODES", async () => {
    const p = pair();
    await bothOk();
    await p.same("CONFIG", "SET", "cluster-announce-hostname", "node-a.example");
    for (const type of ["ip", "hostname", "unknown-endpoint"]) {
      await p.same("CONFIG", "SET", "cluster-preferred-endpoint-type", type);
      await sameMasked("CLUSTER", "SLOTS");
      await sameMasked("CLUSTER", "SHARDS");
    }
    await sameMasked("CLUSTER", "NODES");
    await p.same("CONFIG", "SET", "cluster-preferred-endpoint-type", "ip");
    await p.same("CONFIG", "SET", "cluster-announce-hostname", "");
  });

  test("scripts: keys of one slot unless the script allows cross-slot keys (eval without a shebang does)", async () => {
    const p = pair();
    await bothOk();
    await p.same("EVAL", "#!lua\nredis.call('set','a','1')\nredis.call('set','b','2')", "0");
    await p.same("EVAL", "redis.call('set','a','1') redis.call('set','b','2')", "0");
    await p.same("EVAL", "#!lua flags=allow-cross-slot-keys\nredis.call('set','a','1')\nredis.call('set','b','2')", "0");
    await p.same("EVAL", "#!lua\nredis.call('set','a','1')", "1", "b");
    await p.same("EVAL", "#!lua\nreturn redis.pcall('get','{b}x')", "1", "b");
    await p.same("DEL", "a", "b");
  });

  test("CLUSTER GETKEYSINSLOT returns at most the count asked for, the slot's keys in some order", async () => {
    const p = pair();
    await p.script(`SET {s}1 a
SET {s}2 b
SET {s}3 c
SET elsewhere d`);
    const slot = (await p.same("CLUSTER", "KEYSLOT", "{s}")).slice(1, -2);
    const keys = async (n: string) => (await Promise.all([p.kvis.call("CLUSTER", "GETKEYSINSLOT", slot, n), p.redis.call("CLUSTER", "GETKEYSINSLOT", slot, n)])).map((r) => r.split("\r\n").filter((l) => l.startsWith("{")).sort());
    const [all, allRedis] = await keys("10");
    expect(all).toEqual(["{s}1", "{s}2", "{s}3"]);
    expect(allRedis).toEqual(all);
    const [two] = await keys("2");
    expect(two!.length).toBe(2);
    await p.same("DEL", "{s}1", "{s}2", "{s}3", "elsewhere");
  });

  test("a slot being migrated: -TRYAGAIN when only some keys are here; migrating to itself, a node serves the slot", async () => {
    const p = pair();
    await waitFor(async () => (await p.both("CLUSTER", "INFO")).every((r) => r.includes("cluster_slots_assigned:16384")), 5000, "all slots");
    const [kid, rid] = (await p.both("CLUSTER", "MYID")).map((r) => r.split("\r\n")[1]!);
    // Each node migrates slot 8338 ({tag}) to itself: the only node either knows.
    await Promise.all([p.kvis.call("CLUSTER", "SETSLOT", "8338", "MIGRATING", kid!), p.redis.call("CLUSTER", "SETSLOT", "8338", "MIGRATING", rid!)]);
    await p.same("SET", "{tag}here", "1");
    await sameMasked("GET", "{tag}missing");
    await p.same("GET", "{tag}here");
    await sameMasked("MGET", "{tag}here", "{tag}missing");
    await sameMasked("CLUSTER", "NODES");
    await p.same("CLUSTER", "SETSLOT", "8338", "STABLE");
    await p.same("CLUSTER", "SETSLOT", "8338", "IMPORTING", "0123456789012345678901234567890123456789");
    await p.same("DEL", "{tag}here");
  });
});
