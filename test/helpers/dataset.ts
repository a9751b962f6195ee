/**
 * The whole content of chosen databases as plain data, read the same way from KVIS and
 * from a real Redis so that two servers can be compared with one `toEqual`: for every key
 * its type, encoding, absolute expiry and value (aggregates in a canonical order).
 */
import { type Decoded, RawClient, decodeReply, encodeCommand } from "./resp.ts";

async function get(c: RawClient, ...args: string[]): Promise<Decoded> {
  return decodeReply(await c.call(...args));
}

function sorted(items: Decoded): Decoded {
  return [...(items as string[])].sort();
}

function pairsSorted(items: Decoded): Decoded {
  const flat = items as string[];
  const pairs: string[][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  return pairs.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Send commands in one write and decode their replies. */
async function pipelined(c: RawClient, commands: string[][]): Promise<Decoded[]> {
  if (commands.length === 0) return [];
  c.write(Buffer.concat(commands.map((cmd) => encodeCommand(cmd))));
  return (await c.readReplies(commands.length, 60_000)).map(decodeReply);
}

const READ: Record<string, (key: string) => string[]> = {
  string: (key) => ["GET", key],
  list: (key) => ["LRANGE", key, "0", "-1"],
  set: (key) => ["SMEMBERS", key],
  hash: (key) => ["HGETALL", key],
  zset: (key) => ["ZRANGE", key, "0", "-1", "WITHSCORES"],
  // Everything: entries, counters, node counts, groups, PELs with delivery times.
  stream: (key) => ["XINFO", "STREAM", key, "FULL", "COUNT", "0"],
};

/**
 * A consumer's seen-time is when it last did something on that server (a replica's
 * consumers are "seen" when the master's XCLAIM arrives), so it is left out.
 */
function withoutSeenTimes(value: Decoded): Decoded {
  if (!Array.isArray(value)) return value;
  return value.map((item, i) => (value[i - 1] === "seen-time" ? "*" : withoutSeenTimes(item)));
}

export async function datasetOf(c: RawClient, dbs: number[]): Promise<Record<string, Decoded>> {
  const out: Record<string, Decoded> = {};
  for (const db of dbs) {
    await c.call("SELECT", String(db));
    const keys = sorted(await get(c, "KEYS", "*")) as string[];
    const types = (await pipelined(c, keys.map((key) => ["TYPE", key]))) as string[];
    const replies = await pipelined(
      c,
      keys.flatMap((key, i) => [READ[types[i]!]!(key), ["OBJECT", "ENCODING", key], ["PEXPIRETIME", key]]),
    );
    keys.forEach((key, i) => {
      const [value, encoding, expiry] = replies.slice(3 * i, 3 * i + 3) as [Decoded, Decoded, Decoded];
      const type = types[i]!;
      const canonical = type === "set" ? sorted(value) : type === "hash" ? pairsSorted(value) : type === "stream" ? withoutSeenTimes(value) : value;
      out[`${db}:${key}`] = [type, encoding, expiry, canonical];
    });
  }
  await c.call("SELECT", "0");
  return out;
}
