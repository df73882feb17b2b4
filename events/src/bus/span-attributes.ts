import type { Attributes } from "@opentelemetry/api";

interface Place {
  instance?: unknown;
  node?: unknown;
}
interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** The offset lists events carry, by the attribute that names them on a span. */
const offsetFields = {
  cut: "shadow.offsets.cut",
  offsetsAtDump: "shadow.offsets.at_dump",
  sourceOffsets: "shadow.offsets.source",
  shadowOffsets: "shadow.offsets.shadow",
} as const;

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.length > 0 ? value : undefined;

const isOffset = (o: unknown): o is PartitionOffset =>
  typeof o === "object" &&
  o !== null &&
  typeof (o as PartitionOffset).topic === "string" &&
  typeof (o as PartitionOffset).partition === "number" &&
  typeof (o as PartitionOffset).offset === "number";

/**
 * What a span of a migration's trace says about the migration, read from its event's data:
 * which migration and workload, the handoff's round, instances and nodes, and the offsets the
 * event carries (the fence's cut, the source's offsets at its dump, both sides' offsets when
 * the shadow caught up), as `topic/partition@offset`. So a trace in Jaeger can be searched by
 * migration or node, and read without the event log beside it.
 */
export function migrationSpanAttributes(data: unknown): Attributes {
  if (typeof data !== "object" || data === null) return {};
  const d = data as Record<string, unknown>;
  const attributes: Attributes = {};
  const set = (key: string, value: string | number | string[] | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  set("shadow.migration.id", text(d.migrationId));
  set("shadow.workload", text(d.workload));
  set("shadow.strategy", text(d.strategy));
  const handoff = d.handoff as { round?: unknown; from?: Place; to?: Place } | undefined;
  // A request names its source and target; every later event carries the handoff.
  const from = handoff?.from ?? (d.source as Place | undefined);
  set("shadow.round", typeof handoff?.round === "number" ? handoff.round : undefined);
  set("shadow.instance.from", text(from?.instance));
  set("shadow.node.from", text(from?.node));
  set("shadow.instance.to", text(handoff?.to?.instance));
  set("shadow.node.to", text(handoff?.to?.node) ?? text(d.targetNode));
  for (const [field, key] of Object.entries(offsetFields)) {
    const list = d[field];
    if (Array.isArray(list) && list.every(isOffset)) {
      set(
        key,
        list.map((o) => `${o.topic}/${o.partition}@${o.offset}`),
      );
    }
  }
  return attributes;
}
