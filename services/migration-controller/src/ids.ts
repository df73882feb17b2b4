import { deriveEventId } from "@shadow/events";

/**
 * A Migration's migration id, from its uid: the same for every look at the same object, so a
 * controller that restarts (or a second one) asks for the same migration, never another.
 */
export function migrationIdFor(uid: string): string {
  return `mig-${uid.replace(/-/g, "").slice(0, 8)}`;
}

/**
 * The ids of the events a Migration causes, from its uid: a request or a cancellation emitted
 * twice (a crash between the emit and the status write) is the same event, which every
 * consumer's dedupe by source and id drops.
 */
export function requestEventId(source: string, uid: string): string {
  return deriveEventId(source, `${uid}/request`, 0);
}

export function cancelEventId(source: string, uid: string): string {
  return deriveEventId(source, `${uid}/cancel`, 0);
}
