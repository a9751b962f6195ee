/**
 * GEO commands against Redis 7.0, raw replies compared: scores, positions, distances and
 * geohashes to the last digit, search results in Redis's order, errors in Redis's order.
 */
import { beforeEach, describe, test } from "bun:test";
import { seededRandom } from "../helpers/random.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  const p = pair();
  await p.same("FLUSHALL");
  await p.both("HELLO", "2");
});

const SICILY = ["13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"];

describe("GEOADD and reading points back", () => {
  test("scores, NX/XX/CH, and the errors", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    await p.same("ZRANGE", "Sicily", "0", "-1", "WITHSCORES");
    await p.same("GEOADD", "Sicily", "NX", "13", "38", "Palermo", "14", "37", "new");
    await p.same("GEOADD", "Sicily", "XX", "CH", "13", "38", "Palermo", "14", "37", "other");
    await p.same("GEOADD", "Sicily", "CH", "xx", "13", "38", "Palermo");
    await p.same("ZRANGE", "Sicily", "0", "-1", "WITHSCORES");
    await p.same("GEOADD", "Sicily", "NX", "XX", "13", "38", "a");
    await p.same("GEOADD", "Sicily", "13", "38");
    await p.same("GEOADD", "Sicily", "13", "38", "a", "14");
    await p.same("GEOADD", "Sicily", "GT", "13", "38", "a");
    await p.same("GEOADD", "Sicily", "abc", "38", "a");
    await p.same("GEOADD", "Sicily", "13", "nan", "a");
    await p.same("GEOADD", "Sicily", "200", "100", "a");
    await p.same("GEOADD", "Sicily", "-180.0000001", "0", "a");
    await p.same("GEOADD", "Sicily", "13", "85.05112879", "a");
    await p.same("GEOADD", "Sicily", "1e300", "-inf", "a");
    await p.same("GEOADD", "Sicily", "13", "38", "ok", "200", "0", "bad");
    await p.same("EXISTS", "ok");
    await p.same("GEOADD", "Sicily");
    // The limits themselves are valid.
    await p.same("GEOADD", "ends", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne", "0", "0", "zero", "-0", "-0", "negzero");
    await p.same("ZRANGE", "ends", "0", "-1", "WITHSCORES");
    await p.same("GEOPOS", "ends", "sw", "ne", "zero", "negzero");
    await p.same("GEOHASH", "ends", "sw", "ne", "zero", "negzero");
    await p.same("SET", "str", "x");
    await p.same("GEOADD", "str", "13", "38", "a");
  });

  test("GEOPOS, GEOHASH and GEODIST, missing keys and members, RESP2 and RESP3", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    for (const resp of ["2", "3"]) {
      await p.both("HELLO", resp);
      await p.same("GEOPOS", "Sicily", "Palermo", "nope", "Catania");
      await p.same("GEOPOS", "nokey", "a", "b");
      await p.same("GEOPOS", "Sicily");
      await p.same("GEOHASH", "Sicily", "Palermo", "Catania", "edge1", "nope");
      await p.same("GEOHASH", "nokey", "a");
      await p.same("GEODIST", "Sicily", "Palermo", "Catania");
      for (const unit of ["m", "KM", "ft", "Mi"]) await p.same("GEODIST", "Sicily", "Palermo", "edge2", unit);
      await p.same("GEODIST", "Sicily", "Palermo", "Palermo");
      await p.same("GEODIST", "Sicily", "Palermo", "nope");
      await p.same("GEODIST", "nokey", "a", "b");
      await p.same("GEODIST", "Sicily", "Palermo", "Catania", "yards");
      await p.same("GEODIST", "Sicily", "Palermo", "Catania", "km", "extra");
      await p.same("GEODIST", "nokey", "a", "b", "yards");
    }
    // A member added by ZADD with any score still decodes somewhere.
    await p.same("ZADD", "odd", "-5", "neg", "1e20", "huge", "4503599627370496", "big", "3.7", "frac");
    await p.same("GEOPOS", "odd", "neg", "huge", "big", "frac");
    await p.same("GEOHASH", "odd", "neg", "huge", "big", "frac");
    await p.same("SET", "str", "x");
    for (const cmd of ["GEOPOS", "GEOHASH"]) await p.same(cmd, "str", "a");
    await p.same("GEODIST", "str", "a", "b");
  });
});

