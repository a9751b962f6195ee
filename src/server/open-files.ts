/**
 * maxclients against the open-files limit, as Redis's adjustOpenFilesLimit: a client is a
 * descriptor, and the server keeps 32 for itself (listeners, files, the runtime's own).
 * When the soft limit is lower than maxclients + 32 it is raised (soft and hard together,
 * as Redis sets them) as far as the system allows; where it stays lower, maxclients is
 * lowered to fit and Redis's three warnings are logged, so that a client past the limit is
 * told "max number of clients reached" instead of waiting, never accepted, in the listen
 * queue.
 */
import { libc } from "./libc.ts";

const RESERVED_FDS = 32;
const RLIMIT_NOFILE = 7;
const EPERM = 1;
const ERRNO_TEXT: Record<number, string> = { 1: "Operation not permitted", 22: "Invalid argument" };

export interface OpenFilesOutcome {
  /** The maxclients the limit allows (the one asked for when it fits). */
  maxclients: number;
  /** Redis's log lines, at their levels. */
  warnings: string[];
  notice?: string;
  /** The limit is too low for the server to start at all. */
  fatal?: string;
}

/** Fit `maxclients` to the open-files limit, raising the limit where it can. Undefined where the limit cannot be read (no glibc). */
export function adjustOpenFilesLimit(maxclients: number): OpenFilesOutcome | undefined {
  const c = libc();
  if (c === null) return undefined;
  const limits = new BigUint64Array(2);
  if (c.getrlimit(RLIMIT_NOFILE, limits) !== 0) {
    return { maxclients: 1024 - RESERVED_FDS, warnings: ["Unable to obtain the current NOFILE limit (Operation not permitted), assuming 1024 and setting the max clients configuration accordingly."] };
  }
  const old = Number(limits[0]);
  const hard = Number(limits[1]);
  const wanted = maxclients + RESERVED_FDS;
  if (old >= wanted) return { maxclients, warnings: [] };
  // Redis tries `wanted`, then 16 fewer at a time while above the old limit. Above the hard
  // limit an unprivileged process always fails: this goes straight to the first of those
  // values at or under it.
  let best = wanted;
  let error = 0;
  while (best > old) {
    limits[0] = limits[1] = BigInt(best);
    if (c.setrlimit(RLIMIT_NOFILE, limits) === 0) break;
    error = c.errno();
    if (error === EPERM && best > hard) best = wanted - 16 * Math.ceil((wanted - hard) / 16);
    else if (best < 16) best = old;
    else best -= 16;
  }
  if (best < old) best = old;
  if (best >= wanted) return { maxclients, warnings: [], notice: `Increased maximum number of open files to ${wanted} (it was originally set to ${old}).` };
  if (best <= RESERVED_FDS) {
    return { maxclients, warnings: [], fatal: `Your current 'ulimit -n' of ${old} is not enough for the server to start. Please increase your open file limit to at least ${wanted}. Exiting.` };
  }
  const fitted = best - RESERVED_FDS;
  return {
    maxclients: fitted,
    warnings: [
      `You requested maxclients of ${maxclients} requiring at least ${wanted} max file descriptors.`,
      `Server can't set maximum open files to ${wanted} because of OS error: ${ERRNO_TEXT[error] ?? `errno ${error}`}.`,
      `Current maximum open files is ${best}. maxclients has been reduced to ${fitted} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
    ],
  };
}
