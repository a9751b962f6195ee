/**
 * Where KVIS listens: unixsocket, a Unix socket as Redis has one, for redis-cli -s and
 * clients given a path (its clients show as local, "<path>:0" with the U flag, and the
 * socket file goes when the server stops); and CONFIG SET port/bind, which listen anew.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import IORedis from "ioredis";
import { RawClient } from "../helpers/resp.ts";
import { freePort, run, serverTestTimeout, startAll, startKvis, startRedis, tempDir } from "../helpers/servers.ts";

serverTestTimeout();

describe("unixsocket", () => {
  test("redis-cli -s and ioredis with a path talk to KVIS through the socket", async () => {
    const dir = tempDir();
    const path = join(dir, "kvis.sock");
    const kvis = await startKvis({ dir, unixsocket: path, unixsocketperm: "700" });
    try {
      expect(statSync(path).mode & 0o777).toBe(0o700);
      expect((await run(["redis-cli", "-s", path, "SET", "k", "over the socket"])).stdout).toBe("OK\n");
      const info = (await run(["redis-cli", "-s", path, "CLIENT", "INFO"])).stdout;
      expect(info).toContain(`addr=${path}:0 laddr=${path}:0 `);
      expect(info).toContain(" flags=U ");
      const client = new IORedis({ path, lazyConnect: true });
      try {
        await client.connect();
        expect(await client.get("k")).toBe("over the socket");
      } finally {
        client.disconnect();
      }
      // TCP still serves as before.
      expect((await run(["redis-cli", "-p", String(kvis.port), "GET", "k"])).stdout).toBe("over the socket\n");
      expect((await run(["redis-cli", "-p", String(kvis.port), "CONFIG", "GET", "unixsocket*"])).stdout).toBe(`unixsocket\n${path}\nunixsocketperm\n700\n`);
    } finally {
      await kvis.stop();
    }
    try {
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The accept-queue size of the socket listening at `where` (a port or a socket path), as ss(8) shows it. */
async function backlogOf(where: number | string): Promise<number> {
  const out = typeof where === "number" ? (await run(["ss", "-ltnH", `sport = :${where}`])).stdout : (await run(["ss", "-lxH", `src ${where}`])).stdout;
  const fields = out.trim().split(/\s+/);
  return Number(fields[typeof where === "number" ? 2 : 3]);
}

describe("tcp-backlog", () => {
  test("sizes the accept queue of the TCP and Unix listeners as in Redis, and of those CONFIG SET port opens", async () => {
    const dir = tempDir();
    const path = join(dir, "kvis.sock");
    const kvis = await startKvis({ dir, "tcp-backlog": "37", unixsocket: path });
    const redis = await startRedis(["--tcp-backlog", "37"]);
    try {
      expect(await backlogOf(redis.port)).toBe(37);
      expect(await backlogOf(kvis.port)).toBe(37);
      expect(await backlogOf(path)).toBe(37);
      const port = freePort();
      expect((await run(["redis-cli", "-p", String(kvis.port), "CONFIG", "SET", "port", String(port)])).stdout).toBe("OK\n");
      expect(await backlogOf(port)).toBe(37);
      expect((await run(["redis-cli", "-p", String(port), "CONFIG", "GET", "tcp-backlog"])).stdout).toBe("tcp-backlog\n37\n");
    } finally {
      await kvis.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CONFIG SET port and bind", () => {
  test("listen anew, keep the connections made before, and refuse a port already taken", async () => {
    const kvis = await startKvis();
    const other = await startKvis();
    try {
      const oldPort = String(kvis.port);
      const newPort = String(freePort());
      const client = new IORedis({ port: kvis.port, lazyConnect: true, retryStrategy: () => null });
      try {
        await client.connect();
        // The same value changes nothing; another port is listened on, the old one no longer.
        expect(await client.config("SET", "port", oldPort)).toBe("OK");
        expect(await client.config("SET", "port", newPort)).toBe("OK");
        expect((await run(["redis-cli", "-p", newPort, "PING"])).stdout).toBe("PONG\n");
        expect((await run(["redis-cli", "-p", oldPort, "PING"])).stdout).not.toBe("PONG\n");
        // The connection made before still works.
        expect(await client.ping()).toBe("PONG");
        // A port in use: Redis's error, and nothing changes.
        const taken = await client.config("SET", "port", String(other.port), "maxmemory", "1mb").catch((e: Error) => e.message);
        expect(taken).toStartWith("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port");
        expect(await client.config("GET", "port")).toEqual(["port", newPort]);
        expect(await client.config("GET", "maxmemory")).toEqual(["maxmemory", "0"]);
      } finally {
        client.disconnect();
      }
    } finally {
      await kvis.stop();
      await other.stop();
    }
  });
});

describe("IPv6", () => {
  test("a client over IPv6 is [::1]:port, as Redis names it, in CLIENT INFO and LIST, and CLIENT KILL ADDR takes that form", async () => {
    // Where the system has an IPv6 loopback: both servers listen there too ("-": if they can).
    let v6 = true;
    try {
      Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } }).stop(true);
    } catch {
      v6 = false;
    }
    const [kvis, redis] = await startAll([() => startKvis({ bind: "127.0.0.1 -::1" }), () => startRedis(["--bind", "127.0.0.1", "-::1"])]);
    try {
      for (const server of [kvis, redis]) {
        const admin = await RawClient.connect(server.port);
        if (!v6) {
          await expect(RawClient.connect(server.port, "::1")).rejects.toThrow();
          admin.close();
          continue;
        }
        const six = await RawClient.connect(server.port, "::1");
        const info = await six.call("CLIENT", "INFO");
        const addr = /\baddr=(\S+)/.exec(info)![1]!;
        expect(addr).toMatch(/^\[::1\]:\d+$/);
        expect(info).toContain(` laddr=[::1]:${server.port} `);
        expect(await admin.call("CLIENT", "LIST")).toContain(`addr=${addr} laddr=[::1]:${server.port} `);
        expect(await admin.call("CLIENT", "KILL", "ADDR", addr)).toBe(":1\r\n");
        expect(await admin.call("CLIENT", "KILL", "ADDR", addr)).toBe(":0\r\n");
        six.close();
        admin.close();
      }
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });
});

describe("socket-mark-id", () => {
  test("the listening socket carries the mark (SO_MARK), where the system lets a process set one", async () => {
    const { dlopen, FFIType, ptr } = await import("bun:ffi");
    const libc = dlopen("libc.so.6", {
      getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    });
    // SOL_SOCKET, SO_MARK
    const mark = (fd: number) => {
      const value = new Uint32Array(1);
      const len = new Uint32Array([4]);
      expect(libc.symbols.getsockopt(fd, 1, 36, ptr(value), ptr(len))).toBe(0);
      return value[0];
    };
    const kvis = await startKvis({ "socket-mark-id": "77" });
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const probeFd = (probe as unknown as { fd: number }).fd;
    try {
      // Setting a mark needs CAP_NET_ADMIN: what this process may do, KVIS (in it) may.
      const allowed = libc.symbols.setsockopt(probeFd, 1, 36, ptr(new Uint32Array([77])), 4) === 0;
      const listener = (kvis.server as unknown as { listeners: Array<{ fd: number }> }).listeners[0]!;
      expect(mark(listener.fd)).toBe(allowed ? 77 : 0);
      expect(mark(probeFd)).toBe(allowed ? 77 : 0);
    } finally {
      probe.stop(true);
      libc.close();
      await kvis.stop();
    }
  });
});
