/**
 * Connection commands (COMMAND DOCS group "connection"): PING, ECHO, AUTH, HELLO, SELECT,
 * QUIT, RESET and CLIENT. Users and passwords live in server/acl.ts; `authenticate` is the
 * one place a connection changes user.
 */
import type { Argv } from "../resp/argv.ts";
import {
  AUTH_NOT_CONFIGURED,
  CLIENT_NAME_SPACES,
  DB_OUT_OF_RANGE,
  NOPROTO,
  NO_SUCH_CLIENT,
  NOT_INTEGER,
  SYNTAX_ERR,
  PAUSE_MODE,
  UNBLOCK_REASON,
  WRONGPASS,
  noSuchUser,
  CACHING_NOT_TRACKING, CACHING_NO_NEEDS_OPTOUT, CACHING_YES_NEEDS_OPTIN, TRACKING_BCAST_OPTIN, TRACKING_NO_REDIRECT_CLIENT, TRACKING_ONE_REDIRECT,
  TRACKING_OPTIN_AND_OPTOUT, TRACKING_PREFIX_NEEDS_BCAST, TRACKING_SWITCH_BCAST, TRACKING_SWITCH_OPTIN, trackingPrefixOverlap,
  wrongArity,
  HELLO_NOAUTH, HELLO_PROTOVER, INVALID_CLIENT_ID, CLIENT_ID_NOT_POSITIVE, helloSyntax, unknownClientType, clientSetinfoOption, clientSetinfoChars, SELECT_IN_CLUSTER,
} from "../errors.ts";
import { bytesToString, parseInt64 } from "../resp/bytes.ts";
import type { AclUser, Context } from "./context.ts";
import { REDIS_VERSION } from "../version.ts";
import { CLIENT_BYTES } from "../store/memory-usage.ts";
import { ArgCursor, parseTimeoutMs } from "./args.ts";
import { command } from "./command.ts";

export const pingCommand = command({
  name: "ping", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], arity: -1, flags: ["fast", "sentinel"], categories: ["connection"],
  args: "message:string?",
  summary: "Ping the server", since: "1.0.0",
  handler(c, argv) {
    if (argv.length > 2) throw wrongArity("ping");
    // A subscribed RESP2 connection answers in the shape of its messages.
    if (c.resp === 2 && c.subscribed) {
      c.reply.array(2);
      c.reply.bulkString("pong");
      c.reply.bulk(argv.length === 2 ? argv.bytes(1) : new Uint8Array(0));
    } else if (argv.length === 2) c.reply.bulk(argv.bytes(1));
    else c.reply.simple("PONG");
  },
});

export const echoCommand = command({
  name: "echo", arity: 2, flags: ["loading", "stale", "fast"], categories: ["connection"],
  args: "message:string",
  summary: "Echo the given string", since: "1.0.0",
  handler: (c, argv) => c.reply.bulk(argv.bytes(1)),
});

/**
 * Authenticate as `username` with `password` (AUTH, HELLO AUTH). A failure goes to the ACL
 * log under the command's name as the client typed it, as in Redis.
 */
function authenticate(c: Context, argv: Argv, username: string, password: string): void {
  const user = c.server.acl.credentials(username, password);
  if (user === undefined) {
    c.server.acl.addLog(c, "auth", argv.str(0), username);
    throw WRONGPASS;
  }
  c.setUser(user, true);
}

export const authCommand = command({
  name: "auth", arity: -2, flags: ["noscript", "loading", "stale", "fast", "no-auth", "sentinel", "allow-busy"],
  history: [["6.0.0", "Added ACL style (username and password)."]],
  args: "username:string?@6.0.0 password:string",
  categories: ["connection"], summary: "Authenticate to the server", since: "1.0.0",
  complexity: "O(N) where N is the number of passwords defined for the user",
  handler(c, argv) {
    if (argv.length > 3) throw SYNTAX_ERR;
    if (argv.length === 2) {
      // The one-argument form with no password set is a configuration mistake, says Redis.
      if (c.server.acl.defaultUser.nopass) throw AUTH_NOT_CONFIGURED;
      authenticate(c, argv, "default", argv.str(1));
    } else {
      authenticate(c, argv, argv.str(1), argv.str(2));
    }
    c.reply.ok();
  },
});

