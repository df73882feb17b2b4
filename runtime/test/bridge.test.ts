import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";

const bridge = process.env.SHADOW_BRIDGE || "shadow0";
const sys = (file: string) => readFileSync(`/sys/class/net/${bridge}/${file}`, "utf8").trim();
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });

/**
 * The bridge keeps one MAC whatever joins or leaves it (deploy/local/network.sh pins it): left
 * alone it would take the lowest MAC among its ports, and every instance that cached the old one
 * for the host's address would stall on a TCP retransmission each time an instance came or went.
 */
describe("the local stack's bridge", () => {
  const port = `vt${randomBytes(3).toString("hex")}`;

  afterEach(() => {
    try {
      ip("link", "del", port);
    } catch {
      // already gone
    }
  });

  it("keeps its MAC when a port with a lower MAC joins and leaves", () => {
    const before = sys("address");
    // NET_ADDR_SET: the address was set, so the bridge no longer follows its ports.
    expect(sys("addr_assign_type")).toBe("3");
    ip(
      "link",
      "add",
      port,
      "address",
      "02:00:00:00:00:01",
      "type",
      "veth",
      "peer",
      "name",
      `${port}p`,
    );
    ip("link", "set", port, "master", bridge, "up");
    expect(sys("address")).toBe(before);
    ip("link", "del", port);
    expect(sys("address")).toBe(before);
  });
});
