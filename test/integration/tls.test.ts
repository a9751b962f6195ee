/**
 * TLS (tls-port and the tls-* parameters), with the certificates of test/tls/ (made by
 * scripts/gen-test-certs.sh): redis-cli, ioredis, node-redis and Bun's RedisClient over
 * TLS; client certificates required, optional or not asked for; CONFIG SET reading TLS
 * again with Redis's errors; a TLS-only server (port 0); and replication over TLS both
 * ways between KVIS and real Redis. Each outcome is compared with a real redis-server
 * given the same options.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { createClient } from "redis";
import { type ClusterNodeProcess, call, clusterAgrees, clusterNodes, clusterTool, startClusterNode, waitClusterOk } from "../helpers/cluster.ts";
import { type ChildServer, freePort, ROOT, run, serverTestTimeout, startChild, startKvisBinary, startRedis, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const CERTS = join(ROOT, "test", "tls");
const pem = (name: string) => join(CERTS, name);
const read = (name: string) => readFileSync(pem(name), "latin1");

/** The server side of TLS, as both servers take it. */
const SERVER_TLS = ["--tls-cert-file", pem("server.crt"), "--tls-key-file", pem("server.key"), "--tls-ca-cert-file", pem("ca.crt")];

type Kind = "kvis" | "redis";