export const helloCommand = command({
  name: "hello", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no-auth", "sentinel", "allow-busy"],
  history: [["6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."]],
  args: "arguments{protover:integer AUTH=username_password{username:string password:string}? SETNAME=clientname:string?}?",
  categories: ["connection"], summary: "Handshake with Redis", since: "6.0.0",
  handler(c, argv) {
    let proto = c.resp;
    let i = 1;
    if (argv.length >= 2) {
      const ver = parseInt64(argv.bytes(1));
      if (ver === undefined) throw HELLO_PROTOVER;
      if (ver !== 2 && ver !== 3) throw NOPROTO;
      proto = ver;
      i = 2;
    }
    let auth: [string, string] | undefined;
    let name: Uint8Array | undefined;
    for (; i < argv.length; i++) {
      const opt = argv.keyword(i);
      const left = argv.length - i - 1;
      if (opt === "auth" && left >= 2) {
        auth = [argv.str(i + 1), argv.str(i + 2)];
        i += 2;
      } else if (opt === "setname" && left >= 1) {
        name = argv.bytes(++i);
      } else {
        throw helloSyntax(argv.str(i));
      }
    }
    if (auth) authenticate(c, argv, auth[0], auth[1]);
    if (!c.authenticated) throw HELLO_NOAUTH;
    if (name !== undefined) setClientName(c, name);
    c.resp = proto;
    c.reply.resp = proto;
    const r = c.reply;
    r.map(7);
    r.bulkString("server");
    r.bulkString("redis");
    r.bulkString("version");
    r.bulkString(REDIS_VERSION);
    r.bulkString("proto");
    r.integer(proto);
    r.bulkString("id");
    r.integer(c.id);
    r.bulkString("mode");
    r.bulkString("standalone");
    r.bulkString("role");
    r.bulkString("master");
    r.bulkString("modules");
    r.array(0);
  },
});

export const selectCommand = command({
  name: "select", arity: 2, flags: ["loading", "stale", "fast"], categories: ["connection"],
  args: "index:integer",
  summary: "Change the selected database for the current connection", since: "1.0.0",
  handler(c, argv) {
    const index = parseInt64(argv.bytes(1));
    if (index === undefined) throw NOT_INTEGER;
    if (c.server.cluster !== undefined && index !== 0) throw SELECT_IN_CLUSTER;
    const db = c.server.keyspace.dbs[index];
    if (db === undefined) throw DB_OUT_OF_RANGE;
    c.db = db;
    c.reply.ok();
  },
});

export const quitCommand = command({
  name: "quit", arity: -1, flags: ["allow-busy", "noscript", "loading", "stale", "fast", "no-auth"],
  categories: ["connection"], summary: "Close the connection", since: "1.0.0",
  handler(c) {
    c.reply.ok();
    c.closeAfterReply = true;
  },
});

export const resetCommand = command({
  name: "reset", arity: 1, flags: ["noscript", "loading", "stale", "fast", "no-auth", "allow-busy"],
  categories: ["connection"], summary: "Reset the connection", since: "6.2.0",
  handler(c) {
    c.discardTransaction();
    c.server.pubsub.unsubscribeAll(c);
    c.db = c.server.keyspace.dbs[0]!;
    c.resp = 2;
    c.reply.resp = 2;
    c.name = "";
    c.setUser(c.server.acl.defaultUser, !c.server.acl.authRequired);
    c.server.tracking.disable(c);
    c.reply.simple("RESET");
  },
});

/** Redis accepts client names made of printable ASCII without spaces ('!' to '~'). */
function setClientName(c: Context, name: Uint8Array): void {
  for (const b of name) if (b < 0x21 || b > 0x7e) throw CLIENT_NAME_SPACES;
  c.name = bytesToString(name);
}

