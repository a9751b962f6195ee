/**
 * The runtime's helper threads at the lowest CPU priority. JavaScriptCore compiles hot
 * functions on JIT worker threads and mimalloc returns memory from a scavenger thread; on a
 * server with one core to itself (as the bench pins it, as a container may), each of them,
 * when it wakes, takes the core from the event loop for a whole scheduler tick (4 ms at
 * the kernel's 250 Hz). Measured under redis-benchmark -P 16 with 1M keys: optimizing the
 * parser's loop takes the JIT 50-60 ms, which the event loop paid as runs of 4-ms stalls.
 * At nice 19 the compiler mostly runs on time the loop leaves (it still gets a tick now
 * and then): over three runs each, a probe's PING p99 5.7-6.8 -> 4.6-5.5 ms and worst
 * 9.8-12.9 -> 7.5-8.4 ms (Redis 1.7 and 3.5).
 *
 * Linux lets a thread's nice value be set by its id (setpriority, node:os setPriority); the
 * threads are found by name in /proc/self/task. The runtime starts them lazily and ends
 * idle ones, and a new thread inherits the event loop's priority: looked for once a
 * second, a JIT worker started as a bulk load began competed at full priority for up to a
 * second, just when the load's code was being compiled. The cron now looks every 100 ms
 * (lowerHelperThreads: a directory listing, and a read of each thread not seen before).
 * The event loop itself, and the threads it waits on (the collector's helpers, file I/O),
 * keep their priority. compilerTime sums the JIT workers' CPU time, which tells the cron
 * when the compiler has caught up (server/code-pages.ts).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { setPriority } from "node:os";

const HELPER = /^\d+ \((JITWorker|mi-scavenger|JSCWarmUp)/;
const LOWEST = 19;
const AVAILABLE = process.platform === "linux" && existsSync("/proc/self/task");

/** Threads already looked at, by id: whether each is a JIT worker. */
const seen = new Map<string, boolean>();
/** A thread not yet named by its runtime carries the process's name; it is looked at again later. */
const PROCESS_NAME = AVAILABLE ? `(${readFileSync("/proc/self/comm", "latin1").trim()})` : "";

/** Lower the helper threads started since the last call (the cron's, every 100 ms). */
export function lowerHelperThreads(): void {
  if (!AVAILABLE) return;
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return;
  }
  // Threads that ended are forgotten (a few at most: the listing is short).
  for (const tid of seen.keys()) if (!tids.includes(tid)) seen.delete(tid);
  for (const tid of tids) {
    if (seen.has(tid) || Number(tid) === process.pid) continue;
    try {
      // /proc/<tid>/stat: "tid (name) state ..."; the nice value is the 19th field, and
      // the name (at most 15 bytes) has no spaces or parentheses for the helpers matched.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "latin1");
      const helper = HELPER.exec(stat);
      if (helper === null) {
        if (!stat.startsWith(`${tid} ${PROCESS_NAME}`)) seen.set(tid, false);
        continue;
      }
      if (Number(stat.split(" ")[18]) !== LOWEST) setPriority(Number(tid), LOWEST);
      seen.set(tid, helper[1] === "JITWorker");
    } catch {
      // The thread ended meanwhile, or the system refused: it keeps its priority.
    }
  }
}

/** The CPU time (user and system, in clock ticks) of the JIT workers now running; -1 without /proc. */
export function compilerTime(): number {
  if (!AVAILABLE) return -1;
  let ticks = 0;
  for (const [tid, jit] of seen) {
    if (!jit) continue;
    try {
      // User and system time are the 14th and 15th fields.
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, "latin1").split(" ");
      ticks += Number(fields[13]) + Number(fields[14]);
    } catch {
      // Ended since the last listing.
    }
  }
  return ticks;
}
