/**
 * processCommand and call: every request goes through here. processCommand applies the
 * cross-cutting checks in one fixed order, as Redis's processCommand does (lookup, arity,
 * authentication, ACL, maxmemory's evictions and -OOM, -MISCONF while writes cannot reach
 * the disk, read-only replica, the RESP2 subscribed context, stale replica, CLIENT PAUSE,
 * MULTI queueing). call() runs the handler, turns thrown ReplyErrors into
 * error replies, keeps the per-command statistics, and after a write notifies, propagates
 * and tells MONITOR; client-side caching and the slow log hook in at its end. Handlers
 * never repeat these checks.
 */
import { redirection, routed, routedSlot } from "../cluster/redirect.ts";
import type { Command } from "../commands/command.ts";
import { requestBits, F_ALLOW_BUSY, F_DENYOOM, F_FAST, F_HIDDEN_FROM_MONITOR, F_LOADING, F_MAY_REPLICATE, F_NO_ASYNC_LOADING, F_NO_AUTH, F_NO_MULTI, F_STALE, F_WRITE } from "../commands/command.ts";
import { Denied, protectedActionAllowed } from "../commands/context.ts";
import { lookupCommand } from "../commands/table.ts";
import {
  CountedReplyError, DEBUG_NOT_ALLOWED, INTERNAL, LOADING, MASTERDOWN, NOREPLICAS, MISCONF_RDB, NOAUTH, OOM, NOPERM_CHANNEL, NOPERM_EXEC_CHANNEL, NOPERM_EXEC_COMMAND, NOPERM_EXEC_KEY, NOPERM_KEY, NOT_IN_MULTI, READONLY,
  MODULE_NOT_ALLOWED, ReplyError, misconfAof, nopermCommand, onlyPubsubAllowed, unknownCommand, unknownSubcommand, wrongArity,
} from "../errors.ts";
import { refreshClockAfter } from "../clock.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "./connection.ts";
import { recordLatency } from "./latency.ts";
import type { Server } from "./server.ts";

/**
 * Dispatch one request; returns false when the connection must stop reading (QUIT). Under
 * CLIENT REPLY OFF or SKIP the request runs but what it wrote is dropped.
 */
export function processCommand(c: Client, argv: Argv): boolean {
  const mode = c.replyMode;
  if (mode === "on") {
    const keepGoing = dispatch(c, argv);
    if (c.tracking?.caching) endCaching(c);
    // CLIENT REPLY SKIP silences the command after it, not itself.
    if (c.replyMode === "skip-next") c.replyMode = "skip";
    return keepGoing;
  }
  const mark = c.reply.length;
  const keepGoing = dispatch(c, argv);
  if (c.tracking?.caching) endCaching(c);
  // CLIENT REPLY ON is answered even though replies were off or skipped: it turns them on
  // before it replies, as in Redis.
  if (c.replyMode !== "on") c.reply.dropRepliesSince(mark);
  // A command that blocked is answered later, its reply silenced then (Client.unblock).
  if (c.isBlocked) return keepGoing;
  // A skip lasts one command.
  if (c.replyMode === "skip") c.replyMode = "on";
  else if (c.replyMode === "skip-next") c.replyMode = "skip";
  return keepGoing;
}

