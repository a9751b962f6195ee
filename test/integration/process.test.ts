/**
 * The process as operators run it: Linux OOM scores (oom-score-adj), compared step by step
 * with a real redis-server.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, serverTestTimeout, startKvisBinary, startRedis } from "../helpers/servers.ts";

serverTestTimeout();

describe("oom-score-adj", () => {
  /** The OOM score after each step, as the process's /proc entry shows it (relative to its start). */
  async function scores(server: ChildServer): Promise<string[]> {
    const c = await RawClient.connect(server.port);
    const score = () => Number(readFileSync(`/proc/${server.proc.pid}/oom_score_adj`, "latin1"));
    const base = score();
    const seen: string[] = [];
    const step = async (...args: string[]) => seen.push(`${args.join(" ")} -> ${(await c.call(...args)).trim()} ${score() - base}`);
    try {
      await step("CONFIG", "SET", "oom-score-adj-values", "10 20 30");
      await step("CONFIG", "SET", "oom-score-adj", "yes");
      await step("CONFIG", "SET", "oom-score-adj-values", "15 20 30");
      await step("REPLICAOF", "127.0.0.1", "1");
      await step("REPLICAOF", "NO", "ONE");
      await step("CONFIG", "SET", "oom-score-adj", "absolute");
      await step("CONFIG", "GET", "oom-score-adj");
      await step("CONFIG", "SET", "oom-score-adj", "no");
      await step("CONFIG", "SET", "oom-score-adj-values", "1 2");
      return seen;
    } finally {
      c.close();
    }
  }

  test("the master's and the replica's scores are set, relative or absolute, and put back", async () => {
    const kvis = await startKvisBinary();
    const redis = await startRedis();
    try {
      const [k, r] = [await scores(kvis), await scores(redis)];
      expect(k).toEqual(r);
      expect(k[1]).toBe("CONFIG SET oom-score-adj yes -> +OK 10");
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });
});
