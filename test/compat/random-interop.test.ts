/**
 * The random command sequences of random.test.ts, carried to real Redis by every road a
 * dataset travels: replication both ways (a Redis replica of a KVIS master, a KVIS replica
 * of a Redis master), and KVIS's files (the AOF as written, the AOF after a rewrite, the RDB
 * file) loaded by redis-server. Each arrival is compared with DEBUG DIGEST, Redis's digest of
 * every key, value and expiry; a difference names the keys whose DIGEST-VALUE differs.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawClient } from "../helpers/resp.ts";
import { seededRandom } from "../helpers/random.ts";
import { type RunningServer, serverTestTimeout, startKvis, startRedis, tempDir, waitFor } from "../helpers/servers.ts";
import { FEW_KEYS, MANY_KEYS, generator, keyspaceGenerator, moreGenerator } from "./random-commands.ts";

serverTestTimeout();

const DEBUG = ["--enable-debug-command", "yes"];

/** The keys (in databases 0-2, where MOVE and COPY DB take them) whose values differ between two servers. */
async function differingKeys(a: RawClient, b: RawClient, keys: readonly string[]): Promise<string[]> {
  const differ: string[] = [];
  for (const db of ["0", "1", "2"]) {
    await a.call("SELECT", db);
    await b.call("SELECT", db);
    for (const key of keys) {
      const [x, y] = [await a.call("DEBUG", "DIGEST-VALUE", key), await b.call("DEBUG", "DIGEST-VALUE", key)];
      if (x !== y) differ.push(`db ${db} key ${key}: ${JSON.stringify(await a.call("TYPE", key))} against ${JSON.stringify(await b.call("TYPE", key))}`);
    }
  }
  return differ;
}

/**
 * Keys SET with a time already past (EXAT 1) are gone for every command, but each server
 * drops them from its dataset (and so from DEBUG DIGEST, and from what it replicates and
 * saves) when its active expiry happens to: looking each key up on `master` drops them now.
 */
async function expireDue(master: RawClient, keys: readonly string[]): Promise<void> {
  for (const db of ["0", "1", "2"]) {
    await master.call("SELECT", db);
    for (const key of keys) await master.call("EXISTS", key);
  }
  await master.call("SELECT", "0");
}

async function sameDigest(a: RawClient, b: RawClient, keys: readonly string[], what: string): Promise<void> {
  const [x, y] = [await a.call("DEBUG", "DIGEST"), await b.call("DEBUG", "DIGEST")];
  if (x !== y) throw new Error(`${what}: the digests differ\n  ${(await differingKeys(a, b, keys)).join("\n  ")}`);
  expect(x).toBe(y);
  // An empty dataset would compare equal and prove nothing.
  expect(x).not.toBe(`+${"0".repeat(40)}\r\n`);
}

async function withClients(servers: RunningServer[], body: (clients: RawClient[]) => Promise<void>): Promise<void> {
  const clients: RawClient[] = [];
  try {
    for (const s of servers) clients.push(await RawClient.connect(s.port));
    await body(clients);
  } finally {
    for (const c of clients) c.close();
    for (const s of servers.reverse()) await s.stop();
  }
}

const SEQUENCES: Array<[name: string, seed: number, keys: readonly string[], make: (rand: () => number, keys: readonly string[]) => () => string[]]> = [
  ["the common commands", 201, FEW_KEYS, generator],
  ["the common commands over many keys", 202, MANY_KEYS, generator],
  ["bit fields, streams, geo and LCS", 203, FEW_KEYS.slice(0, 4), moreGenerator],
  ["SET's options, expiry at fixed times, SORT and keyspace commands", 204, FEW_KEYS.slice(0, 4), keyspaceGenerator],
];

describe("random sequences replicate between KVIS and Redis", () => {
  for (const [name, seed, keys, make] of SEQUENCES) {
    for (const kvisMaster of [true, false]) {
      test(`${name} (seed ${seed}): a ${kvisMaster ? "Redis replica of a KVIS master" : "KVIS replica of a Redis master"} ends with the master's digest`, async () => {
        const master = kvisMaster ? await startKvis({ "enable-debug-command": "yes" }) : await startRedis([...DEBUG, "--repl-diskless-sync-delay", "0"]);
        const replicaOf = `127.0.0.1 ${master.port}`;
        const replica = kvisMaster ? await startRedis([...DEBUG, "--replicaof", ...replicaOf.split(" ")]) : await startKvis({ "enable-debug-command": "yes", replicaof: replicaOf });
        await withClients([master, replica], async ([m, r]) => {
          await waitFor(async () => (await r!.call("INFO", "replication")).includes("master_link_status:up"), 20_000, "the replica's link");
          const next = make(seededRandom(seed), keys);
          for (let step = 0; step < 1500; step++) await m!.call(...next());
          await expireDue(m!, keys);
          const offset = /master_repl_offset:(\d+)/.exec(await m!.call("INFO", "replication"))![1];
          await waitFor(async () => (await r!.call("INFO", "replication")).includes(`slave_repl_offset:${offset}\r\n`), 20_000, "the replica to catch up");
          await sameDigest(m!, r!, keys, `seed ${seed}`);
        });
      });
    }
  }
});

describe("random sequences written by KVIS load in Redis", () => {
  for (const [name, seed, keys, make] of SEQUENCES) {
    test(`${name} (seed ${seed}): the AOF, the rewritten AOF and the RDB file give Redis the same digest; so does DEBUG RELOAD`, async () => {
      const kvis = await startKvis({ "enable-debug-command": "yes", appendonly: "yes" });
      await withClients([kvis], async ([k]) => {
        const next = make(seededRandom(seed), keys);
        for (let step = 0; step < 1500; step++) await k!.call(...next());
        await expireDue(k!, keys);
        const loadInRedis = async (what: string, file: string, args: string[]) => {
          const dir = tempDir("redis-test-");
          try {
            cpSync(join(kvis.dir, file), join(dir, file), { recursive: true });
            await withClients([await startRedis([...DEBUG, ...args], { dir })], async ([r]) => sameDigest(k!, r!, keys, `seed ${seed}, ${what}`));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        };
        await loadInRedis("the AOF as written", "appendonlydir", ["--appendonly", "yes"]);
        expect(await k!.call("SAVE")).toBe("+OK\r\n");
        await loadInRedis("the RDB file", "dump.rdb", []);
        expect(await k!.call("BGREWRITEAOF")).toStartWith("+");
        await waitFor(async () => /aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n/.test(await k!.call("INFO", "persistence")), 20_000, "the rewrite");
        await loadInRedis("the rewritten AOF", "appendonlydir", ["--appendonly", "yes"]);
        const before = await k!.call("DEBUG", "DIGEST");
        expect(await k!.call("DEBUG", "RELOAD")).toBe("+OK\r\n");
        expect(await k!.call("DEBUG", "DIGEST")).toBe(before);
      });
    });
  }
});