/** Queued commands' memory (multi-mem), kept as they queue (dispatch). */
function multiBytes(c: Context): number {
  return c.multi === undefined ? 0 : c.multiBytes;
}

/**
 * A client's memory, CLIENT LIST's tot-mem (what maxmemory-clients limits). KVIS keeps no
 * standing query or reply buffer (rbs and rbp are 0); qbuf-free is the room allocated for
 * the rest of a big argument being received, which Redis sizes at its header too. A
 * client's own structures are counted at CLIENT_BYTES, as INFO's used_memory counts them.
 */
export function clientMemory(c: Context): number {
  return (
    CLIENT_BYTES + c.inputBytes + c.argvBytes + multiBytes(c) + c.outputPending +
    c.watchedKeys * WATCHED_KEY + c.patterns.size * PATTERN + (c.channels.size + c.shardChannels.size) * CHANNEL + (c.tracking?.prefixes.size ?? 0) * TRACKING_PREFIX
  );
}

/**
 * What Redis's getClientMemoryUsage counts for each item of a client's own lists: a
 * watched key's list node and entry, a pattern's list node, a channel's dict entry and
 * table slot, a tracking prefix's radix-tree node. The names themselves are shared, and
 * not counted.
 */
const WATCHED_KEY = 24 + 16;
const PATTERN = 24;
const CHANNEL = 24 + 8;
const TRACKING_PREFIX = 4 * 8;

/** One line of CLIENT LIST / CLIENT INFO, with Redis's fields in Redis's order. */
export function clientInfoLine(c: Context, nowMs: number): string {
  const age = Math.floor((nowMs - c.createdAt) / 1000);
  const idle = Math.floor((nowMs - c.lastInteraction) / 1000);
  const qbuf = c.queryBufferBytes;
  const shown = c.execShown;
  const argvMem = shown !== undefined ? shown.argvBytes : c.argvBytes + c.partialArgvBytes;
  const multiMem = multiBytes(c);
  const totMem = clientMemory(c);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} age=${age} idle=${idle} flags=${clientFlags(c)} ` +
    `db=${c.db.id} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} multi=${c.multi?.length ?? shown?.length ?? -1} ` +
    `qbuf=${qbuf} qbuf-free=${c.queryBufferFree} argv-mem=${argvMem} multi-mem=${multiMem} rbs=0 rbp=0 ` +
    // Inside EXEC the command shown is EXEC, as Redis's lastcmd.
    `obl=0 oll=0 omem=${c.outputPending} tot-mem=${totMem} events=r cmd=${shown !== undefined ? "exec" : c.lastCommand} user=${c.user.name} redir=-1 ` +
    `resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

/** CLIENT's subcommands, each declared on its own; the container below lists them. */
const clientSpec = { categories: ["connection"] };

const clientId = command({
    name: "client|id", arity: 2, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Returns the client ID for the current connection", since: "5.0.0",
    handler: (c) => c.reply.integer(c.id),
});

const clientSetname = command({
    name: "client|setname", arity: 3, flags: ["noscript", "loading", "stale"], ...clientSpec,
    args: "connection-name:string",
    summary: "Set the current connection name", since: "2.6.9",
    handler(c, argv) {
      setClientName(c, argv.bytes(2));
      c.reply.ok();
    },
});

const clientGetname = command({
    name: "client|getname", arity: 2, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Get the current connection name", since: "2.6.9",
    handler(c) {
      if (c.name === "") c.reply.null();
      else c.reply.bulkString(c.name);
    },
});

