import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { ephemeralLow, freePorts } from "./ports.ts";

describe("freePorts", () => {
  test("gives distinct ports below the ephemeral range, each bindable", async () => {
    const low = await ephemeralLow();
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port).toBeLessThan(low);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    await new Promise((done) => server.close(done));
  });

  test("never gives a port another listener holds", async () => {
    const held = await freePorts(1);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(held[0], "127.0.0.1", resolve));
    try {
      for (let i = 0; i < 20; i++) expect(await freePorts(50)).not.toContain(held[0]);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  test("never gives a port it gave before, even one that nobody has bound yet", async () => {
    // The same draws again and again: a port already handed out must be passed over.
    const draws = [0.25, 0.25, 0.5, 0.75];
    const cycling = () => {
      let i = 0;
      return () => draws[i++ % draws.length] as number;
    };
    const first = await freePorts(1, "127.0.0.1", cycling());
    const second = await freePorts(1, "127.0.0.1", cycling());
    expect(second).not.toEqual(first);
    expect(new Set([...first, ...second]).size).toBe(2);
  });
});
