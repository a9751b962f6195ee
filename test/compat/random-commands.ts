/**
 * The random command generators of the differential tests (random.test.ts compares every
 * reply with Redis's; random-interop.test.ts replays the same sequences through replication,
 * the AOF and RDB files): commands drawn from every data type's family over a handful of
 * keys, so that types collide and values are and are not numbers. Nothing here depends on
 * the clock (no relative TTLs, no * stream IDs).
 */
export const FEW_KEYS = ["k0", "k1", "k2", "k3", "k4", "k5"];
/**
 * More keys than KVIS keeps open between commands, so that small lists and sorted sets go
 * back and forth between their objects and their packed bytes (store/packed-values.ts).
 */
export const MANY_KEYS = Array.from({ length: 160 }, (_, i) => `k${i}`);
const VALUES = ["a", "b", "c", "dd", "1", "2", "10", "-3", "3.5", "", "x y", "0", "9223372036854775807", "abc"];
const NUMBERS = ["0", "1", "2", "-1", "-2", "3", "5", "100", "-100", "x", "1.5", "9223372036854775807"];
const SCORES = ["0", "1", "2.5", "-1", "inf", "-inf", "10", "1e3", "x", "(1", "3", "-0"];
const BOUNDS = ["-inf", "+inf", "0", "(1", "2", "(2.5", "10", "x", "-", "+", "[a", "(b", "[c", "a"];

