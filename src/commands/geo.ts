/**
 * GEO commands (COMMAND DOCS group "geo"), as Redis 7.0's geo.c: a geospatial index is an
 * ordinary sorted set whose scores are 52-bit geohashes (src/store/geohash.ts). GEOADD is
 * ZADD with the scores computed (and replicates as that ZADD); the searches, GEORADIUS,
 * GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and GEOSEARCHSTORE, share georadiusGeneric
 * with Redis's argument rules, order of checks and error texts.
 */
import { Argv } from "../resp/argv.ts";
import {
  GEO_ANY_NEEDS_COUNT, GEO_BOX_NEGATIVE, GEO_COUNT, GEO_MEMBER, GEO_NEED_HEIGHT, GEO_NEED_RADIUS,
  GEO_NEED_WIDTH, GEO_RADIUS_NEGATIVE, GEO_UNIT, NOT_INTEGER, SYNTAX_ERR,
  geoBy, geoFrom, geoInvalidLonLat, geoStoreWith,
} from "../errors.ts";
import { parseInt64 } from "../resp/bytes.ts";
import { formatFixed, formatLongDouble, longDoubleOf } from "../resp/long-double.ts";
import { NotifyClass } from "../keyspace-events.ts";
import {
  GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, type Shape, cellScores, decodeScore, distance,
  distanceWithin, scoreText, searchCells, standardGeohash,
} from "../store/geohash.ts";
import { SortedSet } from "../store/sorted-set.ts";
import type { Context } from "./context.ts";
import { type FullKeySpec, command } from "./command.ts";
import { parseDoubleArg } from "./args.ts";
import { zaddGeneric } from "./sorted-set.ts";

/** argv[i], argv[i + 1] as a longitude and latitude within Redis's limits. [lon, lat] */
function lonLatArgs(argv: Argv, i: number): [number, number] {
  const lon = parseDoubleArg(argv, i);
  const lat = parseDoubleArg(argv, i + 1);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw geoInvalidLonLat(formatFixed(lon, 6), formatFixed(lat, 6));
  }
  return [lon, lat];
}

/** A unit's size in meters (any case). */
function unitArg(argv: Argv, i: number): number {
  const unit = argv.keyword(i);
  if (unit === "m") return 1;
  if (unit === "km") return 1000;
  if (unit === "ft") return 0.3048;
  if (unit === "mi") return 1609.34;
  throw GEO_UNIT;
}

