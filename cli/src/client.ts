import type { MigrationView } from "@shadow/migration";

export interface GatewayClientOptions {
  url: string;
  token: string;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** A thin client of the gateway's HTTP API, shared by the commands. */
export function gatewayClient({ url, token }: GatewayClientOptions) {
  const headers = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    "x-shadow-client": "cli",
  };
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, url), {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new GatewayError(0, `cannot reach the gateway at ${url}: ${(error as Error).message}`);
    }
    const text = await res.text();
    const json = text ? JSON.parse(text) : {};
    if (!res.ok)
      throw new GatewayError(res.status, json.error ?? `${res.status} ${res.statusText}`);
    return json as T;
  }
  return {
    migrate: (body: Record<string, unknown>) =>
      call<Record<string, unknown> & { migrationId: string }>("POST", "/migrations", body),
    /** `liveLag`: during catch-up, the gateway also reads the lag from both instances. */
    get: (id: string, options: { liveLag?: boolean } = {}) =>
      call<MigrationView>(
        "GET",
        `/migrations/${encodeURIComponent(id)}${options.liveLag ? "?lag=live" : ""}`,
      ),
    list: () => call<{ migrations: MigrationView[] }>("GET", "/migrations"),
    /** The migration's timeline as an SVG document. */
    timelineSvg: async (id: string): Promise<string> => {
      let res: Response;
      try {
        res = await fetch(new URL(`/migrations/${encodeURIComponent(id)}/timeline.svg`, url), {
          headers,
        });
      } catch (error) {
        throw new GatewayError(
          0,
          `cannot reach the gateway at ${url}: ${(error as Error).message}`,
        );
      }
      const body = await res.text();
      if (!res.ok) {
        const reason = (() => {
          try {
            return (JSON.parse(body) as { error?: string }).error;
          } catch {
            return undefined;
          }
        })();
        throw new GatewayError(res.status, reason ?? `${res.status} ${res.statusText}`);
      }
      return body;
    },
  };
}

export type GatewayClient = ReturnType<typeof gatewayClient>;