const clientSetinfo = command({
    name: "client|setinfo", arity: 4, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Set client or connection specific info", since: "7.2.0",
    args: "attr('lib-name'=libname:string|'lib-ver'=libver:string)",
    handler(c, argv) {
      const attr = argv.keyword(2);
      if (attr !== "lib-name" && attr !== "lib-ver") {
        throw clientSetinfoOption(argv.str(2));
      }
      const value = argv.bytes(3);
      for (const b of value) {
        if (b < 0x21 || b > 0x7e) throw clientSetinfoChars(attr);
      }
      if (attr === "lib-name") c.libName = bytesToString(value);
      else c.libVer = bytesToString(value);
      c.reply.ok();
    },
});

const clientInfo = command({
    name: "client|info", tips: ["nondeterministic_output"], arity: 2, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Returns information about the current client connection.", since: "6.2.0",
    handler: (c) => c.reply.verbatim(clientInfoLine(c, Date.now()) + "\n"),
});

const clientList = command({
    name: "client|list", tips: ["nondeterministic_output"], arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    history: [["2.8.12", "Added unique client `id` field."], ["5.0.0", "Added optional `TYPE` filter."], ["6.0.0", "Added `user` field."], ["6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."], ["7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."], ["7.0.3", "Added `ssub` field."]],
    args: "TYPE=normal_master_replica_pubsub(NORMAL|MASTER|REPLICA|PUBSUB)?@5.0.0 ID=id{client-id:integer...}?@6.2.0",
    summary: "Get the list of client connections", since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    handler(c, argv) {
      const args = new ArgCursor(argv, 2);
      let ids: Set<number> | undefined;
      let type: string | undefined;
      while (args.hasNext()) {
        const opt = args.nextKeyword();
        if (opt === "type" && args.remaining >= 1) {
          type = args.nextKeyword();
          if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) {
            throw unknownClientType(type);
          }
        } else if (opt === "id" && args.remaining >= 1) {
          ids = new Set();
          while (args.hasNext()) {
            // Only a non-integer is an error; an ID no client has simply matches nothing.
            const id = parseInt64(args.next());
            if (id === undefined) throw INVALID_CLIENT_ID;
            ids.add(id);
          }
        } else {
          throw SYNTAX_ERR;
        }
      }
      const nowMs = Date.now();
      let out = "";
      for (const other of c.server.clientList()) {
        if (ids && !ids.has(other.id)) continue;
        if (type !== undefined && type.replace("slave", "replica") !== clientType(other)) continue;
        out += clientInfoLine(other, nowMs) + "\n";
      }
      c.reply.verbatim(out);
    },
});

const clientKillCommand = command({
    name: "client|kill", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    history: [["2.8.12", "Added new filter format."], ["2.8.12", "`ID` option."], ["3.2.0", "Added `master` type in for `TYPE` option."], ["5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."], ["6.2.0", "`LADDR` option."]],
    args: "filter('ip:port':string^2.8.12|new-format(ID=client-id:integer?@2.8.12|TYPE=normal_master_slave_pubsub(NORMAL|MASTER@3.2.0|SLAVE|REPLICA@5.0.0|PUBSUB)?@2.8.12|USER=username:string?|ADDR='ip:port':string?|LADDR='ip:port':string?@6.2.0|SKIPME='yes/no':string?)...)",
    summary: "Kill the connection of a client", since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    handler: clientKill,
});

const clientTrackingCommand = command({
    name: "client|tracking", arity: -3, flags: ["noscript", "loading", "stale"], ...clientSpec,
    args: "status(ON|OFF) REDIRECT=client-id:integer? PREFIX=prefix:string?...+ BCAST? OPTIN? OPTOUT? NOLOOP?",
    summary: "Enable or disable server assisted client side caching support", since: "6.0.0",
    complexity: "O(1). Some options may introduce additional complexity.",
    handler: clientTracking,
});

const clientCaching = command({
    name: "client|caching", arity: 3, flags: ["noscript", "loading", "stale"], ...clientSpec,
    args: "mode(YES|NO)",
    summary: "Instruct the server about tracking or not keys in the next request", since: "6.0.0",
    handler(c, argv) {
      const t = c.tracking;
      if (t === undefined) throw CACHING_NOT_TRACKING;
      const opt = argv.keyword(2);
      if (opt === "yes") {
        if (!t.optin) throw CACHING_YES_NEEDS_OPTIN;
      } else if (opt === "no") {
        if (!t.optout) throw CACHING_NO_NEEDS_OPTOUT;
      } else throw SYNTAX_ERR;
      t.caching = true;
      c.reply.ok();
    },
});

