import { MODE_EVENT_TYPES } from "./events.ts";
import { PHASES, type PhaseName } from "./state.ts";
import { TABLE } from "./table.ts";

/** Events every live phase answers the same way; described once instead of per phase. */
const EVERYWHERE = new Set(["identity-changed", "stop"]);

const id = (phase: PhaseName) => phase.replace(/-(.)/g, (_, c: string) => c.toUpperCase());

/**
 * The machine's table as the README shows it: a state diagram of the moves between phases, the
 * moves themselves with what they do, and the pairs refused as illegal. Generated, so the
 * document cannot drift from the code (a unit test compares them).
 */
export function describeTable(): string {
  const edges = new Map<string, Set<string>>();
  const moves: string[][] = [];
  const illegal: string[] = [];
  for (const from of PHASES) {
    for (const type of MODE_EVENT_TYPES) {
      const transition = TABLE[from][type];
      if (!transition) {
        illegal.push(`\`${type}\` in \`${from}\``);
        continue;
      }
      if (EVERYWHERE.has(type)) continue;
      const targets = transition.to.filter((to) => to !== from);
      if (targets.length === 0) continue;
      moves.push([
        `\`${from}\``,
        `\`${type}\``,
        targets.map((to) => `\`${to}\``).join(", "),
        transition.does,
      ]);
      for (const to of targets) {
        const key = `${id(from)} --> ${id(to)}`;
        const labels = edges.get(key) ?? new Set();
        labels.add(type);
        edges.set(key, labels);
      }
    }
  }
  const diagram = [
    "```mermaid",
    "stateDiagram-v2",
    ...PHASES.filter((phase) => id(phase) !== phase).map((p) => `  state "${p}" as ${id(p)}`),
    "  [*] --> primary: role primary",
    "  [*] --> shadow: role shadow",
    ...[...edges].map(([edge, labels]) => `  ${edge}: ${[...labels].join(", ")}`),
    "  stopped --> [*]",
    "```",
  ];
  return [
    ...diagram,
    "",
    "Every phase but `stopped` goes to `primary` or `shadow` on `identity-changed` (as the new",
    "identity's role says, fence records dropped) and to `stopped` on `stop`.",
    "",
    ...markdownTable(["from", "event", "to", "does"], moves),
    "",
    ...wrap(
      `Refused as illegal (the owner broke its contract): ${illegal.join(", ")}. Every ` +
        "other pair is a no-op, for the reason its entry in `src/sdk/mode/table.ts` gives: " +
        "fence events come from a log anyone may write or replay, and an effect's report may " +
        "arrive after the phase that asked for it ended.",
    ),
  ].join("\n");
}

/** A table padded the way the repository's formatter writes Markdown tables. */
function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

function wrap(text: string, width = 95): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}
