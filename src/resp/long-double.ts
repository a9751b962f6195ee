/**
 * INCRBYFLOAT and HINCRBYFLOAT as Redis computes them on x86-64: both operands are read
 * with strtold into an 80-bit long double (a 64-bit mantissa), added in that precision,
 * and printed with "%.17Lf" before trailing zeros are cut (util.c ld2string, human mode).
 * That is why Redis answers 0.1 + 0.2 with "0.3" where a double gives 0.30000000000000004.
 *
 * JS has no long double, so this module emulates exactly the three steps with BigInt:
 * correctly rounded parsing, one correctly rounded addition, and exact decimal printing,
 * all round-half-to-even as the x87 unit and glibc's printf do. Nothing here knows about
 * commands; callers map `undefined` to Redis's error texts.
 */

/** A finite long double m * 2^e with |m| < 2^64, or an infinity. */
export type LongDouble = { m: bigint; e: number } | { inf: 1 | -1 };

const MANTISSA_BITS = 64;
/** x87 extended precision overflows past about 1.19e4932. */
const MAX_EXP2 = 16384;
/** Redis refuses longer inputs (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

/**
 * The number of bits of a > 0. toString(2) took a quarter of INCRBYFLOAT's time: the
 * double nearest `a` gives it to within one, which two shifts settle.
 */
export function bitLength(a: bigint): number {
  const approx = Number(a);
  if (approx < 2 ** 32) return 32 - Math.clz32(approx);
  if (approx === Infinity) {
    const hex = a.toString(16);
    return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0]!, 16));
  }
  let bits = Math.floor(Math.log2(approx)) + 1;
  if (a >> BigInt(bits) !== 0n) bits++;
  else if (a >> BigInt(bits - 1) === 0n) bits--;
  return bits;
}

