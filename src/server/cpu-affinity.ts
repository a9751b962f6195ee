/**
 * server_cpulist (Redis's redisSetCpuAffinity): the server's thread runs on the CPUs listed,
 * in Redis's syntax: numbers, ranges and ranges with a stride, comma-separated
 * ("0,2,4-7,8-15:2"). Threads the runtime starts afterwards (the JIT's, the collector's)
 * inherit the set. A list that does not parse, or a system that refuses it, leaves the
 * affinity alone, as Redis does.
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

/** Pin the calling (main) thread to server_cpulist's CPUs; "" leaves it alone. */
export function applyServerCpuList(list: string): void {
  if (list === "") return;
  const cpus = parseCpuList(list);
  const c = libc();
  if (cpus === undefined || c === null) return;
  // cpu_set_t: 1024 bits.
  const mask = new Uint8Array(128);
  for (const cpu of cpus) mask[cpu >> 3]! |= 1 << (cpu & 7);
  c.sched_setaffinity(0, mask.length, mask);
}
