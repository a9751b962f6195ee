/**
 * Libraries that applications put on top of Redis, running their own basic flow against an
 * in-process KVIS: connect-redis (express-session's store, on node-redis) and
 * @socket.io/redis-adapter (rooms across two socket.io servers over pub/sub, on ioredis).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAdapter } from "@socket.io/redis-adapter";
import { RedisStore } from "connect-redis";
import IORedis from "ioredis";
import { createClient } from "redis";
import { Server as SocketServer } from "socket.io";
import { io as connectSocket } from "socket.io-client";
import { freePort, type InProcessKvis, serverTestTimeout, startKvis, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

let kvis: InProcessKvis;
beforeAll(async () => {
  kvis = await startKvis();
});
afterAll(async () => {
  await kvis?.stop();
});

describe("connect-redis", () => {
  test("stores, reads, touches, lists and destroys sessions with their TTL", async () => {
    const client = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false } });
    client.on("error", () => {});
    await client.connect();
    try {
      const store = new RedisStore({ client, prefix: "sess:", ttl: 600 });
      const session = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, user: "ada" } as never;
      await store.set("abc", session);
      expect((await store.get("abc")) as { user: string }).toMatchObject({ user: "ada" });
      const ttl = await client.ttl("sess:abc");
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      await store.set("def", session);
      expect(((await store.ids()) as string[]).sort()).toEqual(["abc", "def"]);
      expect(await store.length()).toBe(2);
      await store.touch("abc", session);
      await store.destroy("abc");
      expect(await store.get("abc")).toBeFalsy();
      await store.clear();
      expect(await store.length()).toBe(0);
    } finally {
      client.destroy();
    }
  });
});

describe("@socket.io/redis-adapter", () => {
  test("a message emitted to a room on one server reaches a client connected to the other", async () => {
    const clients: IORedis[] = [];
    // No reconnecting: a client left retrying after the test would fail later tests.
    const redis = () => {
      const c = new IORedis({ port: kvis.port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => {});
      clients.push(c);
      return c;
    };
    const servers = [0, 1].map(() => new SocketServer({ adapter: createAdapter(redis(), redis()) }));
    for (const s of servers) s.on("connection", (socket) => socket.join("room"));
    const port = freePort();
    servers[0]!.listen(port);
    servers[1]!.listen(freePort());
    const socket = connectSocket(`http://127.0.0.1:${port}`, { transports: ["websocket"], reconnection: false });
    try {
      const received = new Promise<string>((resolve) => socket.on("news", resolve));
      await waitFor(() => socket.connected, 20_000, "the socket.io client");
      // Both adapters must be subscribed before the emit, or it would reach no one.
      // Both adapters must be listening before the emit (broadcasts go through a pattern
      // subscription; each adapter also subscribes to its request channel).
      await waitFor(async () => ((await clients[0]!.pubsub("NUMSUB", "socket.io-request#/#")) as [string, number])[1] === 2 || undefined, 20_000, "both adapters");
      servers[1]!.to("room").emit("news", "from the other server");
      expect(await received).toBe("from the other server");
      // A request across servers (request and response channels): the remote socket is seen.
      expect((await servers[1]!.fetchSockets()).length).toBe(1);
    } finally {
      socket.close();
      // The adapters unsubscribe as the servers close: let them finish before the clients go.
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(clients.map((c) => c.quit().catch(() => {})));
    }
  }, 20_000);
});
