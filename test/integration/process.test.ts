/**
 * The process as operators run it: Linux OOM scores (oom-score-adj), compared step by step
 * with a real redis-server, the system log (syslog-enabled), and log lines on standard output.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { RawClient } from "../helpers/resp.ts";
import { type ChildServer, ensureBinary, freePort, KVIS_BINARY, serverTestTimeout, startChild, startKvis, startKvisBinary, startRedis, tempDir, waitFor, waitReady } from "../helpers/servers.ts";
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

describe("set-proc-title", () => {
  test("the command line shows proc-title-template as Redis's does; CONFIG SET checks and applies a new one", async () => {
    const seen: Record<string, unknown[]> = {};
    for (const kind of ["kvis", "redis"] as const) {
      const out: unknown[] = (seen[kind] = []);
      const args = ["--bind", "127.0.0.1", "--proc-title-template", "{title} {listen-addr} {server-mode} port={port} tls={tls-port} [{unixsocket}]"];
      const server = kind === "kvis" ? await startKvisBinary(args) : await startRedis(args);
      // The title as ps shows it (the program as started, then the rest), the port made neutral.
      const title = () => {
        // Up to the first NUL: Redis leaves bytes of longer titles after it.
        const words = readFileSync(`/proc/${server.proc.pid}/cmdline`, "latin1").split("\0")[0]!.split(" ");
        return [words[0]!.split("/").at(-1) === (kind === "kvis" ? "kvis" : "redis-server"), ...words.slice(1)].join(" ").replaceAll(String(server.port), "PORT");
      };
      const c = await RawClient.connect(server.port);
      try {
        out.push(title());
        for (const template of ["{title}", "{port", "{nope}", "  {port}  ", "a{{b}}c x}"]) out.push(await c.call("CONFIG", "SET", "proc-title-template", template), title());
        out.push(await c.call("CONFIG", "SET", "set-proc-title", "no"));
      } finally {
        c.close();
        await server.stop();
      }
    }
    expect(seen.kvis).toEqual(seen.redis!);
    expect(seen.kvis![0]).toBe("true 127.0.0.1:PORT  port=PORT tls=0 []");
  });

  test("an invalid template stops start-up, as in Redis", async () => {
    for (const kind of ["kvis", "redis"] as const) {
      const args = ["--proc-title-template", "{unknown}"];
      const failed = kind === "kvis" ? startKvisBinary(args) : startRedis(args);
      expect(await failed.then(() => "started", (e: Error) => e.message)).toContain("template format is invalid or contains unknown variables");
    }
  });
});

describe("server_cpulist", () => {
  test("the server's thread runs on the CPUs listed, as Redis pins its main thread", async () => {
    const last = (await import("node:os")).cpus().length - 1;
    const seen: Record<string, string[]> = {};
    for (const kind of ["kvis", "redis"] as const) {
      seen[kind] = [];
      for (const list of [String(last), `0-${last}:${Math.max(1, last)}`, "not a list"]) {
        const args = ["--server_cpulist", list];
        const server = kind === "kvis" ? await startKvisBinary(args) : await startRedis(args);
        try {
          seen[kind]!.push(/Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "latin1"))![1]!);
        } finally {
          await server.stop();
        }
      }
    }
    expect(seen.kvis).toEqual(seen.redis!);
    expect(seen.kvis![0]).toBe(String(last));
  });
});

describe("bio_cpulist", () => {
  test("the runtime's helper threads go to the CPUs listed, as Redis's background I/O threads go", async () => {
    // A thread's CPUs; undefined for one that ended since the listing (the runtime ends idle helpers).
    const allowed = (pid: number | "self", tid: string): string | undefined => {
      try {
        return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "latin1"))![1]!;
      } catch {
        return undefined;
      }
    };
    // The server's own thread keeps the CPUs it started with: this process's.
    const all = allowed("self", String(process.pid));
    for (const kind of ["kvis", "redis"] as const) {
      const args = ["--bio_cpulist", "0"];
      const server = kind === "kvis" ? await startKvisBinary(args) : await startRedis(args);
      try {
        const pid = server.proc.pid;
        const c = await RawClient.connect(server.port);
        try {
          // Work for the runtime's helpers (the JIT's, the collector's): threads that start
          // now are moved as the cron finds them.
          for (let i = 0; i < 20; i++) {
            c.write(Array.from({ length: 500 }, (_, j) => `SET k${j} ${"v".repeat(j + 1)}\r\n`).join(""));
            expect(new Set(await c.readReplies(500))).toEqual(new Set(["+OK\r\n"]));
          }
          const threads = await waitFor(() => {
            // Redis's are its bio_* threads (it leaves jemalloc's own alone); KVIS's, all of them.
            const others = readdirSync(`/proc/${pid}/task`).filter((tid) => Number(tid) !== pid && (kind === "kvis" || readFileSync(`/proc/${pid}/task/${tid}/comm`, "latin1").startsWith("bio_")));
            return others.length > 0 && others.every((tid) => (allowed(pid, tid) ?? "0") === "0") ? others : undefined;
          }, 10_000, `${kind}'s threads on CPU 0`);
          expect(threads.length).toBeGreaterThan(0);
          expect(allowed(pid, String(pid))).toBe(all);
          expect(await c.call("CONFIG", "GET", "bio_cpulist")).toBe("*2\r\n$11\r\nbio_cpulist\r\n$1\r\n0\r\n");
        } finally {
          c.close();
        }
      } finally {
        await server.stop();
      }
    }
  });
});

describe("supervised", () => {
  /** A server of `kind` started with `args` and $NOTIFY_SOCKET set to `socket` (none: unset). */
  function startSupervised(kind: "kvis" | "redis", args: string[], socket: string | undefined): Promise<ChildServer> {
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    delete env.NOTIFY_SOCKET;
    if (socket !== undefined) env.NOTIFY_SOCKET = socket;
    const dir = tempDir();
    const port = freePort();
    const base = ["--port", String(port), "--dir", dir, "--save", "", "--repl-diskless-sync-delay", "0", ...args];
    const cmd = kind === "kvis" ? [KVIS_BINARY, ...base] : ["redis-server", "--bind", "127.0.0.1", ...base];
    return startChild(cmd, port, { dir, ownDir: true, env });
  }

  test("systemd is told loading, ready, a replica's syncs and stopping, as Redis tells it (Debian's unit is Type=notify)", async () => {
    await ensureBinary();
    const seen: Record<string, unknown[]> = {};
    for (const kind of ["kvis", "redis"] as const) {
      const dir = tempDir();
      const sinks = [new DatagramSink(join(dir, "master.sock")), new DatagramSink(join(dir, "replica.sock"))];
      const servers: ChildServer[] = [];
      try {
        // daemonize is ignored under supervision: the process started is the server.
        const master = await startSupervised(kind, ["--supervised", "systemd", "--daemonize", "yes", "--pidfile", join(dir, "m.pid")], join(dir, "master.sock"));
        servers.push(master);
        const replica = await startSupervised(kind, ["--supervised", "auto", "--replicaof", `127.0.0.1 ${master.port}`], join(dir, "replica.sock"));
        servers.push(replica);
        const r = await RawClient.connect(replica.port);
        await waitFor(async () => (await r.call("INFO", "replication")).includes("master_link_status:up") || undefined, 20_000, "the replica's sync");
        const m = await RawClient.connect(master.port);
        // A broken link continues partially.
        await m.call("CLIENT", "KILL", "TYPE", "replica");
        await waitFor(async () => (await m.call("INFO", "stats")).includes("sync_partial_ok:1") || undefined, 20_000, "a partial resync");
        m.close();
        r.write("SHUTDOWN\r\n");
        expect(await replica.proc.exited).toBe(0);
        r.close();
        const lines = (await master.output()) + (await replica.output());
        seen[kind] = [
          ...sinks.map((sink) => sink.take().map((message) => message.replace("KVIS is loading", "Redis is loading"))),
          lines.includes("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."),
        ];
      } finally {
        for (const server of servers) await server.stop();
        for (const sink of sinks) sink.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    expect(seen.kvis).toEqual(seen.redis!);
    expect((seen.kvis![1] as string[]).at(-1)).toBe("STOPPING=1\n");
    // Without a socket to tell, the server starts anyway and says why it could not.
    const alone = await startSupervised("kvis", ["--supervised", "systemd"], undefined);
    try {
      expect(await alone.output()).toContain("systemd supervision error: NOTIFY_SOCKET not found!");
    } finally {
      await alone.stop();
    }
  });
});

