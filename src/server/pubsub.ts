/**
 * Who is subscribed to what (channels, patterns, shard channels) and delivery of
 * messages. A message is encoded once per protocol: an array in RESP2, a push in RESP3.
 * The client whose command is running (it may publish to itself in RESP3) gets it in its
 * reply buffer, behind what it already has; any other subscriber gets it on its socket at
 * once, subject to client-output-buffer-limit pubsub.
 */
import { globMatch } from "../resp/bytes.ts";
import { encodeMessage } from "../resp/writer.ts";
import type { SubscriptionKind } from "../commands/context.ts";
import type { Client } from "./connection.ts";

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Set while SCRIPT DEBUG YES's session runs (scripting/rollback.ts): messages are counted, not delivered. */
  muted = false;

  private registry(kind: SubscriptionKind): Map<string, Set<Client>> {
    return kind === "channel" ? this.channels : kind === "pattern" ? this.patterns : this.shardChannels;
  }

  private own(client: Client, kind: SubscriptionKind): Set<string> {
    return kind === "channel" ? client.channels : kind === "pattern" ? client.patterns : client.shardChannels;
  }

  /** Add a subscription; false when the client already had it. */
  subscribe(client: Client, kind: SubscriptionKind, name: string): boolean {
    const own = this.own(client, kind);
    if (own.has(name)) return false;
    own.add(name);
    const registry = this.registry(kind);
    let clients = registry.get(name);
    if (clients === undefined) registry.set(name, (clients = new Set()));
    clients.add(client);
    return true;
  }

  /** Remove a subscription; false when the client did not have it. */
  unsubscribe(client: Client, kind: SubscriptionKind, name: string): boolean {
    const own = this.own(client, kind);
    if (!own.delete(name)) return false;
    const registry = this.registry(kind);
    const clients = registry.get(name);
    clients?.delete(client);
    if (clients?.size === 0) registry.delete(name);
    return true;
  }

  /** A closing connection leaves everything it subscribed to. */
  unsubscribeAll(client: Client): void {
    for (const kind of ["channel", "pattern", "shard"] as const) for (const name of [...this.own(client, kind)]) this.unsubscribe(client, kind, name);
  }

  /**
   * PUBLISH / SPUBLISH: deliver to the channel's subscribers and (not for shard channels)
   * to every matching pattern's; returns how many received it. `current` is the client
   * whose command is running, if any.
   */
  publish(channel: string, message: string | Uint8Array, current: Client | undefined, shard = false): number {
    let receivers = 0;
    const cache: Partial<Record<2 | 3, Uint8Array>> = {};
    const subscribers = (shard ? this.shardChannels : this.channels).get(channel);
    if (subscribers !== undefined) {
      for (const client of subscribers) {
        this.deliver(client, current, (cache[client.resp] ??= encodeMessage(client.resp, [shard ? "smessage" : "message", channel, message])));
        receivers++;
      }
    }
    if (!shard && this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        const perResp: Partial<Record<2 | 3, Uint8Array>> = {};
        for (const client of clients) {
          this.deliver(client, current, (perResp[client.resp] ??= encodeMessage(client.resp, ["pmessage", pattern, channel, message])));
          receivers++;
        }
      }
    }
    return receivers;
  }

  private deliver(client: Client, current: Client | undefined, bytes: Uint8Array): void {
    if (this.muted) return;
    if (client === current) {
      const start = client.reply.length;
      client.reply.raw(bytes);
      return client.reply.keep(start);
    }
    client.send(bytes);
    client.enforceOutputLimit("pubsub");
  }
}
