/**
 * The whole content of chosen databases as plain data, read the same way from KVIS and
 * from a real Redis so that two servers can be compared with one `toEqual`: for every key
 * its type, encoding, absolute expiry and value (aggregates in a canonical order).
 */
import { type Decoded, RawClient, decodeReply } from "./resp.ts";

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

export async function datasetOf(c: RawClient, dbs: number[]): Promise<Record<string, Decoded>> {
  const out: Record<string, Decoded> = {};
  for (const db of dbs) {
    await c.call("SELECT", String(db));
    for (const key of sorted(await get(c, "KEYS", "*")) as string[]) {
      const type = (await get(c, "TYPE", key)) as string;
      const value =
        type === "string" ? await get(c, "GET", key)
        : type === "list" ? await get(c, "LRANGE", key, "0", "-1")
        : type === "set" ? sorted(await get(c, "SMEMBERS", key))
        : type === "hash" ? pairsSorted(await get(c, "HGETALL", key))
        : await get(c, "ZRANGE", key, "0", "-1", "WITHSCORES");
      out[`${db}:${key}`] = [type, await get(c, "OBJECT", "ENCODING", key), await get(c, "PEXPIRETIME", key), value];
    }
  }
  await c.call("SELECT", "0");
  return out;
}
