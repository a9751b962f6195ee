/**
 * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBE forms, PUBLISH, SPUBLISH and
 * PUBSUB. Subscriptions live in server/pubsub.ts; confirmations and messages are arrays in
 * RESP2 and pushes in RESP3, and in RESP2 a subscribed connection may run only the
 * commands the dispatcher lets through (server/dispatch.ts).
 */
import { SSUBSCRIBE_DENY_BLOCKING } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { globMatch } from "../resp/bytes.ts";
import type { Context, SubscriptionKind } from "./context.ts";
import { command } from "./command.ts";

/** The count each confirmation carries: channels and patterns together; shard channels alone. */
function count(c: Context, kind: SubscriptionKind): number {
  return kind === "shard" ? c.shardChannels.size : c.channels.size + c.patterns.size;
}

/** A confirmation is a push: CLIENT REPLY OFF does not silence it (in RESP2 either). */
function confirm(c: Context, what: string, name: string | undefined, kind: SubscriptionKind): void {
  const start = c.reply.length;
  c.reply.push(3);
  c.reply.bulkString(what);
  if (name === undefined) c.reply.null();
  else c.reply.bulkString(name);
  c.reply.integer(count(c, kind));
  c.reply.keep(start);
}

function subscribeGeneric(c: Context, argv: Argv, kind: SubscriptionKind, what: string): void {
  for (const name of argv.strs(1)) {
    c.server.pubsub.subscribe(c, kind, name);
    confirm(c, what, name, kind);
  }
}

/** With names, leave each (confirming even those never joined); without, leave all. */
function unsubscribeGeneric(c: Context, argv: Argv, kind: SubscriptionKind, what: string): void {
  const own = kind === "channel" ? c.channels : kind === "pattern" ? c.patterns : c.shardChannels;
  const names = argv.length > 1 ? argv.strs(1) : [...own];
  if (names.length === 0) return confirm(c, what, undefined, kind);
  for (const name of names) {
    c.server.pubsub.unsubscribe(c, kind, name);
    confirm(c, what, name, kind);
  }
}

const subscribeSpec = { flags: ["pubsub", "noscript", "loading", "stale"] as const, categories: ["pubsub"] };

export const subscribeCommand = command({
  name: "subscribe", arity: -2, ...subscribeSpec, flags: [...subscribeSpec.flags],
  args: "channel:string...",
  summary: "Listen for messages published to the given channels", since: "2.0.0", complexity: "O(N) where N is the number of channels to subscribe to.",
  handler: (c, argv) => subscribeGeneric(c, argv, "channel", "subscribe"),
});

export const unsubscribeCommand = command({
  name: "unsubscribe", arity: -1, ...subscribeSpec, flags: [...subscribeSpec.flags],
  args: "channel:string?...",
  summary: "Stop listening for messages posted to the given channels", since: "2.0.0", complexity: "O(N) where N is the number of clients already subscribed to a channel.",
  handler: (c, argv) => unsubscribeGeneric(c, argv, "channel", "unsubscribe"),
});

export const psubscribeCommand = command({
  name: "psubscribe", arity: -2, ...subscribeSpec, flags: [...subscribeSpec.flags],
  args: "pattern{pattern:pattern}...",
  summary: "Listen for messages published to channels matching the given patterns", since: "2.0.0", complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
  handler: (c, argv) => subscribeGeneric(c, argv, "pattern", "psubscribe"),
});

export const punsubscribeCommand = command({
  name: "punsubscribe", arity: -1, ...subscribeSpec, flags: [...subscribeSpec.flags],
  args: "pattern:pattern?...",
  summary: "Stop listening for messages posted to channels matching the given patterns", since: "2.0.0",
  complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
  handler: (c, argv) => unsubscribeGeneric(c, argv, "pattern", "punsubscribe"),
});

const shardKeys = { first: 1, last: -1, step: 1, flags: ["not_key"] };

export const ssubscribeCommand = command({
  name: "ssubscribe", arity: -2, ...subscribeSpec, flags: [...subscribeSpec.flags], keys: shardKeys,
  args: "shardchannel:string...",
  summary: "Listen for messages published to the given shard channels", since: "7.0.0", complexity: "O(N) where N is the number of shard channels to subscribe to.",
  handler(c, argv) {
    // Inside EXEC a client may not block, and SSUBSCRIBE has none of SUBSCRIBE's exemption for MULTI.
    if (c.inExec) throw SSUBSCRIBE_DENY_BLOCKING;
    subscribeGeneric(c, argv, "shard", "ssubscribe");
  },
});

export const sunsubscribeCommand = command({
  name: "sunsubscribe", arity: -1, ...subscribeSpec, flags: [...subscribeSpec.flags], keys: shardKeys,
  args: "shardchannel:string?...",
  summary: "Stop listening for messages posted to the given shard channels", since: "7.0.0", complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
  handler: (c, argv) => unsubscribeGeneric(c, argv, "shard", "sunsubscribe"),
});

