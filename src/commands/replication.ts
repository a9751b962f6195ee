/**
 * Replication commands (Redis's replication.c): ROLE, REPLICAOF / SLAVEOF, FAILOVER, and
 * what a replica sends its master: REPLCONF, PSYNC and the legacy SYNC. The replication
 * itself is replication/master.ts's, replica.ts's and failover.ts's.
 */
import type { Argv } from "../resp/argv.ts";
import {
  FAILOVER_TIMEOUT_NOT_POSITIVE, INVALID_MASTER_PORT, NO_FAILOVER_IN_PROGRESS, NOT_INTEGER, PSYNC_FAILOVER_REPLID, PSYNC_FAILOVER_TO_MASTER,
  RDB_ONLY_RANGE, FAILOVER_IN_CLUSTER, REPLICAOF_IN_CLUSTER, REPLICAOF_WHILE_FAILING_OVER, SYNC_WHILE_FAILING_OVER, SYNTAX_ERR, replconfUnknownOption, RDB_FILTER_MISSING, rdbFilterUnsupported,
} from "../errors.ts";
import { bytesToString, parseInt64 } from "../resp/bytes.ts";
import { splitInlineArgs } from "../resp/parser.ts";
import { parseRangeArg } from "./args.ts";
import { type CommandFlag, command } from "./command.ts";
import { clientInfoLine } from "./connection.ts";
import type { Context } from "./context.ts";

export const roleCommand = command({
  name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], categories: ["admin", "dangerous"],
  summary: "Return the role of the instance in the context of replication", since: "2.8.12",
  handler(c) {
    const link = c.server.replicaLink;
    if (link === undefined) {
      const master = c.server.replication;
      c.reply.array(3);
      c.reply.bulkString("master");
      c.reply.integer(master.offset);
      const online = master.replicaList().filter((r) => r.replica!.state === "online");
      c.reply.array(online.length);
      for (const r of online) {
        c.reply.array(3);
        c.reply.bulkString(r.replica!.ip);
        c.reply.bulkString(String(r.replica!.port));
        c.reply.bulkString(String(r.replica!.ackOffset));
      }
      return;
    }
    c.reply.array(5);
    c.reply.bulkString("slave");
    c.reply.bulkString(link.host);
    c.reply.integer(link.port);
    c.reply.bulkString(link.roleState);
    // The master client's offset, as Redis's: -1 while there is none (not yet synced, or the link down).
    c.reply.integer(link.linkUp ? link.reploff : -1);
  },
});

const replicaofSpec = {
  arity: 3, flags: ["admin", "noscript", "stale", "no-async-loading"] as CommandFlag[], categories: [],
  complexity: "O(1)",
  handler(c: Context, argv: Argv) {
    const server = c.server;
    if (server.cluster !== undefined) throw REPLICAOF_IN_CLUSTER;
    if (server.failover.state !== "no-failover") throw REPLICAOF_WHILE_FAILING_OVER;
    if (argv.keyword(1) === "no" && argv.keyword(2) === "one") {
      server.promote();
      return c.reply.ok();
    }
    const port = parseInt64(argv.bytes(2));
    if (port === undefined || port < 0 || port > 65535) throw INVALID_MASTER_PORT;
    const host = argv.str(1);
    const link = server.replicaLink;
    if (link !== undefined && link.host === host && link.port === port) {
      server.log.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
      return c.reply.simple("OK Already connected to specified master");
    }
    server.follow(host, port, `${c.addr}`);
    c.reply.ok();
  },
};

export const replicaofCommand = command({
  name: "replicaof", summary: "Make the server a replica of another instance, or promote it as master.", since: "5.0.0", ...replicaofSpec,
  args: "args(host-port{host:string port:integer}|no-one{NO ONE})",
});

export const slaveofCommand = command({
  name: "slaveof", summary: "Make the server a replica of another instance, or promote it as master.", since: "1.0.0",
  docFlags: ["deprecated"], deprecatedSince: "5.0.0", replacedBy: "`REPLICAOF`",
  args: "args(host-port{host:string port:integer}|no-one{NO ONE})",
  ...replicaofSpec,
});

export const psyncCommand = command({
  name: "psync", arity: -3, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  args: "replicationid:string offset:integer",
  summary: "Internal command used for replication", since: "2.8.0", complexity: "",
  handler(c, argv) {
    const server = c.server;
    // PSYNC <replid> <offset> FAILOVER: the master failing over to this replica hands over.
    if (argv.length > 3 && argv.keyword(3) === "failover") {
      server.log.warning(`Failover request received for replid ${argv.str(1)}.`);
      if (server.replicaLink === undefined) throw PSYNC_FAILOVER_TO_MASTER;
      if (argv.str(1) !== server.replication.replid) throw PSYNC_FAILOVER_REPLID;
      server.promote(`failover request from '${clientInfoLine(c, Date.now())}'`);
    }
    if (server.failover.state !== "no-failover") throw SYNC_WHILE_FAILING_OVER;
    // Replies and the snapshot go straight to the socket, after this read's other replies.
    c.flush();
    server.replication.psync(c, argv.str(1), argv.str(2));
  },
});

