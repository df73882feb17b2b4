/** Roughly how wide a 10 px label is: enough to keep labels apart, not to typeset them. */
const charWidth = 5.8;

/**
 * Labels on rows above (or below) the plot, each on the first row where it overlaps no other:
 * marks close in time (a freeze and a handover, two fences) keep readable labels. A label that
 * would run past `right` is set to end at its anchor instead.
 */
export function labelRows(right: number) {
  const rows: [number, number][][] = [];
  return (anchor: number, label: string): { row: number; x: number; anchorEnd: boolean } => {
    const w = label.length * charWidth + 4;
    const anchorEnd = anchor + w > right;
    const from = anchorEnd ? anchor - w : anchor;
    const to = from + w;
    let row = rows.findIndex((taken) => taken.every(([a, b]) => to <= a || from >= b));
    if (row < 0) row = rows.push([]) - 1;
    rows[row]?.push([from, to]);
    return { row, x: anchorEnd ? anchor - 2 : anchor + 2, anchorEnd };
  };
}
