import { describe, expect, it } from "vitest";
import { RegistryUnavailableError } from "../errors.ts";
import { loadImageStoreConfig } from "./config.ts";
import { parseCpuFlags, parseCriuVersion } from "./host-facts.ts";
import { keyId, parseImageKey } from "./key.ts";
import { pullImage } from "./pull.ts";
import { formatRef, parseRef, sanitizeName } from "./reference.ts";
import { RegistryClient } from "./registry-client.ts";

describe("image key", () => {
  const hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  it("reads 64 hex digits and base64 of the same 32 bytes alike", () => {
    const fromHex = parseImageKey(hex);
    expect(fromHex.length).toBe(32);
    expect(parseImageKey(fromHex.toString("base64")).equals(fromHex)).toBe(true);
    expect(keyId(fromHex)).toBe(keyId(parseImageKey(` ${hex}\n`)));
    expect(keyId(fromHex)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("refuses keys that are not 32 bytes, with a message that says how to make one", () => {
    expect(() => parseImageKey(hex.slice(2))).toThrow(/32 bytes.*openssl rand -hex 32/);
    expect(() => parseImageKey(Buffer.alloc(16).toString("base64"))).toThrow(/32 bytes/);
    expect(() => parseImageKey("not a key!")).toThrow(/32 bytes/);
  });

  it("config refuses a bad key and a registry off loopback at start-up", () => {
    expect(() => loadImageStoreConfig({ SHADOW_IMAGE_KEY: "abc" })).toThrow(
      /SHADOW_IMAGE_KEY: the image key must be 32 bytes/,
    );
    expect(() =>
      loadImageStoreConfig({ SHADOW_REGISTRY: "10.0.0.1:5000", SHADOW_IMAGE_KEY: hex }),
    ).toThrow(/SHADOW_REGISTRY: must be a loopback/);
    const config = loadImageStoreConfig({
      SHADOW_IMAGE_KEY: hex,
      SHADOW_IMAGE_BUDGET_BYTES: "1000000",
    });
    expect(config).toMatchObject({ registry: "127.0.0.1:5000", budgetBytes: 1_000_000 });
    expect(config.key?.toString("hex")).toBe(hex);
    expect(loadImageStoreConfig({ SHADOW_IMAGE_ENCRYPTION: "off" }).key).toBeUndefined();
  });
});

describe("image references", () => {
  const digest = `sha256:${"a".repeat(64)}`;

  it("parses and formats registry and layout references", () => {
    for (const text of [
      `127.0.0.1:5000/shadow/m-1:checkpoint@${digest}`,
      "127.0.0.1:5000/shadow/m-1:checkpoint",
      `127.0.0.1:5000/shadow/m-1@${digest}`,
      `oci:/var/lib/shadow/nodes/node-a/images/m-1:checkpoint@${digest}`,
      `oci:/tmp/x@${digest}`,
    ]) {
      expect(formatRef(parseRef(text))).toBe(text);
    }
    expect(parseRef(`127.0.0.1:5000/shadow/m-1:v1@${digest}`)).toEqual({
      kind: "registry",
      host: "127.0.0.1:5000",
      repository: "shadow/m-1",
      tag: "v1",
      digest,
    });
  });

  it("refuses references without a tag or digest, relative layouts and bad digests", () => {
    expect(() => parseRef("127.0.0.1:5000/shadow/m-1")).toThrow(/no tag or digest/);
    expect(() => parseRef("oci:relative/dir:tag")).toThrow(/absolute/);
    expect(() => parseRef("127.0.0.1:5000/a:b@sha256:xyz")).toThrow(/bad digest/);
    expect(() => parseRef("127.0.0.1:5000/Upper:tag")).toThrow(/repository/);
  });

  it("makes repository-safe names from free text", () => {
    expect(sanitizeName("Mig_2026/01 #7")).toBe("mig-2026-01-7");
    expect(() => parseRef(`127.0.0.1:5000/shadow/${sanitizeName("A..B__c")}:t`)).not.toThrow();
  });
});

describe("host facts", () => {
  it("keeps the CPU flags every processor has", () => {
    const cpuinfo =
      "processor: 0\nflags\t\t: sse2 aes avx2\n\nprocessor: 1\nflags\t\t: aes sse2 sha_ni\n";
    expect(parseCpuFlags(cpuinfo)).toEqual(["aes", "sse2"]);
    expect(parseCpuFlags("no flags here")).toEqual([]);
  });

  it("reads CRIU's version line", () => {
    expect(parseCriuVersion("Version: 4.2\n")).toBe("4.2");
    expect(parseCriuVersion("Version: 4.1.1\nGitID: v4.1.1\n")).toBe("4.1.1");
    expect(() => parseCriuVersion("criu: command not found")).toThrow(/cannot read/);
  });
});

describe("registry client", () => {
  it("reports a registry that does not answer as retryable RegistryUnavailableError", async () => {
    // Port 9 (discard) is closed on loopback here: the connection is refused at once.
    const client = new RegistryClient("127.0.0.1:9");
    expect(await client.ping()).toBe(false);
    const error = await pullImage("127.0.0.1:9/shadow/m-1:checkpoint", {
      into: "/nonexistent/x",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as RegistryUnavailableError).retryable).toBe(true);
  });
});
