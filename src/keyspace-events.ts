/**
 * The classes of keyspace events (notify-keyspace-events) and the flag letters that name
 * them, at the bottom of the house: config.ts validates the parameter with them and every
 * command announces its events by class. Publishing them is server/notify.ts's work.
 */
export const enum NotifyClass {
  Generic = 1 << 0,
  String = 1 << 1,
  List = 1 << 2,
  Set = 1 << 3,
  Hash = 1 << 4,
  Zset = 1 << 5,
  Expired = 1 << 6,
  Evicted = 1 << 7,
  Stream = 1 << 8,
  Module = 1 << 9,
  New = 1 << 10,
  KeyMiss = 1 << 11,
  Keyspace = 1 << 12,
  Keyevent = 1 << 13,
}

/** Every class 'A' stands for. */
const ALL = NotifyClass.Generic | NotifyClass.String | NotifyClass.List | NotifyClass.Set | NotifyClass.Hash | NotifyClass.Zset | NotifyClass.Expired | NotifyClass.Evicted | NotifyClass.Stream | NotifyClass.Module;

/** The classes' letters in the order CONFIG GET prints them (after 'A' or the single classes). */
const LETTERS: ReadonlyArray<[string, number]> = [
  ["g", NotifyClass.Generic], ["$", NotifyClass.String], ["l", NotifyClass.List], ["s", NotifyClass.Set], ["h", NotifyClass.Hash],
  ["z", NotifyClass.Zset], ["x", NotifyClass.Expired], ["e", NotifyClass.Evicted], ["t", NotifyClass.Stream], ["d", NotifyClass.Module],
];

/** notify-keyspace-events as flags; undefined for a character Redis does not know. */
export function parseNotifyFlags(text: string): number | undefined {
  let flags = 0;
  for (const ch of text) {
    const cls = ch === "A" ? ALL : ch === "K" ? NotifyClass.Keyspace : ch === "E" ? NotifyClass.Keyevent : ch === "m" ? NotifyClass.KeyMiss : ch === "n" ? NotifyClass.New : LETTERS.find(([l]) => l === ch)?.[1];
    if (cls === undefined) return undefined;
    flags |= cls;
  }
  return flags;
}

/** Flags as Redis prints them: A or the classes, then n, K, E, m. */
export function formatNotifyFlags(flags: number): string {
  let out = (flags & ALL) === ALL ? "A" : LETTERS.filter(([, bit]) => flags & bit).map(([l]) => l).join("");
  if (flags & NotifyClass.New) out += "n";
  if (flags & NotifyClass.Keyspace) out += "K";
  if (flags & NotifyClass.Keyevent) out += "E";
  if (flags & NotifyClass.KeyMiss) out += "m";
  return out;
}
