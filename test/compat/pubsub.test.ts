import { describe, expect, test } from "bun:test";
import { RawClient } from "../helpers/resp.ts";
import { waitFor } from "../helpers/servers.ts";
import { usePair } from "./harness.ts";

const pair = usePair();

/**
 * Run `steps` on a fresh connection to each server; each step's output must match, except
 * for steps marked with a leading "~" (HELLO: its reply carries each server's own client id).
 */
async function sameSession(steps: string[]): Promise<void> {
  const p = pair();
  const [k, r] = await p.connectBoth();
  try {
    for (const step of steps) {
      const compare = !step.startsWith("~");
      const bytes = compare ? step : step.slice(1);
      k.write(bytes);
      r.write(bytes);
      // Every step of a session is answered; then nothing more is on its way.
      await waitFor(() => k.pendingReplies() > 0 && r.pendingReplies() > 0, 20_000, `the answer to ${JSON.stringify(step)}`);
      await p.settle([k, r]);
      const [a, b] = [k.takeAll(), r.takeAll()];
      if (compare) expect({ step, out: a }).toEqual({ step, out: b });
    }
  } finally {
    k.close();
    r.close();
  }
}

describe("subscriptions", () => {
  test("confirmations, counts, the RESP2 subscribed context, PING and PUBSUB, byte for byte", async () => {
    await sameSession([
      "UNSUBSCRIBE\r\n", "PUNSUBSCRIBE\r\n", "SUBSCRIBE a b a\r\n", "GET x\r\n", "PING\r\n", "PING hi\r\n", "PSUBSCRIBE h*\r\n",
      // Unsubscribing from all goes in Redis's hash order, so only one channel is left by then.
      "PUBLISH a m\r\n", "UNSUBSCRIBE b\r\n", "UNSUBSCRIBE\r\n", "PUNSUBSCRIBE\r\n", "PING\r\n", "SUBSCRIBE c\r\n", "HELLO 3\r\n", "UNSUBSCRIBE c\r\n",
      "PUBSUB HELP\r\n", "PUBSUB NUMSUB a c\r\n", "PUBSUB NUMPAT\r\n", "SSUBSCRIBE s1\r\n", "SPUBLISH s1 m\r\n", "PUBSUB SHARDCHANNELS\r\n",
      "SUNSUBSCRIBE\r\n", "PUBSUB FOO\r\n", "MULTI\r\nSUBSCRIBE z\r\nEXEC\r\n", "RESET\r\n", "PUBSUB CHANNELS\r\n",
    ]);
  });

  test("RESP3: pushes on a normal connection, which keeps running commands and can hear itself", async () => {
    await sameSession([
      "~*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "SUBSCRIBE news\r\n", "SET k v\r\n", "GET k\r\n", "PSUBSCRIBE n*\r\n",
      "PUBLISH news hello\r\n", "UNSUBSCRIBE\r\n", "PUNSUBSCRIBE n*\r\n",
    ]);
  });
});

describe("CLIENT REPLY OFF and SKIP", () => {
  test("silence replies but not pub/sub confirmations and messages, in RESP2 and RESP3", async () => {
    await sameSession([
      // RESP2: a subscribed connection may not PUBLISH, so its messages come from RESP3 below.
      "CLIENT REPLY OFF\r\nSUBSCRIBE ch\r\n", "PSUBSCRIBE c*\r\nPING\r\n", "UNSUBSCRIBE ch\r\nPUNSUBSCRIBE\r\n", "CLIENT REPLY ON\r\n",
      "~HELLO 3\r\n", "CLIENT REPLY SKIP\r\nSUBSCRIBE x\r\nPING\r\n", "CLIENT REPLY OFF\r\nPUBLISH x self\r\nGET k\r\n", "CLIENT REPLY ON\r\n",
    ]);
  });
});

describe("delivery", () => {
  test("channel and pattern subscribers in RESP2 and RESP3 get the same bytes as from Redis", async () => {
    const p = pair();
    const [k1, r1] = await p.connectBoth();
    const [k2, r2] = await p.connectBoth();
    const [kp, rp] = await p.connectBoth();
    try {
      const both = async (k: RawClient, r: RawClient, text: string) => {
        k.write(text);
        r.write(text);
        await waitFor(() => k.pendingReplies() > 0 && r.pendingReplies() > 0, 20_000, `the answer to ${JSON.stringify(text)}`);
        await p.settle([k, r]);
        expect({ text, out: k.takeAll() }).toEqual({ text, out: r.takeAll() });
      };
      // One pattern: Redis delivers to several in its hash order, which varies between runs.
      await both(k1, r1, "SUBSCRIBE ch other\r\nPSUBSCRIBE c*\r\n");
      // HELLO's reply carries each server's own id and version: switch, then drop it.
      for (const c of [k2, r2]) await c.call("HELLO", "3");
      await both(k2, r2, "SUBSCRIBE ch\r\n");
      const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
      const payload = `*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$${binary.length}\r\n${binary}\r\n`;
      kp.write(payload);
      rp.write(payload);
      expect(await kp.readReplies(1)).toEqual(await rp.readReplies(1));
      // k1 hears the channel and the pattern, k2 the channel.
      expect(await k1.readReplies(2)).toEqual(await r1.readReplies(2));
      expect(await k2.readReplies(1)).toEqual(await r2.readReplies(1));
      await p.settle([k1, r1, k2, r2]);
      for (const c of [k1, r1, k2, r2]) expect(c.takeAll()).toBe("");
      await both(kp, rp, "PUBLISH nobody x\r\nPUBSUB NUMSUB ch other none\r\nPUBSUB NUMPAT\r\n");
    } finally {
      for (const c of [k1, r1, k2, r2, kp, rp]) c.close();
    }
  });
});