/** A server of `kind` with TLS on a port of its own (its plain port as `port` asks: 0 is none). */
async function startTls(kind: Kind, args: string[] = [], plain = true): Promise<ChildServer & { tlsPort: number }> {
  const tlsPort = freePort();
  const all = ["--tls-port", String(tlsPort), ...SERVER_TLS, "--repl-diskless-sync-delay", "0", ...args];
  if (plain) {
    const server = kind === "kvis" ? await startKvisBinary(all) : await startRedis(all);
    return Object.assign(server, { tlsPort });
  }
  // TLS only: readiness is asked over TLS.
  const dir = tempDir();
  const cmd = kind === "kvis" ? [join(ROOT, "kvis"), "--dir", dir] : ["redis-server", "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
  const server = await startChild([...cmd, "--port", "0", ...all], tlsPort, { dir, ownDir: true, ready: async (p) => (await cli(p, ["PING"])).out === "PONG" });
  return Object.assign(server, { tlsPort });
}

/** redis-cli over TLS with the client certificate (or `cert`: another, or none). */
async function cli(port: number, args: string[], cert: "client" | "other" | "none" = "client"): Promise<{ ok: boolean; out: string }> {
  const certArgs = cert === "none" ? [] : ["--cert", pem(`${cert}.crt`), "--key", pem(`${cert}.key`)];
  const done = await run(["redis-cli", "-p", String(port), "--tls", "--cacert", pem("ca.crt"), ...certArgs, ...args]);
  const out = done.stdout.trim();
  // A refused handshake leaves redis-cli with no reply (or an error of its own) and exit code 1.
  return { ok: done.code === 0 && out !== "" && !out.startsWith("Error:") && !out.startsWith("Could not connect"), out };
}

describe("TLS", () => {
  test("client certificates required, optional or not asked for, and CONFIG SET of TLS answered as Redis answers it", async () => {
    const seen: Record<Kind, unknown[]> = { kvis: [], redis: [] };
    for (const kind of ["kvis", "redis"] as const) {
      const server = await startTls(kind);
      const out = seen[kind];
      try {
        const p = server.tlsPort;
        for (const cert of ["client", "none", "other"] as const) out.push(`yes ${cert}`, (await cli(p, ["PING"], cert)).ok);
        out.push(await cli(p, ["CONFIG", "SET", "tls-auth-clients", "optional"]));
        for (const cert of ["client", "none", "other"] as const) out.push(`optional ${cert}`, (await cli(p, ["PING"], cert)).ok);
        out.push(await cli(p, ["CONFIG", "SET", "tls-auth-clients", "no"]));
        for (const cert of ["client", "none", "other"] as const) out.push(`no ${cert}`, (await cli(p, ["PING"], cert)).ok);
        out.push(await cli(p, ["CONFIG", "SET", "tls-auth-clients", "yes"]));
        for (const [name, value] of [["tls-cert-file", "/nonexistent"], ["tls-protocols", "TLSv1.9"], ["tls-ca-cert-file", ""], ["tls-key-file", ""]]) {
          out.push(await cli(p, ["CONFIG", "SET", name!, value!]));
        }
        // A certificate and its key set at once, read together; the old port keeps serving.
        out.push(await cli(p, ["CONFIG", "SET", "tls-cert-file", pem("server.crt"), "tls-key-file", pem("server.key"), "tls-protocols", "TLSv1.2 TLSv1.3"]));
        out.push(await cli(p, ["SET", "k", "v"]), await cli(p, ["CONFIG", "GET", "tls-protocols"]));
        // The plain port is still plain.
        const plain = await run(["redis-cli", "-p", String(server.port), "GET", "k"]);
        out.push(plain.stdout);
      } finally {
        await server.stop();
      }
    }
    expect(seen.kvis).toEqual(seen.redis);
    expect(seen.kvis.slice(0, 6)).toEqual(["yes client", true, "yes none", false, "yes other", false]);
    expect(seen.kvis).toContainEqual({ ok: true, out: "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs." });
  });

  test("handshakes that fail or are refused are logged in Redis's words: plain text, HTTP, no certificate, a certificate not vouched for", async () => {
    const seen: Record<Kind, string[]> = { kvis: [], redis: [] };
    for (const kind of ["kvis", "redis"] as const) {
      const server = await startTls(kind);
      try {
        const p = server.tlsPort;
        const raw = (text: string) =>
          new Promise<void>((resolve) => {
            void Bun.connect({ hostname: "127.0.0.1", port: p, socket: { open: (s) => void s.write(text), data() {}, close: () => resolve(), error: () => resolve(), connectError: () => resolve() } });
          });
        await raw("*1\r\n$4\r\nPING\r\n");
        await raw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        expect((await cli(p, ["PING"], "none")).ok).toBe(false);
        expect((await cli(p, ["PING"], "other")).ok).toBe(false);
        // Redis adds the connection (" (conn: fd=8)") to a failed handshake's line or not, as
        // the failure is met on accepting or on a later read: that part is not compared.
        const lines = async () => (await server.output()).split("\n").filter((l) => l.includes("Error accepting a client connection")).map((l) => l.replace(/^.*? # /, "").replace(/ \(conn: fd=\d+\)/, "").trim());
        await waitFor(async () => (await lines()).length >= 4, 10_000, `${kind}'s four log lines`);
        seen[kind] = await lines();
      } finally {
        await server.stop();
      }
    }
    expect(seen.redis).toEqual([
      "Error accepting a client connection: error:0A00010B:SSL routines::wrong version number",
      "Error accepting a client connection: error:0A00009C:SSL routines::http request",
      "Error accepting a client connection: error:0A0000C7:SSL routines::peer did not return a certificate",
      "Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed",
    ]);
    expect(seen.kvis).toEqual(seen.redis);
  });

  test("ioredis, node-redis and Bun's RedisClient talk to a TLS-only server (port 0)", async () => {
    const server = await startTls("kvis", [], false);
    const [ca, cert, key] = [read("ca.crt"), read("client.crt"), read("client.key")];
    const io = new Redis({ host: "127.0.0.1", port: server.tlsPort, tls: { ca, cert, key }, lazyConnect: true });
    const nr = createClient({ socket: { host: "127.0.0.1", port: server.tlsPort, tls: true, ca, cert, key } });
    const bun = new Bun.RedisClient(`rediss://127.0.0.1:${server.tlsPort}`, { tls: { ca, cert, key } });
    try {
      await io.connect();
      expect(await io.set("k", "from ioredis")).toBe("OK");
      await nr.connect();
      expect(await nr.get("k")).toBe("from ioredis");
      expect(await nr.hSet("h", { a: "1" })).toBe(1);
      expect(await bun.hget("h", "a")).toBe("1");
      // No plain TCP port: CONFIG GET port says 0 and only the Unix socket or TLS is served.
      expect(await io.config("GET", "port")).toEqual(["port", "0"]);
    } finally {
      io.disconnect();
      if (nr.isOpen) await nr.quit();
      bun.close();
      await server.stop();
    }
  });

  test("replication over TLS: a KVIS replica of a Redis master and a Redis replica of a KVIS master", async () => {
    for (const [masterKind, replicaKind] of [["redis", "kvis"], ["kvis", "redis"]] as const) {
      const master = await startTls(masterKind, [], false);
      let replica: (ChildServer & { tlsPort: number }) | undefined;
      try {
        await cli(master.tlsPort, ["SET", "before", "1"]);
        replica = await startTls(replicaKind, ["--tls-replication", "yes", "--replicaof", `127.0.0.1 ${master.tlsPort}`]);
        const r = replica;
        await waitFor(async () => (await cli(r.tlsPort, ["INFO", "replication"])).out.includes("master_link_status:up") || undefined, 20_000, `the ${replicaKind} replica's TLS link`);
        await cli(master.tlsPort, ["SET", "after", "2"]);
        await waitFor(async () => (await cli(r.tlsPort, ["GET", "after"])).out === "2" || undefined, 20_000, "the stream over TLS");
        expect((await cli(r.tlsPort, ["MGET", "before", "after"])).out).toBe("1\n2");
      } finally {
        await replica?.stop();
        await master.stop();
      }
    }
  });

  test("a cluster of KVIS and Redis nodes over TLS (tls-cluster): TLS clients are told TLS ports, plain clients plain ones", async () => {
    const tlsPorts: number[] = [];
    const nodes: ClusterNodeProcess[] = [];
    try {
      for (const kind of ["kvis", "redis", "kvis", "redis", "kvis", "redis"] as const) {
        const tlsPort = freePort();
        nodes.push(await startClusterNode(kind, undefined, ["--tls-port", String(tlsPort), ...SERVER_TLS, "--tls-cluster", "yes", "--tls-replication", "yes"]));
        tlsPorts.push(tlsPort);
      }
      const tlsCli = ["--tls", "--cacert", pem("ca.crt"), "--cert", pem("client.crt"), "--key", pem("client.key")];
      // Created over TLS, as a TLS cluster's nodes know one another by their TLS ports.
      await clusterTool("create", ...tlsPorts.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes", ...tlsCli);
      // A plain client (redis-cli --cluster check here) is shown the plain ports, and they work.
      await waitFor(() => clusterAgrees(nodes[0]!.port), 30_000, "redis-cli --cluster check over the plain ports");
      await waitClusterOk(nodes);
      const plainPorts = nodes.map((n) => n.port).sort();
      await waitFor(async () => {
        for (const n of nodes) if ((await clusterNodes(n.port)).filter((l) => l.flags.includes("slave")).length !== 3) return false;
        return true;
      }, 30_000, "every node to know every replica");
      // Each node learns another's plain port from its first PING or PONG.
      const views = async () => Promise.all(nodes.map(async (n) => (await clusterNodes(n.port)).map((l) => l.port).sort().join()));
      await waitFor(async () => (await views()).every((v) => v === plainPorts.join()) || undefined, 20_000, "every node to know every plain port").catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${JSON.stringify(await views())} for ${plainPorts.join()} (TLS ${tlsPorts.join()})`);
      });
      // Over TLS, every port in CLUSTER SLOTS is a TLS port, on either kind of node.
      for (const p of [tlsPorts[0]!, tlsPorts[1]!]) {
        const slots = (await cli(p, ["CLUSTER", "SLOTS"])).out.split("\n").map(Number).filter((v) => tlsPorts.includes(v) || plainPorts.includes(v));
        // The masters at least (a replica is listed once it has an offset, as in Redis).
        expect(slots.length).toBeGreaterThanOrEqual(3);
        expect(slots.every((v) => tlsPorts.includes(v))).toBe(true);
      }
      // Writes redirected over TLS, read back through the plain ports (MOVED names plain ones there).
      for (const key of ["a", "b", "c", "d", "e", "f"]) expect((await run(["redis-cli", "-c", "-p", String(tlsPorts[0]), ...tlsCli, "SET", key, `v-${key}`])).stdout).toBe("OK\n");
      for (const key of ["a", "b", "c", "d", "e", "f"]) expect((await run(["redis-cli", "-c", "-p", String(nodes[1]!.port), "GET", key])).stdout).toBe(`v-${key}\n`);
      expect(await call(nodes[0]!.port, "CONFIG", "GET", "tls-cluster")).toBe("*2\r\n$11\r\ntls-cluster\r\n$3\r\nyes\r\n");
    } finally {
      for (const n of nodes) await n.stop();
    }
  }, 90_000);
});
