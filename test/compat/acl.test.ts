/**
 * ACL against Redis 7.0: users and their description (ACL LIST, GETUSER), rule errors,
 * what a restricted user may run (commands, first arguments, key and channel patterns,
 * selectors), AUTH and HELLO AUTH, EXEC after the rules changed, ACL LOG and DRYRUN.
 *
 * Redis lists the single commands of a description in its hash table's order, which changes
 * from process to process; the exact comparisons use rules with at most one such command.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { decodeReply, type Decoded } from "../helpers/resp.ts";
import { type Pair, req, sameScene, usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  const p = pair();
  const [users] = await p.both("ACL", "USERS");
  const names = (decodeReply(users) as string[]).filter((n) => n !== "default");
  if (names.length > 0) await p.same("ACL", "DELUSER", ...names);
  await p.same("ACL", "LOG", "RESET");
  await p.same("CONFIG", "SET", "requirepass", "");
  await p.same("FLUSHALL");
});


describe("ACL SETUSER, GETUSER and LIST", () => {
  test("new users, flags, passwords, key and channel patterns, selectors, reset", async () => {
    await pair().script(`ACL SETUSER plain
ACL SETUSER alice on >secret >other ~cache:* %R~ro:* %W~wo:* &news.* +@read +set
ACL SETUSER bob on nopass allkeys allchannels +@all -@dangerous
ACL SETUSER carol on #5e884898da28047151d0e56f8dc62927e73c2ba8b61ba4b0c7c2c8b7c1fa3ed3 -@all +@hash +select|0 +select|1
ACL SETUSER dave on >p resetkeys ~a ~a %R~a %W~b %R~b (~x* +get) (%W~y* +set &c)
ACL SETUSER erin reset skip-sanitize-payload +@list
ACL SETUSER frank +@all -@write -@admin
ACL SETUSER grace -@all +client
ACL LIST
ACL USERS
ACL GETUSER alice
ACL GETUSER dave
ACL GETUSER erin
ACL GETUSER nobody
ACL SETUSER alice <secret >third resetchannels &x
ACL GETUSER alice
ACL SETUSER alice nopass clearselectors off
ACL GETUSER alice
ACL SETUSER dave clearselectors reset
ACL LIST
ACL SETUSER Plain ON NOPASS ALLKEYS +@ALL +GET
ACL GETUSER Plain`);
    // HELLO's reply carries the connection id.
    await pair().both("HELLO", "3");
    await pair().same("ACL", "GETUSER", "dave");
    await pair().same("ACL", "GETUSER", "alice");
    await pair().both("HELLO", "2");
  });

  test("a bad rule leaves the user untouched and names the rule", async () => {
    await pair().script(`ACL SETUSER u on >p ~k*
ACL SETUSER u +nosuchcommand
ACL SETUSER u -@nosuchcategory
ACL SETUSER u +config|get|x
ACL SETUSER u +select|
ACL SETUSER u -select|0
ACL SETUSER u +config|nosuch
ACL SETUSER u ~*
ACL SETUSER u ~a ~*
ACL SETUSER u allkeys ~more
ACL SETUSER u allchannels &more
ACL SETUSER u #abc
ACL SETUSER u !0000000000000000000000000000000000000000000000000000000000000000
ACL SETUSER u <notmine
ACL SETUSER u %X~k
ACL SETUSER u %
ACL SETUSER u bogus
ACL SETUSER u (+get
ACL SETUSER u "(+get" "~a" "+set"
ACL SETUSER u "(~a" "+get)"
ACL SETUSER "with space"
ACL GETUSER u
ACL DELUSER default
ACL DELUSER u nobody
ACL DELUSER u
ACL SETUSER`);
  });

  test("CAT lists the categories, and a category's commands", async () => {
    const p = pair();
    await p.same("ACL", "CAT");
    await p.same("ACL", "CAT", "nosuch");
    await p.same("ACL", "CAT", "a", "b");
    // KVIS serves fewer commands than Redis (no scripting, geo or cluster): each command it
    // has must be in exactly the categories Redis puts it in.
    const [ours, theirs] = (await p.both("COMMAND", "LIST")).map((raw) => new Set(decodeReply(raw) as string[]));
    const both = (names: Decoded) => (names as string[]).filter((name) => ours!.has(name) && theirs!.has(name)).sort();
    for (const cat of decodeReply((await p.both("ACL", "CAT"))[1]) as string[]) {
      const [k, r] = await p.both("ACL", "CAT", cat);
      expect({ cat, commands: both(decodeReply(k)) }).toEqual({ cat, commands: both(decodeReply(r)) });
    }
  });

  test("WHOAMI, GENPASS and HELP", async () => {
    await pair().script(`ACL WHOAMI
ACL GENPASS 0
ACL GENPASS 4097
ACL GENPASS x
ACL GENPASS 1 2
ACL HELP
ACL NOSUCH
ACL LOAD
ACL SAVE
ACL LOAD x`);
    for (const [bits, chars] of [[undefined, 64], ["1", 1], ["5", 2], ["4096", 1024]] as const) {
      const [k] = await pair().both("ACL", "GENPASS", ...(bits === undefined ? [] : [bits]));
      expect(decodeReply(k) as string).toMatch(new RegExp(`^[0-9a-f]{${chars}}$`));
    }
  });
});

describe("COMMAND GETKEYS and GETKEYSANDFLAGS", () => {
  test("find keys through key specs and the per-command procs, with their flags", async () => {
    await pair().script(`COMMAND GETKEYS
COMMAND GETKEYS get
COMMAND GETKEYS nosuch a
COMMAND GETKEYS ping x
COMMAND GETKEYS get a b
COMMAND GETKEYS mset a 1 b 2
COMMAND GETKEYS zunionstore d 2 a b WEIGHTS 1 2
COMMAND GETKEYS zunionstore d x a b
COMMAND GETKEYS xread COUNT 2 STREAMS s1 s2 0 0
COMMAND GETKEYS sort src BY w:* LIMIT 0 1 GET o:* STORE dst
COMMAND GETKEYS lmove a b LEFT RIGHT
COMMAND GETKEYS config get x
COMMAND GETKEYS object encoding k
COMMAND GETKEYSANDFLAGS set a b
COMMAND GETKEYSANDFLAGS set a b GET
COMMAND GETKEYSANDFLAGS bitfield k GET u8 0
COMMAND GETKEYSANDFLAGS bitfield k SET u8 0 1
COMMAND GETKEYSANDFLAGS rename a b
COMMAND GETKEYSANDFLAGS sort src STORE dst
COMMAND GETKEYSANDFLAGS xreadgroup GROUP g c STREAMS s >
COMMAND GETKEYS spublish ch message
COMMAND GETKEYSANDFLAGS ssubscribe a b
COMMAND GETKEYS publish ch message
READONLY
READWRITE
ASKING`);
  });
});

describe("what a user may run", () => {
  test("commands, subcommands and first arguments", async () => {
    await pair().script(`ACL SETUSER u on >p allkeys -@all +get +set +config|get +select|0 +client +acl|whoami`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "u", "p")],
      [0, req("SET", "k", "v")],
      [0, req("GET", "k")],
      [0, req("DEL", "k")],
      [0, req("CONFIG", "GET", "hz")],
      [0, req("CONFIG", "SET", "hz", "10")],
      [0, req("SELECT", "0")],
      [0, req("SELECT", "1")],
      [0, req("ACL", "WHOAMI")],
      [0, req("ACL", "LIST")],
      [0, req("CLIENT", "SETNAME", "x")],
      [0, req("PING")],
      [0, req("NOSUCH")],
      [0, req("GET")],
      [0, req("AUTH", "u", "wrong")],
      [0, req("AUTH", "default", "")],
      [0, req("ACL", "WHOAMI")],
      [0, req("DEL", "k")],
    ]);
  });

  test("key patterns: read, write and both, through every kind of key spec", async () => {
    await pair().script(`ACL SETUSER u on >p +@all ~rw:* %R~r:* %W~w:*`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "u", "p")],
      [0, req("SET", "rw:1", "v")],
      [0, req("SET", "r:1", "v")],
      [0, req("SET", "w:1", "v")],
      [0, req("GET", "w:1")],
      [0, req("GET", "r:1")],
      [0, req("EXISTS", "w:1", "r:1", "other")],
      [0, req("MSET", "rw:2", "a", "w:2", "b")],
      [0, req("MSET", "rw:2", "a", "r:2", "b")],
      [0, req("COPY", "r:1", "w:3")],
      [0, req("COPY", "w:1", "rw:3")],
      [0, req("RENAME", "rw:1", "w:9")],
      [0, req("LMOVE", "r:l", "w:l", "LEFT", "RIGHT")],
      [0, req("ZUNIONSTORE", "w:z", "2", "r:a", "rw:b")],
      [0, req("ZUNIONSTORE", "w:z", "2", "r:a", "x:b")],
      [0, req("XREAD", "COUNT", "1", "STREAMS", "r:s", "x:s", "0", "0")],
      [0, req("XREAD", "COUNT", "1", "STREAMS", "r:s", "rw:s", "0", "0")],
      [0, req("SORT", "r:1", "STORE", "w:sorted")],
      [0, req("SORT", "r:1", "STORE", "r:sorted")],
      [0, req("DEL", "w:1", "r:1")],
      [0, req("DBSIZE")],
      [0, req("FLUSHDB")],
    ]);
  });

  test("channel patterns: PUBLISH and SUBSCRIBE match them, PSUBSCRIBE must equal one", async () => {
    await pair().script(`ACL SETUSER u on >p +@all allkeys resetchannels &news.* &exact`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "u", "p")],
      [0, req("PUBLISH", "news.tech", "m")],
      [0, req("PUBLISH", "sports", "m")],
      [0, req("SPUBLISH", "sports", "m")],
      [0, req("PSUBSCRIBE", "news.t*")],
      [0, req("PSUBSCRIBE", "news.*")],
      [0, req("SUBSCRIBE", "exact", "other")],
      [0, req("SUBSCRIBE", "exact", "news.x")],
      [0, req("UNSUBSCRIBE", "nothing-allowed")],
    ]);
  });

  test("a sharded channel is a channel to ACLs, not a key, though a cluster routes it as one", async () => {
    await pair().script(`ACL SETUSER shards on >p +@all resetkeys resetchannels &shard.*
ACL DRYRUN shards spublish shard.a m
ACL DRYRUN shards spublish other m
ACL DRYRUN shards ssubscribe shard.a other`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "shards", "p")],
      [0, req("SPUBLISH", "shard.a", "m")],
      [0, req("SPUBLISH", "other", "m")],
      [0, req("SSUBSCRIBE", "shard.a", "other")],
      [0, req("SSUBSCRIBE", "shard.a", "shard.b")],
      [0, req("SUNSUBSCRIBE", "other")],
    ]);
    await pair().same("ACL", "DELUSER", "shards");
  });

  test("SORT's BY and GET patterns need read access to every key", async () => {
    const p = pair();
    await p.script(`RPUSH sortme 2 1
SET w:1 5
SET w:2 0`);
    const [k, r] = await p.connectBoth();
    try {
      for (const [rules, ok] of [["~sortme", false], ["~sortme ~w:*", false], ["~sortme %W~*", false], ["~sortme %R~*", true], ["allkeys", true]] as const) {
        await p.same("ACL", "SETUSER", "sorter", "reset", "on", ">p", "+sort", "+sort_ro", ...rules.split(" "));
        for (const c of [k, r]) expect(await c.call("AUTH", "sorter", "p")).toBe("+OK\r\n");
        for (const args of [["SORT", "sortme", "BY", "w:*"], ["SORT", "sortme", "GET", "w:*"], ["SORT_RO", "sortme", "GET", "#"], ["SORT", "sortme", "BY", "nosort"], ["SORT", "sortme"]]) {
          const [kr, rr] = [await k.call(...args), await r.call(...args)];
          expect({ rules, args, reply: kr }).toEqual({ rules, args, reply: rr });
          if (args[2] === "BY" && args[3] === "w:*") expect(kr.startsWith("-")).toBe(!ok);
        }
      }
      // A selector allowing SORT with every key lets the pattern through, one without does not.
      await p.same("ACL", "SETUSER", "sorter", "reset", "on", ">p", "+sort", "~sortme", "(+sort %R~*)");
      for (const c of [k, r]) expect(await c.call("AUTH", "sorter", "p")).toBe("+OK\r\n");
      expect(await k.call("SORT", "sortme", "BY", "w:*")).toBe(await r.call("SORT", "sortme", "BY", "w:*"));
    } finally {
      k.close();
      r.close();
      await p.same("ACL", "DELUSER", "sorter");
    }
  });

  test("selectors: a command runs when any selector allows it", async () => {
    await pair().script(`ACL SETUSER u on >p -@all +get ~a:* (+set ~b:*) (+get %R~c:*)`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "u", "p")],
      [0, req("GET", "a:1")],
      [0, req("GET", "b:1")],
      [0, req("GET", "c:1")],
      [0, req("SET", "b:1", "v")],
      [0, req("SET", "a:1", "v")],
      [0, req("SET", "c:1", "v")],
    ]);
    const p = pair();
    await p.script(`ACL DRYRUN u get a:1
ACL DRYRUN u get z:1
ACL DRYRUN u set a:1 v
ACL DRYRUN u set b:1 v
ACL DRYRUN u lpush b:1 v
ACL DRYRUN u get
ACL DRYRUN u nosuch x
ACL DRYRUN nobody get a
ACL DRYRUN u config get x`);
  });

  test("a refused command inside MULTI aborts EXEC; rules changed before EXEC refuse at EXEC", async () => {
    await pair().script(`ACL SETUSER u on >p +@all ~k* &c*`);
    await sameScene(pair(), 2, [
      [0, req("AUTH", "u", "p")],
      [0, req("MULTI")],
      [0, req("SET", "k1", "v")],
      [0, req("SET", "x1", "v")],
      [0, req("EXEC")],
      [0, req("MULTI")],
      [0, req("GET", "k1")],
      [0, req("SET", "k2", "v")],
      [0, req("PUBLISH", "c1", "m")],
      [0, req("PING")],
      [1, req("ACL", "SETUSER", "u", "-get", "resetkeys", "~x*", "resetchannels")],
      [0, req("EXEC")],
    ]);
  });
});

describe("AUTH, HELLO and the default user", () => {
  test("AUTH with a user, a disabled user, an unknown user; HELLO AUTH", async () => {
    await pair().script(`ACL SETUSER on1 on >pw +@all ~*
ACL SETUSER off1 off >pw +@all ~*
ACL SETUSER free on nopass +@all ~*`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "pw")],
      [0, req("AUTH", "on1", "pw")],
      [0, req("ACL", "WHOAMI")],
      [0, req("AUTH", "off1", "pw")],
      [0, req("AUTH", "nobody", "pw")],
      [0, req("AUTH", "free", "anything")],
      [0, req("ACL", "WHOAMI")],
      [0, req("AUTH", "a", "b", "c")],
      [0, `~${req("HELLO", "2", "AUTH", "on1", "pw")}`],
      [0, req("HELLO", "2", "AUTH", "on1", "bad")],
      [0, req("ACL", "WHOAMI")],
      [0, req("RESET")],
      [0, req("ACL", "WHOAMI")],
    ]);
  });

  test("requirepass is the default user's password, checked whenever it changes", async () => {
    await sameScene(pair(), 3, [
      [0, req("CONFIG", "SET", "requirepass", "s3cret")],
      [1, req("PING")],
      [1, req("ACL", "WHOAMI")],
      [1, req("AUTH", "wrong")],
      [1, req("AUTH", "s3cret")],
      [1, req("PING")],
      [0, req("ACL", "GETUSER", "default")],
      [0, req("CONFIG", "SET", "requirepass", "")],
      [2, req("PING")],
      [0, req("ACL", "SETUSER", "default", "off")],
      [2, req("PING")],
      [0, req("ACL", "SETUSER", "default", "on")],
      [2, req("AUTH", "x")],
    ]);
    await pair().same("ACL", "LIST");
  });

  test("a client deleting its own user gets the reply, then is closed", async () => {
    await pair().script(`ACL SETUSER self on >p +acl`);
    const [k, r] = await pair().connectBoth();
    try {
      for (const c of [k, r]) {
        expect(await c.call("AUTH", "self", "p")).toBe("+OK\r\n");
        expect(await c.call("ACL", "DELUSER", "self")).toBe(":1\r\n");
        await c.readUntilClose();
      }
    } finally {
      k.close();
      r.close();
    }
  });

  test("ACL DELUSER disconnects the user's clients", async () => {
    await pair().script(`ACL SETUSER gone on >p +@all ~*`);
    const [k, r] = await pair().connectBoth();
    try {
      for (const c of [k, r]) expect(await c.call("AUTH", "gone", "p")).toBe("+OK\r\n");
      await pair().same("ACL", "DELUSER", "gone");
      for (const c of [k, r]) await c.readUntilClose();
    } finally {
      k.close();
      r.close();
    }
  });
});

describe("ACL SETUSER and subscribers", () => {
  test("revoking a channel a user's client is subscribed to closes that client", async () => {
    await pair().script(`ACL SETUSER sub on >p +@all ~* resetchannels &news.* &sport`);
    const [k, r] = await pair().connectBoth();
    const [k2, r2] = await pair().connectBoth();
    try {
      for (const c of [k, r]) {
        expect(await c.call("AUTH", "sub", "p")).toBe("+OK\r\n");
        expect(await c.call("SUBSCRIBE", "news.x")).toContain("subscribe");
      }
      for (const c of [k2, r2]) {
        expect(await c.call("AUTH", "sub", "p")).toBe("+OK\r\n");
        expect(await c.call("SUBSCRIBE", "sport")).toContain("subscribe");
      }
      // news.* stays: nobody is closed. Then news.* goes: its subscriber is closed, sport's is not.
      await pair().same("ACL", "SETUSER", "sub", "&more");
      await pair().same("ACL", "SETUSER", "sub", "resetchannels", "&sport");
      for (const c of [k, r]) await c.readUntilClose();
      for (const c of [k2, r2]) expect(await c.call("PING")).toBe("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    } finally {
      for (const c of [k, r, k2, r2]) c.close();
    }
  });

  test("allchannels taken away closes the user's subscribers, gone from CLIENT LIST at once", async () => {
    await pair().script(`ACL SETUSER all on >p +@all ~* allchannels`);
    const [k, r] = await pair().connectBoth();
    try {
      for (const c of [k, r]) {
        expect(await c.call("AUTH", "all", "p")).toBe("+OK\r\n");
        expect(await c.call("CLIENT", "SETNAME", "deathrow")).toBe("+OK\r\n");
        expect(await c.call("PSUBSCRIBE", "foo")).toContain("psubscribe");
      }
      // Asked right after, on another connection: the server drops the client itself, as
      // Redis frees it, without waiting for the peer to close its end.
      await pair().same("ACL", "SETUSER", "all", "resetchannels");
      for (const server of [pair().kvis, pair().redis]) expect(await server.call("CLIENT", "LIST")).not.toContain("name=deathrow");
      for (const c of [k, r]) await c.readUntilClose();
    } finally {
      k.close();
      r.close();
      await pair().same("ACL", "DELUSER", "all");
    }
  });
});

describe("ACL LOG", () => {
  /** The log without the parts that differ by nature: age, and client ids and addresses. */
  async function sameLog(p: Pair, ...args: string[]): Promise<void> {
    const [k, r] = await p.both("ACL", "LOG", ...args);
    const mask = (raw: string) =>
      (decodeReply(raw) as Decoded[][]).map((entry) => {
        const fields = Object.fromEntries(Array.from({ length: entry.length / 2 }, (_, i) => [entry[2 * i], entry[2 * i + 1]]));
        const info = String(fields["client-info"]);
        return { ...fields, "age-seconds": typeof fields["age-seconds"], "client-info": info.match(/ (cmd=\S+ user=\S+)/)?.[1] };
      });
    expect(mask(k)).toEqual(mask(r));
  }

  test("denied commands, keys, channels and logins are logged, repeats folded", async () => {
    await pair().script(`ACL SETUSER u on >p -@all +get +publish ~k*`);
    await sameScene(pair(), 1, [
      [0, req("AUTH", "u", "p")],
      [0, req("SET", "k", "v")],
      [0, req("GET", "x1")],
      [0, req("GET", "x1")],
      [0, req("PUBLISH", "ch", "m")],
      [0, req("MULTI")],
      [0, req("GET", "x2")],
      [0, req("DISCARD")],
      [0, req("AUTH", "u", "wrong")],
      [0, req("AUTH", "nobody", "p")],
    ]);
    const p = pair();
    await sameLog(p);
    await sameLog(p, "2");
    await sameLog(p, "-1");
    await p.same("ACL", "LOG", "x");
    await p.same("ACL", "LOG", "RESET");
    await sameLog(p);
  });

  test("acllog-max-len caps the log", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "acllog-max-len", "2");
    await p.script(`ACL SETUSER u on >p -@all`);
    await sameScene(p, 1, [
      [0, req("AUTH", "a", "b")],
      [0, req("AUTH", "c", "d")],
      [0, req("AUTH", "e", "f")],
    ]);
    await sameLog(p);
    await p.same("CONFIG", "GET", "acllog-max-len");
    await p.same("CONFIG", "SET", "acllog-max-len", "128");
  });
});