/** Strings, lists, hashes, sets, sorted sets, the keyspace, bitmaps and HyperLogLog. */
export function generator(rand: () => number, KEYS: readonly string[]) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const key = () => pick(KEYS);
  const val = () => pick(VALUES);
  const num = () => pick(NUMBERS);
  const some = (f: () => string, max = 3) => Array.from({ length: 1 + Math.floor(rand() * max) }, f);
  const commands: Array<() => string[]> = [
    // Strings.
    () => ["SET", key(), val()],
    () => ["GET", key()],
    () => ["APPEND", key(), val()],
    () => ["INCR", key()],
    () => ["INCRBY", key(), num()],
    () => ["DECRBY", key(), num()],
    () => ["INCRBYFLOAT", key(), pick(["0.1", "1.5", "-2", "x", "1e3"])],
    () => ["STRLEN", key()],
    () => ["GETRANGE", key(), num(), num()],
    () => ["SETRANGE", key(), pick(["0", "2", "5"]), val()],
    () => ["MGET", ...some(key)],
    () => ["MSET", key(), val(), key(), val()],
    () => ["GETDEL", key()],
    () => ["SETNX", key(), val()],
    () => ["GETSET", key(), val()],
    // Lists.
    () => ["LPUSH", key(), ...some(val)],
    () => ["RPUSH", key(), ...some(val)],
    () => ["LPUSHX", key(), val()],
    () => ["LPOP", key()],
    () => ["RPOP", key(), pick(["0", "1", "2", "5", "-1"])],
    () => ["LLEN", key()],
    () => ["LRANGE", key(), num(), num()],
    () => ["LINDEX", key(), num()],
    () => ["LSET", key(), num(), val()],
    () => ["LINSERT", key(), pick(["BEFORE", "AFTER"]), val(), val()],
    () => ["LREM", key(), pick(["0", "1", "-1", "2"]), val()],
    () => ["LTRIM", key(), num(), num()],
    () => ["LPOS", key(), val(), ...pick([[], ["RANK", "-1"], ["COUNT", "0"], ["RANK", "2", "COUNT", "2"], ["MAXLEN", "3"]])],
    () => ["LMOVE", key(), key(), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])],
    // Hashes.
    () => ["HSET", key(), val(), val(), ...(rand() < 0.3 ? [val(), val()] : [])],
    () => ["HSETNX", key(), val(), val()],
    () => ["HGET", key(), val()],
    () => ["HMGET", key(), ...some(val)],
    () => ["HDEL", key(), ...some(val)],
    () => ["HLEN", key()],
    () => ["HEXISTS", key(), val()],
    () => ["HSTRLEN", key(), val()],
    () => ["HINCRBY", key(), val(), num()],
    () => ["HINCRBYFLOAT", key(), val(), pick(["0.5", "-1", "x"])],
    () => ["HGETALL", key()],
    () => ["HKEYS", key()],
    // Sets.
    () => ["SADD", key(), ...some(val)],
    () => ["SREM", key(), ...some(val)],
    () => ["SISMEMBER", key(), val()],
    () => ["SMISMEMBER", key(), ...some(val)],
    () => ["SCARD", key()],
    () => ["SMEMBERS", key()],
    () => ["SINTER", ...some(key)],
    () => ["SUNION", ...some(key)],
    () => ["SDIFF", ...some(key)],
    () => ["SINTERSTORE", key(), ...some(key)],
    () => ["SUNIONSTORE", key(), ...some(key)],
    () => ["SINTERCARD", "2", key(), key()],
    () => ["SMOVE", key(), key(), val()],
    // Sorted sets.
    () => ["ZADD", key(), ...pick([[], ["NX"], ["XX"], ["GT"], ["LT", "CH"], ["INCR"]]), pick(SCORES), val()],
    () => ["ZADD", key(), pick(SCORES), val(), pick(SCORES), val()],
    () => ["ZINCRBY", key(), pick(SCORES), val()],
    () => ["ZREM", key(), ...some(val)],
    () => ["ZSCORE", key(), val()],
    () => ["ZMSCORE", key(), ...some(val)],
    () => ["ZCARD", key()],
    () => ["ZRANK", key(), val()],
    () => ["ZREVRANK", key(), val()],
    () => ["ZCOUNT", key(), pick(BOUNDS), pick(BOUNDS)],
    () => ["ZLEXCOUNT", key(), pick(BOUNDS), pick(BOUNDS)],
    () => ["ZRANGE", key(), num(), num(), ...pick([[], ["WITHSCORES"], ["REV"]])],
    () => ["ZRANGE", key(), pick(BOUNDS), pick(BOUNDS), pick(["BYSCORE", "BYLEX"]), ...pick([[], ["REV"], ["LIMIT", "1", "2"], ["REV", "LIMIT", "0", "-1"]])],
    () => ["ZRANGEBYSCORE", key(), pick(BOUNDS), pick(BOUNDS), ...pick([[], ["WITHSCORES"], ["LIMIT", "1", "1"]])],
    () => ["ZREVRANGEBYLEX", key(), pick(BOUNDS), pick(BOUNDS)],
    () => ["ZPOPMIN", key(), ...pick([[], ["2"]])],
    () => ["ZPOPMAX", key()],
    () => ["ZREMRANGEBYSCORE", key(), pick(BOUNDS), pick(BOUNDS)],
    () => ["ZREMRANGEBYRANK", key(), num(), num()],
    () => ["ZREMRANGEBYLEX", key(), pick(BOUNDS), pick(BOUNDS)],
    () => ["ZUNIONSTORE", key(), "2", key(), key(), ...pick([[], ["WEIGHTS", "2", "0.5"], ["WEIGHTS", "-1", "0"], ["AGGREGATE", "MAX"]])],
    () => ["ZINTER", "2", key(), key(), ...pick([[], ["WEIGHTS", "-1", "-0"]]), "WITHSCORES"],
    () => ["ZUNION", "2", key(), key(), ...pick([[], ["WEIGHTS", "-1", "1"]]), "WITHSCORES"],
    () => ["ZDIFF", "2", key(), key()],
    () => ["ZRANGESTORE", key(), key(), "0", "-1"],
    () => ["ZMPOP", "2", key(), key(), pick(["MIN", "MAX"]), "COUNT", "2"],
    // The keyspace.
    () => ["DEL", ...some(key)],
    () => ["EXISTS", ...some(key)],
    () => ["TYPE", key()],
    () => ["RENAME", key(), key()],
    () => ["COPY", key(), key(), ...pick([[], ["REPLACE"]])],
    () => ["OBJECT", "ENCODING", key()],
    () => ["SORT", key(), ...pick([[], ["ALPHA"], ["DESC", "ALPHA", "LIMIT", "0", "2"]])],
    // Bitmaps and HyperLogLog.
    () => ["SETBIT", key(), pick(["0", "3", "17"]), pick(["0", "1"])],
    () => ["BITCOUNT", key()],
    () => ["BITPOS", key(), pick(["0", "1"])],
    () => ["PFADD", key(), ...some(val)],
    () => ["PFCOUNT", ...some(key)],
  ];
  return () => pick(commands)();
}

/**
 * Commands whose argument checks and edge cases are many: bitfields and bit ranges, BITOP,
 * LCS, streams with given IDs (trimming, deleting, groups), geo, and LMPOP and ZINTERCARD.
 * Nothing here depends on the clock (no * IDs, no TTLs).
 */