/** A distance as Redis gives it: rounded to 4 decimals, half to even (fixedpoint_d2string). */
function formatDistance(d: number): string {
  if (d === 0) return "0.0000";
  const n = roundHalfEven(d * 10000);
  const digits = String(Math.abs(n)).padStart(5, "0");
  return `${n < 0 ? "-" : ""}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A coordinate as Redis replies it: the double printed as a long double ("%.17Lf", zeros cut). */
function formatCoordinate(d: number): string {
  return formatLongDouble(longDoubleOf(d));
}

/** The position of a member of a geo set. [lon, lat] */
function memberPosition(zset: SortedSet, member: string): [number, number] | undefined {
  const score = zset.score(member);
  return score === undefined ? undefined : decodeScore(score);
}

/** GEOADD key [NX|XX] [CH] lon lat member ...: ZADD of the members with their geohashes as scores. */
export const geoaddCommand = command({
  name: "geoadd", arity: -5, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  history: [["6.2.0", "Added the `CH`, `NX` and `XX` options."]],
  args: "key:key#0 condition(NX|XX)?@6.2.0 CH/change?@6.2.0 longitude_latitude_member{longitude:double latitude:double member:string}...",
  summary: "Add one or more geospatial items in the geospatial index represented using a sorted set", since: "3.2.0",
  complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
  handler(c, argv) {
    let at = 2;
    let nx = false;
    let xx = false;
    for (; at < argv.length; at++) {
      const opt = argv.keyword(at);
      if (opt === "nx") nx = true;
      else if (opt === "xx") xx = true;
      else if (opt !== "ch") break;
    }
    if ((argv.length - at) % 3 !== 0 || (nx && xx)) throw SYNTAX_ERR;
    const zadd: string[] = ["zadd"];
    for (let i = 1; i < at; i++) zadd.push(argv.str(i));
    for (let i = at; i < argv.length; i += 3) {
      const [lon, lat] = lonLatArgs(argv, i);
      zadd.push(scoreText(lon, lat), argv.str(i + 2));
    }
    zaddGeneric(c, Argv.of(...zadd));
    c.propagateAs(zadd);
  },
});

/** GEODIST key member1 member2 [M|KM|FT|MI] */
export const geodistCommand = command({
  name: "geodist", arity: -4, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  args: "key:key#0 member1:string member2:string unit(M|KM|FT|MI)?",
  summary: "Returns the distance between two members of a geospatial index", since: "3.2.0", complexity: "O(log(N))",
  handler(c, argv) {
    let toMeters = 1;
    if (argv.length === 5) toMeters = unitArg(argv, 4);
    else if (argv.length > 5) throw SYNTAX_ERR;
    const zset = c.db.readAs(argv.str(1), SortedSet);
    const a = zset && memberPosition(zset, argv.str(2));
    const b = zset && memberPosition(zset, argv.str(3));
    if (a === undefined || b === undefined) return c.reply.null();
    c.reply.bulkString(formatDistance(distance(a[0], a[1], b[0], b[1]) / toMeters));
  },
});

/** GEOHASH key [member ...]: standard 11-character geohashes. */
export const geohashCommand = command({
  name: "geohash", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  args: "key:key#0 member:string...",
  summary: "Returns members of a geospatial index as standard geohash strings", since: "3.2.0",
  complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
  handler(c, argv) {
    const zset = c.db.readAs(argv.str(1), SortedSet);
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const score = zset?.score(argv.str(i));
      if (score === undefined) c.reply.null();
      else c.reply.bulkString(standardGeohash(score));
    }
  },
});

/** GEOPOS key [member ...]: [longitude, latitude] of each member, or a null array. */
export const geoposCommand = command({
  name: "geopos", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  args: "key:key#0 member:string...",
  summary: "Returns longitude and latitude of members of a geospatial index", since: "3.2.0",
  complexity: "O(N) where N is the number of members requested.",
  handler(c, argv) {
    const zset = c.db.readAs(argv.str(1), SortedSet);
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const position = zset && memberPosition(zset, argv.str(i));
      if (position === undefined) {
        c.reply.nullArray();
        continue;
      }
      c.reply.array(2);
      c.reply.doubleText(formatCoordinate(position[0]));
      c.reply.doubleText(formatCoordinate(position[1]));
    }
  },
});

const enum Search {
  /** GEORADIUS: around coordinates. */
  Coords = 1,
  /** GEORADIUSBYMEMBER: around a member. */
  Member = 2,
  /** The _RO forms: no STORE or STOREDIST. */
  NoStore = 4,
  /** GEOSEARCH's arguments. */
  GeoSearch = 8,
  /** GEOSEARCHSTORE: a destination key first, STOREDIST without a key. */
  GeoSearchStore = 16,
}

const enum Sort {
  None,
  Asc,
  Desc,
}

interface Found {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/** argv[i] and argv[i + 1] as a radius and its unit. [radius, toMeters] */
function radiusArgs(argv: Argv, i: number): [number, number] {
  const radius = parseDoubleArg(argv, i, GEO_NEED_RADIUS);
  if (radius < 0) throw GEO_RADIUS_NEGATIVE;
  return [radius, unitArg(argv, i + 1)];
}

/**
 * Every search command (Redis's georadiusGeneric): the source key at `srcAt`; the shape
 * from the fixed arguments (GEORADIUS, GEORADIUSBYMEMBER) or from FROMMEMBER/FROMLONLAT and
 * BYRADIUS/BYBOX (GEOSEARCH); then the options, checked in Redis's order.
 */
function georadiusGeneric(c: Context, argv: Argv, srcAt: number, flags: number): void {
  const zset = c.db.readAs(argv.str(srcAt), SortedSet);
  let center: [number, number] | undefined;
  let radius: [number, number] | undefined;
  let box: [number, number, number] | undefined;
  let storeKey: string | undefined;
  let storeDist = false;
  let base: number;
  if (flags & Search.Coords) {
    base = 6;
    center = lonLatArgs(argv, 2);
    radius = radiusArgs(argv, 4);
  } else if (flags & Search.Member) {
    base = 5;
    // Without the key the rest is still parsed, to know which empty reply to give.
    if (zset !== undefined) {
      center = memberPosition(zset, argv.str(2));
      if (center === undefined) throw GEO_MEMBER;
      radius = radiusArgs(argv, 3);
    }
  } else {
    base = 2;
    if (flags & Search.GeoSearchStore) {
      base = 3;
      storeKey = argv.str(1);
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLonLat = false;
  let sort = Sort.None;
  let any = false;
  let count = 0;
  const searching = (flags & Search.GeoSearch) !== 0;
  const storeAllowed = !(flags & Search.NoStore) && !searching;
  for (let i = base; i < argv.length; i++) {
    const left = argv.length - i - 1;
    const arg = argv.keyword(i);
    if (arg === "withdist") withDist = true;
    else if (arg === "withhash") withHash = true;
    else if (arg === "withcoord") withCoord = true;
    else if (arg === "any") any = true;
    else if (arg === "asc") sort = Sort.Asc;
    else if (arg === "desc") sort = Sort.Desc;
    else if (arg === "count" && left >= 1) {
      const n = parseInt64(argv.bytes(++i));
      if (n === undefined) throw NOT_INTEGER;
      if (n <= 0) throw GEO_COUNT;
      count = n;
    } else if ((arg === "store" || arg === "storedist") && left >= 1 && storeAllowed) {
      storeKey = argv.str(++i);
      storeDist = arg === "storedist";
    } else if (arg === "storedist" && flags & Search.GeoSearchStore) {
      storeDist = true;
    } else if (arg === "frommember" && left >= 1 && searching && !fromLonLat) {
      fromMember = true;
      const member = argv.str(++i);
      // Without the key there is no member to find: the search is empty.
      if (zset !== undefined) {
        center = memberPosition(zset, member);
        if (center === undefined) throw GEO_MEMBER;
      }
    } else if (arg === "fromlonlat" && left >= 2 && searching && !fromMember) {
      center = lonLatArgs(argv, i + 1);
      fromLonLat = true;
      i += 2;
    } else if (arg === "byradius" && left >= 2 && searching && box === undefined) {
      radius = radiusArgs(argv, i + 1);
      i += 2;
    } else if (arg === "bybox" && left >= 3 && searching && radius === undefined) {
      const width = parseDoubleArg(argv, i + 1, GEO_NEED_WIDTH);
      const height = parseDoubleArg(argv, i + 2, GEO_NEED_HEIGHT);
      if (height < 0 || width < 0) throw GEO_BOX_NEGATIVE;
      box = [width, height, unitArg(argv, i + 3)];
      i += 3;
    } else {
      throw SYNTAX_ERR;
    }
  }

  if (storeKey !== undefined && (withDist || withHash || withCoord)) {
    throw geoStoreWith(flags & Search.GeoSearchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
  }
  if (searching && !(fromMember || fromLonLat)) throw geoFrom(argv.str(0));
  if (searching && radius === undefined && box === undefined) throw geoBy(argv.str(0));
  if (any && count === 0) throw GEO_ANY_NEEDS_COUNT;

  if (zset === undefined) {
    if (storeKey === undefined) return c.reply.array(0);
    if (c.db.delete(storeKey)) c.notify(NotifyClass.Generic, "del", storeKey);
    return c.reply.integer(0);
  }
  // COUNT without an order means the nearest ones (unless ANY asks for any).
  if (count !== 0 && sort === Sort.None && !any) sort = Sort.Asc;

  const [lon, lat] = center!;
  const shape: Shape = radius !== undefined
    ? { kind: "radius", lon, lat, radius: radius[0], toMeters: radius[1] }
    : { kind: "box", lon, lat, width: box![0], height: box![1], toMeters: box![2] };
  const found = pointsWithin(zset, shape, any ? count : 0);
  if (found.length === 0 && storeKey === undefined) return c.reply.array(0);

  if (sort !== Sort.None) found.sort(sort === Sort.Asc ? (a, b) => a.dist - b.dist : (a, b) => b.dist - a.dist);
  const returned = count === 0 ? found.length : Math.min(count, found.length);
  if (storeKey === undefined) {
    const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
    c.reply.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = found[i]!;
      if (options > 0) c.reply.array(options + 1);
      c.reply.bulkString(p.member);
      if (withDist) c.reply.bulkString(formatDistance(p.dist / shape.toMeters));
      if (withHash) c.reply.integer(Math.trunc(p.score));
      if (withCoord) {
        c.reply.array(2);
        c.reply.doubleText(formatCoordinate(p.lon));
        c.reply.doubleText(formatCoordinate(p.lat));
      }
    }
    return;
  }
  if (returned > 0) {
    const result = new SortedSet();
    for (let i = 0; i < returned; i++) {
      const p = found[i]!;
      result.set(p.member, storeDist ? p.dist / shape.toMeters : p.score);
    }
    // A change per member stored, as Redis counts it (setKey counted one).
    c.db.setKey(storeKey, result);
    c.db.countChanges(returned - 1);
    c.notify(NotifyClass.Zset, searching ? "geosearchstore" : "georadiusstore", storeKey);
  } else if (c.db.delete(storeKey)) {
    c.notify(NotifyClass.Generic, "del", storeKey);
  }
  c.reply.integer(returned);
}

/**
 * The members within the shape, read cell by cell in Redis's order (a cell the same as the
 * one read before it is skipped), each cell in score order; with `limit`, stop once that
 * many are found (ANY).
 */
function pointsWithin(zset: SortedSet, shape: Shape, limit: number): Found[] {
  const found: Found[] = [];
  const cells = searchCells(shape);
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (cell.step === 0) continue;
    const prev = cells[last]!;
    if (last !== 0 && cell.lat === prev.lat && cell.lon === prev.lon && cell.step === prev.step) continue;
    if (limit !== 0 && found.length >= limit) break;
    const [min, max] = cellScores(cell);
    const [start, end] = zset.scoreRange({ min, max, minex: false, maxex: true });
    for (const entry of zset.range(start, end - start)) {
      const [lon, lat] = decodeScore(entry.score);
      const dist = distanceWithin(shape, lon, lat);
      if (dist !== undefined) found.push({ member: entry.member, score: entry.score, lon, lat, dist });
      if (limit !== 0 && found.length >= limit) break;
    }
    last = i;
  }
  return found;
}

/** GEORADIUS's keys: the source, and the destination after STORE or STOREDIST. */
const STORE_KEY_SPECS = (startfrom: number): FullKeySpec[] => [
  { flags: ["RO", "access"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  { flags: ["OW", "update"], begin: { keyword: "STORE", startfrom }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  { flags: ["OW", "update"], begin: { keyword: "STOREDIST", startfrom }, find: { lastkey: 0, keystep: 1, limit: 0 } },
];
const RADIUS_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

export const georadiusCommand = command({
  name: "georadius", arity: -6, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, keySpecs: STORE_KEY_SPECS(6), categories: ["geo"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
  history: [["6.2.0", "Added the `ANY` option for `COUNT`."], ["7.0.0", "Added support for uppercase unit names."]],
  args: "key:key#0 longitude:double latitude:double radius:double unit(M|KM|FT|MI) WITHCOORD? WITHDIST? WITHHASH? count{COUNT=count:integer ANY?@6.2.0}? order(ASC|DESC)? STORE=key:key#1? STOREDIST=key:key#2?",
  summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", since: "3.2.0",
  complexity: RADIUS_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 1, Search.Coords),
});

export const georadiusRoCommand = command({
  name: "georadius_ro", arity: -6, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`GEOSEARCH` with the `BYRADIUS` argument",
  history: [["6.2.0", "Added the `ANY` option for `COUNT`."]],
  args: "key:key#0 longitude:double latitude:double radius:double unit(M|KM|FT|MI) WITHCOORD? WITHDIST? WITHHASH? count{COUNT=count:integer ANY?@6.2.0}? order(ASC|DESC)?",
  summary: "A read-only variant for GEORADIUS", since: "3.2.10", complexity: RADIUS_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 1, Search.Coords | Search.NoStore),
});

export const georadiusbymemberCommand = command({
  name: "georadiusbymember", arity: -5, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, keySpecs: STORE_KEY_SPECS(5), categories: ["geo"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
  history: [["7.0.0", "Added support for uppercase unit names."]],
  args: "key:key#0 member:string radius:double unit(M|KM|FT|MI) WITHCOORD? WITHDIST? WITHHASH? count{COUNT=count:integer ANY?}? order(ASC|DESC)? STORE=key:key#1? STOREDIST=key:key#2?",
  summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", since: "3.2.0",
  complexity: RADIUS_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 1, Search.Member),
});

export const georadiusbymemberRoCommand = command({
  name: "georadiusbymember_ro", arity: -5, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
  args: "key:key#0 member:string radius:double unit(M|KM|FT|MI) WITHCOORD? WITHDIST? WITHHASH? count{COUNT=count:integer ANY?}? order(ASC|DESC)?",
  summary: "A read-only variant for GEORADIUSBYMEMBER", since: "3.2.10", complexity: RADIUS_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 1, Search.Member | Search.NoStore),
});

export const geosearchCommand = command({
  name: "geosearch", arity: -7, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["geo"],
  history: [["7.0.0", "Added support for uppercase unit names."]],
  args: "key:key#0 from(FROMMEMBER=member:string|FROMLONLAT=longitude_latitude{longitude:double latitude:double}) by(circle{BYRADIUS=radius:double unit(M|KM|FT|MI)}|box{BYBOX=width:double height:double unit(M|KM|FT|MI)}) order(ASC|DESC)? count{COUNT=count:integer ANY?}? WITHCOORD? WITHDIST? WITHHASH?",
  summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", since: "6.2.0",
  complexity: SEARCH_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 1, Search.GeoSearch),
});

export const geosearchstoreCommand = command({
  name: "geosearchstore", arity: -8, flags: ["write", "denyoom"], keys: { first: 1, last: 2, step: 1 },
  history: [["7.0.0", "Added support for uppercase unit names."]],
  args: "destination:key#0 source:key#1 from(FROMMEMBER=member:string|FROMLONLAT=longitude_latitude{longitude:double latitude:double}) by(circle{BYRADIUS=radius:double unit(M|KM|FT|MI)}|box{BYBOX=width:double height:double unit(M|KM|FT|MI)}) order(ASC|DESC)? count{COUNT=count:integer ANY?}? STOREDIST?",
  keySpecs: [
    { flags: ["OW", "update"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RO", "access"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  ],
  categories: ["geo"],
  summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
  since: "6.2.0", complexity: SEARCH_COMPLEXITY,
  handler: (c, argv) => georadiusGeneric(c, argv, 2, Search.GeoSearch | Search.GeoSearchStore),
});
