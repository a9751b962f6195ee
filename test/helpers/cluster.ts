/**
 * Redis Cluster scenes with real processes: KVIS (the compiled binary) and redis-server
 * nodes with cluster-enabled yes, each on a free port with a free bus port, joined by
 * redis-cli --cluster as users join them. A scene waits for states (every node agreeing,
 * cluster_state:ok), never for time.
 */
import { RawClient } from "./resp.ts";
import { type ChildServer, KVIS_BINARY, ensureBinary, freePort, run, startChild, tempDir, waitFor } from "./servers.ts";

export type NodeKind = "kvis" | "redis";

export interface ClusterNodeProcess extends ChildServer {
  kind: NodeKind;
  cport: number;
  /** Start it again on the same ports and folder (nodes.conf and data kept), after stop(). */
  restart(): Promise<ClusterNodeProcess>;
}

/** cluster-node-timeout for the scenes: failures are detected in about a second. */
export const NODE_TIMEOUT = 1000;

/** A cluster-enabled node of either kind; `dir` and ports are kept across restarts. */
export async function startClusterNode(kind: NodeKind, at?: { port: number; cport: number; dir: string }, extra: string[] = []): Promise<ClusterNodeProcess> {
  if (kind === "kvis") await ensureBinary();
  const port = at?.port ?? freePort();
  const cport = at?.cport ?? freePort();
  const dir = at?.dir ?? tempDir(`${kind}-cluster-`);
  const args = ["--port", String(port), "--cluster-enabled", "yes", "--cluster-port", String(cport), "--cluster-node-timeout", String(NODE_TIMEOUT), "--dir", dir, "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0", ...extra];
  const cmd = kind === "kvis" ? [KVIS_BINARY, ...args] : ["redis-server", "--bind", "127.0.0.1", ...args];
  const child = await startChild(cmd, port, { dir });
  return { ...child, kind, cport, restart: () => startClusterNode(kind, { port, cport, dir }, extra) };
}

/** A request to one node, on a connection of its own. */
export async function call(port: number, ...args: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** The text of a verbatim or bulk reply (CLUSTER NODES, INFO). */
export function text(reply: string): string {
  return reply.split("\r\n").slice(1, -1).join("\n").replace(/^txt:/, "");
}

export interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  master: string;
  slots: string[];
}

/** CLUSTER NODES as seen by the node on `port`. */
export async function clusterNodes(port: number): Promise<NodeLine[]> {
  return text(await call(port, "CLUSTER", "NODES")).split("\n").filter(Boolean).map((line) => {
    const f = line.split(" ");
    return { id: f[0]!, port: Number(f[1]!.split("@")[0]!.split(":")[1]), flags: f[2]!.split(","), master: f[3]!, slots: f.slice(8) };
  });
}

/** redis-cli --cluster <args>; fails loudly with its output when it fails. */
export async function clusterTool(...args: string[]): Promise<string> {
  const out = await run(["redis-cli", "--cluster", ...args]);
  const all = out.stdout + out.stderr;
  if (out.code !== 0) throw new Error(`redis-cli --cluster ${args.join(" ")} failed (${out.code}):\n${all}`);
  return all;
}

/** Whether redis-cli --cluster check finds every node agreeing, no open slot and all slots covered. */
export async function clusterAgrees(port: number): Promise<boolean> {
  const out = await run(["redis-cli", "--cluster", "check", `127.0.0.1:${port}`]);
  const all = out.stdout + out.stderr;
  return out.code === 0 && all.includes("[OK] All nodes agree about slots configuration.") && all.includes("[OK] All 16384 slots covered.") && !all.includes("[WARNING]");
}

/** Wait until every node reports cluster_state:ok and knows `known` nodes. */
export async function waitClusterOk(nodes: readonly { port: number }[], known = nodes.length): Promise<void> {
  await waitFor(async () => {
    for (const n of nodes) {
      const info = text(await call(n.port, "CLUSTER", "INFO"));
      if (!info.includes("cluster_state:ok") || !info.includes(`cluster_known_nodes:${known}`)) return false;
    }
    return true;
  }, 30_000, "every node to report cluster_state:ok");
}

/** redis-cli --cluster create of these nodes (the first masters, as redis-cli picks them), then wait until it works. */
export async function createCluster(nodes: readonly ClusterNodeProcess[], replicas: number): Promise<void> {
  await clusterTool("create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", String(replicas), "--cluster-yes");
  await waitFor(() => clusterAgrees(nodes[0]!.port), 30_000, "redis-cli --cluster check to pass");
  await waitClusterOk(nodes);
  // Each node learns that another became a replica from that replica's next PING.
  const replicaCount = nodes.length - Math.floor(nodes.length / (replicas + 1));
  await waitFor(async () => {
    for (const n of nodes) if ((await clusterNodes(n.port)).filter((l) => l.flags.includes("slave")).length !== replicaCount) return false;
    return true;
  }, 30_000, "every node to know every replica");
}

/** The master serving `slot`, and its replicas, as the node on `port` sees them. */
export async function shardOf(port: number, slot: number): Promise<{ master: NodeLine; replicas: NodeLine[] }> {
  const lines = await clusterNodes(port);
  const master = lines.find((l) => l.flags.includes("master") && l.slots.some((s) => {
    const [a, b] = s.split("-").map(Number);
    return slot >= a! && slot <= (b ?? a!);
  }));
  if (master === undefined) throw new Error(`nobody serves slot ${slot}`);
  return { master, replicas: lines.filter((l) => l.master === master.id) };
}
