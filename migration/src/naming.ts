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

/**
 * Is this the copy its name says it is: a shadow made by the migration whose id its name
 * carries? Names of shadows are never reused by another migration, so an instance for which
 * this holds is that migration's shadow, serving or handed over, and nothing made since.
 */
export function isOwnShadow(
  workload: string,
  copy: { instance: string; identity: { migrationId?: string | undefined } },
): boolean {
  const made = copy.identity.migrationId;
  return made !== undefined && copy.instance === shadowInstanceName(workload, made);
}
