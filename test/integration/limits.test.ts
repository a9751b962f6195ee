/**
 * Limits that keep hostile or careless clients from hurting the server: maxclients (with
 * Redis's refusal, compared with a real redis-server), timeout for idle clients,
 * client-query-buffer-limit for a request that never ends, protected mode, and
 * rename-command from the config file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { type ChildServer, type InProcessKvis, KVIS_BINARY, ensureBinary, freePort, sendAsOwnRead, serverTestTimeout, startAll, startChild, startKvis, startKvisBinary, startRedis, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

describe("maxclients", () => {
  let kvis: InProcessKvis;
  let redis: ChildServer;
  beforeAll(async () => {
    kvis = await startKvis({ maxclients: "3" });
    redis = await startRedis(["--maxclients", "3"]);
  });
  afterAll(async () => {
    await kvis?.stop();
    await redis?.stop();
  });

  test("the connection past the limit gets Redis's error and is closed; the others keep working", async () => {
    for (const port of [kvis.port, redis.port]) {
      // The first connection waits until it is alone (the start-up probe has gone).
      const first = await RawClient.connect(port);
      await waitFor(async () => (await first.call("INFO", "clients")).includes("connected_clients:1\r\n"), 20_000, "a lone client");
      const held = [first, await RawClient.connect(port), await RawClient.connect(port)];
      try {
        for (const c of held) expect(await c.call("PING")).toBe("+PONG\r\n");
        const extra = await RawClient.connect(port);
        expect(await extra.readUntilClose()).toBe("-ERR max number of clients reached\r\n");
        expect(await held[0]!.call("INFO", "stats")).toContain("rejected_connections:1\r\n");
      } finally {
        for (const c of held) c.close();
      }
    }
  });
});

describe("maxclients and the open-files limit", () => {
  test("under a low limit maxclients is lowered as Redis lowers it, with its warnings; CONFIG SET past it is refused", async () => {
    await ensureBinary();
    const servers = await startAll([KVIS_BINARY, "redis-server"].map((bin) => () => {
      const dir = tempDir();
      const port = freePort();
      // 100 descriptors, soft and hard: 68 clients fit beside the 32 a server keeps.
      return startChild(["sh", "-c", 'ulimit -n 100 && exec "$0" "$@"', bin, "--port", String(port), "--dir", dir, "--save", ""], port, { dir, ownDir: true });
    }));
    try {
      const results = await Promise.all(servers.map(async (server) => {
        const admin = await RawClient.connect(server.port);
        await waitFor(async () => (await admin.call("INFO", "clients")).includes("connected_clients:1\r\n"), 20_000, "a lone client");
        const maxclients = await admin.call("CONFIG", "GET", "maxclients");
        const refused = await admin.call("CONFIG", "SET", "maxclients", "100");
        const lowered = await admin.call("CONFIG", "SET", "maxclients", "50");
        // 60 more connections: 49 fit beside the admin's, the rest are told.
        const others = await Promise.all(Array.from({ length: 60 }, () => RawClient.connect(server.port)));
        const replies = await Promise.all(others.map((c) => c.call("PING")));
        for (const c of others) c.close();
        admin.close();
        const warnings = (await server.output()).split("\n").filter((line) => / # (You requested|Server can't|Current maximum|Failed applying)/.test(line)).map((line) => line.replace(/^.*? # /, ""));
        return { maxclients, refused, lowered, pong: replies.filter((r) => r === "+PONG\r\n").length, full: replies.filter((r) => r.startsWith("-ERR max number of clients")).length, warnings };
      }));
      expect(results[0]).toEqual(results[1]!);
      expect(results[0]!.maxclients).toBe("*2\r\n$10\r\nmaxclients\r\n$2\r\n68\r\n");
      expect([results[0]!.pong, results[0]!.full]).toEqual([49, 11]);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});

describe("maxmemory-clients", () => {
  test("a client whose query buffer takes the clients past the limit is closed as Redis closes it; a NO-EVICT one is kept", async () => {
    const [kvis, redis] = await startAll([() => startKvis({ "maxmemory-clients": "1mb" }), () => startRedis(["--maxmemory-clients", "1mb"])]);
    // 2 MB of a 5 MB value, the request left unfinished.
    const partial = `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n${"x".repeat(2_000_000)}`;
    try {
      for (const server of [kvis, redis]) {
        const big = await RawClient.connect(server.port);
        big.write(partial);
        expect(await big.readUntilClose()).toBe("");
        const c = await RawClient.connect(server.port);
        expect(await c.call("INFO", "stats")).toContain("\r\nevicted_clients:1\r\n");
        c.close();
      }
      // CLIENT NO-EVICT ON: the same request is kept through the cron's next looks, and finished.
      // Over the limit with the kept client, the server would close any other: the observer is kept too.
      const c = await RawClient.connect(kvis.port);
      expect(await c.call("CLIENT", "NO-EVICT", "ON")).toBe("+OK\r\n");
      const kept = await RawClient.connect(kvis.port);
      expect(await kept.call("CLIENT", "NO-EVICT", "ON")).toBe("+OK\r\n");
      kept.write(partial);
      await waitFor(async () => /flags=e .*qbuf=2\d{6} /.test(await c.call("CLIENT", "LIST")), 20_000, "the request to be read");
      const loops = kvis.server.cronLoops;
      await waitFor(() => kvis.server.cronLoops >= loops + 3, 20_000, "three cron runs");
      kept.write("x".repeat(3_000_000) + "\r\n");
      expect(await kept.readReplies(1)).toEqual(["+OK\r\n"]);
      expect(await c.call("INFO", "stats")).toContain("\r\nevicted_clients:1\r\n");
      kept.close();
      c.close();
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });
});

/** A plain socket connected to `port` that reads nothing: what it is sent waits in the server. */
async function pausedSocket(port: number): Promise<import("node:net").Socket> {
  const { connect } = await import("node:net");
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.pause();
  return socket;
}