function dispatch(c: Client, argv: Argv): boolean {
  let cmd = lookupCommand(argv.buffer(0), argv.start(0), argv.end(0));
  const renamed = c.server.renamed;
  if (renamed !== undefined) cmd = renamed.to.get(argv.keyword(0)) ?? (cmd !== undefined && renamed.away.has(cmd) ? undefined : cmd);
  if (cmd === undefined) {
    reject(c, undefined, unknownCommand(argv.str(0).slice(0, 128), describeArgs(argv)));
    return true;
  }
  if (cmd.subcommands !== undefined && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv.keyword(1));
    if (sub === undefined) {
      // No command was found, as Redis's lookup finds none: counted as an error only, not
      // as the container's rejected call.
      reject(c, undefined, unknownSubcommand(argv.str(1).slice(0, 128), cmd.name));
      return true;
    }
    cmd = sub;
  }
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
    reject(c, cmd, wrongArity(cmd.name));
    return true;
  }
  if (cmd.protectedBy !== undefined && !protectedActionAllowed(c.server.config.get(cmd.protectedBy), c)) {
    reject(c, cmd, cmd.protectedBy === "enable-debug-command" ? DEBUG_NOT_ALLOWED : MODULE_NOT_ALLOWED);
    return true;
  }
  c.lastCommand = cmd.name;
  const bits = requestBits(c, cmd, argv);
  if ((cmd.flagBits & F_NO_AUTH) === 0 && c.authRequired) {
    reject(c, cmd, NOAUTH);
    return true;
  }
  // ACLs: a user allowed everything (the default user) costs one property read.
  if (!c.user.unrestricted) {
    const denied = aclCheck(c, cmd, argv);
    if (denied !== undefined) {
      reject(c, cmd, denied);
      return true;
    }
  }
  // Cluster: a request for keys of a slot served elsewhere (or of several slots, or while
  // the cluster is down) is redirected; a refused EXEC ends its transaction.
  const cluster = c.server.cluster;
  if (cluster !== undefined) c.clusterSlot = -1;
  if (cluster !== undefined && !c.mustObey && routed(cmd)) {
    const redirect = redirection(cluster, c, cmd, argv);
    c.clusterSlot = routedSlot();
    if (redirect !== undefined) {
      if (cmd.name === "exec") c.discardTransaction();
      else if (c.multi !== undefined) c.multiFailed = true;
      if (c.multi === undefined) c.asking = false;
      cmd.rejectedCalls++;
      c.reply.error(redirect.text);
      c.server.countError(redirect.text);
      return true;
    }
  }
  // maxmemory: evict first; if memory is still over, commands that may add to it are
  // refused (in MULTI, anything that would be queued).
  if (c.server.maxmemory !== 0 && !c.mustObey && (c.server.preCommandOom = !c.server.evictor.freeMemoryIfNeeded())) {
    if (hasFlag(c, cmd, bits, F_DENYOOM) || (c.multi !== undefined && !OOM_EXEMPT_IN_MULTI.has(cmd.name))) {
      reject(c, cmd, OOM);
      return true;
    }
  }
  // Client-side caching keeps its table within tracking-table-max-keys.
  if (c.server.tracking.overLimit) c.server.tracking.limitTable();
  // Writes (and PING) are refused while the data cannot reach the disk; the master's
  // stream is applied, unless this replica is to stop rather than drift from its disk
  // (replica-ignore-disk-write-errors).
  if (hasFlag(c, cmd, bits, F_WRITE) || cmd.name === "ping") {
    const misconf = diskError(c.server);
    if (misconf !== undefined) {
      if (!c.mustObey) {
        reject(c, cmd, misconf);
        return true;
      }
      if (cmd.name !== "ping") c.server.applyDespiteDiskError();
    }
  }
  // min-replicas-to-write: writes need enough replicas that keep up.
  if (!c.mustObey && hasFlag(c, cmd, bits, F_WRITE) && !c.server.replication.enoughGoodReplicas()) {
    reject(c, cmd, NOREPLICAS);
    return true;
  }
  // A replica takes writes only from its master (replica-read-only); an EXEC holding a
  // write (one queued while this server was a master) is refused whole, as in Redis.
  if (c.server.replicaLink !== undefined && !c.mustObey && c.server.replicaReadOnly && hasFlag(c, cmd, bits, F_WRITE)) {
    reject(c, cmd, READONLY);
    return true;
  }
  // In RESP2 a subscribed connection carries messages: only the pub/sub commands, PING,
  // QUIT and RESET may run on it.
  if (c.resp === 2 && c.subscribed && !SUBSCRIBED_CONTEXT.has(cmd.name)) {
    reject(c, cmd, onlyPubsubAllowed(cmd.name));
    return true;
  }
  // A replica whose link is down answers only "stale" commands when told not to serve
  // stale data.
  const link = c.server.replicaLink;
  if (link !== undefined && !link.linkUp && !hasFlagInverse(c, cmd, bits, F_STALE) && !c.mustObey && c.server.config.get("replica-serve-stale-data") === "no") {
    reject(c, cmd, MASTERDOWN);
    return true;
  }
  // The dataset is still loading at start-up: only what may run meanwhile is served (after
  // NOAUTH and the other checks above, as in Redis's processCommand).
  if (c.server.loadingDataset && (cmd.flagBits & F_LOADING) === 0 && !c.mustObey) {
    reject(c, cmd, LOADING);
    return true;
  }
  if (c.server.asyncLoading && (cmd.flagBits & F_NO_ASYNC_LOADING) !== 0) {
    reject(c, cmd, LOADING);
    return true;
  }
  // A script running past busy-reply-threshold: only what may run meanwhile is served.
  if (c.server.scripting.timedOut && (bits & F_ALLOW_BUSY) === 0) {
    reject(c, cmd, c.server.scripting.busyError());
    return true;
  }
  // CLIENT PAUSE: the command waits (its client with it) until the pause ends.
  if (c.server.pausing.holds(c, cmd, argv, bits)) return true;
  // In MULTI, commands other than the transaction's own wait in the queue.
  if (c.multi !== undefined && !TRANSACTION_CONTROL.has(cmd.name)) {
    if ((cmd.flagBits & F_NO_MULTI) !== 0) {
      reject(c, cmd, NOT_IN_MULTI);
      return true;
    }
    c.multi.push({ cmd, argv: argv.copy() });
    // multi-mem as Redis counts it: each argument's bytes and its pointer in the argv array.
    c.multiBytes += 8 * argv.length + argv.byteLength();
    c.reply.simple("QUEUED");
    return true;
  }
  call(c, cmd, argv);
  // ASKING lasts one command (or one transaction).
  if (c.asking && c.multi === undefined && cmd.name !== "asking") c.asking = false;
  return !c.closeAfterReply;
}

