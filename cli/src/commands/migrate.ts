import type { GatewayClient } from "../client.ts";
import { watchMigration } from "./status.ts";

export interface MigrateOptions {
  workload: string;
  to?: string;
  strategy?: string;
  identitySwap?: boolean;
  nameRestore?: boolean;
  imageTransfer?: string;
  watch: boolean;
}

/** `shadow migrate <workload> --to <node>`: emits MigrationRequested through the gateway. */
export async function migrate(
  client: GatewayClient,
  options: MigrateOptions,
  out: (line: string) => void,
  traceUiUrl: string | undefined,
) {
  const accepted = await client.migrate({
    workload: options.workload,
    ...(options.to ? { targetNode: options.to } : {}),
    ...(options.strategy ? { strategy: options.strategy } : {}),
    ...(options.identitySwap === undefined ? {} : { identitySwap: options.identitySwap }),
    ...(options.nameRestore ? { nameRestore: true } : {}),
    ...(options.imageTransfer ? { imageTransfer: options.imageTransfer } : {}),
  });
  out(
    `migration ${accepted.migrationId} started: ${options.workload} → ${String(accepted.targetNode)}`,
  );
  if (options.watch) return watchMigration(client, accepted.migrationId, out, traceUiUrl);
  return undefined;
}
