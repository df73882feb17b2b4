/**
 * Names of the instances a migration creates. The shadow gets a name of its own because the
 * source still holds the workload's name while both run; an identity swap gives the name back.
 */
export function shadowInstanceName(workload: string, migrationId: string): string {
  const suffix = migrationId
    .replace(/[^a-z0-9]/gi, "")
    .toLowerCase()
    .slice(-8);
  return `${workload}-shadow-${suffix}`;
}
