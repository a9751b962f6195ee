/**
 * The executable's pages that start-up touched and the server no longer runs, let go. The
 * kvis binary is the Bun runtime: its code and read-only data map about 80 MB of the file,
 * and start-up (JavaScriptCore's initialization, module loading) and the JIT's first
 * compilations leave 35 MB of it resident, counted in the process's RSS, while serving
 * commands runs a few MB of it. Redis's whole binary is under 2 MB.
 *
 * madvise(MADV_DONTNEED) on those mappings unmaps their pages from this process: they stay
 * in the page cache, and a page that is run again comes back with a minor fault (no disk
 * read). Only mappings of the executable file that cannot be written and hold no private
 * copy of a page (smaps' Anonymous: 0 kB) are advised, so nothing but clean file pages is
 * dropped; a mapping the dynamic linker relocated, or a debugger patched, is left alone.
 *
 * The cron asks once a quiet spell (releaseWhenQuiet): seconds with no command and no
 * compilation. The JIT's workers run most of what comes back: measured after 2.1M
 * pipelined commands of seven kinds, the text dropped at once to 6.6 MB climbed back to
 * 18 MB within four seconds of idleness, 84% of the page faults in JITWorker threads
 * compiling what the traffic made hot.
 */
import { readFileSync } from "node:fs";
import { libc } from "./libc.ts";

const MADV_DONTNEED = 4;
// Linux on x86-64 and arm64: MADV_DONTNEED is 4 on both, and an address passes as a u64.
const AVAILABLE = process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64");

/** The executable's read-only mappings holding only file pages, from /proc/self/smaps. */
export function cleanExecutableMappings(smaps: string, executable: string): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  let range: [bigint, bigint] | undefined;
  for (const line of smaps.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head !== null) {
      range = head[3]![1] !== "w" && head[4] === executable ? [BigInt("0x" + head[1]), BigInt("0x" + head[2])] : undefined;
      continue;
    }
    if (range !== undefined && line.startsWith("Anonymous:")) {
      if (/^Anonymous:\s+0 kB/.test(line)) out.push(range);
      range = undefined;
    }
  }
  return out;
}

/** Drop the executable's clean resident pages; returns the bytes of mappings advised. */
export function releaseCodePages(): number {
  const c = AVAILABLE ? libc() : null;
  if (c === null) return 0;
  let advised = 0;
  try {
    for (const [start, end] of cleanExecutableMappings(readFileSync("/proc/self/smaps", "latin1"), process.execPath)) {
      if (c.madvise(start, end - start, MADV_DONTNEED) === 0) advised += Number(end - start);
    }
  } catch {
    // No /proc to read: the pages stay.
  }
  return advised;
}

/** Seconds with no command and no compilation before the pages go. */
const QUIET_SECONDS = 5;
/**
 * The JIT's CPU time a quiet second may still show, in clock ticks (10 ms): the cron's own
 * code tiering up now and then. Requiring none, the pages of one run of three stayed
 * resident ten seconds after a maxmemory fill.
 */
const COMPILER_QUIET_TICKS = 2;

/**
 * The cron's once-a-second check: release the pages once the server has gone QUIET_SECONDS
 * with no command (`commands`, a running count, unchanged) and no compilation to speak of
 * (`compiler`, the JIT workers' CPU time, within COMPILER_QUIET_TICKS), then not again
 * until either moves. The first
 * commands after it pay for their pages again: 1-3 ms more for each of the first few kinds
 * of command measured here, which a server that is never quiet that long never pays.
 */
export function releaseWhenQuiet(release: () => unknown = releaseCodePages): (commands: number, compiler: number) => void {
  let lastCommands = -1;
  let lastCompiler = -1;
  let quiet = 0;
  return (commands, compiler) => {
    quiet = commands === lastCommands && Math.abs(compiler - lastCompiler) <= COMPILER_QUIET_TICKS ? quiet + 1 : 0;
    if (quiet === QUIET_SECONDS) release();
    lastCommands = commands;
    lastCompiler = compiler;
  };
}
