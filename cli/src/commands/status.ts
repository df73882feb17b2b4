import { writeFile } from "node:fs/promises";
import { hasEnded as ended, type MigrationView } from "@shadow/migration";
import type { GatewayClient } from "../client.ts";
import { formatView } from "../format.ts";

/** `shadow status <id> [--watch]`: prints the migration, and with --watch follows it to its end. */
export async function watchMigration(
  client: GatewayClient,
  id: string,
  out: (line: string) => void,
  traceUiUrl: string | undefined,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<MigrationView> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const view = await client.get(id, { liveLag: true });
    const text = formatView(view, traceUiUrl);
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

/**
 * `shadow status <id> [--watch] [--svg FILE]`: the migration as text; with --svg, its timeline
 * picture too, written once the status is printed (after its end, with --watch).
 */
export async function status(
  client: GatewayClient,
  id: string,
  options: { watch: boolean; svgFile?: string },
  out: (line: string) => void,
  traceUiUrl: string | undefined,
) {
  let view: MigrationView;
  if (options.watch) view = await watchMigration(client, id, out, traceUiUrl);
  else {
    view = await client.get(id, { liveLag: true });
    out(formatView(view, traceUiUrl));
  }
  if (options.svgFile) {
    await writeFile(options.svgFile, await client.timelineSvg(id));
    out(`timeline          ${options.svgFile}`);
  }
  return view;
}
