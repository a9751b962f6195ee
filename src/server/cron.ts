/**
 * The periodic job, run `hz` times a second as Redis's serverCron: it refreshes the cached
 * clock, runs the active expiry cycle with a quarter of the period as its time budget
 * (Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC), and on a replica sends the
 * once-a-second REPLCONF ACK, PINGs a master's replicas, and starts a BGSAVE when a save
 * point is due.
 */
import { updateClock } from "../clock.ts";
import type { Server } from "./server.ts";

/** Start the cron; returns a function that stops it. */
export function startCron(server: Server): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastAck = 0;
  let lastReplicaPing = Date.now();
  const tick = () => {
    const hz = Math.min(500, Math.max(1, server.config.int("hz")));
    const period = 1000 / hz;
    const clockNow = updateClock();
    if (server.keyspace.activeExpireEnabled) server.keyspace.activeExpireCycle(period / 4);
    server.persistence.checkSavePoints();
    // A master PINGs its replicas every repl-ping-replica-period seconds, in the stream.
    if (clockNow - lastReplicaPing >= server.config.int("repl-ping-replica-period") * 1000) {
      lastReplicaPing = clockNow;
      server.replication.pingReplicas();
    }
    // A replica acknowledges its offset to its master once a second, as Redis does.
    if (server.replicaLink !== undefined && clockNow - lastAck >= 1000) {
      lastAck = clockNow;
      server.replicaLink.sendAck();
    }
    timer = setTimeout(tick, period);
  };
  timer = setTimeout(tick, 100);
  return () => clearTimeout(timer);
}
