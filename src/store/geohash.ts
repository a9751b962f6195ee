/**
 * The geohash arithmetic behind the GEO commands, as Redis 7.0 does it (geohash.c and
 * geohash_helper.c), so that scores, positions, distances and search results come out
 * bit for bit the same. A point is stored in a sorted set with a 52-bit score: its
 * latitude and longitude as 26-bit cell numbers over [-85.05112878, 85.05112878] and
 * [-180, 180], interleaved (latitude on the even bits, longitude on the odd ones). A
 * search covers its shape with a cell and its eight neighbours at a coarser step, reads
 * each cell's score range, and keeps the points within the shape.
 *
 * JS bit operators are 32-bit, so a cell is kept as its two numbers (lat, lon) and the
 * interleaving is done in two 32-bit halves. Nothing here knows about commands.
 */

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** 26 bits a coordinate: 52 bits a score, exact in a double. */
export const GEO_STEP_MAX = 26;

const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

/** A cell: `lat` and `lon` are cell numbers at `step` bits; step 0 is "no cell". */
export interface Cell {
  lat: number;
  lon: number;
  step: number;
}

export interface Area {
  cell: Cell;
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** A search shape: a circle (radius) or a box (width and height), centred at lon/lat; sizes in `unit`s of `toMeters` meters. */
export type Shape =
  | { kind: "radius"; lon: number; lat: number; toMeters: number; radius: number }
  | { kind: "box"; lon: number; lat: number; toMeters: number; width: number; height: number };

// ---- interleaving: bit i of a 32-bit number to bit 2i ----

/** The low 16 bits of v spread to the even bits of a 32-bit number. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even bits of a 32-bit number packed into 16 bits (the inverse of spread16). */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

const TWO_32 = 2 ** 32;

/** lat on the even bits, lon on the odd ones (cell numbers of up to 32 bits), in two 32-bit halves. */
function interleaveHalves(lat: number, lon: number): [hi: number, lo: number] {
  return [(spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0, (spread16(lat) | (spread16(lon) << 1)) >>> 0];
}

/** lat on the even bits, lon on the odd ones (cell numbers of up to 32 bits). */
export function interleave(lat: number, lon: number): number {
  const [hi, lo] = interleaveHalves(lat, lon);
  return hi * TWO_32 + lo;
}

/** A sorted-set score as C's (uint64_t) cast makes it on x86-64, in two 32-bit halves. */
function scoreBits(score: number): [hi: number, lo: number] {
  if (score >= 0 && score < 2 ** 64) {
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO_32);
    return [hi, t - hi * TWO_32];
  }
  if (score < 0 && score > -(2 ** 63)) {
    const u = BigInt.asUintN(64, BigInt(Math.trunc(score)));
    return [Number(u >> 32n), Number(u & 0xffffffffn)];
  }
  // Out of range: what gcc's conversion sequence yields (0 above, 2^63 below).
  return score > 0 ? [0, 0] : [0x80000000, 0];
}

/** A score's bits back into its cell at step 26 (32 bits a coordinate, as Redis deinterleaves). */
function cellOfScore(score: number): Cell {
  const [hi, lo] = scoreBits(score);
  const lat = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const lon = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  return { lat, lon, step: GEO_STEP_MAX };
}

// ---- encoding and decoding ----

/**
 * The cell of a point at `step`, over the given ranges (Redis's geohashEncode), or
 * undefined outside them. Redis's own ranges unless told otherwise.
 */
export function encode(lon: number, lat: number, step: number, latMin = GEO_LAT_MIN, latMax = GEO_LAT_MAX): Cell | undefined {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return undefined;
  if (lat < latMin || lat > latMax) return undefined;
  const latOffset = ((lat - latMin) / (latMax - latMin)) * 2 ** step;
  const lonOffset = ((lon - GEO_LONG_MIN) / (GEO_LONG_MAX - GEO_LONG_MIN)) * 2 ** step;
  // C converts the offsets to uint32 by truncation.
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step };
}

/**
 * A point's score as the exact integer Redis writes in the ZADD it replicates. A point on
 * the upper edge of the ranges (longitude 180) has a cell of 2^26, one bit too many, and
 * a score above 2^53 that a double rounds.
 */
export function scoreText(lon: number, lat: number): string {
  const cell = encode(lon, lat, GEO_STEP_MAX)!;
  const [hi, lo] = interleaveHalves(cell.lat, cell.lon);
  return hi < 2 ** 21 ? String(hi * TWO_32 + lo) : String((BigInt(hi) << 32n) | BigInt(lo));
}

/** The area a cell covers (geohashDecode). */
export function decodeCell(cell: Cell): Area {
  const unit = 2 ** cell.step;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  return {
    cell,
    latMin: GEO_LAT_MIN + (cell.lat / unit) * latScale,
    latMax: GEO_LAT_MIN + ((cell.lat + 1) / unit) * latScale,
    lonMin: GEO_LONG_MIN + (cell.lon / unit) * lonScale,
    lonMax: GEO_LONG_MIN + ((cell.lon + 1) / unit) * lonScale,
  };
}

