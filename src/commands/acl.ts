/**
 * ACL and its subcommands (Redis's acl.c keeps the command beside the rules). Users, rules
 * and checks are server/acl.ts's; this is their command surface, and the two helpers the
 * ACL file and the command line share for reading rules.
 */
import { Argv } from "../resp/argv.ts";
import {
  ACL_DELETE_DEFAULT, ACL_GENPASS_BITS, ACL_NO_FILE, ACL_SAVE_FAILED, ACL_USERNAME_SPACES, aclDryrunNoCommand, aclLoadFailed, aclDryrunNoUser, aclSetuserError,
  aclUnknownCategory, aclUnmatchedParenthesis, subcommandSyntax, wrongArity,
} from "../errors.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { CATEGORY_ORDER, type CommandFlag, command } from "./command.ts";
import { type AclSelector, Denied, type Services } from "./context.ts";

const aclAdmin = { flags: ["admin", "noscript", "loading", "stale"] as CommandFlag[] };

/** Users, rules and checks live in server/acl.ts; this is their command surface. */
export const aclCommand = command({
  name: "acl", arity: -2, flags: ["sentinel"], summary: "A container for Access List Control commands ", since: "6.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...aclAdmin, name: "acl|setuser", arity: -3, summary: "Modify or create the rules for a specific ACL user", since: "6.0.0",
      history: [["6.2.0", "Added Pub/Sub channel patterns."], ["7.0.0", "Added selectors and key based permissions."]],
      args: "username:string rule:string?...",
      complexity: "O(N). Where N is the number of rules provided.",
      handler(c, argv) {
        const name = argv.str(2);
        if (hasSpaces(name)) throw ACL_USERNAME_SPACES;
        const rules = mergeSelectorArgs(argv.strs(3));
        if (typeof rules === "number") throw aclUnmatchedParenthesis(argv.str(rules + 3));
        const failed = c.server.acl.setUser(name, rules);
        if (failed !== undefined) throw aclSetuserError(failed.rule, failed.error.reason);
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|deluser", arity: -3, summary: "Remove the specified ACL users and the associated rules", since: "6.0.0",
      args: "username:string...",
      complexity: "O(1) amortized time considering the typical user.",
      handler(c, argv) {
        const names = argv.strs(2);
        if (names.includes("default")) throw ACL_DELETE_DEFAULT;
        c.reply.integer(c.server.acl.deleteUsers(names));
      },
    }),
    command({
      ...aclAdmin, name: "acl|getuser", arity: 3, summary: "Get the rules for a specific ACL user", since: "6.0.0",
      history: [["6.2.0", "Added Pub/Sub channel patterns."], ["7.0.0", "Added selectors and changed the format of key and channel patterns from a list to their rule representation."]],
      args: "username:string",
      complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
      handler(c, argv) {
        const user = c.server.acl.users.get(argv.str(2));
        if (user === undefined) return c.reply.null();
        const r = c.reply;
        r.map(6);
        r.bulkString("flags");
        const flags = user.flagNames();
        r.set(flags.length);
        for (const f of flags) r.bulkString(f);
        r.bulkString("passwords");
        r.bulkStrings(user.passwords);
        writeSelector(r, user.root);
        r.bulkString("selectors");
        r.array(user.selectors.length - 1);
        for (const s of user.selectors.slice(1)) {
          r.map(3);
          writeSelector(r, s);
        }
      },
    }),
    command({
      ...aclAdmin, name: "acl|list", arity: 2, summary: "List the current ACL rules in ACL config file format", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler: (c) => c.reply.bulkStrings(c.server.acl.describeAll()),
    }),
    command({
      ...aclAdmin, name: "acl|users", arity: 2, summary: "List the username of all the configured ACL rules", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler: (c) => c.reply.bulkStrings(c.server.acl.sortedUsers().map((u) => u.name)),
    }),
    command({
      name: "acl|whoami", arity: 2, flags: ["noscript", "loading", "stale"], summary: "Return the name of the user associated to the current connection", since: "6.0.0",
      handler: (c) => c.reply.bulkString(c.user.name),
    }),
    command({
      name: "acl|cat", arity: -2, flags: ["noscript", "loading", "stale"], summary: "List the ACL categories or the commands inside a category", since: "6.0.0",
      args: "categoryname:string?",
      complexity: "O(1) since the categories and commands are a fixed set.",
      handler(c, argv) {
        if (argv.length === 2) return c.reply.bulkStrings(CATEGORY_ORDER);
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const index = CATEGORY_ORDER.indexOf(argv.str(2).toLowerCase());
        if (index < 0) throw aclUnknownCategory(argv.str(2).slice(0, 128));
        c.reply.bulkStrings(c.server.commands.every().filter((cmd) => cmd.categoryBits & (1 << index)).map((cmd) => cmd.name));
      },
    }),
    command({
      name: "acl|genpass", arity: -2, flags: ["noscript", "loading", "stale"], summary: "Generate a pseudorandom secure password to use for ACL users", since: "6.0.0",
      args: "bits:integer?",
      handler(c, argv) {
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const bits = argv.length === 3 ? argv.int(2) : 256;
        if (bits <= 0 || bits > 4096) throw ACL_GENPASS_BITS;
        const chars = Math.ceil(bits / 4);
        const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
        c.reply.bulkString(Buffer.from(bytes).toString("hex").slice(0, chars));
      },
    }),
    command({
      ...aclAdmin, name: "acl|log", arity: -2, summary: "List latest events denied because of ACLs in place", since: "6.0.0",
      args: "operation(count:integer|RESET)?",
      complexity: "O(N) with N being the number of entries shown.",
      handler(c, argv) {
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const acl = c.server.acl;
        let count = 10;
        if (argv.length === 3) {
          if (argv.keyword(2) === "reset") {
            acl.log = [];
            return c.reply.ok();
          }
          count = Math.max(0, argv.int(2));
        }
        const entries = acl.log.slice(0, count);
        const now = Date.now();
        const r = c.reply;
        r.array(entries.length);
        for (const e of entries) {
          r.map(7);
          r.bulkString("count");
          r.integer(e.count);
          for (const [field, value] of [["reason", e.reason], ["context", e.context], ["object", e.object], ["username", e.username]] as const) {
            r.bulkString(field);
            r.bulkString(value);
          }
          r.bulkString("age-seconds");
          r.double((now - e.ctime) / 1000);
          r.bulkString("client-info");
          r.bulkString(e.clientInfo);
        }
      },
    }),
    command({
      ...aclAdmin, name: "acl|load", arity: 2, summary: "Reload the ACLs from the configured ACL file", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler(c) {
        const errors = c.server.acl.loadFile(aclFileOf(c.server));
        if (errors !== undefined) throw aclLoadFailed(errors);
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|save", arity: 2, summary: "Save the current ACL rules in the configured ACL file", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler(c) {
        if (!c.server.acl.saveFile(aclFileOf(c.server))) throw ACL_SAVE_FAILED;
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|dryrun", arity: -4,
      args: "username:string command:string arg:string?...",
      summary: "Returns whether the user can execute the given command without executing the command.", since: "7.0.0", complexity: "O(1).",
      handler(c, argv) {
        const user = c.server.acl.users.get(argv.str(2));
        if (user === undefined) throw aclDryrunNoUser(argv.str(2));
        const args = Argv.of(...argv.views(3));
        const cmd = c.server.commands.lookup(args);
        if (cmd === undefined) throw aclDryrunNoCommand(argv.str(3));
        if ((cmd.arity > 0 && args.length !== cmd.arity) || args.length < -cmd.arity) throw wrongArity(cmd.name);
        const { denied, pos } = user.check(cmd, args);
        if (denied === Denied.None) return c.reply.ok();
        const what = denied === Denied.Command ? `run the '${cmd.name}' command` : `access the '${args.str(pos)}' ${denied === Denied.Key ? "key" : "channel"}`;
        c.reply.bulkString(`This user has no permissions to ${what}`);
      },
    }),
    command({
      name: "acl|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands", since: "6.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CAT [<category>]", "    List all commands that belong to <category>, or all command categories", "    when no category is specified.",
          "DELUSER <username> [<username> ...]", "    Delete a list of users.",
          "DRYRUN <username> <command> [<arg> ...]", "    Returns whether the user can execute the given command without executing the command.",
          "GETUSER <username>", "    Get the user's details.",
          "GENPASS [<bits>]", "    Generate a secure 256-bit user password. The optional `bits` argument can", "    be used to specify a different size.",
          "LIST", "    Show users details in config file format.",
          "LOAD", "    Reload users from the ACL file.",
          "LOG [<count> | RESET]", "    Show the ACL log entries.",
          "SAVE", "    Save the current config to the ACL file.",
          "SETUSER <username> <attribute> [<attribute> ...]", "    Create or modify a user with the specified attributes.",
          "USERS", "    List all the registered usernames.",
          "WHOAMI", "    Return the current connection username.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

/** The configured ACL file; LOAD and SAVE refuse to run without one. */
function aclFileOf(server: Services): string {
  const path = server.config.get("aclfile");
  if (path === "") throw ACL_NO_FILE;
  return path;
}

/** A selector's commands, keys and channels, as ACL GETUSER lists them. */
function writeSelector(r: ReplyWriter, s: AclSelector): void {
  r.bulkString("commands");
  r.bulkString(s.describeCommands());
  r.bulkString("keys");
  r.bulkString(s.describeKeys().join(" "));
  r.bulkString("channels");
  r.bulkString(s.describeChannels().join(" "));
}

/** ACL rules that are not patterns have no spaces or NULs in them (ACLStringHasSpaces). */
export function hasSpaces(s: string): boolean {
  return /[\s\0]/.test(s);
}

/**
 * Join rules split across arguments back into selectors: "(~a*" "+get)" is one rule
 * (ACLMergeSelectorArguments). Returns the index of an unclosed "(" instead.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let selector = "";
  for (let i = 0; i < args.length; i++) {
    const op = args[i]!;
    if (open < 0 && op.startsWith("(") && !op.endsWith(")")) {
      open = i;
      selector = op;
      continue;
    }
    if (open >= 0) {
      selector += ` ${op}`;
      if (op.endsWith(")")) {
        out.push(selector);
        open = -1;
      }
      continue;
    }
    out.push(op);
  }
  return open >= 0 ? open : out;
}
