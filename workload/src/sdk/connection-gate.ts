import net from "node:net";
import tls from "node:tls";
import type { ISocketFactory } from "kafkajs";
import { IdentityUnreadableError, StaleSessionError } from "./errors.ts";

/** The socket factory kafkajs uses by default: TCP (or TLS), keep-alive every minute. */
export const plainSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect(
        { host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl },
        onConnect,
      )
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

export interface ConnectionGateOptions {
  /**
   * Runs before every connection and every act: re-checks the identity file and returns
   * false while acts are not allowed (file unreadable). A change of identity advances the
   * epoch from inside this call, so the caller's epoch is already stale when it returns.
   */
  verify(): boolean;
  base?: ISocketFactory;
}

/**
 * Refuses, at the socket level, every connection a stale Kafka client tries to open.
 *
 * After a CRIU restore the copy's sockets all come back closed, so the source's clients in
 * its memory can only act by reconnecting first; every Kafka client is built with
 * `socketFactory(epoch)`, and a connection is opened only while that epoch is current. A
 * client of an old epoch can therefore never send a JoinGroup, OffsetCommit, Produce or
 * LeaveGroup, whatever its retry logic does. An epoch ends when the identity changes or the
 * session is replaced.
 */
export class ConnectionGate {
  private current = 0;
  private readonly sockets = new Map<number, Set<net.Socket>>();
  private readonly options: ConnectionGateOptions;
  /** Connections refused so far (stale epoch or unreadable identity). */
  refusals = 0;

  constructor(options: ConnectionGateOptions) {
    this.options = options;
  }

  get epoch(): number {
    return this.current;
  }

  /** Ends the current epoch. Its open sockets are torn down locally (no Kafka request is sent). */
  advance(): number {
    const ended = this.current;
    this.current += 1;
    this.destroySockets(ended);
    return this.current;
  }

  /** True when a client of `epoch` may act now (checks the identity file first). */
  isCurrent(epoch: number): boolean {
    const allowed = this.options.verify();
    return allowed && epoch === this.current;
  }

  /**
   * Throws unless a client of `epoch` may act now: StaleSessionError when the epoch ended (the
   * client is abandoned), IdentityUnreadableError while the file cannot be read (retry later).
   */
  assertCurrent(epoch: number, act: string): void {
    if (this.isCurrent(epoch)) return;
    if (epoch === this.current) throw new IdentityUnreadableError(act);
    throw new StaleSessionError(epoch, this.current, act);
  }

  /** The socket factory for the Kafka clients of one epoch. */
  socketFactory(epoch: number): ISocketFactory {
    const base = this.options.base ?? plainSocketFactory;
    return (args) => {
      // kafkajs turns a throwing factory into a connection error on that broker.
      try {
        this.assertCurrent(epoch, `connect to ${args.host}:${args.port}`);
      } catch (error) {
        this.refusals += 1;
        throw error;
      }
      const socket = base(args);
      let open = this.sockets.get(epoch);
      if (!open) {
        open = new Set();
        this.sockets.set(epoch, open);
      }
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      return socket;
    };
  }

  openSockets(epoch: number = this.current): number {
    return this.sockets.get(epoch)?.size ?? 0;
  }

  /**
   * Closes an epoch's sockets without any Kafka goodbye: what a network blip does, and what a
   * restored copy's sockets look like anyway. Clients of a current epoch reconnect.
   */
  destroySockets(epoch: number = this.current): number {
    const open = this.sockets.get(epoch);
    if (!open) return 0;
    const count = open.size;
    // With an error, as a reset peer would: kafkajs reacts to "error" and "end", not to a
    // bare "close", and would otherwise wait out its request timeout on a dead socket.
    for (const socket of open) socket.destroy(connectionReset());
    if (epoch !== this.current) this.sockets.delete(epoch);
    return count;
  }
}

function connectionReset(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error("connection closed by the shadow connection gate");
  error.code = "ECONNRESET";
  return error;
}