const clientGetredir = command({
    name: "client|getredir", arity: 2, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Get tracking notifications redirection client ID if any", since: "6.0.0",
    handler: (c) => c.reply.integer(c.tracking?.redirect ?? -1),
});

const clientTrackinginfo = command({
    name: "client|trackinginfo", arity: 2, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Return information about server assisted client side caching for the current connection", since: "6.2.0",
    handler(c) {
      const t = c.tracking;
      const flags = [t ? "on" : "off"];
      if (t?.bcast) flags.push("bcast");
      if (t?.optin) flags.push("optin", ...(t.caching ? ["caching-yes"] : []));
      if (t?.optout) flags.push("optout", ...(t.caching ? ["caching-no"] : []));
      if (t?.noloop) flags.push("noloop");
      if (t?.brokenRedirect) flags.push("broken_redirect");
      const r = c.reply;
      r.map(3);
      r.bulkString("flags");
      r.set(flags.length);
      for (const f of flags) r.bulkString(f);
      r.bulkString("redirect");
      r.integer(t?.redirect ?? -1);
      r.bulkString("prefixes");
      r.bulkStrings([...(t?.prefixes ?? [])].sort());
    },
});

/** An ON|OFF argument (CLIENT NO-TOUCH, NO-EVICT): anything else is a syntax error. */
function onOff(argv: Argv, i: number): boolean {
  const mode = argv.keyword(i);
  if (mode !== "on" && mode !== "off") throw SYNTAX_ERR;
  return mode === "on";
}

const clientNoTouch = command({
    name: "client|no-touch", arity: 3, flags: ["noscript", "loading", "stale"], ...clientSpec,
    summary: "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.", since: "7.2.0",
    args: "enabled(ON|OFF)",
    handler(c, argv) {
      c.noTouch = onOff(argv, 2);
      c.reply.ok();
    },
});

const clientReply = command({
    name: "client|reply", arity: 3, flags: ["noscript", "loading", "stale"], ...clientSpec,
    args: "on_off_skip(ON|OFF|SKIP)",
    summary: "Instruct the server whether to reply to commands", since: "3.2.0",
    handler(c, argv) {
      const mode = argv.keyword(2);
      if (mode === "on") {
        c.replyMode = "on";
        c.reply.ok();
      } else if (mode === "off") c.replyMode = "off";
      else if (mode === "skip") c.replyMode = c.replyMode === "off" ? "off" : "skip-next";
      else throw SYNTAX_ERR;
    },
});

const clientNoEvict = command({
    name: "client|no-evict", arity: 3, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    args: "enabled(ON|OFF)",
    summary: "Set client eviction mode for the current connection", since: "7.0.0",
    handler(c, argv) {
      // KVIS does not evict clients (maxmemory-clients); the flag is kept for CLIENT LIST.
      c.noEvict = onOff(argv, 2);
      c.reply.ok();
    },
});

const clientPause = command({
    name: "client|pause", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    history: [["6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."]],
    args: "timeout:integer mode(WRITE|ALL)?@6.2.0",
    summary: "Stop processing commands from clients for some time", since: "2.9.50",
    complexity: "O(1)",
    handler(c, argv) {
      const timeout = parseTimeoutMs(argv.bytes(2));
      let all = true;
      if (argv.length === 4) {
        const mode = argv.keyword(3);
        if (mode === "write") all = false;
        else if (mode !== "all") throw PAUSE_MODE;
      } else if (argv.length > 4) throw SYNTAX_ERR;
      c.server.pausing.pause(timeout, all);
      c.reply.ok();
    },
});

