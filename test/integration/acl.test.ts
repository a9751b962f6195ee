/**
 * ACL with real software: the ACL file written by KVIS loads in redis-server and Redis's in
 * KVIS, both refuse the same broken file with the same words, a bad file stops the compiled
 * binary at start-up, and redis-cli, ioredis, node-redis and Bun's RedisClient log in as a
 * named user and meet -NOPERM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import IORedis from "ioredis";
import { createClient } from "redis";
import { RedisClient } from "bun";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, type InProcessKvis, run, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir } from "../helpers/servers.ts";

serverTestTimeout();

const USERS = [
  "user app on #6c904c5190e8b45c2f0af062eefdb2f5b41ce3809b0e6b5bc50aafdd60b290d8 ~app:* resetchannels &events.* -@all +@read +@write -flushdb",
  "user default on nopass ~* &* +@all",
  "user ops on #32323cfa9ec9d62750daad0836a4cf3d7b60d23723b7852a529667deed01669f ~* &* +@all -@dangerous",
  "user reader off resetchannels -@all +get (~r:* resetchannels -@all +get)",
];

describe("the ACL file", () => {
  let dir: string;
  let kvis: InProcessKvis;
  let redis: ChildServer;
  const kvisFile = () => join(dir, "kvis.acl");
  const redisFile = () => join(dir, "redis.acl");
  beforeAll(async () => {
    dir = tempDir("kvis-acl-");
    writeFileSync(kvisFile(), "");
    writeFileSync(redisFile(), "");
    kvis = await startKvis({ aclfile: kvisFile() });
    redis = await startRedis(["--aclfile", redisFile()]);
  });
  afterAll(async () => {
    await kvis?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async (port: number) => {
    const c = await RawClient.connect(port);
    try {
      return await c.call("ACL", "LIST");
    } finally {
      c.close();
    }
  };
  const call = async (port: number, ...args: string[]) => {
    const c = await RawClient.connect(port);
    try {
      return await c.call(...args);
    } finally {
      c.close();
    }
  };

  test("what KVIS saves loads in Redis, and what Redis saves loads in KVIS", async () => {
    writeFileSync(kvisFile(), USERS.join("\n") + "\n");
    expect(await call(kvis.port, "ACL", "LOAD")).toBe("+OK\r\n");
    expect(await call(kvis.port, "ACL", "SETUSER", "late", "on", ">pw", "%R~logs:*", "+@all", "-@admin")).toBe("+OK\r\n");
    expect(await call(kvis.port, "ACL", "SAVE")).toBe("+OK\r\n");
    const saved = readFileSync(kvisFile(), "latin1");

    writeFileSync(redisFile(), saved);
    expect(await call(redis.port, "ACL", "LOAD")).toBe("+OK\r\n");
    expect(await list(redis.port)).toBe(await list(kvis.port));
    expect(await call(redis.port, "ACL", "SAVE")).toBe("+OK\r\n");
    expect(readFileSync(redisFile(), "latin1")).toBe(saved);

    writeFileSync(kvisFile(), "");
    expect(await call(kvis.port, "ACL", "LOAD")).toBe("+OK\r\n");
    writeFileSync(kvisFile(), readFileSync(redisFile()));
    expect(await call(kvis.port, "ACL", "LOAD")).toBe("+OK\r\n");
    expect(await list(kvis.port)).toBe(await list(redis.port));
  });

  test("a broken file is refused with Redis's words and changes nothing", async () => {
    const before = await list(kvis.port);
    // (Redis 7.0.15 crashes on an unmatched "(" in an ACL file, so that case is not compared.)
    const broken = ["user ok on nopass +@all", "notuser x", "user bad on +nosuch", "user ok off", "user sp ~a\t~b >pw\tx", ""].join("\n");
    // The same path for both servers, since it appears in the errors.
    const shared = join(dir, "shared.acl");
    const k = await RawClient.connect(kvis.port);
    const r = await RawClient.connect(redis.port);
    try {
      for (const c of [k, r]) expect(await c.call("CONFIG", "GET", "aclfile")).toContain(".acl");
    } finally {
      k.close();
      r.close();
    }
    writeFileSync(kvisFile(), broken);
    writeFileSync(redisFile(), broken);
    const kvisError = (await call(kvis.port, "ACL", "LOAD")).replaceAll(kvisFile(), shared);
    const redisError = (await call(redis.port, "ACL", "LOAD")).replaceAll(redisFile(), shared);
    expect(kvisError).toBe(redisError);
    expect(kvisError).toContain("no change to the previously active ACL rules was performed");
    expect(await list(kvis.port)).toBe(before);
    // Redis 7.0.15 crashes here; KVIS refuses the file like any other broken one.
    writeFileSync(kvisFile(), "user sel on (+get\n");
    expect(await call(kvis.port, "ACL", "LOAD")).toContain(":1: Unmatched parenthesis in selector definition.");
    expect(await list(kvis.port)).toBe(before);
  });

  test("a user logged in as a user the file no longer has is disconnected by ACL LOAD", async () => {
    writeFileSync(kvisFile(), USERS.join("\n") + "\n");
    expect(await call(kvis.port, "ACL", "LOAD")).toBe("+OK\r\n");
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await c.call("AUTH", "ops", "ops-secret")).toBe("+OK\r\n");
      expect(await call(kvis.port, "ACL", "LOAD")).toBe("+OK\r\n");
      await c.readUntilClose();
    } finally {
      c.close();
    }
  });

  test("the binary refuses to start with a broken ACL file, and starts with a good one", async () => {
    const bad = join(dir, "bad.acl");
    writeFileSync(bad, "user x on +nosuchcommand\n");
    const failed = await startKvisBinary(["--aclfile", bad]).then(
      async (s) => {
        await s.stop();
        return "";
      },
      (e: Error) => e.message,
    );
    expect(failed).toContain("Aborting Redis startup because of ACL errors");
    expect(failed).toContain("Unknown command or category name in ACL");
    expect(readFileSync(bad, "latin1")).toBe("user x on +nosuchcommand\n");

    const good = join(dir, "good.acl");
    writeFileSync(good, USERS.join("\n") + "\n");
    const server = await startKvisBinary(["--aclfile", good]);
    try {
      const out = await run(["redis-cli", "-p", String(server.port), "--user", "app", "--pass", "app-secret", "--no-auth-warning", "SET", "app:1", "x"]);
      expect(out.stdout).toBe("OK\n");
      const denied = await run(["redis-cli", "-p", String(server.port), "--user", "app", "--pass", "app-secret", "--no-auth-warning", "SET", "other", "x"]);
      expect(denied.stdout.trim()).toBe("NOPERM this user has no permissions to access one of the keys used as arguments");
    } finally {
      await server.stop();
    }
  });

  test("users of the configuration start as Redis's: a new one as ACL SETUSER makes it, the default user reset first", async () => {
    // As `user` lines of a redis.conf (CONFIG REWRITE writes them so), given as options.
    const args = ["--user", "bob", "off", "--user", "carl", "on", ">pw", "~a*", "+get", "--user", "dan", "reset", "on", "nopass", "--user", "default", "on", "nopass", "~*", "&*", "+@all"];
    const [k, r] = await startAll([() => startKvisBinary(args), () => startRedis(args)]);
    try {
      const lists = await Promise.all([k, r].map(async (s) => {
        const c = await RawClient.connect(s.port);
        const list = await c.call("ACL", "LIST");
        c.close();
        return list;
      }));
      expect(lists[0]).toContain("user bob off resetchannels -@all");
      expect(lists[0]).toBe(lists[1]);
    } finally {
      await Promise.all([k.stop(), r.stop()]);
    }
  });
});

describe("real clients log in as a user", () => {
  let kvis: InProcessKvis;
  beforeAll(async () => {
    kvis = await startKvis({ requirepass: "default-secret" });
    const c = await RawClient.connect(kvis.port);
    try {
      await c.call("AUTH", "default-secret");
      expect(await c.call("ACL", "SETUSER", "app", "on", ">app-secret", "~app:*", "&events.*", "-@all", "+@read", "+@write", "+@pubsub", "+ping", "+hello", "+client", "+info", "+select")).toBe("+OK\r\n");
    } finally {
      c.close();
    }
  });
  afterAll(async () => {
    await kvis?.stop();
  });

  test("ioredis with username and password", async () => {
    const client = new IORedis({ port: kvis.port, username: "app", password: "app-secret", lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    try {
      expect(await client.set("app:1", "v")).toBe("OK");
      expect(await client.get("app:1")).toBe("v");
      await expect(client.set("other", "v")).rejects.toThrow("NOPERM this user has no permissions to access one of the keys used as arguments");
      await expect(client.config("GET", "port")).rejects.toThrow("NOPERM this user has no permissions to run the 'config|get' command");
      await expect(client.publish("private", "m")).rejects.toThrow("NOPERM this user has no permissions to access one of the channels used as arguments");
      expect(await client.publish("events.new", "m")).toBe(0);
      expect(await client.ping()).toBe("PONG");
    } finally {
      client.disconnect();
    }
    const wrong = new IORedis({ port: kvis.port, username: "app", password: "nope", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    wrong.on("error", (e: Error) => errors.push(e.message));
    await wrong.connect().catch(() => undefined);
    wrong.disconnect();
    expect(errors).toContain("WRONGPASS invalid username-password pair or user is disabled.");
  });

  test("node-redis in RESP2 and RESP3", async () => {
    for (const RESP of [2, 3] as const) {
      const client = createClient({ socket: { port: kvis.port, reconnectStrategy: false }, username: "app", password: "app-secret", RESP });
      await client.connect();
      try {
        expect(await client.set("app:2", String(RESP))).toBe("OK");
        expect(await client.get("app:2")).toBe(String(RESP));
        await expect(client.get("nope")).rejects.toThrow("NOPERM");
      } finally {
        client.destroy();
      }
    }
  });

  test("Bun RedisClient with the user in the URL", async () => {
    const client = new RedisClient(`redis://app:app-secret@127.0.0.1:${kvis.port}`);
    try {
      expect(await client.set("app:3", "bun")).toBe("OK");
      expect(await client.get("app:3")).toBe("bun");
      await expect(client.get("elsewhere")).rejects.toThrow("NOPERM");
    } finally {
      client.close();
    }
  });

  test("redis-cli without a password is refused, and with the default password is let in", async () => {
    const port = String(kvis.port);
    expect((await run(["redis-cli", "-p", port, "GET", "x"])).stdout.trim()).toBe("NOAUTH Authentication required.");
    expect((await run(["redis-cli", "-p", port, "-a", "default-secret", "--no-auth-warning", "ACL", "WHOAMI"])).stdout).toBe("default\n");
  });
});
