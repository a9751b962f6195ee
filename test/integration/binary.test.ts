/**
 * The compiled ./kvis as users run it: CLI options and errors, a config file, signals,
 * running with no Bun and no node_modules around it, and start-up from RDB files written
 * by a real redis-server (and refusal of corrupt ones, which are left untouched).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient } from "../helpers/resp.ts";
import { ensureBinary, freePort, KVIS_BINARY, ROOT, run, serverTestTimeout, startAll, startChild, startKvisBinary, startRedis, tempDir, waitFor, waitReady } from "../helpers/servers.ts";

serverTestTimeout();

beforeAll(() => ensureBinary());

describe("command line", () => {
  test("--help lists every option with its default; --version prints the version", async () => {
    const help = await run([KVIS_BINARY, "--help"]);
    expect(help.code).toBe(0);
    for (const option of ["--port", "--bind", "--dir", "--dbfilename", "--requirepass", "--loglevel", "--logfile"]) {
      expect(help.stdout).toContain(option);
    }
    // citty colours its output; compare the text without the escape codes.
    expect(Bun.stripANSI(help.stdout)).toContain("--port=<n>    TCP port to listen on (0: none, as for a server reached by TLS or the Unix socket alone) (Default: 6379)");
    const version = await run([KVIS_BINARY, "--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  test("a busy port ends start-up with one line and exit code 1", async () => {
    const first = await startKvisBinary();
    try {
      const busy = await run([KVIS_BINARY, "--port", String(first.port), "--dir", first.dir]);
      expect(busy.code).toBe(1);
      expect(busy.stderr.trim().split("\n").length).toBe(1);
      expect(busy.stderr).toContain("Address already in use");
    } finally {
      await first.stop();
    }
  });

  test("a bad configuration ends start-up exactly as it ends redis-server's: the FATAL CONFIG FILE ERROR block, or the log line", async () => {
    const dir = tempDir();
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), Buffer.from(text, "latin1"));
      return join(dir, name);
    };
    // A case that started after all would listen on this port rather than Redis's 6379.
    const conf = (text: string) => file(`c${freePort()}.conf`, `port ${freePort()}\n${text}`);
    mkdirSync(join(dir, "conf.d"));
    file("conf.d/a.conf", "hz 12\n");
    file("conf.d/b.conf", "hz x\n");
    file("conf.d/.hidden.conf", "port nope\n");
    file("inc.conf", "hz 11\nport nope\n");
    const ok = file("ok.conf", "bind 127.0.0.1\nhz 10\n");
    const cases: Array<{ args: string[]; stdin?: string }> = [
      { args: ["--port", "abc"] },
      { args: ["--nosuch", "1"] },
      { args: ["--port", "0", "extra"] },
      { args: [ok, "--maxmemory", "10x"] },
      // A config file comes first: after an option it is one of the option's arguments.
      { args: [ok, "--port", "0", "--dir", "data", "kvis.conf"] },
      { args: ["--requirepass", "--looks-like-an-option", "--save", "--hz", "x"] },
      { args: ["--save", "--port", "x"] },
      { args: ["-", "--port", "abc"], stdin: "hz 10\nmaxclients 5\n" },
      { args: [ok, "-"], stdin: "hz 10\nmaxclients 0\n" },
      { args: ["/nonexistent-dir/kvis.conf"] },
      ...[
        'port "7001', "port", "port 1 2", "save 1", "save 1 2 3 4 x y", 'save "900 1 300"', "maxmemory-policy nosuch",
        "appendfsync nope", "loglevel loud", "dbfilename a/b", "requirepass", "requirepass a b", "requirepass caf\xe9 au lait",
        "replicaof a b c", "slaveof 127.0.0.1", "replicaof a 99999", "replicaof a x", "replicaof no one\nhz x",
        "notify-keyspace-events Q", "enable-debug-command maybe", "oom-score-adj-values 1 2", "latency-tracking-info-percentiles 50 abc",
        "unixsocketperm 999", "hz -1", "maxclients 0", "client-output-buffer-limit normal 0 0", "list-max-ziplist-value 5 6",
        "list-max-ziplist-entries 5\nlist-max-ziplist-value 6\nlua-replicate-commands yes\nhz x", "sentinel foo",
        "rename-command nosuch foo", "rename-command get set", 'rename-command get ""\nrename-command get foo', 'rename-command "" x',
        "rename-command get", "rename-command get foo\nrename-command set get\nrename-command foo set\nrename-command set x\nrename-command foo y",
        "rename-command get foo\nrename-command set get\nrename-command foo set\nrename-command x set",
        "user", "user bob on >p badrule", "user bob on >p +nosuch foo", "user bob on >p +get\nuser bob off",
        "include", "include a b", `include ${dir}/inc.conf`, `include ${dir}/conf.d/*.conf`, `include ${dir}/none*.conf\nhz x`,
        `include ${dir}/conf.d/[!b].conf\nhz y`, `include ${dir}/nonexistent.conf`, "nosuch-directive",
        "logfile /nonexistent-dir/kvis.log", "cluster-enabled yes\nreplicaof 127.0.0.1 1",
      ].map((text) => ({ args: [conf(text)] })),
    ];
    const runBoth = async (c: { args: string[]; stdin?: string }) =>
      Promise.all([KVIS_BINARY, "redis-server"].map(async (bin) => {
        const proc = Bun.spawn([bin, ...c.args], { cwd: dir, stdin: c.stdin === undefined ? "ignore" : new TextEncoder().encode(c.stdin), stdout: "pipe", stderr: "pipe" });
        const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).bytes(), proc.exited]);
        // Log lines carry the pid and the time.
        const out = Buffer.from(stdout).toString("latin1").replace(/^\d+:C \d\d \w{3} \d{4} [\d:.]+ /gm, "PID:C TIME ");
        return { args: c.args, code, stdout: out, stderr: Buffer.from(stderr).toString("latin1") };
      }));
    try {
      for (const c of cases) {
        const [kvis, redis] = await runBoth(c);
        expect(kvis).toEqual(redis);
        expect(kvis.code).toBe(1);
      }
      // Redis 7.0.15 fails an assertion on a subcommand's name (config.c:543, exit code 139).
      const sub = await runBoth({ args: [conf("rename-command config|get foo")] });
      expect(sub[0].stderr).toContain(">>> 'rename-command config|get foo'\nNo such command in rename-command\n");
      expect([sub[0].code, sub[1].code]).toEqual([1, 139]);
      // Read, then refused as the server starts: the same warnings, and exit code 1. An
      // empty bind listens nowhere; the users' rules name an unknown command; a module's
      // parameter comes with no module.
      const warnings = (out: string) => out.split("\n").filter((line) => / # (Error loading ACL|Critical error|Configured to not|Module Configuration)/.test(line)).map((line) => line.replace(/^.*? # /, ""));
      for (const [text, told] of [
        ["bind", ["Configured to not listen anywhere, exiting."]],
        ["a.b 1", ["Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting"]],
        ["user bob on >p +nosuch", ["Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL", "Critical error while loading ACLs. Exiting."]],
      ] as const) {
        const [kvis, redis] = await runBoth({ args: [conf(text)] });
        expect(warnings(kvis.stdout)).toEqual([...told]);
        expect(warnings(kvis.stdout)).toEqual(warnings(redis.stdout));
        expect([kvis.code, redis.code]).toEqual([1, 1]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("include reads files in place (a pattern: every file it matches, in order), rename-command follows earlier renames, and old directives pass, as in redis-server", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "conf.d"));
    writeFileSync(join(dir, "conf.d", "10-a.conf"), "hz 12\nmaxmemory-policy allkeys-lru\n");
    writeFileSync(join(dir, "conf.d", "20-b.conf"), "hz 13\n");
    writeFileSync(join(dir, "conf.d", ".hidden.conf"), "hz 99\n");
    writeFileSync(join(dir, "more.conf"), "maxmemory-samples 7\n");
    const text = [
      "hz 5", `include ${dir}/conf.d/*.conf`, "include more.conf", "maxmemory-samples 8", "include more.conf",
      "list-max-ziplist-entries 5", "list-max-ziplist-value 6", "lua-replicate-commands yes",
      "rename-command get foo", "rename-command set get", "rename-command foo set", "replicaof no one", "unixsocketperm 0",
    ].join("\n");
    writeFileSync(join(dir, "main.conf"), text);
    const [kPort, rPort] = [freePort(), freePort()];
    const [kvis, redis] = await Promise.all([
      startChild([KVIS_BINARY, join(dir, "main.conf"), "--port", String(kPort), "--dir", dir, "--save", ""], kPort, { dir, ownDir: false }),
      startChild(["redis-server", join(dir, "main.conf"), "--port", String(rPort), "--dir", dir, "--save", ""], rPort, { dir, ownDir: false }),
    ]);
    try {
      const [k, r] = await Promise.all([RawClient.connect(kvis.port), RawClient.connect(redis.port)]);
      for (const name of ["hz", "maxmemory-policy", "maxmemory-samples", "replicaof", "unixsocketperm"]) expect(await k.call("CONFIG", "GET", name)).toBe(await r.call("CONFIG", "GET", name));
      expect(await k.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n13\r\n");
      expect(await k.call("CONFIG", "GET", "maxmemory-samples")).toBe("*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n7\r\n");
      // SET answers as GET now, and GET as SET.
      for (const args of [["GET", "k", "v"], ["SET", "k"], ["SET", "k", "v"], ["FOO", "k"]]) expect(await k.call(...args)).toBe(await r.call(...args));
      expect(await k.call("SET", "k")).toBe("$1\r\nv\r\n");
      k.close();
      r.close();
    } finally {
      await Promise.all([kvis.stop(), redis.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("relative log, pid and ACL files are in dir, and follow CONFIG SET dir, as after redis-server's chdir; the config file stays where it was", async () => {
    // One server after the other: a failure in one never leaves the other running.
    const layouts: Array<Record<string, string[]>> = [];
    for (const bin of [KVIS_BINARY, "redis-server"]) {
      const root = tempDir();
      for (const sub of ["data", "other"]) mkdirSync(join(root, sub));
      writeFileSync(join(root, "data", "users.acl"), "");
      writeFileSync(join(root, "main.conf"), "hz 11\n");
      const port = freePort();
      const args = ["main.conf", "--port", String(port), "--dir", join(root, "data"), "--logfile", "rel.log", "--pidfile", "rel.pid", "--aclfile", "users.acl", "--save", "", "--enable-protected-configs", "yes"];
      const server = await startChild([bin, ...args], port, { dir: root, cwd: root, ownDir: true });
      try {
        const c = await RawClient.connect(port);
        expect(await c.call("CONFIG", "SET", "dir", join(root, "other"))).toBe("+OK\r\n");
        expect(await c.call("ACL", "SAVE")).toBe("+OK\r\n");
        // The config file given relative to where the server started is rewritten there.
        expect(await c.call("CONFIG", "REWRITE")).toBe("+OK\r\n");
        c.close();
        const list = (sub: string) => readdirSync(join(root, sub)).filter((f) => /^(rel\.|users|main)/.test(f)).sort();
        layouts.push({ root: list("."), data: list("data"), other: list("other") });
      } finally {
        await server.stop();
      }
    }
    // What is logged after the move goes to a log file of the same name in the new dir, as in Redis.
    expect(layouts[0]).toEqual({ root: ["main.conf"], data: ["rel.log", "rel.pid", "users.acl"], other: ["rel.log", "users.acl"] });
    expect(layouts[0]).toEqual(layouts[1]!);
  });

  test("a redis.conf-style file is read, and command-line flags win over it", async () => {
    const dir = tempDir();
    // The file says port 1; the --port flag the helper passes must win.
    writeFileSync(join(dir, "kvis.conf"), `# a comment\nport 1\nrequirepass "pass word"\nhz 20\ndbfilename other.rdb\n`);
    const server = await startKvisBinary([join(dir, "kvis.conf")], { dir, password: "pass word" });
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("AUTH", "pass word")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
      expect(await c.call("CONFIG", "GET", "dbfilename")).toContain("other.rdb");
      c.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an option takes every argument up to the next --, as redis-server's command line does", async () => {
    const args = ["--replicaof", "127.0.0.1", String(freePort()), "--save", "900", "1", "--save", "300", "10", "--hz 20", "--maxmemory-policy", "allkeys-lru", "--slaveof", "127.0.0.1", "1", "--rename-command", "flushall", ""];
    const [kvis, redis] = await startAll([() => startKvisBinary(args), () => startRedis(args)]);
    try {
      const [k, r] = await Promise.all([RawClient.connect(kvis.port), RawClient.connect(redis.port)]);
      for (const name of ["save", "hz", "maxmemory-policy", "replicaof"]) expect(await k.call("CONFIG", "GET", name)).toBe(await r.call("CONFIG", "GET", name));
      // Directives that are not parameters go on the command line too.
      expect(await k.call("FLUSHALL")).toBe(await r.call("FLUSHALL"));
      expect(await k.call("CONFIG", "GET", "replicaof")).toBe("*2\r\n$9\r\nreplicaof\r\n$11\r\n127.0.0.1 1\r\n");
      k.close();
      r.close();
    } finally {
      await Promise.all([kvis.stop(), redis.stop()]);
    }
    // The command line's save points add to the file's, as its directives follow the file's.
    const dir = tempDir();
    writeFileSync(join(dir, "save.conf"), "save 900 1\n");
    const redisPort = freePort();
    const [kvisFile, redisFile] = await Promise.all([
      startKvisBinary([join(dir, "save.conf"), "--save", "100", "100"]),
      startChild(["redis-server", join(dir, "save.conf"), "--port", String(redisPort), "--dir", dir, "--save", "100", "100"], redisPort, { dir }),
    ]);
    try {
      const [k, r] = await Promise.all([RawClient.connect(kvisFile.port), RawClient.connect(redisFile.port)]);
      expect(await k.call("CONFIG", "GET", "save")).toBe("*2\r\n$4\r\nsave\r\n$13\r\n900 1 100 100\r\n");
      expect(await k.call("CONFIG", "GET", "save")).toBe(await r.call("CONFIG", "GET", "save"));
      k.close();
      r.close();
    } finally {
      await Promise.all([kvisFile.stop(), redisFile.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("`kvis -` reads the config from standard input, and `kvis FILE -` both, as redis-server does", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "kvis.conf"), "hz 20\nmaxmemory-policy allkeys-lru\n");
    try {
      for (const args of [["-"], [join(dir, "kvis.conf"), "-"]]) {
        const port = await freePort();
        // `-` comes first or last, as redis-server takes it.
        const proc = Bun.spawn([KVIS_BINARY, ...args.slice(0, -1), "--dir", dir, "-"], { cwd: dir, stdin: new TextEncoder().encode(`port ${port}\nhz 15\n`), stdout: "ignore", stderr: "ignore" });
        try {
          await waitReady(port, "kvis reading its config from stdin");
          const c = await RawClient.connect(port);
          expect(await c.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n15\r\n");
          expect(await c.call("CONFIG", "GET", "maxmemory-policy")).toContain(args.length === 2 ? "allkeys-lru" : "noeviction");
          c.close();
        } finally {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Debian's stock redis.conf starts it as a daemon (port, dir, pid file and log file changed); the pid file comes and goes", async () => {
    const dir = tempDir();
    const pidfile = join(dir, "kvis.pid");
    const logfile = join(dir, "kvis.log");
    const port = await freePort();
    // The file the redis-server package installs, with what has to change to run beside it.
    const stock = readFileSync("/etc/redis/redis.conf", "latin1")
      .replace(/^port .*$/m, `port ${port}`)
      .replace(/^pidfile .*$/m, `pidfile ${pidfile}`)
      .replace(/^logfile .*$/m, `logfile ${logfile}`)
      .replace(/^dir .*$/m, `dir ${dir}`);
    expect(stock).toMatch(/^daemonize yes$/m);
    writeFileSync(join(dir, "redis.conf"), stock);
    let daemon: number | undefined;
    try {
      // The command returns at once, leaving the server running on its own.
      const launched = await run([KVIS_BINARY, join(dir, "redis.conf")]);
      expect(launched.code).toBe(0);
      await waitReady(port, "the daemon");
      daemon = Number(readFileSync(pidfile, "latin1"));
      // Its own session, no terminal (/proc/<pid>/stat: pid (comm) state ppid pgrp session tty).
      const stat = readFileSync(`/proc/${daemon}/stat`, "latin1").split(") ")[1]!.split(" ");
      expect(Number(stat[3])).toBe(daemon);
      expect(stat[4]).toBe("0");
      const c = await RawClient.connect(port);
      expect(await c.call("CONFIG", "GET", "tcp-backlog")).toBe("*2\r\n$11\r\ntcp-backlog\r\n$3\r\n511\r\n");
      expect(await c.call("CONFIG", "GET", "daemonize")).toBe("*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n");
      c.close();
      process.kill(daemon, "SIGTERM");
      await waitFor(() => !existsSync(pidfile) || undefined, 20_000, "the pid file to go");
      expect(readFileSync(logfile, "latin1")).toContain("Received SIGTERM scheduling shutdown...");
      daemon = undefined;
    } finally {
      if (daemon !== undefined) process.kill(daemon, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("CONFIG REWRITE keeps comments, rewrites directives in place, appends the rest, and survives a restart", async () => {
    const dir = tempDir();
    const file = join(dir, "kvis.conf");
    writeFileSync(file, `# my settings\nhz 20\n\nsave 900 1\nsave 300 10\nloglevel notice\nloglevel verbose\ndbfilename "a b.rdb"\n# end\n`);
    let server = await startKvisBinary([file], { dir });
    try {
      const c = await RawClient.connect(server.port);
      for (const [name, value] of [["hz", "15"], ["slowlog-max-len", "64"], ["save", ""], ["proto-max-bulk-len", "2097152"], ["notify-keyspace-events", "KEA"]]) {
        expect(await c.call("CONFIG", "SET", name!, value!)).toBe("+OK\r\n");
      }
      expect(await c.call("ACL", "SETUSER", "bob", "on", ">pw", "~b:*", "+get")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "REWRITE")).toBe("+OK\r\n");
      c.close();
      const text = readFileSync(file, "latin1");
      const lines = text.split("\n");
      expect(lines.slice(0, 3)).toEqual(["# my settings", "hz 15", ""]);
      expect(text).toContain('save ""\n');
      expect(text).not.toContain("save 300 10");
      expect(lines.filter((l) => l.startsWith("loglevel"))).toEqual(["loglevel verbose"]);
      expect(text).toContain('dbfilename "a b.rdb"\n# end\n');
      const tail = text.slice(text.indexOf("# Generated by CONFIG REWRITE"));
      expect(tail).toContain("slowlog-max-len 64\n");
      expect(tail).toContain("proto-max-bulk-len 2mb\n");
      expect(tail).toContain(`dir "${dir}"\n`);
      expect(tail).toMatch(/^user bob on #[0-9a-f]{64} ~b:\* resetchannels -@all \+get$/m);
      expect(tail).toContain("user default on nopass ~* &* +@all\n");
    } finally {
      await server.stop();
    }
    server = await startKvisBinary([file], { dir });
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n15\r\n");
      expect(await c.call("CONFIG", "GET", "save")).toBe("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
      expect(await c.call("CONFIG", "GET", "proto-max-bulk-len")).toContain("2097152");
      expect(await c.call("AUTH", "bob", "pw")).toBe("+OK\r\n");
      expect(await c.call("GET", "other")).toContain("NOPERM");
      c.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("DEBUG CONFIG-REWRITE-FORCE-ALL writes every parameter; KVIS and redis-server both start from the file", async () => {
    const dir = tempDir();
    const file = join(dir, "kvis.conf");
    writeFileSync(file, "hz 12\n");
    let server = await startKvisBinary([file, "--enable-debug-command", "yes"], { dir });
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("DEBUG", "CONFIG-REWRITE-FORCE-ALL")).toBe("+OK\r\n");
      c.close();
      const text = readFileSync(file, "latin1");
      for (const line of ["hz 12", "protected-mode yes", "tls-session-cache-timeout 300", 'syslog-ident "redis"', "maxmemory 0"]) expect(`\n${text}`).toContain(`\n${line}\n`);
      await server.stop();
      server = await startKvisBinary([file], { dir });
      const k = await RawClient.connect(server.port);
      expect(await k.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n12\r\n");
      k.close();
      // Every directive written is one Redis reads too.
      const port = await freePort();
      const redis = await startChild(["redis-server", file, "--port", String(port), "--dir", dir, "--save", ""], port, { dir });
      try {
        const r = await RawClient.connect(port);
        expect(await r.call("CONFIG", "GET", "hz")).toBe("*2\r\n$2\r\nhz\r\n$2\r\n12\r\n");
        r.close();
      } finally {
        await redis.stop();
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("SIGTERM and SIGINT shut down cleanly with exit code 0 and Redis-style log lines", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const server = await startKvisBinary();
      try {
        server.proc.kill(signal);
        expect(await server.proc.exited).toBe(0);
        const log = await server.output();
        expect(log).toMatch(/^\d+:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} \* KVIS version=/m);
        expect(log).toContain("Ready to accept connections tcp");
        expect(log).toContain(`Received ${signal} scheduling shutdown`);
      } finally {
        await server.stop();
      }
    }
  });
});

describe("signals redis-server outlives", () => {
  test("SIGHUP (its terminal closing), SIGPIPE and SIGALRM leave it serving, as they leave redis-server", async () => {
    const [kvis, redis] = await startAll([() => startKvisBinary(), () => startRedis()]);
    try {
      for (const server of [kvis, redis]) {
        // Each signal comes before the SIGTERM (a lower number: delivered first when both
        // are pending): had one ended the server, it would have ended by that signal.
        for (const signal of ["SIGHUP", "SIGPIPE", "SIGALRM"] as const) server.proc.kill(signal);
        const c = await RawClient.connect(server.port);
        expect(await c.call("PING")).toBe("+PONG\r\n");
        c.close();
        server.proc.kill("SIGTERM");
        expect(await server.proc.exited).toBe(0);
        expect(server.proc.signalCode).toBeNull();
      }
    } finally {
      await kvis.stop();
      await redis.stop();
    }
  });
});

describe("a single executable", () => {
  test("runs copied into an empty folder with a minimal environment", async () => {
    const dir = tempDir("kvis-alone-");
    copyFileSync(KVIS_BINARY, join(dir, "kvis"));
    const port = freePort();
    // --dir names a folder that does not exist yet: KVIS creates it for its dumps.
    const data = join(dir, "data", "db");
    const server = await startChild([join(dir, "kvis"), "--port", String(port), "--dir", data], port, { dir: data, cwd: dir, env: { PATH: "/nonexistent" } });
    try {
      const c = await RawClient.connect(port);
      expect(await c.call("SET", "k", "v")).toBe("+OK\r\n");
      expect(await c.call("GET", "k")).toBe("$1\r\nv\r\n");
      // The Lua engine is embedded too: a script and a function run with nothing around.
      expect(await c.call("EVAL", "return cjson.encode({redis.call('get', KEYS[1]), 10/2})", "1", "k")).toBe('$7\r\n["v",5]\r\n');
      expect(await c.call("FUNCTION", "LOAD", "#!lua name=alone\nredis.register_function('alone', function() return 'ok' end)")).toBe("$5\r\nalone\r\n");
      expect(await c.call("FCALL", "alone", "0")).toBe("$2\r\nok\r\n");
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      expect(existsSync(join(data, "dump.rdb"))).toBe(true);
      c.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the working folder", () => {
  test("a bunfig.toml or .env there changes nothing: redis-server reads neither", async () => {
    // Bun's executables read both by default: a bunfig.toml's preload would run its code in
    // the server, and a .env would set variables the server reads (here the mark a
    // daemon's child carries, which would keep `daemonize yes` from detaching).
    const dir = tempDir("kvis-cwd-");
    const pidfile = join(dir, "kvis.pid");
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.js"]\n');
    writeFileSync(join(dir, "preload.js"), 'require("node:fs").writeFileSync("preloaded", "");\n');
    writeFileSync(join(dir, ".env"), "KVIS_DAEMONIZED=1\n");
    const port = freePort();
    const launched = Bun.spawn([KVIS_BINARY, "--port", String(port), "--dir", dir, "--daemonize", "yes", "--pidfile", pidfile], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "ignore", "ignore"],
    });
    let daemon: number | undefined;
    try {
      await waitReady(port, "the daemon");
      daemon = await waitFor(() => (existsSync(pidfile) ? Number(readFileSync(pidfile, "latin1")) : undefined), 20_000, "the pid file");
      // The server detached: it is another process, and the command ended.
      expect(daemon).not.toBe(launched.pid);
      expect(await launched.exited).toBe(0);
      expect(existsSync(join(dir, "preloaded"))).toBe(false);
    } finally {
      launched.kill("SIGKILL");
      if (daemon !== undefined) process.kill(daemon, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("start-up from an RDB file written by real Redis", () => {
  async function dumpFromRedis(fill: (c: RawClient) => Promise<void>, args: string[] = []): Promise<Uint8Array> {
    const redis = await startRedis(args);
    try {
      const c = await RawClient.connect(redis.port);
      await fill(c);
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      c.close();
      return new Uint8Array(readFileSync(join(redis.dir, "dump.rdb")));
    } finally {
      await redis.stop();
    }
  }

  test("strings in every encoding, TTLs, binary keys and several databases load with the same content", async () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const long = "compressible ".repeat(1000);
    const dump = await dumpFromRedis(async (c) => {
      await c.call("SET", "int8", "100");
      await c.call("SET", "int16", "-30000");
      await c.call("SET", "int32", "2000000000");
      await c.call("SET", "bigint", "9223372036854775807");
      await c.call("SET", "lzf", long);
      await c.call("SET", "empty", "");
      await c.call("SET", all, all);
      await c.call("SET", "ttl", "v", "EX", "10000");
      await c.call("SET", "gone", "v", "PX", "1");
      await c.call("SELECT", "5");
      await c.call("SET", "in5", "five");
      await c.call("SELECT", "15");
      await c.call("SET", "in15", "fifteen");
    });
    const dir = tempDir();
    writeFileSync(join(dir, "mydb.rdb"), dump);
    const server = await startKvisBinary(["--dbfilename", "mydb.rdb"], { dir });
    try {
      const c = await RawClient.connect(server.port);
      const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
      expect(await c.call("GET", "int8")).toBe(bulk("100"));
      expect(await c.call("GET", "int16")).toBe(bulk("-30000"));
      expect(await c.call("GET", "int32")).toBe(bulk("2000000000"));
      expect(await c.call("GET", "bigint")).toBe(bulk("9223372036854775807"));
      expect(await c.call("GET", "lzf")).toBe(bulk(long));
      expect(await c.call("GET", "empty")).toBe(bulk(""));
      expect(await c.call("GET", all)).toBe(bulk(all));
      const ttl = Number((await c.call("TTL", "ttl")).slice(1, -2));
      expect(ttl).toBeGreaterThan(9990);
      expect(await c.call("EXISTS", "gone")).toBe(":0\r\n");
      expect(await c.call("DBSIZE")).toBe(":8\r\n");
      await c.call("SELECT", "5");
      expect(await c.call("GET", "in5")).toBe(bulk("five"));
      await c.call("SELECT", "15");
      expect(await c.call("GET", "in15")).toBe(bulk("fifteen"));
      c.close();
      server.proc.kill("SIGTERM");
      await server.proc.exited;
      const log = await server.output();
      expect(log).toContain("Done loading RDB, keys loaded: 10, keys expired: 1.");
      expect(log).toMatch(/DB loaded from disk: [\d.]+ seconds/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a dump saved with rdbcompression and rdbchecksum off loads too", async () => {
    const dump = await dumpFromRedis(async (c) => {
      await c.call("SET", "plain", "x".repeat(500));
    }, ["--rdbcompression", "no", "--rdbchecksum", "no"]);
    const dir = tempDir();
    writeFileSync(join(dir, "dump.rdb"), dump);
    const server = await startKvisBinary([], { dir });
    try {
      const c = await RawClient.connect(server.port);
      expect(await c.call("GET", "plain")).toBe(`$500\r\n${"x".repeat(500)}\r\n`);
      c.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a corrupt or truncated file stops start-up with the file and offset, and is left untouched", async () => {
    const dump = await dumpFromRedis(async (c) => {
      for (let i = 0; i < 50; i++) await c.call("SET", `key:${i}`, `value:${i}`);
    });
    const flipped = new Uint8Array(dump);
    flipped[40] = flipped[40]! ^ 0xff;
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["truncated", dump.subarray(0, dump.length - 30), /truncated|unexpected end/],
      ["flipped byte", flipped, /checksum|offset/],
      ["not an RDB", Buffer.from("hello world, not a dump"), /wrong signature/],
    ];
    for (const [name, bytes, reason] of cases) {
      const dir = tempDir();
      const path = join(dir, "dump.rdb");
      writeFileSync(path, bytes);
      try {
        const result = await run([KVIS_BINARY, "--port", String(freePort()), "--dir", dir]);
        expect({ name, code: result.code }).toEqual({ name, code: 1 });
        expect(result.stderr).toContain(path);
        expect(result.stderr).toMatch(/at offset \d+/);
        expect(result.stderr).toMatch(reason);
        expect(Buffer.compare(readFileSync(path), Buffer.from(bytes))).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});
