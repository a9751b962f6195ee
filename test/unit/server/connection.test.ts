import { expect, test } from "bun:test";
import { Config } from "../../../src/config.ts";
import { type Context, protectedActionAllowed } from "../../../src/commands/context.ts";
import { Client } from "../../../src/server/connection.ts";
import { Server } from "../../../src/server/server.ts";
import { serverTestTimeout, waitFor } from "../../helpers/servers.ts";

serverTestTimeout();

const request = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

/** Run `body` with performance.now() replaced by `clock`. */
async function withClock<T>(clock: () => number, body: () => Promise<T>): Promise<T> {
  const real = performance.now;
  performance.now = clock;
  try {
    return await body();
  } finally {
    performance.now = real;
  }
}

test("a big read is served five hundred requests a turn, its socket paused between turns; small reads are served whole while quick", () => withClock(() => 0, async () => {
  const server = new Server(new Config({ save: "" }));
  const calls: string[] = [];
  let replies = 0;
  let last = "";
  const socket = {
    write: (d: Uint8Array) => {
      last = Buffer.from(d).toString("latin1");
      replies += last.split("+OK\r\n").length - 1;
      return d.length;
    },
    end() {},
    terminate() {},
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
  };
  const c = new Client(server, socket, "test:1", "");
  // A turn of the event loop, and its end, where the replies it held are written (server/turn-output.ts).
  const endTurn = () => server.turnOutput.release();
  const nextTurn = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    endTurn();
  };
  c.onData(Buffer.from(request("SET", "a", "1").repeat(100), "latin1"));
  endTurn();
  expect(replies).toBe(100);
  expect(calls).toEqual([]);
  // 2,500 requests of 123 bytes (300 KB), the last one cut by the read's end.
  const set = request("SET", "b", "x".repeat(100));
  const big = Buffer.from(set.repeat(2500), "latin1");
  c.onData(big.subarray(0, big.length - 50));
  endTurn();
  expect(replies).toBe(100 + 500);
  expect(calls).toEqual(["pause"]);
  // What waits counts in CLIENT LIST's qbuf, as Redis's unprocessed query buffer does.
  expect(c.queryBufferBytes).toBe(big.length - 50 - 500 * set.length);
  // Whatever arrives meanwhile waits behind the rest of the read.
  c.onData(big.subarray(big.length - 50));
  c.onData(Buffer.from(request("GET", "b"), "latin1"));
  for (const served of [1000, 1500, 2000]) {
    await nextTurn();
    expect(replies).toBe(100 + served);
  }
  // The last 500 are less than a big read: served whole, with what came after them.
  await nextTurn();
  expect(replies).toBe(100 + 2500);
  // The GET's reply went last, in the same write as theirs: both were served in one turn.
  expect(last.endsWith(`+OK\r\n$100\r\n${"x".repeat(100)}\r\n`)).toBe(true);
  expect(calls).toEqual(["pause", "resume"]);
  expect(server.keyspace.dbs[0]!.size).toBe(2);
  // Input is counted as it is read, once, however many turns serve it.
  expect(server.stats.readsProcessed).toBe(4);
  expect(server.stats.netInputBytes).toBe(request("SET", "a", "1").length * 100 + big.length + request("GET", "b").length);
}));

test("a big read's turn also ends after 1 ms, however few requests it served", async () => {
  const server = new Server(new Config({ save: "" }));
  let replies = 0;
  const socket = { write: (d: Uint8Array) => ((replies += Buffer.from(d).toString("latin1").split("+OK\r\n").length - 1), d.length), end() {}, terminate() {} };
  const c = new Client(server, socket, "test:1", "");
  const big = Buffer.from(request("SET", "b", "x".repeat(100)).repeat(2500), "latin1");
  // A clock that moves a millisecond at each reading: the turn's first look at it (after
  // 52 requests, then every 64) finds its 1 ms gone.
  let now = 0;
  await withClock(() => (now += 1), async () => {
    c.onData(big, true);
    server.turnOutput.release();
    expect(replies).toBe(52);
    await new Promise((resolve) => setImmediate(resolve));
    server.turnOutput.release();
    expect(replies).toBe(104);
  });
  while (replies < 2500) await new Promise((resolve) => setImmediate(resolve));
  expect(server.keyspace.dbs[0]!.size).toBe(1);
});

