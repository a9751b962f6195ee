/**
 * The periodic job, run `hz` times a second as Redis's serverCron: it refreshes the cached
 * clock and runs the active expiry cycle with a quarter of the period as its time budget
 * (Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC). Later issues add replication pings and save
 * points here.
 */
import { updateClock } from "../clock.ts";
import type { Server } from "./server.ts";

/** Start the cron; returns a function that stops it. */
export function startCron(server: Server): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const hz = Math.min(500, Math.max(1, server.config.int("hz")));
    const period = 1000 / hz;
    updateClock();
    server.keyspace.activeExpireCycle(period / 4);
    timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, 100);
  return () => clearTimeout(timer);
}
