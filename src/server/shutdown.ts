/**
 * Shutting down as Redis 7.0 does (server.c's prepareForShutdown, finishShutdown and
 * abortShutdown): SHUTDOWN, or SIGTERM/SIGINT with the flags of shutdown-on-sigterm and
 * shutdown-on-sigint, first lets lagging replicas catch up. Writes are paused, the replicas
 * are asked for their offsets, and the server exits once every replica has acknowledged the
 * whole stream or shutdown-timeout seconds have passed (NOW, or a timeout of 0, skips the
 * wait). Then the lagging replicas are logged, the final save made (a failed one keeps the
 * server up unless FORCE), and the server stops. SHUTDOWN ABORT cancels a shutdown that is
 * waiting, or a signal's not yet acted on; the SHUTDOWN clients then get an error.
 *
 * A signal is only noted when it arrives and acted on by the cron, as Redis's serverCron
 * acts on shutdown_asap; a second SIGINT meanwhile exits at once.
 */
import type { ShutdownFlags } from "../commands/context.ts";
import { SHUTDOWN_FAILED } from "../errors.ts";
import { encodeReply } from "../resp/writer.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

export type ShutdownSignal = "SIGINT" | "SIGTERM";

export class Shutdown {
  /** When a shutdown waiting for replicas stops waiting (Redis's shutdown_mstime); 0 when none waits. */
  private deadline = 0;
  private flags: ShutdownFlags = {};
  /** A signal not yet acted on, or whose shutdown still waits (Redis's shutdown_asap and last_sig_received). */
  private signal: ShutdownSignal | undefined;
  /** SHUTDOWN clients, blocked until the server exits or the shutdown fails. */
  private blocked: Client[] = [];

  constructor(private readonly server: Server) {}

  /** Whether a shutdown is waiting for replicas. */
  get initiated(): boolean {
    return this.deadline !== 0;
  }

  /** SHUTDOWN from `client`, which waits for the outcome (an error when it fails, else the connection closes). */
  command(client: Client, flags: ShutdownFlags): void {
    client.block();
    this.blocked.push(client);
    if (!this.initiated) this.prepare(flags);
  }

  /**
   * A signal arrived: noted for the cron. True when the process must exit at once (a
   * second SIGINT: the user insists, as Redis reads it), its temporary dump removed.
   */
  noteSignal(signal: ShutdownSignal): boolean {
    if (this.signal !== undefined && signal === "SIGINT") {
      this.server.log.fromSignalHandler("warning", "You insist... exiting now.");
      this.server.persistence.removeTempFile();
      return true;
    }
    this.server.log.fromSignalHandler("warning", this.server.loadingDataset ? "Received shutdown signal during loading, scheduling shutdown." : `Received ${signal} scheduling shutdown...`);
    this.signal = signal;
    return false;
  }

  /** From the cron, every tick: act on a signal, or end a wait for replicas that is over. */
  cron(now: number): void {
    if (this.signal !== undefined && !this.initiated) {
      this.prepare(parseFlags(this.server.config.get(this.signal === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm")));
    } else if (this.initiated && (now >= this.deadline || this.replicasInSync())) {
      this.finish();
    }
  }

  /** SHUTDOWN ABORT: false when there is nothing to abort. */
  abort(): boolean {
    if (!this.initiated && this.signal === undefined) return false;
    this.cancel();
    this.server.log.notice("Shutdown manually aborted.");
    return true;
  }

  private prepare(flags: ShutdownFlags): void {
    const server = this.server;
    // While the dataset loads nothing is saved: half of it would replace the whole.
    this.flags = server.loadingDataset ? { ...flags, save: false, nosave: true } : flags;
    server.log.warning("User requested shutdown...");
    server.notifySupervisor("STOPPING=1\n");
    const timeout = server.config.int("shutdown-timeout");
    if (!flags.now && timeout !== 0 && !this.replicasInSync()) {
      this.deadline = Date.now() + timeout * 1000;
      if (!server.pausing.paused) server.replication.feedRequest(["REPLCONF", "GETACK", "*"]);
      server.pausing.holdWrites("shutdown", true);
      server.log.notice("Waiting for replicas before shutting down.");
      return;
    }
    this.finish();
  }

  /** Every replica has acknowledged the whole stream (Redis's isReadyToShutdown). */
  private replicasInSync(): boolean {
    const replication = this.server.replication;
    const offset = replication.offset;
    return replication.replicaList().every((r) => r.replica!.ackOffset === offset);
  }

  private finish(): void {
    const server = this.server;
    const replication = server.replication;
    const replicas = replication.replicaList();
    const now = Math.floor(Date.now() / 1000);
    let lagging = 0;
    for (const r of replicas) {
      const info = r.replica!;
      if (info.ackOffset === replication.offset) continue;
      lagging++;
      const lag = info.state === "online" ? now - Math.floor(info.ackTime / 1000) : 0;
      server.log.warning(`Lagging replica ${replication.replicaName(r)} reported offset ${replication.offset - info.ackOffset} behind master, lag=${lag}, state=${info.state}.`);
    }
    if (replicas.length > 0) server.log.notice(`${replicas.length - lagging} of ${replicas.length} replicas are in sync when shutting down.`);
    const { save, nosave, force } = this.flags;
    if (!server.finalSave(save, nosave, force)) {
      server.log.warning("Errors trying to shut down the server. Check the logs for more information.");
      this.cancel();
      return;
    }
    server.log.warning("KVIS is now ready to exit, bye bye...");
    this.blocked = [];
    // After the running command (SHUTDOWN's handler, or a script it ended) has unwound.
    queueMicrotask(() => server.stop());
  }

  /** The shutdown is off: writes go on, SHUTDOWN's clients get an error (Redis's cancelShutdown). */
  private cancel(): void {
    this.deadline = 0;
    this.signal = undefined;
    this.flags = {};
    const blocked = this.blocked;
    this.blocked = [];
    for (const c of blocked) {
      if (c.closed) continue;
      this.server.countError(SHUTDOWN_FAILED.text);
      c.unblock(encodeReply(c.resp, (w) => w.error(SHUTDOWN_FAILED.text)));
    }
    this.server.pausing.holdWrites("shutdown", false);
  }
}

/** shutdown-on-sigint/sigterm's words ("default" sets none). */
function parseFlags(value: string): ShutdownFlags {
  const words = new Set(value.split(" "));
  return { save: words.has("save"), nosave: words.has("nosave"), now: words.has("now"), force: words.has("force") };
}
