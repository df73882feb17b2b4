import type { TraceSpan } from "./spans.ts";

/** A string or number attribute as text. */
export const str = (v: unknown) =>
  typeof v === "string" || typeof v === "number" ? String(v) : undefined;
/** A list attribute: Jaeger answers string arrays as their JSON text. */
function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string" && v.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON after all: shown as it is
    }
  }
  return typeof v === "string" ? [v] : [];
}

/** `topic/partition@offset` entries, the topic said once when they share it: "0@41 1@-1". */
function offsets(v: unknown): string {
  const entries = listOf(v).map((e) => {
    const m = /^(.*)\/(\d+)@(-?\d+)$/.exec(e);
    return m ? { topic: m[1] as string, at: `${m[2]}@${m[3]}` } : { topic: "", at: e };
  });
  const topics = new Set(entries.map((e) => e.topic));
  return topics.size === 1
    ? entries.map((e) => e.at).join(" ")
    : entries.map((e) => (e.topic ? `${e.topic}/${e.at}` : e.at)).join(" ");
}

/**
 * The attributes that matter of one span: its handoff (round, from → to) and the offsets its
 * event carries (at the dump, both sides' at catch-up, the cut; partition@offset).
 */
export function spanFacts(s: TraceSpan): { handoff: string; offsets: string[] } {
  const a = s.attributes;
  const facts: string[] = [];
  const place = (instance: unknown, node: unknown) =>
    [str(instance), str(node)].filter(Boolean).join("@");
  const from = place(a["shadow.instance.from"], a["shadow.node.from"]);
  const to = place(a["shadow.instance.to"], a["shadow.node.to"]);
  if (str(a["shadow.round"])) facts.push(`round ${str(a["shadow.round"])}`);
  if (from || to) facts.push(`${from || "?"} → ${to || "?"}`);
  const carried: string[] = [];
  const kinds: [string, string][] = [
    ["shadow.offsets.at_dump", "at dump"],
    ["shadow.offsets.source", "source at"],
    ["shadow.offsets.shadow", "shadow at"],
    ["shadow.offsets.cut", "cut"],
  ];
  for (const [key, label] of kinds)
    if (a[key] !== undefined) carried.push(`${label} ${offsets(a[key])}`);
  if (s.error) carried.push("ERROR");
  return { handoff: facts.join(": "), offsets: carried };
}