/** Commands a client in MULTI may still send when memory is over maxmemory. */
const OOM_EXEMPT_IN_MULTI = new Set(["exec", "discard", "quit", "reset"]);

/** Whether the request has `flag` (write, denyoom), or is EXEC of a transaction holding one that has. */
function hasFlag(c: Client, cmd: Command, bits: number, flag: number): boolean {
  if ((bits & flag) !== 0) return true;
  return cmd.name === "exec" && c.multi !== undefined && c.multi.some((q) => (requestBits(c, q.cmd, q.argv) & flag) !== 0);
}

/**
 * Whether the request has `flag` (stale), and is not EXEC of a transaction holding a
 * command without it (Redis's cmd_inv_flags): a queued GET makes EXEC refused on a stale
 * replica, though EXEC itself may run there.
 */
function hasFlagInverse(c: Client, cmd: Command, bits: number, flag: number): boolean {
  if ((bits & flag) === 0) return false;
  return !(cmd.name === "exec" && c.multi !== undefined && c.multi.some((q) => (requestBits(c, q.cmd, q.argv) & flag) === 0));
}

/** Redis's writeCommandsDeniedByDiskError: the -MISCONF error writes get, if any. */
function diskError(server: Server): ReplyError | undefined {
  if (server.persistence.refusesWrites) return MISCONF_RDB;
  const aofError = server.aof.diskError;
  return aofError === undefined ? undefined : misconfAof(aofError);
}

/**
 * Whether the client's user may run this request; a refusal is logged in the ACL log and
 * returned as its -NOPERM error.
 */
export function aclCheck(c: Client, cmd: Command, argv: Argv): ReplyError | undefined {
  const { denied, pos } = c.user.check(cmd, argv);
  if (denied === Denied.None) return undefined;
  const reason = denied === Denied.Command ? "command" : denied === Denied.Key ? "key" : "channel";
  c.server.acl.addLog(c, reason, denied === Denied.Command ? cmd.name : argv.str(pos));
  // EXEC checks again what was queued: the rules may have changed since.
  if (c.inExec) return denied === Denied.Command ? NOPERM_EXEC_COMMAND : denied === Denied.Key ? NOPERM_EXEC_KEY : NOPERM_EXEC_CHANNEL;
  return denied === Denied.Command ? nopermCommand(cmd.name) : denied === Denied.Key ? NOPERM_KEY : NOPERM_CHANNEL;
}

/** CLIENT CACHING lasts for the next command, or the next transaction (resetClient). */
function endCaching(c: Client): void {
  if (c.multi === undefined && !c.lastCommand.startsWith("client")) c.tracking!.caching = false;
}

const SUBSCRIBED_CONTEXT = new Set(["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset"]);

/** What a client in MULTI runs at once rather than queueing. */
const TRANSACTION_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/**
 * Run a command's handler and account for it. Time is charged per run of the same
 * command within a read: the clock is read only when the command changes and when the
 * read ends (settleCommandTime), not around every call. At 40 ns a clock read, two per
 * command were an eighth of a pipelined PING; a pipeline of one command now needs one per
 * read. A command's time thereby includes the parsing of its requests (the first one's
 * from the start of the read: the clock was read there).
 */
