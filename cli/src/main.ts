import { parseArgs } from "node:util";
import { GatewayError, gatewayClient } from "./client.ts";
import { migrate } from "./commands/migrate.ts";
import { status } from "./commands/status.ts";
import { loadCliConfig } from "./config.ts";

const usage = `usage:
  shadow migrate <workload> [--to <node>|auto] [--strategy shadow|sequential|auto] [--no-identity-swap]
                 [--transfer stream|registry|node-to-node] [--watch]
  shadow migrate <workload> --restore-name [--watch]
                         gives a workload serving under a shadow's name (moved without identity
                         swap, or its swap could not complete) its own name back where it serves
  shadow status <migration-id> [--watch] [--svg FILE]   FILE: the migration's timeline picture
  shadow trace <migration-id> [--width N] [--all] [--json]
                         the migration's trace from Jaeger as a waterfall (--all: also the
                         messaging client's transport spans; --json: the trace as Jaeger has it)
  shadow list
  shadow node list|cordon|uncordon|drain <node> [--no-wait] [--timeout SECONDS]
                         cordoned: takes no new instance; draining: pressure-svc moves every
                         workload that may move off it, one at a time (drain waits for it)
  shadow serve           the local stack and all services, supervised, in the foreground
  shadow demo [--runtime local|kubernetes]
                         a live migration under load and its report: on the embedded local
                         stack, or on the project's local Kubernetes cluster (see the README)
  shadow bench [--profile quick|paper|scale] [--configs sequential,shadow,shadow+swap,shadow+direct,shadow+stream,...]
               [--rates 10,60] [--states 0,100] [--partitions 1,4] [--cost MS] [--runs N] [--out DIR]

environment: SHADOW_GATEWAY_URL (default http://127.0.0.1:8480), SHADOW_TOKEN,
  SHADOW_JAEGER_QUERY (Jaeger's query API, default http://127.0.0.1:16686),
  SHADOW_TRACE_UI_URL (a trace UI to link traces into; none by default)
  serve: SHADOW_ENV (consumer groups shadow.<service>.<env>, default local), SHADOW_GATEWAY_PORT,
         SHADOW_HEALTH_PORT_BASE (8490), SHADOW_METRICS_PORT_BASE (9470), SHADOW_STOP_GRACE_MS`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: "string" },
      strategy: { type: "string" },
      "no-identity-swap": { type: "boolean", default: false },
      "restore-name": { type: "boolean", default: false },
      watch: { type: "boolean", short: "w", default: false },
      help: { type: "boolean", short: "h", default: false },
      profile: { type: "string", default: "quick" },
      configs: { type: "string" },
      rates: { type: "string" },
      runs: { type: "string" },
      states: { type: "string" },
      partitions: { type: "string" },
      cost: { type: "string" },
      transfer: { type: "string" },
      out: { type: "string", default: "bench-results" },
      svg: { type: "string" },
      width: { type: "string" },
      json: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
      "no-wait": { type: "boolean", default: false },
      timeout: { type: "string", default: "600" },
      runtime: { type: "string", default: "local" },
    },
  });
  const [command, arg, third] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  const config = loadCliConfig();
  const client = gatewayClient({ url: config.SHADOW_GATEWAY_URL, token: config.SHADOW_TOKEN });
  const out = (line: string) => console.log(line);
  switch (command) {
    case "migrate": {
      if (!arg) throw new UsageError("migrate needs a workload name");
      const view = await migrate(
        client,
        {
          workload: arg,
          ...(values.to ? { to: values.to } : {}),
          ...(values.strategy ? { strategy: values.strategy } : {}),
          ...(values["no-identity-swap"] ? { identitySwap: false } : {}),
          ...(values["restore-name"] ? { nameRestore: true } : {}),
          ...(values.transfer ? { imageTransfer: values.transfer } : {}),
          watch: values.watch,
        },
        out,
        config.SHADOW_TRACE_UI_URL,
      );
      return view && view.status !== "completed" ? 1 : 0;
    }
    case "status": {
      if (!arg) throw new UsageError("status needs a migration id");
      const view = await status(
        client,
        arg,
        { watch: values.watch, ...(values.svg ? { svgFile: values.svg } : {}) },
        out,
        config.SHADOW_TRACE_UI_URL,
      );
      return values.watch && view.status !== "completed" ? 1 : 0;
    }
    case "trace": {
      if (!arg) throw new UsageError("trace needs a migration id (or a trace id)");
      const width =
        values.width === undefined ? (process.stdout.columns ?? 100) : Number(values.width);
      if (!Number.isInteger(width) || width < 40)
        throw new UsageError("--width needs a number of columns, at least 40");
      const { traceCommand } = await import("./commands/trace.ts");
      return traceCommand(
        client,
        {
          id: arg,
          jaegerUrl: config.SHADOW_JAEGER_QUERY,
          width,
          json: values.json,
          all: values.all,
        },
        out,
        (line) => console.error(line),
      );
    }
    case "list": {
      const { migrations } = await client.list();
      for (const m of migrations) out(`${m.migrationId}  ${m.workload}  ${m.status}  ${m.phase}`);
      return 0;
    }
    case "node": {
      if (!arg) throw new UsageError("node needs an action: list, cordon, uncordon or drain");
      const timeout = Number(values.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError("--timeout: seconds");
      const [{ node }, { runtimeFromEnv }] = await Promise.all([
        import("./commands/node.ts"),
        import("@shadow/runtime/from-env"),
      ]);
      return node(
        await runtimeFromEnv(),
        arg,
        third,
        { wait: !values["no-wait"], timeoutMs: timeout * 1000 },
        out,
      );
    }
    case "serve": {
      const { serve } = await import("./commands/serve.ts");
      return serve(out);
    }
    case "bench": {
      const { bench } = await import("./commands/bench.ts");
      return bench(
        {
          profile: values.profile,
          out: values.out,
          ...(values.configs ? { configs: values.configs } : {}),
          ...(values.rates ? { rates: values.rates } : {}),
          ...(values.runs ? { runs: values.runs } : {}),
          ...(values.states ? { states: values.states } : {}),
          ...(values.partitions ? { partitions: values.partitions } : {}),
          ...(values.cost ? { cost: values.cost } : {}),
        },
        out,
      );
    }
    case "demo": {
      const { runDemo } = await import("./commands/demo.ts");
      if (values.runtime !== "local" && values.runtime !== "kubernetes")
        throw new UsageError(`--runtime must be local or kubernetes, not ${values.runtime}`);
      return runDemo(out, values.runtime);
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

class UsageError extends Error {}

// `shadow trace ... | head`: a reader that stopped reading is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${usage}`);
    else if (error instanceof GatewayError) console.error(`shadow: ${error.message}`);
    else console.error(`shadow: ${(error as Error).stack ?? String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
