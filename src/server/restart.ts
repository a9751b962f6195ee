/**
 * DEBUG RESTART and DEBUG CRASH-AND-RECOVER (Redis's restartServer): the server starts
 * again in the same process, from its executable and the command line it was started
 * with, so the PID stays, as a supervisor sees Redis's. RESTART first rewrites the
 * config file (when there is one) and shuts down as SHUTDOWN NOW would (the final save if
 * save points are set, the AOF written and synced, the pid file removed); CRASH-AND-RECOVER
 * does neither, as after a crash. Then every descriptor but stdin, stdout and stderr is
 * closed, `delayMs` waited, and the process image replaced with execve(2), through libc.
 * Only a server that owns its process (the binary, not a test's in-process server) can.
 */
import { accessSync, constants } from "node:fs";
import { libc } from "./libc.ts";
import type { Server } from "./server.ts";

/**
 * The command that starts this program again: a compiled kvis is its own executable;
 * under `bun src/main.ts` the script comes too.
 */
export function selfCommand(): string[] {
  const script = process.argv[1];
  return script === undefined || script.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, script];
}

/** Whether it failed (the reason logged); on success it does not return. */
export function restartServer(server: Server, graceful: boolean, delayMs: number, rewriteConfig: () => void): false {
  const log = server.log;
  const c = libc();
  const executable = process.execPath;
  if (!server.ownsProcess || c === null) {
    log.warning("Can't restart: this server does not run as a process of its own");
    return false;
  }
  try {
    accessSync(executable, constants.X_OK);
  } catch {
    log.warning(`Can't restart: this process has no permissions to execute ${executable}`);
    return false;
  }
  if (graceful && server.configFile !== "") {
    try {
      rewriteConfig();
    } catch (e) {
      log.warning(`Can't restart: configuration rewrite process failed: ${(e as Error).message}`);
      return false;
    }
  }
  if (graceful) {
    log.warning("User requested shutdown...");
    if (!server.finalSave()) {
      log.warning("Can't restart: error preparing for shutdown");
      return false;
    }
    server.stop();
  }
  // As Redis: every descriptor past stderr, up to maxclients + 1024.
  const last = server.config.int("maxclients") + 1024;
  for (let fd = 3; fd < last; fd++) c.close(fd);
  if (delayMs > 0) Bun.sleepSync(delayMs);
  const argv = c.cStrings([...selfCommand(), ...process.argv.slice(2)]);
  const env = c.cStrings(Object.entries(process.env).map(([k, v]) => `${k}=${v}`));
  c.execve(Buffer.from(`${executable}\0`), argv.array, env.array);
  // Nothing to go back to: the descriptors are closed.
  process.exit(1);
}