/** The point a score stands for: the centre of its cell, kept within the ranges. [lon, lat] */
export function decodeScore(score: number): [number, number] {
  const area = decodeCell(cellOfScore(score));
  const lon = Math.min(GEO_LONG_MAX, Math.max(GEO_LONG_MIN, (area.lonMin + area.lonMax) / 2));
  const lat = Math.min(GEO_LAT_MAX, Math.max(GEO_LAT_MIN, (area.latMin + area.latMax) / 2));
  return [lon, lat];
}

const GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * The standard 11-character geohash of a score (GEOHASH): its point re-encoded over the
 * standard latitude range [-90, 90]; the 11th character stands for bits Redis does not have.
 */
export function standardGeohash(score: number): string {
  const [lon, lat] = decodeScore(score);
  const cell = encode(lon, lat, GEO_STEP_MAX, -90, 90)!;
  const bits = interleave(cell.lat, cell.lon);
  let out = "";
  for (let i = 0; i < 10; i++) out += GEOHASH_ALPHABET[Math.floor(bits / 2 ** (52 - (i + 1) * 5)) % 32];
  return `${out}0`;
}

// ---- distances ----

function degRad(angle: number): number {
  return angle * D_R;
}

function radDeg(angle: number): number {
  return angle / D_R;
}

function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Meters between two points, by the haversine formula, as Redis computes it. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** The distance of a point from the shape's centre when the point is within the shape. */
export function distanceWithin(shape: Shape, lon: number, lat: number): number | undefined {
  if (shape.kind === "radius") {
    const d = distance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.toMeters ? undefined : d;
  }
  // Latitude first: it is the cheaper test.
  if (latDistance(lat, shape.lat) > (shape.height * shape.toMeters) / 2) return undefined;
  if (distance(lon, lat, shape.lon, lat) > (shape.width * shape.toMeters) / 2) return undefined;
  return distance(shape.lon, shape.lat, lon, lat);
}

// ---- the cells a search reads ----

/** How many bits of precision the nine cells of a search around `meters` need. */
function stepsForRadius(meters: number, lat: number): number {
  if (meters === 0) return 26;
  let step = 1;
  while (meters < MERCATOR_MAX) {
    meters *= 2;
    step++;
  }
  step -= 2;
  // Wider cells towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

/** [minLon, minLat, maxLon, maxLat] of the box around the shape. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const height = shape.toMeters * (shape.kind === "radius" ? shape.radius : shape.height / 2);
  const width = shape.toMeters * (shape.kind === "radius" ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(shape.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(shape.lat - latDelta)));
  // The box is widest at the edge nearer the equator.
  const lonDelta = shape.lat < 0 ? lonDeltaBottom : lonDeltaTop;
  return [shape.lon - lonDelta, shape.lat - latDelta, shape.lon + lonDelta, shape.lat + latDelta];
}

/** A cell moved by dx, dy: the moved number wraps within its `step` bits, the other is left as it is. */
function moved(cell: Cell, dx: number, dy: number): Cell {
  const mask = 2 ** cell.step - 1;
  const lon = dx === 0 ? cell.lon : (cell.lon + dx) & mask;
  const lat = dy === 0 ? cell.lat : (cell.lat + dy) & mask;
  return { lat: lat >>> 0, lon: lon >>> 0, step: cell.step };
}

const NO_CELL: Cell = { lat: 0, lon: 0, step: 0 };

/**
 * The cells to read for a search, in Redis's order: the centre's cell, then north, south,
 * east, west, north-east, north-west, south-east, south-west; a neighbour the shape cannot
 * reach is NO_CELL (step 0).
 */
export function searchCells(shape: Shape): Cell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const meters = shape.toMeters * (shape.kind === "radius" ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2)));
  let steps = stepsForRadius(meters, shape.lat);
  let centre = encode(shape.lon, shape.lat, steps)!;
  // A step is too fine when a neighbour does not reach the box's edge.
  const tooFine =
    decodeCell(moved(centre, 0, 1)).latMax < maxLat ||
    decodeCell(moved(centre, 0, -1)).latMin > minLat ||
    decodeCell(moved(centre, 1, 0)).lonMax < maxLon ||
    decodeCell(moved(centre, -1, 0)).lonMin > minLon;
  if (steps > 1 && tooFine) {
    steps--;
    centre = encode(shape.lon, shape.lat, steps)!;
  }
  const area = decodeCell(centre);
  let north = moved(centre, 0, 1);
  let south = moved(centre, 0, -1);
  let east = moved(centre, 1, 0);
  let west = moved(centre, -1, 0);
  let northEast = moved(centre, 1, 1);
  let northWest = moved(centre, -1, 1);
  let southEast = moved(centre, 1, -1);
  let southWest = moved(centre, -1, -1);
  // Neighbours beyond the box are not read.
  if (steps >= 2) {
    if (area.latMin < minLat) south = southWest = southEast = NO_CELL;
    if (area.latMax > maxLat) north = northEast = northWest = NO_CELL;
    if (area.lonMin < minLon) west = southWest = northWest = NO_CELL;
    if (area.lonMax > maxLon) east = southEast = northEast = NO_CELL;
  }
  return [centre, north, south, east, west, northEast, northWest, southEast, southWest];
}

/** The scores [min, max) of the points in a cell. */
export function cellScores(cell: Cell): [number, number] {
  const shift = 2 ** (52 - cell.step * 2);
  const bits = interleave(cell.lat, cell.lon);
  return [bits * shift, (bits + 1) * shift];
}