/** Round n * 2^e (n exact, any size) to a 64-bit mantissa, ties to even. */
function round(n: bigint, e: number): LongDouble {
  if (n === 0n) return { m: 0n, e: 0 };
  const negative = n < 0n;
  let a = negative ? -n : n;
  const excess = bitLength(a) - MANTISSA_BITS;
  if (excess > 0) {
    const b = BigInt(excess);
    const half = 1n << (b - 1n);
    const rest = a & ((1n << b) - 1n);
    a >>= b;
    if (rest > half || (rest === half && (a & 1n) === 1n)) a += 1n;
    e += excess;
  }
  if (e + bitLength(a) > MAX_EXP2) return { inf: negative ? -1 : 1 };
  return { m: negative ? -a : a, e };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEXADECIMAL = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
/** The smallest long double's binary exponent (a subnormal): below it strtold underflows. */
const MIN_EXP2 = -16445;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/**
 * strtold with Redis's extra rules (string2ld): the whole text must be a number, with no
 * leading space, and NaN is refused. Returns undefined when it is not a valid float.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  // The last two texts parsed: a counter's increment comes again and again.
  if (s === parsedText[0]) return parsedValue[0];
  if (s === parsedText[1]) return parsedValue[1];
  const value = parse(s);
  parsedText[1] = parsedText[0];
  parsedValue[1] = parsedValue[0];
  parsedText[0] = s;
  parsedValue[0] = value;
  return value;
}

const parsedText: Array<string | undefined> = [undefined, undefined];
const parsedValue: Array<LongDouble | undefined> = [undefined, undefined];

function parse(s: string): LongDouble | undefined {
  if (s.length === 0 || s.length >= MAX_CHARS) return undefined;
  const inf = INFINITY.exec(s);
  if (inf) return { inf: inf[1] === "-" ? -1 : 1 };
  const hex = HEXADECIMAL.exec(s);
  if (hex) return parseHex(hex);
  const parts = DECIMAL.exec(s);
  if (!parts) return undefined;
  const whole = parts[2]!;
  const fraction = parts[3] ?? "";
  if (whole.length === 0 && fraction.length === 0) return undefined;
  const digits = BigInt(whole + fraction || "0") * (parts[1] === "-" ? -1n : 1n);
  const exp10 = Number(parts[4] ?? 0) - fraction.length;
  if (digits === 0n) return { m: 0n, e: 0 };
  // Out of range: strtold sets ERANGE, and Redis refuses the number (string2ld).
  if (exp10 + whole.length > 5000 || exp10 + whole.length + fraction.length < -5000) return undefined;
  if (exp10 >= 0) return finite(round(digits * 10n ** BigInt(exp10), 0));
  // digits / 10^k: scale up so the quotient has more than 64 bits, then round the
  // quotient, folding a non-zero remainder into a sticky bit so ties are decided exactly.
  const divisor = 10n ** BigInt(-exp10);
  const magnitude = digits < 0n ? -digits : digits;
  const shift = Math.max(0, bitLength(divisor) - bitLength(magnitude) + MANTISSA_BITS + 2);
  const scaled = magnitude << BigInt(shift);
  let quotient = scaled / divisor;
  if (scaled % divisor !== 0n) quotient = (quotient << 1n) | 1n;
  else quotient <<= 1n;
  return finite(round(digits < 0n ? -quotient : quotient, -shift - 1));
}

/** strtold's hexadecimal form ("0x10", "0x1.8p3"): hex digits times a power of two, exact until rounded. */
function parseHex([, sign, whole, fraction = "", exp2]: RegExpExecArray): LongDouble | undefined {
  if (whole!.length + fraction.length === 0) return undefined;
  const digits = BigInt("0x" + (whole! + fraction || "0")) * (sign === "-" ? -1n : 1n);
  if (digits === 0n) return { m: 0n, e: 0 };
  const e = Number(exp2 ?? 0) - 4 * fraction.length;
  return finite(round(digits, e));
}

/** A parsed value strtold gives without ERANGE at 0 or infinity: Redis refuses the others (string2ld). */
function finite(x: LongDouble): LongDouble | undefined {
  if ("inf" in x) return undefined;
  // Below half the smallest subnormal, strtold underflows to 0.
  return x.m !== 0n && x.e + bitLength(x.m < 0n ? -x.m : x.m) <= MIN_EXP2 ? undefined : x;
}

/** a + b, rounded once to long double precision. NaN (inf - inf) is undefined. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if ("inf" in a || "inf" in b) {
    if ("inf" in a && "inf" in b && a.inf !== b.inf) return undefined;
    return "inf" in a ? a : b;
  }
  const e = Math.min(a.e, b.e);
  return round((a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e);
}

/** A double widened to a long double (exactly, as C's conversion does). */
export function longDoubleOf(d: number): LongDouble {
  if (d === Infinity || d === -Infinity) return { inf: d > 0 ? 1 : -1 };
  if (d === 0) return { m: 0n, e: 0 };
  // d = m * 2^e with m an integer of at most 53 bits.
  let e = 0;
  let m = Math.abs(d);
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  while (m >= 2 ** 53) {
    m /= 2;
    e++;
  }
  return { m: BigInt(d < 0 ? -m : m), e };
}

/** "%.17Lf" without trailing zeros (and without a trailing dot), as ld2string prints. */
export function formatLongDouble(x: LongDouble): string {
  if ("inf" in x) return x.inf > 0 ? "inf" : "-inf";
  const negative = x.m < 0n;
  let text = fixed(negative ? -x.m : x.m, x.e, 17).replace(/0+$/, "").replace(/\.$/, "");
  // Redis prints a negative zero as "0".
  if (negative && text !== "0") text = `-${text}`;
  return text;
}

/** A double as C's printf "%.<digits>f" prints it: exact, rounded half to even. */
export function formatFixed(d: number, digits: number): string {
  if (Number.isNaN(d)) return d < 0 ? "-nan" : "nan";
  if (d === Infinity || d === -Infinity) return d > 0 ? "inf" : "-inf";
  const x = longDoubleOf(Math.abs(d)) as { m: bigint; e: number };
  return `${d < 0 || Object.is(d, -0) ? "-" : ""}${fixed(x.m, x.e, digits)}`;
}

/** m * 2^e (m >= 0) in decimal with exactly `digits` decimals, rounded half to even. */
function fixed(m: bigint, e: number, digits: number): string {
  const scale = 10n ** BigInt(digits);
  let scaled: bigint;
  if (e >= 0) {
    scaled = (m << BigInt(e)) * scale;
  } else {
    const num = m * scale;
    const den = 1n << BigInt(-e);
    scaled = num / den;
    const rest = num - scaled * den;
    const twice = rest << 1n;
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const text = scaled.toString().padStart(digits + 1, "0");
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/**
 * ceill(x * k) converted to a long long, as Redis turns a timeout in seconds into
 * milliseconds: the product rounded once to long double precision, then up to an integer.
 * Undefined past a long long's range (where C's conversion gives LLONG_MIN) or infinite.
 */
export function ceilTimes(x: LongDouble, k: bigint): bigint | undefined {
  if ("inf" in x) return undefined;
  const p = round(x.m * k, x.e);
  if ("inf" in p) return undefined;
  let n: bigint;
  if (p.e >= 0) n = p.m << BigInt(p.e);
  else {
    const d = 1n << BigInt(-p.e);
    // BigInt division truncates toward zero, which is ceil for negatives.
    n = p.m / d + (p.m > 0n && p.m % d !== 0n ? 1n : 0n);
  }
  return n > 2n ** 63n - 1n || n < -(2n ** 63n) ? undefined : n;
}

/** C's "%f" with its trailing zeros and a bare point cut (Redis's trimDoubleString), as Redis prints percentiles. */
export function formatTrimmedFixed(d: number): string {
  return formatFixed(d, 6).replace(/\.?0+$/, "");
}

/** True when a result is NaN or infinite, which INCRBYFLOAT refuses to store. */
export function isInfinite(x: LongDouble): boolean {
  return "inf" in x;
}
