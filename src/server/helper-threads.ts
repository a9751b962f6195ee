/**
 * The runtime's helper threads that do not hold up a request at the lowest CPU priority:
 * mimalloc returns memory from a scavenger thread and JavaScriptCore faults in the
 * collector's next blocks from another (JSCWarmUp). On a server with one core to itself
 * (as the bench pins it, as a container may), each of them, when it wakes, takes the core
 * from the event loop for a whole scheduler tick (4 ms at the kernel's 250 Hz).
 *
 * The JIT's workers keep the event loop's priority. At nice 19 they were starved while the
 * event loop was busy: the compiler got ~1.5% of the core, so a fresh server's hot code
 * stayed unoptimized for seconds (optimizing lookupCommand took 0.9 s of wall time) and
 * the whole first load ran slowly. Measured 2026-12-07, four alternated `bun run bench
 * --big-only` runs each: SET over 1M keys 0.80-0.90x -> 0.93-1.14x Redis, GET 0.86-0.99x ->
 * 0.98-1.22x, churn 0.93-0.95x -> 0.95-1.11x, the probe's SET p99 4.7-5.2 -> 3.7-4.3 ms,
 * its worst 9.6-11.1 -> 11.0-13.4 ms; a fresh server's first 1M LPUSHes (-P 16) 2.9-3.8 ->
 * 1.5-2.0 us of CPU a request. Nice 10 fell between the two.
 *
 * Even at nice 19 a helper that wakes holds the core until the next tick: a trace of the
 * scheduler (perf sched) during SETs over 1M keys, the server pinned to one core, showed
 * the event loop runnable but waiting 1-6 ms at a time, 14-36 times in 6 s, for
 * JSCWarmUp, mi-scavenger and the JIT's workers. bio_cpulist moves every thread but the
 * event loop's to the CPUs it lists, as Redis moves its background I/O threads there.
 *
 * Linux lets a thread's nice value and CPUs be set by its id (setpriority, node:os
 * setPriority; sched_setaffinity); the threads are found in /proc/self/task. The runtime
 * starts them lazily and ends idle ones, and a new thread inherits the event loop's
 * priority and CPUs, so the cron looks every 100 ms (tendHelperThreads: a directory
 * listing, and a read of each thread not seen before). compilerTime sums the JIT workers'
 * CPU time, which tells the cron when the compiler has caught up (server/code-pages.ts).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { setPriority } from "node:os";
import { cpuMask, pinThread } from "./cpu-affinity.ts";

const HELPER = /^\d+ \((JITWorker|mi-scavenger|JSCWarmUp)/;
const LOWEST = 19;
const AVAILABLE = process.platform === "linux" && existsSync("/proc/self/task");

/** Threads already looked at, by id: whether each is a JIT worker. */
const seen = new Map<string, boolean>();
/** bio_cpulist's mask (undefined: the threads stay where they start), and the threads it was applied to. */
let backgroundCpus: Uint8Array | undefined;
const pinned = new Set<string>();

/** bio_cpulist: the CPUs for every thread but the event loop's, from the next look on ("" leaves them alone). */
export function setBackgroundCpus(list: string): void {
  backgroundCpus = cpuMask(list);
}
/** A thread not yet named by its runtime carries the process's name; it is looked at again later. */
const PROCESS_NAME = AVAILABLE ? `(${readFileSync("/proc/self/comm", "latin1").trim()})` : "";

/**
 * Lower the helper threads (but the JIT workers) started since the last call, and move
 * every new thread to bio_cpulist's CPUs (the cron's, every 100 ms).
 */
export function tendHelperThreads(): void {
  if (!AVAILABLE) return;
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return;
  }
  // Threads that ended are forgotten (a few at most: the listing is short).
  for (const tid of seen.keys()) if (!tids.includes(tid)) seen.delete(tid);
  for (const tid of pinned) if (!tids.includes(tid)) pinned.delete(tid);
  for (const tid of tids) {
    if (Number(tid) === process.pid) continue;
    // Once per thread: one the system refuses to move stays where it is, as in Redis.
    if (backgroundCpus !== undefined && !pinned.has(tid)) {
      pinThread(Number(tid), backgroundCpus);
      pinned.add(tid);
    }
    if (seen.has(tid)) continue;
    try {
      // /proc/<tid>/stat: "tid (name) state ..."; the nice value is the 19th field, and
      // the name (at most 15 bytes) has no spaces or parentheses for the helpers matched.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "latin1");
      const helper = HELPER.exec(stat);
      if (helper === null) {
        if (!stat.startsWith(`${tid} ${PROCESS_NAME}`)) seen.set(tid, false);
        continue;
      }
      const jit = helper[1] === "JITWorker";
      if (!jit && Number(stat.split(" ")[18]) !== LOWEST) setPriority(Number(tid), LOWEST);
      seen.set(tid, jit);
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
