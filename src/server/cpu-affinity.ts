/**
 * server_cpulist (Redis's redisSetCpuAffinity): the server's thread runs on the CPUs listed,
 * in Redis's syntax: numbers, ranges and ranges with a stride, comma-separated
 * ("0,2,4-7,8-15:2"). Threads the runtime starts afterwards (the JIT's, the collector's)
 * inherit the set. A list that does not parse, or a system that refuses it, leaves the
 * affinity alone, as Redis does. bio_cpulist places the runtime's helper threads
 * (server/helper-threads.ts), as Redis places its background I/O threads.
 */
import { libc } from "./libc.ts";

/** The CPUs `list` names, or undefined when it does not parse (setcpuaffinity's rules). */
export function parseCpuList(list: string): number[] | undefined {
  const cpus: number[] = [];
  for (const token of list.split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(token);
    if (m === null) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const stride = m[3] === undefined ? 1 : Number(m[3]);
    if (from > to || stride < 1 || to >= 1024) return undefined;
    for (let cpu = from; cpu <= to; cpu += stride) cpus.push(cpu);
  }
  return cpus;
}

/** The kernel's CPU mask (cpu_set_t, 1024 bits) for a list, or undefined when it does not parse or is "". */
export function cpuMask(list: string): Uint8Array | undefined {
  if (list === "") return undefined;
  const cpus = parseCpuList(list);
  if (cpus === undefined) return undefined;
  const mask = new Uint8Array(128);
  for (const cpu of cpus) mask[cpu >> 3]! |= 1 << (cpu & 7);
  return mask;
}

/** Pin thread `tid` (0: the calling one) to `mask`'s CPUs (a system that refuses leaves it). */
export function pinThread(tid: number, mask: Uint8Array): void {
  libc()?.sched_setaffinity(tid, mask.length, mask);
}

/** Pin the calling (main) thread to server_cpulist's CPUs; "" leaves it alone. */
export function applyServerCpuList(list: string): void {
  const mask = cpuMask(list);
  if (mask !== undefined) pinThread(0, mask);
}
