/**
 * String commands (COMMAND DOCS group "string"). SET's option parsing follows Redis's
 * parseExtendedStringArgumentsOrReply: every option is checked for conflicts first, and
 * only then is the expire time read, so errors come in Redis's order.
 */
import { now } from "../clock.ts";
import { SYNTAX_ERR, WRONGTYPE, invalidExpireTime } from "../errors.ts";
import { bytesToString, lowerAscii } from "../resp/bytes.ts";
import { parseIntArg } from "./args.ts";
import { command } from "./command.ts";
import { absoluteDeadline } from "./generic.ts";


export const getCommand = command({
  name: "get", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["string"],
  summary: "Get the value of a key", since: "1.0.0",
  handler(c, argv) {
    const value = c.db.lookupString(bytesToString(argv[1]!));
    if (value === undefined) c.reply.null();
    else c.reply.bulkString(value);
  },
});

const enum SetFlag {
  None = 0,
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  EX = 16,
  PX = 32,
  EXAT = 64,
  PXAT = 128,
}
const EXPIRE_FLAGS = SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT | SetFlag.KEEPTTL;

export const setCommand = command({
  name: "set", arity: -3, flags: ["write", "denyoom"],
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update", "variable_flags"], notes: "RW and ACCESS due to the optional `GET` argument" }, categories: ["string"],
  summary: "Set the string value of a key", since: "1.0.0",
  handler(c, argv) {
    let flags = SetFlag.None;
    let expireArg: Uint8Array | undefined;
    for (let i = 3; i < argv.length; i++) {
      const opt = lowerAscii(argv[i]!);
      const hasNext = i + 1 < argv.length;
      // Repeating an option is allowed (the last value wins); combining rivals is not.
      const expireFlag = opt === "ex" ? SetFlag.EX : opt === "px" ? SetFlag.PX : opt === "exat" ? SetFlag.EXAT : opt === "pxat" ? SetFlag.PXAT : 0;
      if (opt === "nx" && !(flags & SetFlag.XX)) flags |= SetFlag.NX;
      else if (opt === "xx" && !(flags & SetFlag.NX)) flags |= SetFlag.XX;
      else if (opt === "get") flags |= SetFlag.GET;
      else if (opt === "keepttl" && !(flags & (EXPIRE_FLAGS & ~SetFlag.KEEPTTL))) flags |= SetFlag.KEEPTTL;
      else if (expireFlag !== 0 && hasNext && !(flags & (EXPIRE_FLAGS & ~expireFlag))) {
        flags |= expireFlag;
        expireArg = argv[++i];
      } else throw SYNTAX_ERR;
    }

    let when = -1;
    if (expireArg !== undefined) {
      const given = parseIntArg(expireArg);
      const unitMs = flags & (SetFlag.EX | SetFlag.EXAT) ? 1000 : 1;
      const basetime = flags & (SetFlag.EX | SetFlag.PX) ? now() : 0;
      const deadline = given <= 0 ? undefined : absoluteDeadline(given, unitMs, basetime);
      if (deadline === undefined) throw invalidExpireTime("set");
      when = deadline;
    }

    const key = bytesToString(argv[1]!);
    const db = c.db;
    const old = db.lookupKeyWrite(key);
    if (flags & SetFlag.GET && old !== undefined && typeof old !== "string") throw WRONGTYPE;
    if ((flags & SetFlag.NX && old !== undefined) || (flags & SetFlag.XX && old === undefined)) {
      if (flags & SetFlag.GET && old !== undefined) c.reply.bulkString(old);
      else c.reply.null();
      return;
    }
    db.setKey(key, bytesToString(argv[2]!), (flags & SetFlag.KEEPTTL) !== 0);
    if (when !== -1) db.setExpire(key, when);
    if (flags & SetFlag.GET) {
      if (old === undefined) c.reply.null();
      else c.reply.bulkString(old);
    } else {
      c.reply.ok();
    }
  },
});
