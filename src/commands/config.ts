/**
 * CONFIG GET, SET, REWRITE, RESETSTAT and HELP: the command surface of src/config.ts's one
 * table of parameters (as Redis's CONFIG lives in config.c). Values are validated there;
 * here they are matched, listed and written back to the config file.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { PARAMS, findParam, normalize, rewriteConfig } from "../config.ts";
import { CONFIG_NO_FILE, configRewriteFailed, configSetError, configUnknownOption, LOADING, wrongArity } from "../errors.ts";
import { globMatch } from "../resp/bytes.ts";
import { command } from "./command.ts";
import { type Context, protectedActionAllowed } from "./context.ts";

/** Parameters whose values are secrets (Redis's SENSITIVE_CONFIG). */
const SENSITIVE = new Set(["masterauth", "masteruser", "requirepass"]);

/**
 * Rewrite the config file in place (written aside, then renamed over it): CONFIG REWRITE,
 * or with `forceAll` every parameter (DEBUG CONFIG-REWRITE-FORCE-ALL). Throws what the file
 * system said.
 */
export function rewriteConfigFile(c: Context, forceAll: boolean): void {
  const server = c.server;
  const path = server.configFile;
  let old = "";
  try {
    old = readFileSync(path, "latin1");
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") throw e;
  }
  const users = server.config.get("aclfile") === "" ? server.acl.describeAll() : undefined;
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, rewriteConfig(old, server.config, users, forceAll), "latin1");
  renameSync(temp, path);
}

export const configCommand = command({
  name: "config", arity: -2, flags: [], summary: "A container for server configuration commands", since: "2.0.0",
  complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "config|get", arity: -3, flags: ["admin", "noscript", "loading", "stale"],
      history: [["7.0.0", "Added the ability to pass multiple pattern parameters in one call"]],
      args: "parameter{parameter:string}...",
      summary: "Get the values of configuration parameters", since: "2.0.0",
      complexity: "O(N) when N is the number of configuration parameters provided",
      handler(c, argv) {
        // Each name matched once (a parameter's own name and an alias are two names, as in
        // Redis): a literal name is echoed as the client spelled it, a glob pattern answers
        // with the names it matched.
        const matched = new Map<string, [shown: string, param: string]>();
        for (let i = 2; i < argv.length; i++) {
          const asked = argv.str(i);
          if (!/[*?[]/.test(asked)) {
            const p = findParam(asked);
            if (p && !matched.has(asked.toLowerCase())) matched.set(asked.toLowerCase(), [asked, p.name]);
            continue;
          }
          for (const p of PARAMS) {
            // Hidden parameters answer only when named.
            if (p.hidden) continue;
            for (const name of [p.name, ...(p.aliases ?? [])]) {
              if (!matched.has(name) && globMatch(asked, name, true)) matched.set(name, [name, p.name]);
            }
          }
        }
        c.reply.map(matched.size);
        for (const [shown, name] of matched.values()) {
          c.reply.bulkString(shown);
          c.reply.bulkString(c.server.config.reported(name));
        }
      },
    }),
    command({
      name: "config|set", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], arity: -4, flags: ["admin", "noscript", "loading", "stale"],
      history: [["7.0.0", "Added the ability to set multiple parameters in one call."]],
      args: "parameter_value{parameter:string value:string}...",
      summary: "Set configuration parameters to the given values", since: "2.0.0",
      complexity: "O(N) when N is the number of configuration parameters provided",
      handler(c, argv) {
        if (argv.length % 2 !== 0) throw wrongArity("config|set");
        // Secrets never reach the slow log or MONITOR, even when the request fails.
        for (let i = 2; i < argv.length; i += 2) if (SENSITIVE.has(findParam(argv.str(i))?.name ?? "")) c.redactArgument(i + 1);
        // All or nothing, as in Redis 7: validate every pair before applying any.
        const updates: Array<[string, string]> = [];
        for (let i = 2; i < argv.length; i += 2) {
          const name = argv.str(i);
          const param = findParam(name);
          if (!param) throw configUnknownOption(name);
          if (updates.some(([n]) => n === param.name)) throw configSetError(name, "duplicate parameter");
          if (!param.mutable) throw configSetError(name, "can't set immutable config");
          if (param.protected && !protectedActionAllowed(c.server.config.get("enable-protected-configs"), c)) throw configSetError(name, "can't set protected config");
          // AOF switched on or off, or how a replica loads, must not change under a load.
          if (param.denyLoading && c.server.loadingDataset) throw LOADING;
          const result = normalize(param, argv.str(i + 1), c.server.config.get(param.name));
          if ("error" in result) throw configSetError(name, result.error);
          updates.push([param.name, result.value]);
        }
        // A new port or bind address is listened on before anything changes: when it cannot
        // be, nothing does (Redis's apply step and its rollback).
        const port = updates.find(([name]) => name === "port")?.[1];
        const bind = updates.find(([name]) => name === "bind")?.[1];
        if (port !== undefined || bind !== undefined) {
          const failure = c.server.listenAnew(bind ?? c.server.config.get("bind"), port === undefined ? c.server.port : Number(port));
          if (failure !== undefined) throw configSetError(port !== undefined ? "port" : "bind", failure);
        }
        const previous = updates.map(([name]): [string, string] => [name, c.server.config.get(name)]);
        const rollBack = (name: string, failure: string) => {
          // Redis's rollback: every value as it was, applied again.
          for (const [n, v] of previous) c.server.config.set(n, v);
          return configSetError(name, failure);
        };
        for (const [name, value] of updates) {
          const failure = c.server.config.set(name, value);
          if (failure !== undefined) throw rollBack(name, failure);
        }
        // The apply steps that read several values together run once each, all values in place.
        const names = updates.map(([name]) => name);
        const failed = c.server.config.applyAfter(names);
        if (failed !== undefined) {
          c.server.log.warning(`Failed applying new configuration. Possibly related to new ${failed.name} setting. Restoring previous settings.`);
          const error = rollBack(failed.name, failed.failure);
          c.server.config.applyAfter(names);
          throw error;
        }
        c.reply.ok();
      },
    }),
    command({
      name: "config|rewrite", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Rewrite the configuration file with the in memory configuration", since: "2.8.0",
      handler(c) {
        const server = c.server;
        if (server.configFile === "") throw CONFIG_NO_FILE;
        try {
          rewriteConfigFile(c, false);
        } catch (e) {
          server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
          throw configRewriteFailed((e as Error).message);
        }
        server.log.notice("CONFIG REWRITE executed with success.");
        c.reply.ok();
      },
    }),
    command({
      name: "config|resetstat", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Reset the stats returned by INFO", since: "2.0.0",
      handler(c) {
        c.server.resetStats();
        c.reply.ok();
      },
    }),
    command({
      name: "config|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
          "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
          "RESETSTAT", "    Reset statistics reported by the INFO command.",
          "REWRITE", "    Rewrite the configuration file.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});