export function moreGenerator(rand: () => number, KEYS: readonly string[]) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const key = () => pick(KEYS);
  const val = () => pick(["a", "", "abc", "foobar", "\u00ff\u0000", "10", "-1", "x y", "hello world"]);
  const int = () => pick(["0", "1", "2", "3", "7", "8", "15", "16", "63", "64", "100", "-1", "-5", "x", "4294967295", "9223372036854775807"]);
  const type = () => pick(["u1", "u4", "i4", "u8", "i8", "i16", "u16", "i32", "u31", "i64", "u63", "u64", "i65", "x8", "u0"]);
  const offset = () => pick(["0", "1", "7", "8", "#0", "#1", "#3", "13", "-1", "x"]);
  const range = () => (rand() < 0.5 ? [int(), int(), ...(rand() < 0.5 ? [pick(["BIT", "BYTE"])] : [])] : []);
  const id = () => pick(["1-1", "1-2", "2-0", "5-5", "0-1", "3", "10-0", "0-0", "x"]);
  const bound = () => pick(["-", "+", "1", "1-2", "(1-1", "2-0", "(5-5", "9", "0"]);
  const lon = () => pick(["13.361389", "15.087269", "-122.27652", "0", "180", "-180.0001", "x"]);
  const lat = () => pick(["38.115556", "37.502669", "37.80574", "0", "85.05112878", "-90"]);
  const place = () => pick(["Palermo", "Catania", "SF", "a", "b"]);
  const commands: Array<() => string[]> = [
    () => ["SET", key(), val()],
    () => ["GET", key()],
    () => ["APPEND", key(), val()],
    () => ["SETRANGE", key(), pick(["0", "1", "5", "-1", "20"]), val()],
    () => ["GETRANGE", key(), int(), int()],
    () => ["SETBIT", key(), pick(["0", "1", "7", "15", "100"]), pick(["0", "1"])],
    () => ["BITFIELD", key(), ...pick([["GET", type(), offset()], ["SET", type(), offset(), int()], ["INCRBY", type(), offset(), int()], ["OVERFLOW", pick(["WRAP", "SAT", "FAIL", "X"]), "INCRBY", type(), offset(), int()]])],
    () => ["BITFIELD_RO", key(), "GET", type(), offset()],
    () => ["BITOP", pick(["AND", "OR", "XOR", "NOT", "x"]), key(), key(), ...(rand() < 0.5 ? [key()] : [])],
    () => ["BITCOUNT", key(), ...range()],
    () => ["BITPOS", key(), pick(["0", "1"]), ...range()],
    () => ["LCS", key(), key(), ...pick([[], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", int()], ["IDX", "WITHMATCHLEN"]])],
    () => ["XADD", key(), ...pick([[], ["NOMKSTREAM"], ["MAXLEN", int()], ["MAXLEN", "~", int()], ["MINID", id()]]), id(), "f", val()],
    () => ["XRANGE", key(), bound(), bound(), ...(rand() < 0.5 ? ["COUNT", int()] : [])],
    () => ["XREVRANGE", key(), bound(), bound(), ...(rand() < 0.5 ? ["COUNT", int()] : [])],
    () => ["XLEN", key()],
    () => ["XDEL", key(), id()],
    () => ["XTRIM", key(), pick(["MAXLEN", "MINID"]), ...(rand() < 0.3 ? ["="] : []), pick(["0", "1", "2", "2-0", "x"])],
    () => ["XREAD", "COUNT", int(), "STREAMS", key(), pick(["0", "1-1", "$", "9"])],
    () => ["XSETID", key(), id()],
    () => ["XGROUP", "CREATE", key(), "g", pick(["0", "$", "1-1"]), ...(rand() < 0.5 ? ["MKSTREAM"] : [])],
    () => ["XREADGROUP", "GROUP", "g", "c", "COUNT", int(), "STREAMS", key(), pick([">", "0"])],
    () => ["XACK", key(), "g", id()],
    () => ["XPENDING", key(), "g"],
    () => ["XINFO", "STREAM", key()],
    () => ["GEOADD", key(), ...pick([[], ["NX"], ["XX"], ["CH"]]), lon(), lat(), place()],
    () => ["GEOPOS", key(), place(), place()],
    () => ["GEODIST", key(), place(), place(), pick(["m", "km", "mi", "ft", "x"])],
    () => ["GEOHASH", key(), place()],
    () => ["GEOSEARCH", key(), ...pick([["FROMMEMBER", place()], ["FROMLONLAT", lon(), lat()]]), ...pick([["BYRADIUS", pick(["100", "200", "0", "-1"]), "km"], ["BYBOX", "300", "300", "km"]]), pick(["ASC", "DESC"]), ...pick([[], ["WITHCOORD"], ["WITHDIST"], ["WITHHASH"], ["COUNT", "1"]])],
    () => ["LMPOP", "2", key(), key(), pick(["LEFT", "RIGHT"]), ...(rand() < 0.5 ? ["COUNT", int()] : [])],
    () => ["RPUSH", key(), val(), val()],
    () => ["ZADD", key(), pick(["1", "2", "0"]), val()],
    () => ["ZINTERCARD", "2", key(), key(), ...(rand() < 0.5 ? ["LIMIT", int()] : [])],
    () => ["SADD", key(), val()],
    () => ["SMISMEMBER", key(), val(), val()],
    () => ["DEL", key()],
    () => ["OBJECT", "ENCODING", key()],
    () => ["TYPE", key()],
    () => ["STRLEN", key()],
  ];
  return () => pick(commands)();
}

/**
 * SET's options and their clashes, GETEX, EXPIREAT's conditions (fixed times: nothing
 * depends on the clock), lists' LPOS, LINSERT, LSET and LTRIM, SORT with BY and GET
 * patterns and STORE, SINTERCARD, and the keyspace commands across databases (MOVE,
 * SWAPDB, COPY DB, RENAMENX). No DBSIZE: a key SET with a time already past (EXAT 1) is
 * gone for every command but DBSIZE, which counts it until each server's active expiry
 * happens to remove it.
 */
export function keyspaceGenerator(rand: () => number, KEYS: readonly string[]) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const key = () => pick(KEYS);
  const val = () => pick(["a", "b", "", "1", "2", "10", "-3", "x y", "c", "3.5"]);
  const int = () => pick(["0", "1", "2", "-1", "-2", "3", "100", "x", "9223372036854775807", "-9223372036854775808"]);
  const opt = () => pick([[], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", pick(["x", "-1", "0"])], ["PX", pick(["x", "-1", "0"])], ["EXAT", pick(["4102444800", "1", "0", "x"])], ["PXAT", pick(["4102444800000", "1"])], ["NX", "GET"], ["XX", "GET", "KEEPTTL"], ["EX", "10", "PX", "10"], ["KEEPTTL", "EXAT", "4102444800"]]);
  const cmds: Array<() => string[]> = [
    () => ["SET", key(), val(), ...opt(), ...(rand() < 0.2 ? opt() : [])],
    () => ["GETEX", key(), ...pick([[], ["PERSIST"], ["EXAT", "4102444800"], ["PXAT", "4102444800000"], ["EX", pick(["x", "0", "-1"])], ["PERSIST", "EX", "1"], ["FOO"]])],
    () => ["EXPIRETIME", key()],
    () => ["PEXPIRETIME", key()],
    () => ["EXPIREAT", key(), pick(["4102444800", "4102444801", "x", "9223372036854775807"]), ...pick([[], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["GT", "LT"]])],
    () => ["PERSIST", key()],
    () => ["GETDEL", key()],
    () => ["GETSET", key(), val()],
    () => ["SETNX", key(), val()],
    () => ["MSETNX", key(), val(), key(), val()],
    () => ["RPUSH", key(), val(), val(), val()],
    () => ["LPOS", key(), val(), ...pick([[], ["RANK", int()], ["COUNT", int()], ["MAXLEN", int()], ["RANK", "-1", "COUNT", "0"], ["COUNT", "2", "MAXLEN", "3"]])],
    () => ["LINSERT", key(), pick(["BEFORE", "AFTER", "x"]), val(), val()],
    () => ["LSET", key(), int(), val()],
    () => ["LTRIM", key(), int(), int()],
    () => ["LRANGE", key(), int(), int()],
    () => ["LREM", key(), int(), val()],
    () => ["LPUSHX", key(), val()],
    () => ["HSET", key(), val(), val(), ...(rand() < 0.5 ? [val(), val()] : [])],
    () => ["HINCRBYFLOAT", key(), val(), pick(["1.5", "-2", "x", "1e400", "0"])],
    () => ["HINCRBY", key(), val(), int()],
    () => ["HLEN", key()],
    () => ["SADD", key(), val(), val()],
    () => ["SINTERCARD", pick(["1", "2", "0", "x"]), key(), key(), ...(rand() < 0.5 ? ["LIMIT", int()] : [])],
    () => ["SORT", key(), ...pick([[], ["ALPHA"], ["BY", "w_*"], ["ALPHA", "GET", "#"], ["ALPHA", "GET", "h_*->f"], ["LIMIT", int(), int()], ["DESC"], ["STORE", key()], ["BY", "w_*", "GET", "#", "GET", "v_*"]])],
    () => ["SET", pick(["w_a", "w_b", "w_1", "v_a", "v_1"]), val()],
    () => ["HSET", pick(["h_a", "h_1", "h_b"]), "f", val()],
    () => ["RENAMENX", key(), key()],
    () => ["MOVE", key(), pick(["1", "0", "16", "x"])],
    () => ["SWAPDB", "0", pick(["1", "0", "x"])],
    () => ["COPY", key(), key(), ...pick([[], ["REPLACE"], ["DB", "1"], ["DB", "1", "REPLACE"]])],
    () => ["OBJECT", pick(["ENCODING", "FREQ", "REFCOUNT"]), key()],
    () => ["TYPE", key()],
    () => ["DEL", key()],
    () => ["EXISTS", key(), key()],
    () => ["TOUCH", key(), key()],
    () => ["STRLEN", key()],
    () => ["MGET", key(), key()],
    () => ["INCRBY", key(), int()],
    () => ["DECRBY", key(), int()],
  ];
  return () => pick(cmds)();
}