export const publishCommand = command({
  name: "publish", arity: 3, flags: ["pubsub", "loading", "stale", "fast", "may-replicate"], categories: ["pubsub"],
  args: "channel:string message:string",
  summary: "Post a message to a channel", since: "2.0.0",
  complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
  handler(c, argv) {
    c.reply.integer(c.server.pubsub.publish(argv.str(1), argv.bytes(2), c));
    // In a cluster every node hears of it over the bus; otherwise replicas publish it to
    // their own subscribers (not written to the AOF), as from Redis.
    if (c.server.cluster !== undefined) return c.server.cluster.publish(argv.bytes(1), argv.bytes(2), false);
    c.forcePropagation = true;
    c.replicasOnly = true;
  },
});

export const spublishCommand = command({
  name: "spublish", arity: 3, flags: ["pubsub", "loading", "stale", "fast", "may-replicate"], categories: ["pubsub"], keys: { first: 1, last: 1, step: 1, flags: ["not_key"] },
  args: "shardchannel:string message:string",
  summary: "Post a message to a shard channel", since: "7.0.0", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
  handler(c, argv) {
    c.reply.integer(c.server.pubsub.publish(argv.str(1), argv.bytes(2), c, true));
    // In a cluster, the shard's other nodes hear of it over the bus.
    if (c.server.cluster !== undefined) return c.server.cluster.publish(argv.bytes(1), argv.bytes(2), true);
    c.forcePropagation = true;
    c.replicasOnly = true;
  },
});

function channelsMatching(c: Context, argv: Argv, registry: ReadonlyMap<string, { readonly size: number }>): void {
  const pattern = argv.length > 2 ? argv.str(2) : undefined;
  const names = [...registry.keys()].filter((name) => pattern === undefined || globMatch(pattern, name));
  c.reply.bulkStrings(names);
}

function numsub(c: Context, argv: Argv, registry: ReadonlyMap<string, { readonly size: number }>): void {
  const names = argv.strs(2);
  c.reply.array(names.length * 2);
  for (const name of names) {
    c.reply.bulkString(name);
    c.reply.integer(registry.get(name)?.size ?? 0);
  }
}

const pubsubSub = { flags: ["pubsub", "loading", "stale"] as const, categories: ["pubsub"] };

export const pubsubCommand = command({
  name: "pubsub", arity: -2, flags: [], summary: "A container for Pub/Sub commands", since: "2.8.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "pubsub|channels", arity: -2, ...pubsubSub, flags: [...pubsubSub.flags],
      args: "pattern:pattern?",
      summary: "List active channels", since: "2.8.0",
      complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
      handler: (c, argv) => channelsMatching(c, argv, c.server.pubsub.channels),
    }),
    command({
      name: "pubsub|numsub", arity: -2, ...pubsubSub, flags: [...pubsubSub.flags],
      args: "channel:string?...",
      summary: "Get the count of subscribers for channels", since: "2.8.0", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
      handler: (c, argv) => numsub(c, argv, c.server.pubsub.channels),
    }),
    command({
      name: "pubsub|numpat", arity: 2, ...pubsubSub, flags: [...pubsubSub.flags],
      summary: "Get the count of unique patterns pattern subscriptions", since: "2.8.0", complexity: "O(1)",
      handler: (c) => c.reply.integer(c.server.pubsub.patterns.size),
    }),
    command({
      name: "pubsub|shardchannels", arity: -2, ...pubsubSub, flags: [...pubsubSub.flags],
      args: "pattern:pattern?",
      summary: "List active shard channels", since: "7.0.0",
      complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
      handler: (c, argv) => channelsMatching(c, argv, c.server.pubsub.shardChannels),
    }),
    command({
      name: "pubsub|shardnumsub", arity: -2, ...pubsubSub, flags: [...pubsubSub.flags],
      args: "shardchannel:string?...",
      summary: "Get the count of subscribers for shard channels", since: "7.0.0", complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
      handler: (c, argv) => numsub(c, argv, c.server.pubsub.shardChannels),
    }),
    command({
      name: "pubsub|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "6.2.0", complexity: "O(1)",
      handler: (c) =>
        c.reply.helpLines([
          "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CHANNELS [<pattern>]",
          "    Return the currently active channels matching a <pattern> (default: '*').",
          "NUMPAT",
          "    Return number of subscriptions to patterns.",
          "NUMSUB [<channel> ...]",
          "    Return the number of subscribers for the specified channels, excluding",
          "    pattern subscriptions(default: no channels).",
          "SHARDCHANNELS [<pattern>]",
          "    Return the currently active shard level channels matching a <pattern> (default: '*').",
          "SHARDNUMSUB [<shardchannel> ...]",
          "    Return the number of subscribers for the specified shard level channel(s)",
          "HELP",
          "    Prints this help.",
        ]),
    }),
  ],
});
