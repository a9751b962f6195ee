import { describe, expect, test } from "bun:test";
import { encodeCommand } from "../helpers/resp.ts";
import { waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

const pair = usePair();

/** Monitor lines with the timestamp and client address (which differ between servers) masked. */
const masked = (out: string) => out.replace(/^\+\d+\.\d{6} \[(\d+) (127\.0\.0\.1:\d+|lua)\]/gm, (_, db: string, who: string) => `+TIME [${db} ${who === "lua" ? "lua" : "ADDR"}]`);

describe("MONITOR", () => {
  test("shows each command after it ran, quoted as Redis quotes it, without admin commands or AUTH's arguments", async () => {
    const p = pair();
    const [km, rm] = await p.connectBoth();
    const [kc, rc] = await p.connectBoth();
    try {
      for (const m of [km, rm]) m.write("MONITOR\r\n");
      expect(await km.readReplies(1)).toEqual(await rm.readReplies(1));
      const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
      const traffic = Buffer.concat([
        Buffer.from("SET a 1\r\nSELECT 3\r\nGET x\r\nCONFIG GET hz\r\nAUTH foo\r\nMULTI\r\nINCR n\r\nEXEC\r\nPING\r\nNOSUCH\r\nGET\r\nMIGRATE 127.0.0.1 1 nokey 9 5000 AUTH2 user pw\r\nHELLO 2 AUTH not-real not-a-password\r\n", "latin1"),
        encodeCommand(["SET", "bin", binary]),
        Buffer.from("SELECT 0\r\nDEL a\r\n", "latin1"),
      ]);
      kc.write(traffic);
      rc.write(traffic);
      expect(await kc.readReplies(16)).toEqual(await rc.readReplies(16));
      // The monitors see the commands in order: the last one's line closes what they get.
      await waitFor(() => [km, rm].every((m) => m.peekAll().endsWith(' "DEL" "a"\r\n')), 20_000, "the monitors to see the last command");
      const [a, b] = [masked(km.takeAll()), masked(rm.takeAll())];
      expect(a).toContain('"AUTH" "(redacted)"');
      expect(a).toContain('"AUTH2" "(redacted)" "(redacted)"');
      expect(a).toBe(b);
    } finally {
      for (const c of [km, rm, kc, rc]) c.close();
    }
  });

  test("shows a script, then the commands it runs as from lua; FCALL likewise", async () => {
    const p = pair();
    await p.same("FUNCTION", "FLUSH");
    await p.same("FUNCTION", "LOAD", "#!lua name=mon\nredis.register_function('mon', function(keys) return redis.call('incr', keys[1]) end)");
    const [km, rm] = await p.connectBoth();
    const [kc, rc] = await p.connectBoth();
    try {
      for (const m of [km, rm]) m.write("MONITOR\r\n");
      expect(await km.readReplies(1)).toEqual(await rm.readReplies(1));
      const traffic = Buffer.concat([
        encodeCommand(["EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('select', 2) return redis.call('get', KEYS[1])", "1", "mk", "v"]),
        encodeCommand(["FCALL", "mon", "1", "counter"]),
        encodeCommand(["EVAL", "return 1", "x"]),
        encodeCommand(["FCALL", "nosuch", "0"]),
        encodeCommand(["EVALSHA", "abc", "0"]),
        encodeCommand(["DEL", "mk"]),
      ]);
      kc.write(traffic);
      rc.write(traffic);
      expect(await kc.readReplies(6)).toEqual(await rc.readReplies(6));
      await waitFor(() => [km, rm].every((m) => m.peekAll().endsWith(' "DEL" "mk"\r\n')), 20_000, "the monitors to see the last command");
      const [a, b] = [masked(km.takeAll()), masked(rm.takeAll())];
      expect(a).toContain('[0 lua] "set" "mk" "v"');
      expect(a).toBe(b);
    } finally {
      for (const c of [km, rm, kc, rc]) c.close();
    }
  });
});
