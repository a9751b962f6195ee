/**
 * The process as operators run it: Linux OOM scores (oom-score-adj), compared step by step
 * with a real redis-server, and the system log (syslog-enabled).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, serverTestTimeout, startKvisBinary, startRedis, tempDir, waitFor } from "../helpers/servers.ts";
import { DatagramSink } from "../helpers/syslog.ts";
import { join } from "node:path";
import { rmSync } from "node:fs";

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

describe("syslog-enabled", () => {
  test("log lines also go to the system log's socket, with the ident, facility and level asked for", async () => {
    const dir = tempDir();
    const path = join(dir, "log.sock");
    const sink = new DatagramSink(path);
    const env = { ...process.env, KVIS_SYSLOG_SOCKET: path };
    const kvis = await startKvisBinary(["--syslog-enabled", "yes", "--syslog-ident", "mykvis", "--syslog-facility", "local3"], { env });
    try {
      const lines: string[] = [];
      await waitFor(() => (lines.push(...sink.take()), lines.some((l) => l.includes("Ready to accept connections")) || undefined), 20_000, "the start-up lines");
      // local3 (19) * 8 + notice (5) = 157.
      const pid = kvis.proc.pid;
      expect(lines.find((l) => l.includes("Ready to accept connections"))).toMatch(new RegExp(`^<157>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d mykvis\\[${pid}\\]: Ready to accept connections tcp `));
      // A warning (SHUTDOWN's) is <156>: local3 * 8 + warning (4).
      const c = await RawClient.connect(kvis.port);
      c.write("SHUTDOWN NOSAVE\r\n");
      expect(await kvis.proc.exited).toBe(0);
      c.close();
      lines.push(...sink.take());
      expect(lines.find((l) => l.includes("User requested shutdown"))).toStartWith("<156>");
      // The same lines reach the log file (standard output here) as before.
      expect(await kvis.output()).toContain("Ready to accept connections");
    } finally {
      await kvis.stop();
      sink.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
