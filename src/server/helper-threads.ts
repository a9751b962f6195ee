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
 * threads are found by name in /proc/self/task, again at each call (the cron's, once a
 * second) since the runtime starts them lazily and ends idle ones. The event loop itself,
 * and the threads it waits on (the collector's helpers, file I/O), keep their priority.
 * The same pass sums the JIT workers' CPU time, which tells the cron when the compiler has
 * caught up (server/code-pages.ts).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { setPriority } from "node:os";

const HELPER = /^\d+ \((JITWorker|mi-scavenger|JSCWarmUp)/;
const LOWEST = 19;
const AVAILABLE = process.platform === "linux" && existsSync("/proc/self/task");

/**
 * Lower the helper threads that are not yet at the lowest priority; returns the CPU time
 * (user and system, in clock ticks) of the JIT workers now running, -1 without /proc.
 */
export function lowerHelperThreads(): number {
  if (!AVAILABLE) return -1;
  let compiler = 0;
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      if (Number(tid) === process.pid) continue;
      try {
        // /proc/<tid>/stat: "tid (name) state ..."; user and system time are the 14th and
        // 15th fields, the nice value the 19th, and the name (at most 15 bytes) has no
        // spaces or parentheses for the helpers matched.
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, "latin1");
        const helper = HELPER.exec(stat);
        if (helper === null) continue;
        const fields = stat.split(" ");
        if (helper[1] === "JITWorker") compiler += Number(fields[13]) + Number(fields[14]);
        if (Number(fields[18]) !== LOWEST) setPriority(Number(tid), LOWEST);
      } catch {
        // The thread ended meanwhile, or the system refused: it keeps its priority.
      }
    }
  } catch {
    // No /proc to read after all.
    return -1;
  }
  return compiler;
}
