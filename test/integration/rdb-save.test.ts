/**
 * RDB files written by KVIS: accepted by redis-check-rdb, loaded by a real redis-server
 * with the same content, and loaded back by KVIS after SHUTDOWN SAVE.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawClient } from "../helpers/resp.ts";
import { run, startKvis, startKvisBinary, startRedis, tempDir } from "../helpers/servers.ts";

const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

/** Keys covering every string encoding the writer uses, TTLs and several databases. */
async function fill(c: RawClient): Promise<void> {
  for (const [k, v] of [["i8", "-7"], ["i16", "3000"], ["i32", "-2000000000"], ["big", "9223372036854775807"], ["lead0", "007"], ["raw", "x".repeat(20_000)], ["empty", ""], [all, all]]) {
    expect(await c.call("SET", k!, v!)).toBe("+OK\r\n");
  }
  await c.call("SET", "ttl", "v", "PXAT", "4102444800123");
  await c.call("SELECT", "9");
  await c.call("SET", "nine", "9");
  await c.call("SELECT", "0");
}

/** Every key of databases 0 and 9 with its value and absolute expiry, as raw replies. */
async function snapshot(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of ["0", "9"]) {
    await c.call("SELECT", db);
    for (const key of ["i8", "i16", "i32", "big", "lead0", "raw", "empty", all, "ttl", "nine"]) {
      out.push(db, await c.call("GET", key), await c.call("PEXPIRETIME", key));
    }
  }
  await c.call("SELECT", "0");
  return out;
}

describe("SAVE", () => {
  test("the dump passes redis-check-rdb and loads in real Redis with the same content", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    try {
      await fill(c);
      const before = await snapshot(c);
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      expect(await c.call("INFO", "persistence")).toContain("rdb_changes_since_last_save:0\r\n");
      const dump = join(kvis.dir, "dump.rdb");
      const check = await run(["redis-check-rdb", dump]);
      expect(check.stdout + check.stderr).toContain("RDB looks OK!");
      expect(check.code).toBe(0);

      const redisDir = tempDir("redis-load-");
      copyFileSync(dump, join(redisDir, "dump.rdb"));
      const redis = await startRedis([], { dir: redisDir });
      try {
        const r = await RawClient.connect(redis.port);
        expect(await snapshot(r)).toEqual(before);
        r.close();
      } finally {
        await redis.stop();
        rmSync(redisDir, { recursive: true, force: true });
      }
    } finally {
      c.close();
      await kvis.stop();
    }
  });

  test("SAVE into a folder that does not exist answers -ERR and leaves nothing behind", async () => {
    const kvis = await startKvis({ dir: "/nonexistent/kvis-test-dir" });
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await c.call("SAVE")).toBe("-ERR\r\n");
      expect(existsSync("/nonexistent/kvis-test-dir")).toBe(false);
    } finally {
      c.close();
      await kvis.stop();
    }
  });
});

describe("SHUTDOWN SAVE", () => {
  test("saves, exits 0, and a restarted KVIS holds the same data", async () => {
    const dir = tempDir();
    try {
      const first = await startKvisBinary(["--dbfilename", "mydb.rdb"], { dir });
      let before: string[];
      try {
        const c = await RawClient.connect(first.port);
        await fill(c);
        before = await snapshot(c);
        c.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
        expect(await c.readUntilClose()).toBe("");
        expect(await first.proc.exited).toBe(0);
      } finally {
        await first.stop(); // a no-op once it has exited; kills it if an assertion failed first
      }
      expect(readFileSync(join(dir, "mydb.rdb")).subarray(0, 9).toString()).toBe("REDIS0010");

      const second = await startKvisBinary(["--dbfilename", "mydb.rdb"], { dir });
      try {
        const d = await RawClient.connect(second.port);
        expect(await snapshot(d)).toEqual(before);
        d.close();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
