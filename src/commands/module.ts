/**
 * MODULE (module.c in Redis): KVIS loads no Redis modules, C shared objects written against
 * Redis's module API, so MODULE LIST is always empty, and LOAD and LOADEX fail as a module
 * that cannot be loaded fails in Redis, the reason in the log. Clients that look for modules
 * with MODULE LIST get Redis's answer for a server with none.
 */
import { MODULE_LOAD_FAILED, NO_SUCH_MODULE } from "../errors.ts";
import { command } from "./command.ts";
import type { Context } from "./context.ts";

const MODULE_FLAGS = ["admin", "noscript", "no-async-loading"] as ["admin", "noscript", "no-async-loading"];

/** LOAD, LOADEX and UNLOAD are protected by enable-module-command, as DEBUG by its own. */
const PROTECTED = { protectedBy: "enable-module-command" } as const;

function load(c: Context, path: string): never {
  c.server.log.warning(`Module ${path} failed to load: KVIS does not load Redis modules`);
  throw MODULE_LOAD_FAILED;
}

export const moduleCommand = command({
  name: "module", arity: -2, flags: [], summary: "A container for module commands", since: "4.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "module|list", arity: 2, flags: ["admin", "noscript"], tips: ["nondeterministic_output_order"],
      summary: "List all modules loaded by the server", since: "4.0.0", complexity: "O(N) where N is the number of loaded modules.",
      handler: (c) => c.reply.array(0),
    }),
    command({
      name: "module|load", arity: -3, flags: MODULE_FLAGS, ...PROTECTED, summary: "Load a module", since: "4.0.0", complexity: "O(1)",
      args: "path:string arg:string?...",
      handler: (c, argv) => load(c, argv.str(2)),
    }),
    command({
      name: "module|loadex", arity: -3, flags: MODULE_FLAGS, ...PROTECTED, summary: "Load a module with extended parameters", since: "7.0.0", complexity: "O(1)",
      args: "path:string CONFIG=configs{name:string value:string}?...+ ARGS=args{arg:string}?...",
      handler: (c, argv) => load(c, argv.str(2)),
    }),
    command({
      name: "module|unload", arity: 3, flags: MODULE_FLAGS, ...PROTECTED, summary: "Unload a module", since: "4.0.0", complexity: "O(1)",
      args: "name:string",
      handler() {
        throw NO_SUCH_MODULE;
      },
    }),
    command({
      name: "module|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands", since: "5.0.0", complexity: "O(1)",
      handler: (c) =>
        c.reply.helpLines([
          "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "LIST", "    Return a list of loaded modules.",
          "LOAD <path> [<arg> ...]", "    Load a module library from <path>, passing to it any optional arguments.",
          "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
          "    Load a module library from <path>, while passing it module configurations and optional arguments.",
          "UNLOAD <name>", "    Unload a module.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});
