import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";

/** Where Linux hands out local ports for outgoing connections when the file cannot be read. */
const DEFAULT_EPHEMERAL_LOW = 32768;
/** The lowest port picked: above the well-known and registered ranges most daemons sit in. */
const LOWEST = 10000;
/** How many of the ports this process handed out it remembers (the oldest are forgotten first). */
const REMEMBERED = 4096;

/**
 * Ports this process handed out, never handed out again while remembered. A port is free when
 * picked but taken only when its service binds it, seconds later: two calls (the services'
 * health ports, then their metrics ports) each saw the other's pick free, and a restore-svc
 * whose metrics port was fence-svc's health port failed to start on every restart.
 */
const handedOut = new Set<number>();

function remember(port: number): void {
  handedOut.add(port);
  for (const old of handedOut) {
    if (handedOut.size <= REMEMBERED) break;
    handedOut.delete(old);
  }
}

/**
 * `count` ports free on `host` now, each different, all below the kernel's ephemeral range.
 * A port the OS picks (listen on 0) comes from that range, and so does the local port of every
 * outgoing connection: a Kafka client could hold it by the time the service binds, for as long
 * as the connection lives, and the service would fail to bind on every restart. Below the range
 * only another listener can take it, which the bind probe here sees. All are held open together
 * while picking, then released; none this process handed out before is given again.
 */
export async function freePorts(
  count: number,
  host = "127.0.0.1",
  random: () => number = Math.random,
): Promise<number[]> {
  const high = (await ephemeralLow()) - 1;
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > count * 200) throw new Error(`no ${count} free ports in ${LOWEST}-${high}`);
      const port = LOWEST + Math.floor(random() * (high - LOWEST + 1));
      if (ports.includes(port) || handedOut.has(port)) continue;
      const server = await bound(port, host);
      if (!server) continue;
      servers.push(server);
      ports.push(port);
    }
    for (const port of ports) remember(port);
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((done) => s.close(() => done(undefined)))));
  }
}

/** The first port of the kernel's ephemeral range (never below LOWEST + 1000). */
export async function ephemeralLow(): Promise<number> {
  const text = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "");
  const low = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(low) && low > LOWEST + 1000 ? low : DEFAULT_EPHEMERAL_LOW;
}

function bound(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

/** One port from `freePorts`. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error("no free port");
  return port;
}