export const failoverCommand = command({
  name: "failover", arity: -1, flags: ["admin", "noscript", "stale"], categories: [],
  args: "TO=target{host:string port:integer FORCE?}? ABORT? TIMEOUT=milliseconds:integer?",
  summary: "Start a coordinated failover between this server and one of its replicas.", since: "6.2.0", complexity: "O(1)",
  handler(c, argv) {
    if (c.server.cluster !== undefined) throw FAILOVER_IN_CLUSTER;
    const failover = c.server.failover;
    if (argv.length === 2 && argv.keyword(1) === "abort") {
      if (!failover.abortByUser()) throw NO_FAILOVER_IN_PROGRESS;
      return c.reply.ok();
    }
    const request = { host: undefined as string | undefined, port: 0, timeoutMs: 0, force: false };
    for (let i = 1; i < argv.length; i++) {
      const opt = argv.keyword(i);
      if (opt === "timeout" && i + 1 < argv.length && request.timeoutMs === 0) {
        const ms = parseInt64(argv.bytes(++i));
        if (ms === undefined) throw NOT_INTEGER;
        if (ms <= 0) throw FAILOVER_TIMEOUT_NOT_POSITIVE;
        request.timeoutMs = ms;
      } else if (opt === "to" && i + 2 < argv.length && request.host === undefined) {
        const port = parseInt64(argv.bytes(i + 2));
        if (port === undefined) throw NOT_INTEGER;
        request.host = argv.str(i + 1);
        request.port = port;
        i += 2;
      } else if (opt === "force" && !request.force) {
        request.force = true;
      } else throw SYNTAX_ERR;
    }
    failover.start(request);
    c.reply.ok();
  },
});

export const syncCommand = command({
  name: "sync", arity: 1, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  summary: "Internal command used for replication", since: "1.0.0", complexity: "",
  handler(c) {
    if (c.server.failover.state !== "no-failover") throw SYNC_WHILE_FAILING_OVER;
    c.flush();
    c.server.replication.sync(c);
  },
});

export const replconfCommand = command({
  name: "replconf", arity: -1, flags: ["admin", "noscript", "loading", "stale", "allow-busy"], categories: [],
  docFlags: ["syscmd"],
  summary: "An internal command for configuring the replication stream", since: "3.0.0",
  handler(c, argv) {
    if (argv.length % 2 === 0) throw SYNTAX_ERR;
    for (let i = 1; i < argv.length; i += 2) {
      const option = argv.keyword(i);
      if (option === "getack") {
        // Only a master may ask; Redis answers nothing at all, even to anyone else.
        c.masterLink?.sendAck();
        return;
      }
      if (option === "ack") {
        // From a replica: its offset. Never answered.
        const offset = parseInt64(argv.bytes(i + 1));
        if (offset !== undefined) c.server.replication.ack(c, offset);
        return;
      }
      const info = c.server.replication.infoOf(c);
      if (option === "listening-port") {
        info.port = parseRangeArg(argv.bytes(i + 1), 0, NOT_INTEGER);
      } else if (option === "ip-address") {
        info.ip = argv.str(i + 1);
      } else if (option === "rdb-only") {
        const value = parseInt64(argv.bytes(i + 1));
        if (value === undefined) throw NOT_INTEGER;
        if (value !== 0 && value !== 1) throw RDB_ONLY_RANGE;
        info.rdbOnly = value === 1;
      } else if (option === "rdb-filter-only") {
        // What the snapshot keeps: nothing, or the functions ("functions"), the only filter
        // Redis 7.0 knows. A bad filter leaves what came before it set, as in Redis.
        const filters = splitInlineArgs(argv.buffer(i + 1), argv.start(i + 1), argv.end(i + 1));
        if (filters === undefined) throw RDB_FILTER_MISSING;
        info.excludeData = info.excludeFunctions = true;
        for (const filter of filters) {
          if (bytesToString(filter).toLowerCase() !== "functions") throw rdbFilterUnsupported(bytesToString(filter));
          info.excludeFunctions = false;
        }
      } else if (option === "capa") {
        const capa = argv.keyword(i + 1);
        if (capa === "eof") info.capaEof = true;
        else if (capa === "psync2") info.capaPsync2 = true;
      } else {
        throw replconfUnknownOption(argv.str(i));
      }
    }
    c.reply.ok();
  },
});