test("a small read's turn ends after 1 ms too, looked at every 64 requests", async () => {
  const server = new Server(new Config({ save: "" }));
  let replies = 0;
  const socket = { write: (d: Uint8Array) => ((replies += Buffer.from(d).toString("latin1").split("+OK\r\n").length - 1), d.length), end() {}, terminate() {} };
  const c = new Client(server, socket, "test:1", "");
  // 200 requests, 2.6 KB: an ordinary pipeline, served whole while the clock stands still.
  const small = Buffer.from(request("SET", "b", "x").repeat(200), "latin1");
  await withClock(() => 0, async () => {
    c.onData(small, true);
    server.turnOutput.release();
    expect(replies).toBe(200);
  });
  // The same read in code the runtime has not compiled yet, or on a busy core: a clock
  // that moves a millisecond at each reading ends its turn at the first look.
  let now = 0;
  await withClock(() => (now += 1), async () => {
    c.onData(small, true);
    server.turnOutput.release();
    expect(replies).toBe(200 + 64);
    await new Promise((resolve) => setImmediate(resolve));
    server.turnOutput.release();
    expect(replies).toBe(200 + 128);
  });
  while (replies < 400) await new Promise((resolve) => setImmediate(resolve));
});

test("Bun hands each socket read over in an ArrayBuffer of its own, so a read kept for a later turn is not copied", async () => {
  // Both ends: the server's sockets (clients' requests) and a connecting one's (a replica's link to its master).
  const atServer: Uint8Array[] = [];
  const atClient: Uint8Array[] = [];
  let accepted: import("bun").Socket | undefined;
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { binaryType: "uint8array", open: (s) => void (accepted = s), data: (_s, chunk) => void atServer.push(chunk) } });
  try {
    const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { binaryType: "uint8array", data: (_s, chunk) => void atClient.push(chunk) } });
    await waitFor(() => accepted);
    const sendAll = async (from: { write(d: Uint8Array): number }, kept: Uint8Array[]) => {
      let sent = 0;
      for (let i = 0; i < 50; i++) {
        from.write(Buffer.alloc(100_000 + i, i));
        sent += 100_000 + i;
        // Each write read apart, so that a reused buffer would be overwritten.
        await waitFor(() => kept.reduce((n, k) => n + k.length, 0) === sent);
      }
      let at = 0;
      const all = Buffer.concat(kept);
      for (let i = 0; i < 50; i++) {
        expect(all.subarray(at, at + 100_000 + i).every((b) => b === i)).toBe(true);
        at += 100_000 + i;
      }
      expect(new Set(kept.map((k) => k.buffer)).size).toBe(kept.length);
    };
    await sendAll(client, atServer);
    await sendAll(accepted!, atClient);
    client.end();
  } finally {
    server.stop(true);
  }
});

test("enable-debug-command and enable-protected-configs: local means loopback addresses and the Unix socket", () => {
  const client = (addr: string, unixSocket = false) => ({ addr, unixSocket }) as Context;
  for (const addr of ["127.0.0.1:5000", "127.3.2.1:1", "[::1]:6000", "[::ffff:127.0.0.1]:7"]) {
    expect([addr, protectedActionAllowed("local", client(addr))]).toEqual([addr, true]);
  }
  for (const addr of ["10.0.0.2:5000", "[::ffff:10.0.0.1]:7", "[fe80::1]:6000", "128.0.0.1:1"]) {
    expect([addr, protectedActionAllowed("local", client(addr))]).toEqual([addr, false]);
    expect(protectedActionAllowed("yes", client(addr))).toBe(true);
  }
  expect(protectedActionAllowed("local", client("/tmp/kvis.sock:0", true))).toBe(true);
  expect(protectedActionAllowed("no", client("127.0.0.1:5000"))).toBe(false);
});

