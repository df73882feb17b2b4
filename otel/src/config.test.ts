import { describe, expect, it } from "vitest";
import { resolveTelemetryConfig } from "./config.ts";

describe("resolveTelemetryConfig", () => {
  it("defaults to the local Jaeger and loopback metrics", () => {
    expect(resolveTelemetryConfig({ serviceName: "s" }, {})).toMatchObject({
      otlpEndpoint: "http://127.0.0.1:4318",
      metricsPort: 9464,
      metricsHost: "127.0.0.1",
    });
  });

  it("reads the environment, explicit options winning", () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:14318/",
      SHADOW_METRICS_PORT: "9470",
    };
    expect(resolveTelemetryConfig({ serviceName: "s" }, env)).toMatchObject({
      otlpEndpoint: "http://127.0.0.1:14318",
      metricsPort: 9470,
    });
    expect(resolveTelemetryConfig({ serviceName: "s", metricsPort: false }, env).metricsPort).toBe(
      false,
    );
    expect(
      resolveTelemetryConfig({ serviceName: "s" }, { SHADOW_METRICS_PORT: "off" }).metricsPort,
    ).toBe(false);
  });

  it("fails with a message naming the bad setting", () => {
    expect(() =>
      resolveTelemetryConfig({ serviceName: "s" }, { OTEL_EXPORTER_OTLP_ENDPOINT: "nope" }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() =>
      resolveTelemetryConfig({ serviceName: "s" }, { SHADOW_METRICS_PORT: "eighty" }),
    ).toThrow(/metricsPort/);
    expect(() => resolveTelemetryConfig({ serviceName: "" }, {})).toThrow(/serviceName/);
  });
});
