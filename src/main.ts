/**
 * The `kvis` executable: parses the command line with citty (flags derived from the
 * config table, plus an optional redis.conf-style file as the first argument), starts the
 * server and turns SIGINT/SIGTERM into a clean shutdown. Any start-up failure (unknown
 * option, bad value, port in use, corrupt RDB) is one line on stderr and exit code 1.
 */
import type { ArgsDef } from "citty";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Config, ConfigError, PARAMS } from "./config.ts";
import { ConfigAbort, ConfigLineError, loadStartupConfig } from "./config-file.ts";
import { type Renames, renameCommand } from "./commands/table.ts";
import { Logger } from "./log.ts";
import { checkUserRules } from "./server/acl.ts";
import { RdbError } from "./errors.ts";
import { AofError } from "./persistence/aof.ts";
import { Server } from "./server/server.ts";
import type { ShutdownSignal } from "./server/shutdown.ts";
import { superviseAtStart } from "./server/supervised.ts";
import { applyServerCpuList } from "./server/cpu-affinity.ts";
import { setBackgroundCpus } from "./server/helper-threads.ts";
import { selfCommand } from "./server/restart.ts";
import { KVIS_VERSION, REDIS_VERSION } from "./version.ts";

/** Every parameter as a citty option, for --help. */
function helpArgs(): ArgsDef {
  const args: ArgsDef = {
    config: { type: "positional", required: false, description: "Optional config file in redis.conf syntax" },
  };
  for (const p of PARAMS) {
    args[p.name] = {
      type: "string",
      description: p.description + (p.values ? ` (${p.values.join(", ")})` : ""),
      default: p.default,
      valueHint: p.type === "int" || p.type === "memory" ? "n" : p.type === "bool" ? "yes|no" : "value",
    };
  }
  return args;
}

async function start(rawArgs: string[]): Promise<void> {
  let server: Server;
  // Until the server exists Redis marks its log lines as a child's.
  const startupLog = new Logger();
  startupLog.role = "C";
  const readStdin = () => {
    startupLog.warning("Reading config from stdin");
    return readFileSync(0, "latin1");
  };
  try {
    const renames: Renames = { to: new Map(), away: new Set() };
    const checks = { rename: (from: string, to: string) => renameCommand(renames, from, to), userRules: checkUserRules };
    const { options, users, configFile } = loadStartupConfig(rawArgs, checks, readStdin);
    server = new Server(new Config(options));
    // Absolute, as Redis keeps it: the process moves into dir, and CONFIG REWRITE writes here.
    server.configFile = configFile === undefined ? "" : resolve(configFile);
    server.configUsers = users;
    if (renames.to.size > 0 || renames.away.size > 0) server.renamed = renames;
  } catch (e) {
    if (e instanceof ConfigLineError) {
      // Redis's block, the line's bytes as they were.
      const at = e.line === undefined ? "" : `Reading the configuration file, at line ${e.line}\n>>> '${e.text}'\n`;
      const block = `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n${at}${e.message}\n`;
      process.stderr.write(Buffer.from(block, "latin1"));
      process.exit(1);
    }
    if (e instanceof ConfigAbort) abort(startupLog, e);
    if (e instanceof ConfigError) fatal(`kvis: ${e.message}`);
    throw e;
  }

  // daemonize yes: a detached copy of this process (its own session, no terminal, standard
  // streams on /dev/null) serves; this one exits at once, as Redis's fork does.
  // supervised: a service manager is told how start-up goes (server/supervised.ts); a
  // supervised server stays in the foreground, as Redis does.
  const role = server.log.role;
  server.log.role = "C";
  const supervision = superviseAtStart(server.config.get("supervised"), server.log);
  server.log.role = role;
  if (supervision.mode === "systemd") server.supervisedBySystemd = true;
  if (server.config.get("daemonize") === "yes" && !supervision.supervised && process.env[DAEMON_CHILD] !== "1") daemonize(rawArgs);

  // The working folder must exist for dumps to be written (save points are on by default).
  // Redis refuses to start without it; KVIS creates it, so `--dir ./data` just works. As
  // Redis's chdir, it becomes the process's: relative log, pid and ACL files are in it.
  const dir = server.config.get("dir");
  try {
    mkdirSync(dir, { recursive: true });
    process.chdir(dir);
  } catch (e) {
    fatal(`kvis: Can't chdir to '${dir}': ${(e as Error).message}`);
  }
  server.ownsProcess = true;

  // server_cpulist: the server's thread (and the runtime's threads started from here on) on those CPUs.
  applyServerCpuList(server.config.get("server_cpulist"));
  // bio_cpulist: the runtime's helper threads, as the cron finds them.
  setBackgroundCpus(server.config.get("bio_cpulist"));

  // Signals are handled from before the server listens: one that arrives while it starts
  // (the dump still loading) ends it at once, with nothing to save.
  let started = false;
  const onSignal = (signal: ShutdownSignal) => {
    if (!started) {
      server.log.fromSignalHandler("warning", `Received ${signal} scheduling shutdown...`);
      process.exit(0);
    }
    // Acted on by the cron (server/shutdown.ts); a second SIGINT exits at once, unclean.
    if (server.shutdown.noteSignal(signal)) process.exit(1);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  // redis-server ignores SIGHUP (the terminal it was started from closing) and SIGPIPE, and
  // catches SIGALRM; by default each would end the process.
  for (const ignored of ["SIGHUP", "SIGPIPE", "SIGALRM"] as const) process.on(ignored, () => {});

  try {
    await server.start();
    started = true;
  } catch (e) {
    if (e instanceof ConfigAbort) abort(server.log, e);
    if (e instanceof RdbError || e instanceof AofError) fatal(`kvis: ${e.message}. The file was not modified.`);
    const code = (e as { code?: string }).code;
    const addr = `${server.config.get("bind").split(/\s+/)[0]}:${server.config.get("port")}`;
    if (code === "EADDRINUSE") fatal(`kvis: Could not create server TCP listening socket ${addr}: bind: Address already in use`);
    fatal(`kvis: Could not start: ${(e as Error).message ?? String(e)}`);
  }
  server.onShutdown(() => setTimeout(() => process.exit(0), 0));
}

/** Set in the environment of the daemon's copy of the process. */
const DAEMON_CHILD = "KVIS_DAEMONIZED";

function daemonize(rawArgs: string[]): never {
  const self = selfCommand();
  // Loaded here only: node:child_process costs start-up about 12 ms.
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const child = spawn(self[0]!, [...self.slice(1), ...rawArgs], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, [DAEMON_CHILD]: "1" },
  });
  child.unref();
  process.exit(0);
}

/** What Redis logs before it exits for a file it cannot read, a module, ACL errors. */
function abort(log: Logger, e: ConfigAbort): never {
  for (const line of e.lines) log.warning(line);
  process.exit(1);
}

function fatal(message: string): never {
  process.stderr.write(message + "\n");
  process.exit(1);
}

// citty writes --help and --version; a plain start parses its own options (explicitOptions)
// and does not even load citty, which costs start-up some 20-35 ms.
const rawArgs = process.argv.slice(2);
if (rawArgs.some((a) => a === "--help" || a === "-h" || a === "--version" || a === "-v")) {
  const { defineCommand, runMain } = await import("citty");
  await runMain(
    defineCommand({
      meta: { name: "kvis", version: KVIS_VERSION, description: "A Redis-compatible key-value server" },
      args: helpArgs(),
      run: ({ rawArgs }) => start(rawArgs),
    }),
  );
} else {
  await start(rawArgs);
}