describe("searches", () => {
  test("GEORADIUS and GEORADIUSBYMEMBER with every option", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    for (const resp of ["2", "3"]) {
      await p.both("HELLO", resp);
      await p.same("GEORADIUS", "Sicily", "15", "37", "200", "km");
      await p.same("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH");
      await p.same("GEORADIUS", "Sicily", "15", "37", "200", "km", "withhash", "ASC");
      await p.same("GEORADIUS", "Sicily", "15", "37", "200000", "m", "DESC", "WITHDIST");
      await p.same("GEORADIUS", "Sicily", "15", "37", "500", "mi", "COUNT", "2");
      await p.same("GEORADIUS", "Sicily", "15", "37", "500", "mi", "COUNT", "2", "DESC");
      await p.same("GEORADIUS", "Sicily", "15", "37", "500", "mi", "COUNT", "1", "ANY");
      await p.same("GEORADIUS", "Sicily", "15", "37", "1", "ft");
      await p.same("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST");
      await p.same("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "ASC");
      await p.same("GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "0", "km", "WITHCOORD");
      await p.same("GEORADIUS", "nokey", "15", "37", "200", "km");
      await p.same("GEORADIUSBYMEMBER", "nokey", "x", "200", "km");
    }
  });

  test("GEOSEARCH by radius and by box, from a member or a point", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    await p.same("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC");
    await p.same("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH");
    await p.same("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "100", "100", "km", "DESC");
    await p.same("GEOSEARCH", "Sicily", "frommember", "Palermo", "byradius", "300", "mi", "count", "2", "any");
    await p.same("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "1", "km");
    await p.same("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "BYRADIUS", "500", "km", "FROMLONLAT", "14", "38");
    await p.same("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km");
    await p.same("GEOSEARCH", "Sicily", "FROMLONLAT", "-179.9", "-80", "BYBOX", "1", "0", "m");
  });

  test("STORE, STOREDIST and GEOSEARCHSTORE", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    await p.same("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "near");
    await p.same("ZRANGE", "near", "0", "-1", "WITHSCORES");
    await p.same("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dists", "COUNT", "1");
    await p.same("ZRANGE", "dists", "0", "-1", "WITHSCORES");
    await p.same("GEORADIUSBYMEMBER", "Sicily", "Palermo", "500", "km", "STORE", "all", "DESC");
    await p.same("ZRANGE", "all", "0", "-1", "WITHSCORES");
    await p.same("SET", "str", "x");
    await p.same("EXPIRE", "str", "100");
    await p.same("GEOSEARCHSTORE", "str", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST");
    await p.same("TTL", "str");
    await p.same("ZRANGE", "str", "0", "-1", "WITHSCORES");
    await p.same("GEOSEARCHSTORE", "box", "Sicily", "FROMMEMBER", "edge1", "BYBOX", "700", "300", "km", "COUNT", "3", "DESC");
    await p.same("ZRANGE", "box", "0", "-1", "WITHSCORES");
    // Nothing found, or no source: the destination is deleted.
    await p.same("GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "near");
    await p.same("EXISTS", "near");
    await p.same("GEOSEARCHSTORE", "box", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km");
    await p.same("EXISTS", "box");
  });

  test("errors, in Redis's order", async () => {
    const p = pair();
    await p.same("GEOADD", "Sicily", ...SICILY);
    await p.script(`
      GEORADIUS Sicily 15 37 200 km STORE
      GEORADIUS Sicily 15 37 200 km STORE x WITHDIST
      GEORADIUS_RO Sicily 15 37 200 km STORE x
      GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STOREDIST x
      GEORADIUS Sicily 15 37 200 km COUNT 0
      GEORADIUS Sicily 15 37 200 km COUNT -3
      GEORADIUS Sicily 15 37 200 km COUNT x
      GEORADIUS Sicily 15 37 200 km COUNT
      GEORADIUS Sicily 15 37 200 km ANY
      GEORADIUS Sicily 15 37 200 km FROMMEMBER Palermo
      GEORADIUS Sicily 15 37 -1 km
      GEORADIUS Sicily 15 37 x km
      GEORADIUS Sicily 15 37 1 yards
      GEORADIUS Sicily 15 91 x yards
      GEORADIUS Sicily 15 37 200 km BADOPT
      GEORADIUS nokey 15 37 x km
      GEORADIUSBYMEMBER Sicily nope 200 km
      GEORADIUSBYMEMBER Sicily Palermo x km
      GEORADIUSBYMEMBER nokey nope x yards COUNT 0
      GEOSEARCH Sicily BYRADIUS 1 km
      geosearch Sicily FROMLONLAT 15 37
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
      GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 y km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yards
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST ANY
      GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST
      GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x
      GEOSEARCHSTORE dst Sicily FROMLONLAT 200 37 BYRADIUS 1 km
      GEOSEARCHSTORE dst Sicily BYRADIUS 1 km
      SET str x
      GEORADIUS str 15 37 200 km
      GEOSEARCH str FROMMEMBER x BYRADIUS 1 km
    `);
  });

  test("random points and searches give Redis's results, in Redis's order", async () => {
    const p = pair();
    const random = seededRandom(7);
    const coord = (min: number, max: number) => (min + random() * (max - min)).toFixed(6);
    for (const [name, lonMin, lonMax, latMin, latMax] of [
      ["world", -180, 180, -85, 85],
      ["city", 2.2, 2.5, 48.8, 48.95],
      ["north", -180, 180, 60, 85.05],
      ["dateline", 179, 180, -10, 10],
    ] as const) {
      const args: string[] = [];
      for (let i = 0; i < 300; i++) args.push(coord(lonMin, lonMax), coord(latMin, latMax), `${name}:${i}`);
      await p.same("GEOADD", name, ...args);
      for (let i = 0; i < 40; i++) {
        const lon = coord(lonMin, lonMax);
        const lat = coord(latMin, latMax);
        const km = (random() * (name === "city" ? 10 : 3000)).toFixed(3);
        await p.same("GEOSEARCH", name, "FROMLONLAT", lon, lat, "BYRADIUS", km, "km", "WITHDIST", "WITHHASH");
        await p.same("GEOSEARCH", name, "FROMLONLAT", lon, lat, "BYBOX", km, (random() * Number(km) * 2).toFixed(3), "km", "WITHCOORD");
        await p.same("GEORADIUSBYMEMBER", name, `${name}:${i}`, km, "km", "COUNT", "5", "DESC");
      }
    }
  });
});
