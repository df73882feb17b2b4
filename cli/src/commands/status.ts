import { hasEnded as ended, type MigrationView } from "@shadow/migration";
import type { GatewayClient } from "../client.ts";
import { formatView } from "../format.ts";

/** `shadow status <id> [--watch]`: prints the migration, and with --watch follows it to its end. */
export async function watchMigration(
  client: GatewayClient,
  id: string,
  out: (line: string) => void,
  traceLink: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<MigrationView> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const view = await client.get(id, { liveLag: true });
    const text = formatView(view, traceLink);
    if (text !== last) {
      out(text);
      out("");
      last = text;
    }
    if (ended(view)) return view;
    if (Date.now() - started > (options.timeoutMs ?? 10 * 60_000)) {
      throw new Error(`migration ${id} did not end within ${options.timeoutMs ?? 600_000} ms`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

export async function status(
  client: GatewayClient,
  id: string,
  watch: boolean,
  out: (line: string) => void,
  traceLink: string,
) {
  if (watch) return watchMigration(client, id, out, traceLink);
  const view = await client.get(id, { liveLag: true });
  out(formatView(view, traceLink));
  return view;
}
