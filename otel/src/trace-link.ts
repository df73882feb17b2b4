import { z } from "zod";

/**
 * Where a person looks at a trace: the base URL of a trace UI (Jaeger's: the link is
 * `<url>/trace/<traceId>`), or a template with `{traceId}` for any other UI. Unset by default:
 * the local stack's Jaeger is built without its UI and serves only its query API, so there is
 * nothing to link to and `shadow trace <migration-id>` draws the trace in the terminal instead.
 *
 * @example SHADOW_TRACE_UI_URL=https://jaeger.example.org
 * @example SHADOW_TRACE_UI_URL=https://grafana.example.org/explore?traceId={traceId}
 */
export const traceUiUrl = z
  .url({
    protocol: /^https?$/,
    error:
      "SHADOW_TRACE_UI_URL must be an http(s) URL (the trace UI's base, e.g. http://jaeger:16686)",
  })
  .optional();

/** The link to one trace in the configured UI, or nothing when there is no UI. */
export function traceLink(uiUrl: string | undefined, traceId: string): string | undefined {
  if (!uiUrl) return undefined;
  if (uiUrl.includes("{traceId}")) return uiUrl.replaceAll("{traceId}", traceId);
  return `${uiUrl.replace(/\/+$/, "")}/trace/${traceId}`;
}

/**
 * What to print where a migration's trace is named: its link, or, with no UI configured, one
 * line saying so and naming the command that shows it.
 */
export function traceLine(
  uiUrl: string | undefined,
  ids: { traceId: string; migrationId: string },
): string {
  return (
    traceLink(uiUrl, ids.traceId) ??
    `shadow trace ${ids.migrationId} (no trace UI configured: the local Jaeger serves its query API only; SHADOW_TRACE_UI_URL links one)`
  );
}
