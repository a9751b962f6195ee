import { describe, expect, test } from "bun:test";
import { KeyTable } from "../../../src/store/table.ts";
import { CLUSTER_SLOTS, crc16, keyHashSlot, stringSlot } from "../../../src/store/slots.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");

describe("hash slots", () => {
  test("CRC16 is XMODEM's (the check value of '123456789' is 0x31C3), and a key's slot its low 14 bits", () => {
    expect(crc16(bytes("123456789"))).toBe(0x31c3);
    // Values Redis's CLUSTER KEYSLOT gives (test/compat/cluster.test.ts compares more).
    expect(keyHashSlot(bytes("foo"))).toBe(12182);
    expect(keyHashSlot(bytes(""))).toBe(0);
  });

  test("a hash tag is the text between the first { and the next }, when not empty", () => {
    expect(keyHashSlot(bytes("{user1000}.following"))).toBe(keyHashSlot(bytes("user1000")));
    expect(keyHashSlot(bytes("foo{}{bar}"))).toBe(crc16(bytes("foo{}{bar}")) & (CLUSTER_SLOTS - 1));
    expect(keyHashSlot(bytes("foo{{bar}}zap"))).toBe(keyHashSlot(bytes("{bar")));
    expect(keyHashSlot(bytes("foo{bar}{zap}"))).toBe(keyHashSlot(bytes("bar")));
  });

  test("a key as a latin1 string hashes as its bytes, every byte value included", () => {
    const keys = ["a", "{x}y", "\u00ff\u0000{\u0080}", "{}", "k:" + "\u00e9".repeat(20), String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))];
    for (const key of keys) expect(stringSlot(key)).toBe(keyHashSlot(bytes(key)));
  });
});

describe("a key table's slot index", () => {
  const slotKeys = (table: KeyTable, slot: number) => table.slotIndex!.keysOf(slot, Infinity).map((at) => table.keyAt(at)).sort();

  test("counts and lists each slot's keys through inserts, deletes, growth, shrinking and clear", () => {
    const table = new KeyTable();
    table.add("before", "v");
    table.indexSlots();
    const expected = new Map<number, string[]>();
    const put = (key: string) => {
      table.set(key, "v");
      const slot = stringSlot(key);
      expected.set(slot, [...(expected.get(slot) ?? []), key].sort());
    };
    expected.set(stringSlot("before"), ["before"]);
    for (let i = 0; i < 5000; i++) put(`{t${i % 7}}k${i}`);
    for (let i = 0; i < 2000; i++) put(`key:${i}`);
    const check = () => {
      let total = 0;
      for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
        const want = expected.get(slot) ?? [];
        expect(table.slotIndex!.counts[slot]).toBe(want.length);
        total += want.length;
        if (want.length > 0) expect(slotKeys(table, slot)).toEqual(want);
      }
      expect(total).toBe(table.size);
    };
    check();
    expect(table.slotIndex!.keysOf(stringSlot("{t3}"), 5).length).toBe(5);
    // Deleting most keys shrinks the table (a rebuild): the index follows.
    for (let i = 0; i < 5000; i++) {
      if (i % 10 === 0) continue;
      const key = `{t${i % 7}}k${i}`;
      table.delete(key);
      const slot = stringSlot(key);
      expected.set(slot, expected.get(slot)!.filter((k) => k !== key));
    }
    for (let i = 0; i < 2000; i++) {
      table.delete(`key:${i}`);
      const slot = stringSlot(`key:${i}`);
      expected.set(slot, expected.get(slot)!.filter((k) => k !== `key:${i}`));
    }
    check();
    table.clear();
    expect(table.slotIndex!.counts.reduce((a, b) => a + b, 0)).toBe(0);
    table.set("again", "v");
    expect(slotKeys(table, stringSlot("again"))).toEqual(["again"]);
  });
});