test("small replies wait for the end of the turn and go then, client by client in the order served; big ones go at once", () => withClock(() => 0, async () => {
  const server = new Server(new Config({ save: "" }));
  const writes: string[] = [];
  let ended = "";
  const socketFor = (name: string) => ({
    write: (d: Uint8Array) => (writes.push(`${name}:${Buffer.from(d).toString("latin1")}`), d.length),
    end: () => void (ended += name),
    terminate() {},
  });
  const a = new Client(server, socketFor("a"), "test:1", "");
  const b = new Client(server, socketFor("b"), "test:2", "");
  a.onData(Buffer.from(request("SET", "k", "v"), "latin1"));
  b.onData(Buffer.from(request("GET", "k") + request("QUIT"), "latin1"));
  a.onData(Buffer.from(request("PING"), "latin1"));
  // Nothing is written while the turn lasts; QUIT's close waits for its reply.
  expect(writes).toEqual([]);
  expect(ended).toBe("");
  server.turnOutput.release();
  expect(writes).toEqual(["a:+OK\r\n+PONG\r\n", "b:$1\r\nv\r\n+OK\r\n"]);
  expect(ended).toBe("b");
  // A reply past a client's 16 KB reply buffer is written at once.
  writes.length = 0;
  a.onData(Buffer.from(request("SET", "big", "x".repeat(20_000)) + request("GET", "big"), "latin1"));
  expect(writes.length).toBe(1);
  expect(writes[0]!.endsWith(`$20000\r\n${"x".repeat(20_000)}\r\n`)).toBe(true);
}));

test("a turn that has served reads for a millisecond lets the replies it holds go", async () => {
  const server = new Server(new Config({ save: "" }));
  const writes: string[] = [];
  const socketFor = (name: string) => ({ write: (d: Uint8Array) => (writes.push(`${name}:${Buffer.from(d).toString("latin1")}`), d.length), end() {}, terminate() {} });
  const a = new Client(server, socketFor("a"), "test:1", "");
  const b = new Client(server, socketFor("b"), "test:2", "");
  const c = new Client(server, socketFor("c"), "test:3", "");
  let now = 0;
  await withClock(() => now, async () => {
    a.onData(Buffer.from(request("PING"), "latin1"));
    now = 0.9;
    b.onData(Buffer.from(request("PING"), "latin1"));
    expect(writes).toEqual([]);
    now = 1;
    c.onData(Buffer.from(request("PING"), "latin1"));
    expect(writes).toEqual(["a:+PONG\r\n", "b:+PONG\r\n", "c:+PONG\r\n"]);
  });
});

test("a script past busy-reply-threshold lets the replies its turn held before it go", () => {
  const server = new Server(new Config({ save: "", "busy-reply-threshold": "20" }));
  const writes: string[] = [];
  const socketFor = (name: string) => ({
    write: (d: Uint8Array) => {
      writes.push(`${name}:${Buffer.from(d).toString("latin1")}`);
      // What the script waits for: a's reply reached its socket.
      if (name === "a") server.keyspace.dbs[0]!.setKey("written", "1");
      return d.length;
    },
    end() {},
    terminate() {},
  });
  const a = new Client(server, socketFor("a"), "test:1", "");
  const b = new Client(server, socketFor("b"), "test:2", "");
  server.clients.set(a.id, a);
  server.clients.set(b.id, b);
  a.onData(Buffer.from(request("PING"), "latin1"));
  // In the same turn, a script that spins until a's reply is out, or for two seconds.
  const script = "local t = redis.call('time') local deadline = t[1] * 1000000 + t[2] + 2000000 while not redis.call('get', 'written') do local n = redis.call('time') if n[1] * 1000000 + n[2] > deadline then return 0 end end return 1";
  b.onData(Buffer.from(request("EVAL", script, "0"), "latin1"));
  server.turnOutput.release();
  expect(writes).toEqual(["a:+PONG\r\n", "b::1\r\n"]);
});