export function call(c: Client, cmd: Command, argv: Argv): void {
  if (c.timedCommand !== cmd) {
    if (c.timedCommand !== undefined) settleCommandTime(c);
    c.timedCommand = cmd;
  }
  c.callClockFresh = false;
  c.timedCalls++;
  c.lastCommand = cmd.name;
  const outerArgv = c.argv;
  c.argv = argv;
  c.server.stats.totalCommands++;
  const mark = c.reply.length;
  const server = c.server;
  const keyspace = server.keyspace;
  const dirty = keyspace.dirty;
  // The client whose command this is (Redis's current_client): a script's commands are its
  // caller's, EXEC's its own; a command released by another's (CLIENT UNPAUSE) is its own.
  const outer = server.executing;
  const own = outer === undefined || (outer !== c && !c.fromScript);
  if (own) server.executing = c;
  // CLIENT NO-TOUCH: the command leaves access times alone (TOUCH itself excepted).
  if (c.noTouch) keyspace.noTouch = cmd.name !== "touch";
  try {
    cmd.handler!(c, argv);
    // A write that changed something, or a command that forces its propagation (FLUSHALL on
    // an empty server; PUBLISH, which may-replicate, to replicas only).
    if ((keyspace.dirty !== dirty && (cmd.flagBits & F_WRITE) !== 0) || (c.forcePropagation && (cmd.flagBits & (F_WRITE | F_MAY_REPLICATE)) !== 0)) {
      // The write's keyspace event, then the del of any aggregate it emptied.
      if (server.notifier.flags !== 0) {
        if (cmd.notify !== undefined) server.notifier.emit(cmd.notify[0], cmd.notify[1], argv.str(1), c.db.id);
        server.notifier.flushDeleted();
        if (cmd.events !== undefined) c.reply.movePushes(mark, cmd.events);
      }
      // A writable replica's own clients: keys they gave a TTL the replica expires itself.
      if (keyspace.replicaMode && server.executing?.masterLink === undefined) rememberReplicaExpires(c, cmd, argv);
      // A write that changed something goes to the replicas (as its handler rewrote it, if
      // it did). On a replica the master's stream is passed on instead.
      if (server.propagation.wanted) {
        const propagation = server.propagation;
        const targets = propagation.targets;
        if (c.replicasOnly) propagation.targets &= 2;
        propagation.write(c.db.id, c.propagation ?? [argv.views(0)], c);
        propagation.targets = targets;
      }
    }
  } catch (e) {
    // Whatever the handler wrote before failing is dropped: the client gets one error
    // reply, never half a reply followed by an error.
    c.reply.truncate(mark);
    if (e instanceof ReplyError) {
      c.reply.error(e.text);
      cmd.failedCalls++;
      if (!(e instanceof CountedReplyError)) c.server.countError(e.text);
    } else {
      c.server.log.warning(`Internal error running '${cmd.name}': ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      c.reply.error(INTERNAL.text);
      cmd.failedCalls++;
      c.server.countError(INTERNAL.text);
    }
  }
  if (c.noTouch) keyspace.noTouch = false;
  if (server.propagation.expiryTransactionOf !== undefined) server.propagation.endCommand(c);
  // A command the slow log or the latency monitor times on its own is measured from the
  // clock's last reading (the end of the call before, so it includes the parsing of its
  // request). The latency monitor ends the command's run there (the one clock read both
  // charges its time and measures it); for the slow log alone the run goes on, and a SET
  // (not @fast, so the slow log's) costs a clock read rather than a settlement. Either
  // reading is fresh until the next call: a settlement then (another command's run, the
  // read's end) takes it instead of reading the clock again.
  // A command that blocked is logged when it is served (server/blocking.ts), as in Redis.
  const slowlog = server.slowlog.wants(cmd.flagBits) && c.blockedOnKeys === undefined;
  if (server.latency.threshold > 0) {
    const started = c.callClock;
    settleCommandTime(c);
    const usec = Math.floor((c.callClock - started) * 1000);
    if (slowlog) server.slowlog.record(c, argv, usec);
    server.latency.add((cmd.flagBits & F_FAST) !== 0 ? "fast-command" : "command", Math.floor(usec / 1000));
    c.callClockFresh = true;
  } else if (slowlog) {
    const now = performance.now();
    server.slowlog.record(c, argv, Math.floor((now - c.callClock) * 1000));
    c.callClock = now;
    c.callClockFresh = true;
  }
  // Time a long command took is seen by the next (not inside EXEC or a script, where
  // Redis holds the time still); a @fast one takes none worth reading the clock for.
  if (own) {
    if (c.callClockFresh) refreshClockAfter(c.callClock);
    else if ((cmd.flagBits & F_FAST) === 0) refreshClockAfter(performance.now());
  }
  c.propagation = undefined;
  c.forcePropagation = false;
  c.replicasOnly = false;
  // Client-side caching: remember what a tracking client read; after the outermost call
  // (all of EXEC), its invalidations of its own keys follow its reply.
  // (A script's keys are remembered when it runs a read-only command: see scripting/runtime.ts.)
  if (c.tracking !== undefined && cmd.has("readonly") && cmd.group !== "scripting") server.tracking.remember(c, cmd, argv);
  if (own) server.tracking.flushPending(c);
  server.executing = outer;
  // Between commands, small aggregates the command opened are packed again (store/packed-values.ts).
  if (own) keyspace.settle();
  c.argv = outerArgv;
  cmd.calls++;
  if (server.monitors.size > 0 && (cmd.flagBits & F_HIDDEN_FROM_MONITOR) === 0) server.feedMonitors(c, argv);
  c.redacted = undefined;
  // Keys this command pushed to may release blocked clients (after EXEC, not inside it;
  // not while a script runs past busy-reply-threshold either, though other clients'
  // commands are served: the script's pushes are served once it ends, as in Redis; nor
  // while a dump or AOF loads, whose keys are not all there yet).
  if (!c.inExec && c.server.blocking.hasReady && !c.server.scripting.timedOut && !c.server.loadingDataset) c.server.blocking.serveReady();
}

/** The keys of a write a replica's own client made that have a TTL now (Redis's setExpire on a writable replica). */
function rememberReplicaExpires(c: Client, cmd: Command, argv: Argv): void {
  const keyspace = c.server.keyspace;
  for (const { pos } of cmd.getKeys(argv)) {
    const key = argv.str(pos);
    if (c.db.getExpire(key) !== -1) keyspace.rememberReplicaKeyWithExpire(c.db, key);
  }
}

/**
 * Charge the time since the last settlement to the command that ran in it, and to its
 * latency histogram: each of the calls in that time counts as taking an equal share of it.
 * The clock is read unless the last call's reading is still fresh.
 */
export function settleCommandTime(c: Client): void {
  const now = c.callClockFresh ? c.callClock : performance.now();
  const cmd = c.timedCommand;
  if (cmd !== undefined) {
    const ms = now - c.commandClock;
    cmd.usec += ms * 1000;
    if (c.timedCalls > 0 && c.server.latencyTracking) recordLatency(cmd, (ms * 1e6) / c.timedCalls, c.timedCalls);
  }
  c.timedCalls = 0;
  c.commandClock = c.callClock = now;
}

/** A check before the handler failed: Redis calls these "rejected" calls. In MULTI it dooms the transaction. */
function reject(c: Client, cmd: Command | undefined, error: ReplyError): void {
  if (c.multi !== undefined) c.multiFailed = true;
  if (cmd) cmd.rejectedCalls++;
  // A refused EXEC ends the transaction (Redis's execCommandAbort).
  const text = cmd?.name === "exec" ? execAbort(c, error) : error.text;
  c.reply.error(text);
  c.server.countError(text);
}

/**
 * Redis words its ERR rejections without the code (rejectCommandFormat adds "ERR " as it
 * replies), and EXECABORT quotes them as worded: "because of: wrong number of arguments...".
 * Other codes (NOPERM, BUSY, LOADING) are part of the words and stay.
 */
function execAbort(c: Client, error: ReplyError): string {
  c.discardTransaction();
  return `EXECABORT Transaction discarded because of: ${error.text.startsWith("ERR ") ? error.text.slice(4) : error.text}`;
}

/** "'a' 'b' " as Redis lists the first arguments of an unknown command (128 chars at most). */
function describeArgs(argv: Argv): string {
  let out = "";
  for (let i = 1; i < argv.length && out.length < 128; i++) {
    out += `'${argv.str(i).slice(0, 128 - out.length)}' `;
  }
  return out;
}
