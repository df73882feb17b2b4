import { describe, expect, it } from "vitest";
import { headersToText, headerText } from "./kafka-headers.ts";

describe("Kafka headers as text", () => {
  it("reads a Buffer as UTF-8, keeps a string, and takes the first of a repeated key", () => {
    expect(headerText(Buffer.from("grüß", "utf8"))).toBe("grüß");
    expect(headerText("plain")).toBe("plain");
    expect(headerText([Buffer.from("first"), "second"])).toBe("first");
    expect(headerText([])).toBeUndefined();
    expect(headerText(undefined)).toBeUndefined();
  });

  it("converts every header and leaves out the absent ones", () => {
    expect(headersToText({ a: Buffer.from("1"), b: undefined, c: ["x", "y"], d: [] })).toEqual({
      a: "1",
      c: "x",
    });
    expect(headersToText(undefined)).toEqual({});
  });
});
