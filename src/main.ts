/**
 * The `kvis` executable: parses the command line with citty (flags derived from the
 * config table, plus an optional redis.conf-style file as the first argument), starts the
 * server and turns SIGINT/SIGTERM into a clean shutdown. Any start-up failure (unknown
 * option, bad value, port in use, corrupt RDB) is one line on stderr and exit code 1.
 */
import type { ArgsDef } from "citty";
import { mkdirSync, readFileSync } from "node:fs";
import { Config, ConfigError, OTHER_DIRECTIVES, PARAMS, findParam, parseConfigFile, quote } from "./config.ts";
import { RdbError } from "./errors.ts";
import { AofError } from "./persistence/aof.ts";
import { bytesToString } from "./resp/bytes.ts";
import { splitInlineArgs } from "./resp/parser.ts";
import { Server } from "./server/server.ts";
import { KVIS_VERSION } from "./version.ts";

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

/** Split a config line with Redis's quoting rules. */
function splitConfigLine(line: string): string[] | undefined {
  const bytes = Buffer.from(line, "latin1");
  return splitInlineArgs(bytes, 0, bytes.length)?.map(bytesToString);
}

/**
 * The command line as redis-server reads it: a config file only as the first argument,
 * `-` (first or last) for standard input, and each `--name` with every argument up to the
 * next `--` as a directive appended to the config (`--replicaof 127.0.0.1 6379`, `--save
 * 900 1 300 10`, a bare `--save` as `save ""`, `"--hz 20"` as one argument; `--name=value`
 * too), so they win over the file, and `save` lines add up, as in a file.
 */
function commandLine(rawArgs: string[]): { lines: string[]; configFile?: string; stdin: boolean } {
  const lines: string[] = [];
  let configFile: string | undefined;
  let stdin = false;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "-" && (i === 0 || i === rawArgs.length - 1)) {
      stdin = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      if (i > 0) throw new ConfigError(`unexpected argument '${arg}'`);
      configFile = arg;
      continue;
    }
    const [first, ...values] = splitConfigLine(arg.slice(2)) ?? [arg.slice(2)];
    let name = first ?? "";
    const eq = name.indexOf("=");
    if (eq >= 0) {
      values.unshift(name.slice(eq + 1));
      name = name.slice(0, eq);
    }
    name = name.toLowerCase();
    const param = findParam(name);
    if (param === undefined && !OTHER_DIRECTIVES.has(name)) throw new ConfigError(`unknown option '--${name}'`);
    while (i + 1 < rawArgs.length && !rawArgs[i + 1]!.startsWith("--") && !(rawArgs[i + 1] === "-" && i + 1 === rawArgs.length - 1)) values.push(rawArgs[++i]!);
    if (values.length === 0 && name !== "save") throw new ConfigError(`option '--${name}' needs a value`);
    if (values.length > 1 && param !== undefined && !param.multiArg) throw new ConfigError(`option '--${name}' takes one argument, given ${values.length}: ${values.join(" ")}`);
    lines.push([name, ...(values.length === 0 ? [""] : values).map(quote)].join(" "));
  }
  return { lines, configFile, stdin };
}

async function start(rawArgs: string[]): Promise<void> {
  let server: Server;
  try {
    const { lines, configFile, stdin } = commandLine(rawArgs);
    let text = "";
    if (configFile !== undefined) {
      try {
        text = readFileSync(configFile, "latin1");
      } catch (e) {
        throw new ConfigError(`can't open config file '${configFile}': ${(e as Error).message}`);
      }
    }
    if (stdin) text += `\n${readFileSync(0, "latin1")}`;
    // The command line's directives follow the file's, as redis-server appends them.
    const { options, users, renames } = parseConfigFile(`${text}\n${lines.join("\n")}`, splitConfigLine);
    server = new Server(new Config(options));
    server.configFile = configFile ?? "";
    server.configUsers = users;
    server.renameCommands(renames);
  } catch (e) {
    if (e instanceof ConfigError) fatal(`kvis: ${e.message}`);
    throw e;
  }

  // daemonize yes: a detached copy of this process (its own session, no terminal, standard
  // streams on /dev/null) serves; this one exits at once, as Redis's fork does.
  if (server.config.get("daemonize") === "yes" && process.env[DAEMON_CHILD] !== "1") daemonize(rawArgs);

  // The working folder must exist for dumps to be written (save points are on by default).
  // Redis refuses to start without it; KVIS creates it, so `--dir ./data` just works.
  const dir = server.config.get("dir");
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    fatal(`kvis: Can't chdir to '${dir}': ${(e as Error).message}`);
  }

  // Signals are handled from before the server listens: one that arrives while it starts
  // (the dump still loading) ends it at once, with nothing to save.
  let started = false;
  let exiting = false;
  const onSignal = (signal: string) => {
    if (exiting) return;
    exiting = true;
    server.log.warning(`Received ${signal} scheduling shutdown...`);
    if (!started) process.exit(0);
    // As in Redis, a failed final save keeps the server running rather than losing data.
    if (!server.finalSave()) {
      server.log.warning(`${signal} received but errors trying to shut down the server, check the logs for more information`);
      exiting = false;
      return;
    }
    server.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  try {
    await server.start();
    started = true;
  } catch (e) {
    if (e instanceof RdbError || e instanceof AofError) fatal(`kvis: ${e.message}. The file was not modified.`);
    const code = (e as { code?: string }).code;
    const addr = `${server.config.get("bind").split(/\s+/)[0]}:${server.config.get("port")}`;
    if (code === "EADDRINUSE") fatal(`kvis: Could not create server TCP listening socket ${addr}: bind: Address already in use`);
    fatal(`kvis: Could not start: ${(e as Error).message ?? String(e)}`);
  }
  server.onShutdown(() => {
    if (!exiting) setTimeout(() => process.exit(0), 0);
  });
}

/** Set in the environment of the daemon's copy of the process. */
const DAEMON_CHILD = "KVIS_DAEMONIZED";

function daemonize(rawArgs: string[]): never {
  // A compiled kvis is its own executable; under `bun src/main.ts` the script comes too.
  const script = process.argv[1];
  const self = script === undefined || script.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, script];
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
