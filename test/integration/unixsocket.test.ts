/**
 * unixsocket: KVIS also listens on a Unix socket, as Redis does, for redis-cli -s and
 * clients given a path; its clients show as local ("<path>:0", flag U) and the socket file
 * goes when the server stops.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import IORedis from "ioredis";
import { run, serverTestTimeout, startKvis, tempDir } from "../helpers/servers.ts";

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