/** A KVIS and a redis-server for a describe block's tests, which run their steps against both. */
function useBoth(): () => readonly [InProcessKvis, ChildServer] {
  let kvis: InProcessKvis;
  let redis: ChildServer;
  beforeAll(async () => {
    [kvis, redis] = await startAll([() => startKvis(), () => startRedis()]);
  });
  afterAll(async () => {
    await kvis?.stop();
    await redis?.stop();
  });
  return () => [kvis, redis] as const;
}

describe("clients' memory, as Redis counts it", () => {
  const servers = useBoth();
  const field = (list: string, name: string, f: string) => new RegExp(`name=${name} .*?\\b${f}=(\\d+)`).exec(list)?.[1];

  test("a request cut off mid-argument: qbuf is the argument received, argv-mem the ones before it, qbuf-free the room left", async () => {
    for (const server of servers()) {
      const c = await RawClient.connect(server.port);
      const observer = await RawClient.connect(server.port);
      try {
        expect(await c.call("CLIENT", "SETNAME", "cut")).toBe("+OK\r\n");
        c.write(`*3\r\n$3\r\nSET\r\n$4\r\nkey1\r\n$100000\r\n${"v".repeat(60_000)}`);
        await waitFor(async () => field(await observer.call("CLIENT", "LIST"), "cut", "qbuf") === "60000", 20_000, "the bytes to be read");
        const list = await observer.call("CLIENT", "LIST");
        expect(field(list, "cut", "argv-mem")).toBe("7");
        // Both have room for the rest of the argument (Redis rounds it to its allocator's size).
        expect(Number(field(list, "cut", "qbuf-free"))).toBeGreaterThanOrEqual(40_000);
        expect(Number(field(list, "cut", "tot-mem"))).toBeGreaterThan(100_000);
      } finally {
        c.close();
        observer.close();
      }
    }
  });

  test("watched keys and subscriptions count toward maxmemory-clients; lowered under what clients hold, it closes them at once", async () => {
    for (const server of servers()) {
      const admin = await RawClient.connect(server.port);
      try {
        expect(await admin.call("CONFIG", "SET", "maxmemory-clients", "200000")).toBe("+OK\r\n");
        for (const [command, args] of [["WATCH", (i: number) => [`w${i}`]], ["PSUBSCRIBE", (i: number) => [`p${i}`]], ["SUBSCRIBE", (i: number) => [`c${i}`]]] as const) {
          const c = await RawClient.connect(server.port);
          // Each reply is read before the next request: the connection ends between them.
          let sent = 0;
          for (; sent < 20_000 && !c.closed; sent++) {
            c.write(encodeCommand([command, ...args(sent)]));
            await c.readReplies(1).catch(() => undefined);
          }
          const name = server === servers()[0] ? "kvis" : "redis";
          expect({ name, command, closed: c.closed }).toEqual({ name, command, closed: true });
          c.close();
        }
        // Lowered under what the clients hold, maxmemory-clients closes them at once.
        const big = await RawClient.connect(server.port);
        expect(await big.call("CLIENT", "SETNAME", "big")).toBe("+OK\r\n");
        expect(await admin.call("CONFIG", "SET", "maxmemory-clients", "10mb")).toBe("+OK\r\n");
        big.write(`*2\r\n$3\r\nGET\r\n$300000\r\n${"v".repeat(300_000)}`);
        await waitFor(async () => field(await admin.call("CLIENT", "LIST"), "big", "qbuf") === "300000", 20_000, "the bytes to be read");
        expect(await admin.call("CONFIG", "SET", "maxmemory-clients", "200000")).toBe("+OK\r\n");
        expect(await admin.call("CLIENT", "LIST")).not.toContain("name=big");
        big.close();
      } finally {
        await admin.call("CONFIG", "SET", "maxmemory-clients", "0");
        admin.close();
      }
    }
  });

  test("with maxmemory, a reader that falls behind makes keys go, as its output counts in used_memory", async () => {
    for (const server of servers()) {
      const admin = await RawClient.connect(server.port);
      const slow = await pausedSocket(server.port);
      try {
        expect(await admin.call("FLUSHALL")).toBe("+OK\r\n");
        for (let i = 0; i < 50; i++) expect(await admin.call("SETRANGE", `k${i}`, "100000", "x")).toBe(":100001\r\n");
        const used = Number(/used_memory:(\d+)/.exec(await admin.call("INFO", "memory"))![1]);
        expect(await admin.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")).toBe("+OK\r\n");
        expect(await admin.call("CONFIG", "SET", "maxmemory", String(used + 2_000_000))).toBe("+OK\r\n");
        // Replies of 5 MB each that the client never reads: they wait in the server.
        for (let i = 0; i < 20; i++) slow.write(encodeCommand(["MGET", ...Array.from({ length: 50 }, (_, j) => `k${j}`)]));
        await waitFor(async () => /evicted_keys:[1-9]/.test(await admin.call("INFO", "stats")), 20_000, "keys evicted for the output waiting");
      } finally {
        await admin.call("CONFIG", "SET", "maxmemory", "0");
        await admin.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
        slow.destroy();
        admin.close();
      }
    }
  });
});

describe("timeout", () => {
  let kvis: InProcessKvis;
  beforeAll(async () => {
    kvis = await startKvis({ timeout: "1" });
  });
  afterAll(async () => {
    await kvis?.stop();
  });

  test("an idle client is closed; subscribers, blocked clients and busy clients are not", async () => {
    const idle = await RawClient.connect(kvis.port);
    const subscriber = await RawClient.connect(kvis.port);
    const blocked = await RawClient.connect(kvis.port);
    const busy = await RawClient.connect(kvis.port);
    try {
      expect(await idle.call("PING")).toBe("+PONG\r\n");
      expect(await subscriber.call("SUBSCRIBE", "ch")).toContain("subscribe");
      blocked.write("*3\r\n$5\r\nBLPOP\r\n$4\r\nlist\r\n$1\r\n0\r\n");
      const started = Date.now();
      let closed = false;
      idle.readUntilClose(8000).then(() => (closed = true));
      await waitFor(async () => {
        expect(await busy.call("PING")).toBe("+PONG\r\n");
        return closed;
      }, 8000, "the idle client to be closed");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(await subscriber.call("PING")).toBe("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
      expect(await busy.call("RPUSH", "list", "x")).toBe(":1\r\n");
      expect(await blocked.readReplies(1)).toEqual(["*2\r\n$4\r\nlist\r\n$1\r\nx\r\n"]);
    } finally {
      for (const c of [idle, subscriber, blocked, busy]) c.close();
    }
  });
});

describe("client-query-buffer-limit", () => {
  let kvis: InProcessKvis;
  const dir = tempDir();
  const logfile = join(dir, "kvis.log");
  beforeAll(async () => {
    kvis = await startKvis({ dir, logfile, "client-query-buffer-limit": "1mb" });
    // Tests silence in-process servers; this one's log goes to its file, which the test reads.
    kvis.server.log.silent = false;
  });
  afterAll(async () => {
    await kvis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a request that grows past the limit closes its client; a request under it is served", async () => {
    const hog = await RawClient.connect(kvis.port);
    const fine = await RawClient.connect(kvis.port);
    try {
      expect(await hog.call("CLIENT", "SETNAME", "hog")).toBe("+OK\r\n");
      hog.write("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4000000\r\n");
      for (let i = 0; i < 12; i++) hog.write("x".repeat(100_000));
      await hog.readUntilClose();
      // Logged as Redis logs it: the client's CLIENT LIST line, then its input's first 64 bytes quoted.
      expect(readFileSync(logfile, "latin1")).toMatch(/Closing client that reached max query buffer length: id=\d+ addr=\S+ .*name=hog .* \(qbuf initial bytes: "[*x]/);
      expect(await fine.call("SET", "small", "y".repeat(500_000))).toBe("+OK\r\n");
      expect(await fine.call("STRLEN", "small")).toBe(":500000\r\n");
      expect(await fine.call("EXISTS", "big")).toBe(":0\r\n");
    } finally {
      hog.close();
      fine.close();
    }
  });
});

describe("client-output-buffer-limit normal", () => {
  let kvis: InProcessKvis;
  beforeAll(async () => {
    kvis = await startKvis({ "client-output-buffer-limit": "normal 4mb 0 0" });
  });
  afterAll(async () => {
    await kvis?.stop();
  });

  test("a client that sends requests but reads no replies is closed at the limit", async () => {
    const c = await RawClient.connect(kvis.port);
    expect(await c.call("SET", "big", "v".repeat(1_000_000))).toBe("+OK\r\n");
    const reader = await pausedSocket(kvis.port);
    const closed = new Promise<void>((resolve) => reader.once("close", () => resolve()));
    reader.on("error", () => undefined);
    reader.write(Buffer.from("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(200), "latin1"));
    await closed;
    // The well-behaved client is untouched.
    expect(await c.call("STRLEN", "big")).toBe(":1000000\r\n");
    c.close();
  });
});

describe("client-output-buffer-limit, as Redis enforces it", () => {
  const servers = useBoth();

  /** Run `body` on each server with client-output-buffer-limit set to `limit`, put back to Redis's default after. */
  async function withLimit(limit: string, body: (port: number, admin: RawClient) => Promise<void>): Promise<void> {
    for (const server of servers()) {
      const admin = await RawClient.connect(server.port);
      try {
        expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", limit)).toBe("+OK\r\n");
        await body(server.port, admin);
      } finally {
        await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
        admin.close();
      }
    }
  }

  test("a reply over the hard limit is never sent: the client is closed first, whatever the socket could take", async () => {
    await withLimit("normal 100000 0 0", async (port, admin) => {
      await admin.call("DEL", "list");
      for (let i = 0; i < 150; i++) await admin.call("LPUSH", "list", "x".repeat(1000));
      const c = await RawClient.connect(port);
      c.write(encodeCommand(["LRANGE", "list", "0", "-1"]));
      expect(await c.readUntilClose()).toBe("");
      c.close();
    });
  });

  test("a reply without bound (HRANDFIELD with a count of a billion) stops once its client is closed", async () => {
    await withLimit("normal 1000000 0 0", async (port, admin) => {
      expect(await admin.call("HSET", "small", "a", "b")).toMatch(/^:\d/);
      expect(await admin.call("SADD", "smallset", "a")).toMatch(/^:\d/);
      expect(await admin.call("ZADD", "smallzset", "1", "a")).toMatch(/^:\d/);
      for (const command of [["HRANDFIELD", "small", "-999999999"], ["SRANDMEMBER", "smallset", "-999999999"], ["ZRANDMEMBER", "smallzset", "-999999999", "WITHSCORES"]]) {
        const victim = await RawClient.connect(port);
        victim.write(encodeCommand(command));
        expect(await victim.readUntilClose()).toBe("");
        victim.close();
      }
      // The server is still there, and quick.
      expect(await admin.call("PING")).toBe("+PONG\r\n");
    });
  });

  test("a subscriber over the soft limit is closed when its seconds run out, with no new output", async () => {
    await withLimit("pubsub 0 100000 1", async (port, admin) => {
      const subscriber = await pausedSocket(port);
      subscriber.on("error", () => undefined);
      try {
        subscriber.write("CLIENT SETNAME slowsub\r\nSUBSCRIBE foo\r\n");
        await waitFor(async () => (await admin.call("CLIENT", "LIST")).includes("name=slowsub"), 20_000, "the subscriber");
        // Output over the soft limit (past what the socket buffers take), then none.
        await waitFor(async () => {
          await admin.call("PUBLISH", "foo", "x".repeat(500_000));
          return Number(/name=slowsub .*?omem=(\d+)/.exec(await admin.call("CLIENT", "LIST"))?.[1] ?? 0) > 100_000;
        }, 20_000, "output over the soft limit");
        await waitFor(async () => !(await admin.call("CLIENT", "LIST")).includes("name=slowsub"), 20_000, "the subscriber to be closed");
      } finally {
        subscriber.destroy();
      }
    });
  });
});

describe("output that waits for the socket", () => {
  let kvis: InProcessKvis;
  beforeAll(async () => {
    kvis = await startKvis();
  });
  afterAll(async () => {
    await kvis?.stop();
  });

  test("replies that wait for a slow reader arrive whole and in order", async () => {
    const c = await RawClient.connect(kvis.port);
    // Distinct values, so that a reply overwritten by a later one would show.
    const values = ["a", "b", "c"].map((ch) => ch.repeat(1_000_000));
    for (const [i, v] of values.entries()) expect(await c.call("SET", `v${i}`, v)).toBe("+OK\r\n");
    c.close();
    const reader = await pausedSocket(kvis.port);
    // Twelve megabytes of replies: more than the socket buffers take.
    const expected: string[] = [];
    for (let round = 0; round < 12; round++) {
      const i = round % 3;
      // Each in a read of its own: small replies come from the same place in the reply buffer.
      const get = `*2\r\n$3\r\nGET\r\n$2\r\nv${i}\r\n`;
      await sendAsOwnRead(kvis, get.length, () => reader.write(get));
      const echo = `*2\r\n$4\r\nECHO\r\n$2\r\n#${String.fromCharCode(65 + round)}\r\n`;
      await sendAsOwnRead(kvis, echo.length, () => reader.write(echo));
      const tag = `#${String.fromCharCode(65 + round)}`;
      expected.push(`$1000000\r\n${values[i]}\r\n`, `$2\r\n${tag}\r\n`);
    }
    const want = expected.join("");
    const chunks: Buffer[] = [];
    let received = 0;
    const done = new Promise<void>((resolve) =>
      reader.on("data", (d: Buffer) => {
        chunks.push(d);
        received += d.length;
        if (received >= want.length) resolve();
      }),
    );
    reader.resume();
    await done;
    reader.destroy();
    expect(Buffer.concat(chunks).toString("latin1") === want).toBe(true);
  });
});

describe("protected mode", () => {
  let kvis: InProcessKvis;
  beforeAll(async () => {
    kvis = await startKvis();
  });
  afterAll(async () => {
    await kvis?.stop();
  });

  // Test machines listen on loopback only, so the refusal is checked for addresses no test
  // connection can come from.
  test("with no password, clients off the loopback interface are refused with Redis's DENIED message", async () => {
    const server = kvis.server;
    for (const local of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(server.refusal(local)).toBeUndefined();
    expect(server.refusal("10.1.2.3")?.text).toStartWith("DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.");
    expect(server.refusal("2001:db8::1")?.text).toStartWith("DENIED");
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await c.call("CONFIG", "SET", "requirepass", "secret")).toBe("+OK\r\n");
      expect(server.refusal("10.1.2.3")).toBeUndefined();
      expect(await c.call("CONFIG", "SET", "requirepass", "")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "SET", "protected-mode", "no")).toBe("+OK\r\n");
      expect(server.refusal("10.1.2.3")).toBeUndefined();
    } finally {
      c.close();
    }
  });
});

describe("rename-command", () => {
  test("a renamed command answers to its new name only; renamed to \"\" it is gone", async () => {
    const dir = tempDir();
    const file = join(dir, "kvis.conf");
    writeFileSync(file, `rename-command CONFIG cfg\nrename-command flushall ""\n`);
    const server = await startKvisBinary([file], { dir });
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("CONFIG", "GET", "hz")).toStartWith("-ERR unknown command 'CONFIG'");
      expect(await c.call("cfg", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
      expect(await c.call("FLUSHALL")).toStartWith("-ERR unknown command 'FLUSHALL'");
      expect(await c.call("FLUSHDB")).toBe("+OK\r\n");
      c.close();
    } finally {
      await server.stop();
    }
    writeFileSync(file, `rename-command nosuch x\n`);
    const failed = await startKvisBinary([file], { dir }).then(
      async (s) => {
        await s.stop();
        return "";
      },
      (e: Error) => e.message,
    );
    expect(failed).toContain(">>> 'rename-command nosuch x'\nNo such command in rename-command");
    rmSync(dir, { recursive: true, force: true });
  });
});
