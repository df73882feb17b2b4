import { Writable } from "node:stream";
import { context, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => context.disable());

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, log: createLogger({ name: "svc", level: "info", destination }) };
}

describe("createLogger", () => {
  it("puts the active span's trace and span ids on each record", async () => {
    const { lines, log } = capture();
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    });
    await context.with(ctx, async () => {
      await Promise.resolve();
      log.info({ migrationId: "m-1" }, "checkpoint created");
    });
    log.info("outside");
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({
      name: "svc",
      msg: "checkpoint created",
      migrationId: "m-1",
      trace_id: "0af7651916cd43dd8448eb211c80319c",
      span_id: "b7ad6b7169203331",
    });
    expect(lines[1]).not.toHaveProperty("trace_id");
  });
});
