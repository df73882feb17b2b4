import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionGate } from "./connection-gate.ts";
import { IdentityUnreadableError, StaleSessionError } from "./errors.ts";
import type { Identity } from "./identity.ts";
import { IdentityWatcher } from "./identity-watcher.ts";

const source: Identity = {
  workload: "orders",
  instance: "orders-0",
  node: "node-a",
  role: "primary",
  incarnation: 1,
};
const shadow: Identity = {
  workload: "orders",
  instance: "orders-0-shadow",
  node: "node-b",
  role: "shadow",
  incarnation: 2,
  migrationId: "m-1",
};

/** Writes the identity the way a runtime should: a new file renamed over the old one. */
function writeIdentity(path: string, identity: unknown): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, typeof identity === "string" ? identity : JSON.stringify(identity));
  renameSync(temporary, path);
}

/** A TCP server on loopback that counts the connections it accepts (it speaks no Kafka). */
async function countingServer(): Promise<{
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function connect(
  factory: ReturnType<ConnectionGate["socketFactory"]>,
  port: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = factory({
      host: "127.0.0.1",
      port,
      ssl: undefined as never,
      onConnect: () => resolve(socket),
    });
    socket.on("error", reject);
  });
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("identity gate", () => {
  let dir: string;
  let path: string;
  let changes: [Identity, Identity][];
  let watcher: IdentityWatcher;
  let gate: ConnectionGate;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "shadow-gate-"));
    path = join(dir, "identity.json");
    writeIdentity(path, source);
    changes = [];
    watcher = new IdentityWatcher({
      path,
      onChange: (next, previous) => {
        changes.push([next, previous]);
        gate.advance();
      },
    });
    gate = new ConnectionGate({ verify: () => watcher.check() !== "unreadable" });
  });

  afterEach(() => {
    watcher.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets the current epoch connect and refuses a stale one without touching the network", async () => {
    const server = await countingServer();
    try {
      const factory = gate.socketFactory(gate.epoch);
      const socket = await connect(factory, server.port);
      let socketError: NodeJS.ErrnoException | undefined;
      socket.on("error", (error) => {
        socketError = error;
      });
      await until(() => server.accepted() === 1);
      expect(gate.openSockets()).toBe(1);

      writeIdentity(path, shadow);
      // The connection attempt itself notices the restore: no timer had to run first.
      expect(() =>
        factory({
          host: "127.0.0.1",
          port: server.port,
          ssl: undefined as never,
          onConnect: () => {},
        }),
      ).toThrow(StaleSessionError);
      expect(changes).toEqual([[shadow, source]]);
      expect(gate.epoch).toBe(1);
      // Ending the epoch tore down its open socket locally, with an error kafkajs reacts to.
      await until(() => socket.destroyed && socketError !== undefined);
      expect(socketError?.code).toBe("ECONNRESET");
      expect(server.accepted()).toBe(1);
      expect(gate.refusals).toBe(1);

      // The new epoch's clients connect normally.
      await connect(gate.socketFactory(gate.epoch), server.port);
      await until(() => server.accepted() === 2);
    } finally {
      await server.close();
    }
  });

  it("keeps a stale kafkajs client from ever reaching the broker", async () => {
    const server = await countingServer();
    try {
      const staleEpoch = gate.epoch;
      const kafka = new Kafka({
        clientId: "stale",
        brokers: [`127.0.0.1:${server.port}`],
        socketFactory: gate.socketFactory(staleEpoch),
        logLevel: logLevel.NOTHING,
        retry: { retries: 2, initialRetryTime: 10 },
      });
      writeIdentity(path, shadow);
      const producer = kafka.producer();
      await expect(producer.connect()).rejects.toThrow(/stale/);
      const consumer = kafka.consumer({ groupId: "g" });
      await expect(consumer.connect()).rejects.toThrow(/stale/);
      expect(server.accepted()).toBe(0);
      expect(gate.refusals).toBeGreaterThanOrEqual(2);
    } finally {
      await server.close();
    }
  });

  it("notices a change within milliseconds from the poll alone", async () => {
    watcher.start();
    const started = Date.now();
    writeIdentity(path, shadow);
    await until(() => changes.length === 1, 500);
    expect(Date.now() - started).toBeLessThan(200);
    expect(gate.isCurrent(0)).toBe(false);
    expect(gate.isCurrent(1)).toBe(true);
  });

  it("refuses acts while the file is unreadable, without calling it a new identity", () => {
    writeIdentity(path, "{ half-writ");
    expect(gate.isCurrent(0)).toBe(false);
    expect(watcher.isReadable).toBe(false);
    // Not stale: retried until the file reads again, never abandoned.
    expect(() => gate.assertCurrent(0, "produce")).toThrow(IdentityUnreadableError);
    writeIdentity(path, source);
    expect(gate.isCurrent(0)).toBe(true);
    expect(changes).toEqual([]);
  });

  it("does not treat a rewrite of the same identity as a restore", () => {
    writeIdentity(path, { ...source });
    expect(watcher.check()).toBe("same");
    expect(gate.isCurrent(0)).toBe(true);
    expect(changes).toEqual([]);
  });

  it("detects an in-place rewrite too (same inode, new content)", () => {
    writeFileSync(path, JSON.stringify(shadow));
    expect(watcher.check()).toBe("changed");
    expect(watcher.current).toEqual(shadow);
  });

  it("refuses to start without an identity", () => {
    expect(
      () => new IdentityWatcher({ path: join(dir, "missing.json"), onChange: () => {} }),
    ).toThrow(/identity: cannot read/);
  });
});