const clientUnpause = command({
    name: "client|unpause", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    summary: "Resume processing of clients that were paused", since: "6.2.0",
    complexity: "O(N) Where N is the number of paused clients",
    handler(c) {
      c.server.pausing.unpause();
      c.reply.ok();
    },
});

const clientUnblock = command({
    name: "client|unblock", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...clientSpec,
    args: "client-id:integer timeout_error(TIMEOUT|ERROR)?",
    summary: "Unblock a client blocked in a blocking command from a different connection", since: "5.0.0",
    complexity: "O(log N) where N is the number of client connections",
    handler(c, argv) {
      const id = argv.int(2);
      let asError = false;
      if (argv.length === 4) {
        const reason = argv.keyword(3);
        if (reason === "error") asError = true;
        else if (reason !== "timeout") throw UNBLOCK_REASON;
      } else if (argv.length > 4) throw SYNTAX_ERR;
      const target = c.server.client(id);
      c.reply.integer(target !== undefined && c.server.blocking.unblock(target, asError) ? 1 : 0);
    },
});

const clientHelp = command({
    name: "client|help", arity: 2, flags: ["loading", "stale"], ...clientSpec,
    summary: "Show helpful text about the different subcommands", since: "5.0.0",
    handler(c) {
      c.reply.helpLines([
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME", "    Return the name of the current connection.",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
        "    * USER <username>", "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
        "LIST [options ...]", "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
        "UNPAUSE", "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]", "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
        "TRACKINGINFO", "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
        "HELP", "    Prints this help.",
      ]);
    },
});

export const clientCommand = command({
  name: "client", arity: -2, flags: ["sentinel"], summary: "A container for client connection commands", since: "2.4.0",
  complexity: "Depends on subcommand.",
  subcommands: [
    clientId, clientSetname, clientGetname, clientSetinfo, clientInfo, clientList, clientKillCommand, clientTrackingCommand, clientCaching,
    clientGetredir, clientTrackinginfo, clientNoTouch, clientReply, clientNoEvict, clientPause, clientUnpause, clientUnblock, clientHelp,
  ],
});

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checked as Redis checks it. */
function clientTracking(c: Context, argv: Argv): void {
  let redirect = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let i = 3; i < argv.length; i++) {
    const opt = argv.keyword(i);
    const more = i < argv.length - 1;
    if (opt === "redirect" && more) {
      if (redirect !== 0) throw TRACKING_ONE_REDIRECT;
      redirect = argv.int(++i);
      if (c.server.client(redirect) === undefined) throw TRACKING_NO_REDIRECT_CLIENT;
    } else if (opt === "bcast" || opt === "optin" || opt === "optout" || opt === "noloop") opts[opt] = true;
    else if (opt === "prefix" && more) prefixes.push(argv.str(++i));
    else throw SYNTAX_ERR;
  }
  const onOff = argv.keyword(2);
  if (onOff === "off") {
    c.server.tracking.disable(c);
    return c.reply.ok();
  }
  if (onOff !== "on") throw SYNTAX_ERR;
  const now = c.tracking;
  if (!opts.bcast && prefixes.length > 0) throw TRACKING_PREFIX_NEEDS_BCAST;
  if (now !== undefined && now.bcast !== opts.bcast) throw TRACKING_SWITCH_BCAST;
  if (opts.bcast && (opts.optin || opts.optout)) throw TRACKING_BCAST_OPTIN;
  if (opts.optin && opts.optout) throw TRACKING_OPTIN_AND_OPTOUT;
  if ((opts.optin && now?.optout) || (opts.optout && now?.optin)) throw TRACKING_SWITCH_OPTIN;
  if (opts.bcast) {
    // Prefixes of one client must not overlap: one a prefix of another.
    const overlaps = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      for (const old of [...(now?.prefixes ?? [])].sort()) if (overlaps(old, p)) throw trackingPrefixOverlap(p, old, "an existing");
      for (const q of prefixes.slice(i + 1)) if (overlaps(p, q)) throw trackingPrefixOverlap(p, q, "another provided");
    }
  }
  c.server.tracking.enable(c, redirect, opts, prefixes);
  c.reply.ok();
}

