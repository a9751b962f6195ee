/**
 * LOLWUT [VERSION v] [args...]: computer art and the version, as Redis 7.0 draws it. This
 * version (7) prints the version alone; VERSION 5 draws Georg Nees's "Schotter" (squares
 * tumbling more the lower the row, in Braille characters, two by four dots a character),
 * VERSION 6 a city skyline in terminal colours. The art is random, as in Redis; its
 * geometry follows Redis's single-precision arithmetic so that the calm top rows come out
 * dot for dot the same.
 */
import { NOT_INTEGER } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { parseInt64 } from "../resp/bytes.ts";
import { REDIS_VERSION } from "../version.ts";
import { command } from "./command.ts";
import type { Context } from "./context.ts";

const f = Math.fround;

/** C's round(): halves away from zero. */
function roundC(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** C's rand() % n, for a small n. */
function randInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A canvas of pixels with a colour each (0 is blank); drawing outside it does nothing. */
class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  set(x: number, y: number, color: number): void {
    if (x >= 0 && x < this.width && y >= 0 && y < this.height) this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    return x >= 0 && x < this.width && y >= 0 && y < this.height ? this.pixels[x + y * this.width]! : 0;
  }

  /** Bresenham's line from x1,y1 to x2,y2. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) return;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** A square of side `size` centred on x,y and turned by `angle`: its corners on a circle. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    const radius = f(roundC(f(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(roundC(Math.sin(k) * radius + x));
      py.push(roundC(Math.cos(k) * radius + y));
      k = f(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, color);
  }
}

/** Version 5: Schotter. `cols` characters wide, squares per row and per column. */
function schotter(cols: number, perRow: number, perCol: number): string {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(f(f(side * perCol) + padding * 2)), 0);
  const randomShare = (y: number) => {
    const r = f(f(f(Math.random()) / perCol) * y);
    return randInt(2) === 1 ? -r : r;
  };
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      // Lower rows tumble and drift more.
      if (y > 1) {
        angle = randomShare(y);
        sx = Math.trunc(f(sx + f(f(randomShare(y) * side) / 3)));
        sy = Math.trunc(f(sy + f(f(randomShare(y) * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  // Each character is a Braille cell of 2 x 4 dots (U+2800 + the dots' bits).
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let dots = 0;
      if (canvas.get(x, y)) dots |= 1 << 0;
      if (canvas.get(x, y + 1)) dots |= 1 << 1;
      if (canvas.get(x, y + 2)) dots |= 1 << 2;
      if (canvas.get(x + 1, y)) dots |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) dots |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) dots |= 1 << 5;
      if (canvas.get(x, y + 3)) dots |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) dots |= 1 << 7;
      text += String.fromCharCode(0x2800 + dots);
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return `${text}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`;
}

/** One building of the skyline, standing on the bottom row; windows lit at random. */
function skyscraper(canvas: Canvas, xoff: number, width: number, height: number, windows: boolean, color: number): void {
  const bottom = canvas.height - 1;
  const top = bottom - height + 1;
  for (let y = bottom; y >= top; y--) {
    for (let x = xoff; x < xoff + width; x++) {
      // The roof is four pixels narrower.
      if (y === top && (x <= xoff + 1 || x >= xoff + width - 2)) continue;
      let pixel = color;
      if (windows && x > xoff + 1 && x < xoff + width - 2 && y > top + 1 && y < bottom - 1) {
        const relx = x - (xoff + 1);
        const rely = y - (top + 1);
        // Windows two pixels wide and one tall (terminal cells are not square).
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do pixel = 1 + randInt(2);
          while (pixel === color);
          if (relx % 2) pixel = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, pixel);
    }
  }
}

/** Version 6: a skyline, `cols` by `rows` coloured cells. */
function skyline(cols: number, rows: number): string {
  const canvas = new Canvas(cols, rows, 3);
  // Two grey layers behind, the lighter one furthest back; then black towers with windows.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += randInt(8);
      const width = 10 + randInt(9);
      const height = Math.trunc(rows / 2) + Math.trunc(randInt(rows) / (color === 2 ? 2 : 3));
      skyscraper(canvas, offset, width, height, false, color);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += randInt(8);
    let width = 5 + randInt(14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(rows / 3) + Math.trunc(randInt(rows) / 2);
    skyscraper(canvas, offset, width, height, true, 0);
    offset += width + 5;
  }
  const escapes = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];
  let text = "";
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) text += `\x1b[${escapes[canvas.get(x, y)] ?? escapes[0]} \x1b[0m`;
    if (y !== rows - 1) text += "\n";
  }
  return `${text}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`;
}

/** The optional numeric arguments from `first` on, clamped to [1, max] as Redis clamps them. */
function sizes(argv: Argv, first: number, defaults: number[], maxes: number[]): number[] {
  return defaults.map((value, i) => {
    const at = first + i;
    if (at < argv.length) {
      const n = parseInt64(argv.bytes(at));
      if (n === undefined) throw NOT_INTEGER;
      value = n;
    }
    return Math.min(maxes[i]!, Math.max(1, value));
  });
}

export const lolwutCommand = command({
  name: "lolwut", arity: -1, flags: ["readonly", "fast"], categories: [],
  args: "VERSION=version:integer?",
  summary: "Display some computer art and the Redis version", since: "5.0.0", complexity: "",
  handler(c: Context, argv: Argv) {
    let version = REDIS_VERSION;
    let first = 1;
    if (argv.length >= 3 && argv.keyword(1) === "version") {
      const v = parseInt64(argv.bytes(2));
      if (v === undefined) throw NOT_INTEGER;
      // Redis prints the number as a C unsigned int.
      version = `${BigInt.asUintN(32, BigInt(v))}.0.0`;
      first = 3;
    }
    // As Redis picks: 5.x (and 4.9) draw Schotter, 6.x (and 5.9) the skyline, others the version.
    const [major, dot, minor] = [version[0], version[1], version[2]];
    let text: string;
    if ((major === "5" && dot === "." && minor !== "9") || (major === "4" && dot === "." && minor === "9")) {
      const [cols, perRow, perCol] = sizes(argv, first, [66, 8, 12], [1000, 200, 200]);
      text = schotter(cols!, perRow!, perCol!);
    } else if ((major === "6" && dot === "." && minor !== "9") || (major === "5" && dot === "." && minor === "9")) {
      const [cols, rows] = sizes(argv, first, [80, 20], [1000, 1000]);
      text = skyline(cols!, rows!);
    } else {
      text = `Redis ver. ${REDIS_VERSION}\n`;
    }
    c.reply.verbatim(Buffer.from(text, "utf8").toString("latin1"));
  },
});