describe("log lines on standard output", () => {
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /** A zone's UTC offset in minutes now, as this process's time-zone support knows it. */
  function zoneOffset(zone: string): number {
    const now = new Date();
    const at = (timeZone: string) => new Date(now.toLocaleString("en-US", { timeZone })).getTime();
    return Math.round((at(zone) - at("UTC")) / 60_000);
  }

  /** The UTC offset in minutes the stamp of the server's first log line was written with. */
  async function stampOffset(env: Record<string, string | undefined>): Promise<number> {
    const kvis = await startKvisBinary([], { env: env as Record<string, string> });
    try {
      const line = (await kvis.output()).split("\n")[0]!;
      const m = /^\d+:M (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) \* KVIS version=/.exec(line);
      expect(m).not.toBeNull();
      const [, day, month, year, h, min, s, ms] = m!;
      const asUtc = Date.UTC(Number(year), MONTHS.indexOf(month!), Number(day), Number(h), Number(min), Number(s), Number(ms));
      // Whole minutes between the stamp read as UTC and the moment it was written (seconds ago).
      return Math.round((asUtc - Date.now()) / 60_000) + 0;
    } finally {
      await kvis.stop();
    }
  }

  test("are stamped in local time, whatever the zone (TZ, or /etc/localtime without it)", async () => {
    const { TZ: _, ...noTz } = process.env;
    expect(await stampOffset({ ...noTz, TZ: "Asia/Kolkata" })).toBe(330);
    expect(await stampOffset({ ...noTz, TZ: "America/New_York" })).toBe(zoneOffset("America/New_York"));
    expect(await stampOffset({ ...noTz, TZ: "UTC" })).toBe(0);
    expect(await stampOffset(noTz)).toBe(0 - new Date().getTimezoneOffset());
  });

  test("a server whose standard output's reader went away goes on serving", async () => {
    const dir = tempDir();
    const port = freePort();
    await ensureBinary();
    const proc = Bun.spawn([KVIS_BINARY, "--port", String(port), "--dir", dir, "--enable-debug-command", "yes"], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    try {
      await waitReady(port);
      await proc.stdout.cancel();
      const c = await RawClient.connect(port);
      try {
        for (let i = 0; i < 3; i++) expect(await c.call("DEBUG", "LOG", `line ${i}`)).toBe("+OK\r\n");
        expect(await c.call("PING")).toBe("+PONG\r\n");
      } finally {
        c.close();
      }
      expect(proc.exitCode).toBeNull();
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("start-up with a dump to load", () => {
  const LOADING = "-LOADING Redis is loading the dataset in memory\r\n";

  /**
   * A million keys made by a binary started with `makerArgs` and written by `persist`; a
   * binary then started on them with `args`, connected to as soon as it listens:
   * `whileLoading` runs on that connection (listening only after the load, its first PING
   * would be answered +PONG), then the load's end is awaited and the data read.
   */
  async function loadMillion(
    makerArgs: string[], persist: (m: RawClient) => Promise<void>, args: string[], whileLoading: (c: RawClient, dir: string) => Promise<void>,
  ): Promise<void> {
    const dir = tempDir();
    const maker = await startKvisBinary(["--enable-debug-command", "yes", ...makerArgs], { dir });
    const m = await RawClient.connect(maker.port);
    try {
      expect(await m.call("DEBUG", "POPULATE", "1000000")).toBe("+OK\r\n");
      await persist(m);
    } finally {
      m.close();
      await maker.stop();
    }
    const port = freePort();
    const proc = Bun.spawn([KVIS_BINARY, "--port", String(port), "--dir", dir, "--save", "", ...args], { stdout: "ignore", stderr: "ignore" });
    try {
      let c: RawClient | undefined;
      await waitFor(async () => (c = await RawClient.connect(port).catch(() => undefined)) !== undefined, 20_000, "a connection");
      await whileLoading(c!, dir);
      await waitFor(async () => (await c!.call("PING")) === "+PONG\r\n", 30_000, "the end of the load");
      expect(await c!.call("INFO", "persistence")).not.toContain("loading_total_bytes");
      expect(await c!.call("INFO", "persistence")).toContain("\r\nloading:0\r\n");
      expect(await c!.call("DBSIZE")).toBe(":1000000\r\n");
      expect(await c!.call("GET", "key:999999")).toBe("$12\r\nvalue:999999\r\n");
      c!.close();
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // key-load-delay holds a load (100 µs a key: 100 s for the million, the event loop
  // turning every 16 KB) until the client has seen it, as Redis's own tests hold theirs;
  // then it goes on at full speed.
  const held = ["--key-load-delay", "100", "--loading-process-events-interval-bytes", "16384"];

  test("the port listens before the dump loads; a client connected meanwhile is answered -LOADING, then finds the data", async () => {
    await loadMillion([], async (m) => expect(await m.call("SAVE")).toBe("+OK\r\n"), ["--requirepass", "pw", ...held], async (c, dir) => {
      // As a real redis-server answers while it loads (checked with key-load-delay): NOAUTH
      // before LOADING, AUTH and INFO served, INFO with the loading_* figures at the end.
      expect(await c.call("PING")).toBe("-NOAUTH Authentication required.\r\n");
      expect(await c.call("AUTH", "pw")).toBe("+OK\r\n");
      expect(await c.call("PING")).toBe(LOADING);
      const info = await c.call("INFO", "persistence");
      expect(info).toContain("\r\nloading:1\r\n");
      const size = statSync(join(dir, "dump.rdb")).size;
      expect(info).toMatch(new RegExp(`\r\nloading_start_time:\\d+\r\nloading_total_bytes:${size}\r\nloading_rdb_used_mem:\\d+\r\nloading_loaded_bytes:\\d+\r\nloading_loaded_perc:\\d+\\.\\d\\d\r\nloading_eta_seconds:\\d+\r\n\r\n$`));
      // Loaded keys are not changes (Redis shows 0 while it loads, and after).
      expect(info).toContain("\r\nrdb_changes_since_last_save:0\r\n");
      expect(await c.call("CONFIG", "SET", "key-load-delay", "0")).toBe("+OK\r\n");
    });
  }, 60_000);

  test("an AOF replays in steps as a dump loads: -LOADING meanwhile, its files' size in INFO, then the data", async () => {
    // A base of a million SETs (DEBUG POPULATE is not logged; the rewrite writes them).
    const rewrite = async (m: RawClient) => {
      expect(await m.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
      await waitFor(async () => /aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n/.test(await m.call("INFO", "persistence")), 30_000, "the rewrite");
    };
    await loadMillion(["--appendonly", "yes", "--aof-use-rdb-preamble", "no"], rewrite, ["--appendonly", "yes", ...held], async (c, dir) => {
      expect(await c.call("PING")).toBe(LOADING);
      const aofDir = join(dir, "appendonlydir");
      const files = readFileSync(join(aofDir, "appendonly.aof.manifest"), "latin1").match(/file (\S+)/g)!.map((f) => f.slice(5));
      const info = await c.call("INFO", "persistence");
      expect(info).toContain("\r\nloading:1\r\n");
      expect(info).toContain(`\r\nloading_total_bytes:${files.reduce((n, f) => n + statSync(join(aofDir, f)).size, 0)}\r\n`);
      expect(info).toContain("\r\nrdb_changes_since_last_save:0\r\n");
      expect(await c.call("CONFIG", "SET", "key-load-delay", "0")).toBe("+OK\r\n");
    });
  }, 90_000);

  test("while the dataset loads, commands without the loading flag are answered -LOADING and INFO says loading:1", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    try {
      kvis.server.loadingDataset = true;
      for (const cmd of [["PING"], ["GET", "k"], ["SET", "k", "v"]]) expect(await c.call(...cmd)).toBe("-LOADING Redis is loading the dataset in memory\r\n");
      expect(await c.call("INFO", "persistence")).toContain("\r\nloading:1\r\n");
      expect(await c.call("MULTI")).toBe("+OK\r\n");
      expect(await c.call("DISCARD")).toBe("+OK\r\n");
      // CONFIG SET is served, but not of the two parameters Redis 7.0 refuses while it loads
      // (checked by setting every parameter of a loading redis-server to its own value; `dir`
      // is refused too, but as a protected config first).
      expect(await c.call("CONFIG", "SET", "maxmemory", "10mb")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "SET", "appendonly", "yes")).toBe(LOADING);
      expect(await c.call("CONFIG", "SET", "maxmemory", "0", "repl-diskless-load", "disabled")).toBe(LOADING);
      expect(await c.call("CONFIG", "GET", "appendonly")).toBe("*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
      // SHUTDOWN (allowed while loading) saves nothing then, SAVE or not: half a dataset would replace the dump.
      expect(kvis.server.finalSave(true)).toBe(true);
      expect(existsSync(join(kvis.dir, "dump.rdb"))).toBe(false);
      kvis.server.loadingDataset = false;
      expect(await c.call("PING")).toBe("+PONG\r\n");
      expect(await c.call("INFO", "persistence")).toContain("\r\nloading:0\r\n");
    } finally {
      c.close();
      await kvis.stop();
    }
  });
});
