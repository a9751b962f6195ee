import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { cleanExecutableMappings, releaseCodePages, releaseWhenQuiet } from "../../../src/server/code-pages.ts";

const SMAPS = `00200000-01a39000 r--p 00000000 fe:00 5308575                            /opt/kvis
Rss:                5412 kB
Anonymous:             0 kB
01a40000-0684a000 r-xp 01838000 fe:00 5308575                            /opt/kvis
Rss:               30312 kB
Anonymous:             0 kB
0684a000-0685f000 rw-p 06641000 fe:00 5308575                            /opt/kvis
Rss:                  84 kB
Anonymous:            48 kB
0685f000-06867000 r--p 06656000 fe:00 5308575                            /opt/kvis
Rss:                  32 kB
Anonymous:            12 kB
06867000-06f60000 r-xp 0665e000 fe:00 5308575                            /opt/kvis-old
Rss:                3552 kB
Anonymous:             0 kB
7f64bffc0000-7f64c0116000 r-xp 00026000 fe:00 339380                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1280 kB
Anonymous:             0 kB
7f647fc55000-7f64bfc55000 rwxp 00000000 00:00 0
Rss:                1692 kB
Anonymous:          1692 kB
`;

test("only the executable's read-only mappings holding no private copy of a page are dropped", () => {
  // The relocated read-only part (Anonymous 12 kB), the data, another file and the JIT's
  // memory stay.
  expect(cleanExecutableMappings(SMAPS, "/opt/kvis")).toEqual([
    [0x200000n, 0x1a39000n],
    [0x1a40000n, 0x684a000n],
  ]);
});

test("dropping this process's code pages lowers its RSS, and the code runs on", () => {
  if (process.platform !== "linux") return;
  const textRss = () => {
    let total = 0;
    let ours = false;
    for (const line of readFileSync("/proc/self/smaps", "latin1").split("\n")) {
      const head = /^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (head !== null) ours = head[1] === "r-xp" && head[2] === process.execPath;
      else if (ours && line.startsWith("Rss:")) total += Number(/(\d+)/.exec(line)![1]);
    }
    return total;
  };
  const before = textRss();
  expect(releaseCodePages()).toBeGreaterThan(0);
  const after = textRss();
  expect(after).toBeLessThan(before / 2);
  // What runs next faults its pages back in from the page cache.
  expect(JSON.parse(JSON.stringify({ a: [1, 2, 3] }))).toEqual({ a: [1, 2, 3] });
});

test("the pages go once a quiet spell: five checks with no command and no compilation", () => {
  let released = 0;
  const check = releaseWhenQuiet(() => released++);
  // Commands keep the server busy; then five quiet seconds; then no second release.
  for (const commands of [1, 2, 3]) check(commands, 10);
  for (let i = 0; i < 4; i++) check(3, 10);
  expect(released).toBe(0);
  check(3, 10);
  expect(released).toBe(1);
  for (let i = 0; i < 20; i++) check(3, 10);
  expect(released).toBe(1);
  // The compiler at work is not quiet either (a tick or two a second is); after it stops,
  // another five seconds.
  check(3, 12);
  expect(released).toBe(1);
  check(3, 50);
  for (let i = 0; i < 4; i++) check(3, 50);
  expect(released).toBe(1);
  check(3, 51);
  expect(released).toBe(2);
});