/** CLIENT KILL addr (old form: OK or an error) or CLIENT KILL filters (new form: a count). */
function clientKill(c: Context, argv: Argv): void {
  const server = c.server;
  if (argv.length === 3) {
    const addr = argv.str(2);
    const target = server.clientList().find((o) => o.addr === addr);
    if (target === undefined) throw NO_SUCH_CLIENT;
    c.reply.ok();
    killClient(c, target);
    return;
  }
  const args = new ArgCursor(argv, 2);
  let id: number | undefined;
  let addr: string | undefined;
  let laddr: string | undefined;
  let user: AclUser | undefined;
  let type: string | undefined;
  let skipMe = true;
  while (args.hasNext()) {
    const opt = args.nextKeyword();
    if (!args.hasNext()) throw SYNTAX_ERR;
    if (opt === "id") {
      const n = parseInt64(args.next());
      if (n === undefined || n <= 0) throw CLIENT_ID_NOT_POSITIVE;
      id = n;
    } else if (opt === "addr") addr = args.nextString();
    else if (opt === "laddr") laddr = args.nextString();
    else if (opt === "user") {
      const name = args.nextString();
      user = server.acl.users.get(name);
      if (user === undefined) throw noSuchUser(name);
    }
    else if (opt === "type") {
      type = args.nextKeyword();
      if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) throw unknownClientType(type);
    } else if (opt === "skipme") {
      const v = args.nextKeyword();
      if (v === "yes") skipMe = true;
      else if (v === "no") skipMe = false;
      else throw SYNTAX_ERR;
    } else throw SYNTAX_ERR;
  }
  let killed = 0;
  for (const other of server.clientList()) {
    if (id !== undefined && other.id !== id) continue;
    if (addr !== undefined && other.addr !== addr) continue;
    if (laddr !== undefined && other.laddr !== laddr) continue;
    if (user !== undefined && other.user !== user) continue;
    if (type !== undefined && type.replace("slave", "replica") !== clientType(other)) continue;
    if (skipMe && other === c) continue;
    killClient(c, other);
    killed++;
  }
  c.reply.integer(killed);
}

/** A client killing itself still gets its reply first. */
function killClient(self: Context, target: Context): void {
  if (target === self) self.closeAfterReply = true;
  else target.kill();
}

/**
 * CLIENT LIST's flags, in Redis's order: S replica, M master link, P pub/sub, x in MULTI,
 * b blocked, t tracking (R broken redirect, B broadcast), U Unix socket, e no-evict,
 * T no-touch; N none.
 */
function clientFlags(c: Context): string {
  let flags = c.masterLink ? "M" : clientType(c) === "replica" ? "S" : c.server.monitors.has(c) ? "O" : "";
  if (c.subscribed) flags += "P";
  if (c.multi !== undefined || c.execShown !== undefined) flags += "x";
  // Blocked on keys, in WAIT, held by a pause or a MIGRATE.
  if (c.isBlocked) flags += "b";
  if (c.tracking !== undefined) flags += "t";
  if (c.tracking?.brokenRedirect) flags += "R";
  if (c.tracking?.bcast) flags += "B";
  // A WATCHed key changed: EXEC will fail.
  if (c.dirtyCas) flags += "d";
  if (c.unixSocket) flags += "U";
  if (c.readonlyCluster) flags += "r";
  if (c.noEvict) flags += "e";
  if (c.noTouch) flags += "T";
  return flags === "" ? "N" : flags;
}

/** CLIENT LIST / KILL TYPE of a client: the master link, a replica, or a normal client. */
function clientType(c: Context): string {
  if (c.masterLink) return "master";
  if (c.replica?.state !== undefined && c.server.replication.isReplica(c)) return "replica";
  return c.subscribed ? "pubsub" : "normal";
}
