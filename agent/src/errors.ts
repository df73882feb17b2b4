import { RuntimeError } from "@shadow/runtime";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * A refusal the agent answers with: the code and whether a retry can help travel to the
 * adapter, which turns them back into the runtime port's typed errors.
 */
export class AgentError extends Error {
  constructor(
    readonly code: string,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly retryable = false,
    readonly reasons?: string[],
  ) {
    super(message);
    this.name = "AgentError";
  }
}

export function errorBody(error: unknown): {
  status: ContentfulStatusCode;
  body: { error: string; code: string; retryable: boolean; reasons?: string[] };
} {
  if (error instanceof AgentError) {
    return {
      status: error.status,
      body: {
        error: error.message,
        code: error.code,
        retryable: error.retryable,
        ...(error.reasons ? { reasons: error.reasons } : {}),
      },
    };
  }
  if (error instanceof RuntimeError) {
    return {
      status: error.retryable ? 503 : 422,
      body: { error: error.message, code: error.code, retryable: error.retryable },
    };
  }
  const coded = error as { code?: unknown; message?: unknown };
  return {
    status: 500,
    body: {
      error: String(coded.message ?? error),
      code: typeof coded.code === "string" ? coded.code : "AGENT_FAILED",
      retryable: true,
    },
  };
}
