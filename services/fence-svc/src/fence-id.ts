/** One fence per handoff round, named so a redelivered request names the same fence. */
export function fenceIdOf(migrationId: string, round: 1 | 2): string {
  return `${migrationId}/fence-${round}`;
}
