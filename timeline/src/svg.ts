/** Text for an SVG document: the five XML special characters escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

type AttributeValue = string | number | undefined;

/** One SVG element; attributes left undefined are omitted, numbers rounded to 0.1 px. */
export function el(
  name: string,
  attributes: Record<string, AttributeValue>,
  children = "",
): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? round(v) : escapeXml(v as string)}"`)
    .join("");
  return children === "" && name !== "text"
    ? `<${name}${attrs}/>`
    : `<${name}${attrs}>${children}</${name}>`;
}

export const text = (attributes: Record<string, AttributeValue>, content: string) =>
  el("text", attributes, escapeXml(content));

const round = (n: number) => String(Math.round(n * 10) / 10);

/** A duration as people read it on a figure: "147 ms", "2.35 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
