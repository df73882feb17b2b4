import { describe, expect, it } from "vitest";
import { traceLine, traceLink, traceUiUrl } from "./trace-link.ts";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("a trace's link", () => {
  it("is Jaeger's trace page under the configured UI", () => {
    expect(traceLink("https://jaeger.example.org/", traceId)).toBe(
      `https://jaeger.example.org/trace/${traceId}`,
    );
  });

  it("fills a template for another UI", () => {
    expect(traceLink("https://ui.example.org/explore?trace={traceId}", traceId)).toBe(
      `https://ui.example.org/explore?trace=${traceId}`,
    );
  });

  it("is nothing without a UI, and the line a person reads names the command instead", () => {
    expect(traceLink(undefined, traceId)).toBeUndefined();
    expect(traceLine(undefined, { traceId, migrationId: "mig-1" })).toMatch(
      /^shadow trace mig-1 \(no trace UI configured: the local Jaeger serves its query API only/,
    );
  });

  it("refuses a UI setting that is not a URL", () => {
    expect(traceUiUrl.safeParse("jaeger:16686/ui").success).toBe(false);
    expect(traceUiUrl.safeParse(undefined).success).toBe(true);
  });
});
