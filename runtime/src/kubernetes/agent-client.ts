import type { z } from "zod";
import {
  CapacityError,
  CheckpointError,
  ImageDecryptError,
  ImageIntegrityError,
  ImageNotFoundError,
  PreflightError,
  RestoreError,
  RuntimeError,
  UnknownInstanceError,
} from "../errors.ts";
import {
  type AgentState,
  type adoptArchiveRequest,
  agentError,
  type buildImageRequest,
  type CheckpointResponse,
  type checkpointRequest,
  checkpointResponse,
  type cpuRequest,
  type ImageResponse,
  type identityRequest,
  imageResponse,
  type preflightRequest,
  preflightResponse,
  type pullRequest,
  type RestoreResponse,
  type restoreRequest,
  restoreResponse,
  stateResponse,
  type thawRequest,
} from "./agent-protocol.ts";

/**
 * The adapter's side of a node agent's HTTP API: typed calls, and the agent's refusals turned
 * back into the runtime port's typed errors (with the migration id), so a service decides a
 * retry the same way whichever adapter it runs on.
 */
export class AgentClient {
  constructor(
    readonly node: string,
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  adoptArchive(req: z.infer<typeof adoptArchiveRequest>): Promise<CheckpointResponse> {
    return this.call("POST", "/v1/archives", req, checkpointResponse, req.migrationId);
  }
  checkpoint(req: z.infer<typeof checkpointRequest>): Promise<CheckpointResponse> {
    return this.call("POST", "/v1/checkpoints", req, checkpointResponse, req.migrationId);
  }
  buildImage(req: z.infer<typeof buildImageRequest>): Promise<ImageResponse> {
    return this.call("POST", "/v1/images", req, imageResponse, req.migrationId);
  }
  pull(req: z.infer<typeof pullRequest>): Promise<unknown> {
    return this.call("POST", "/v1/pulls", req, undefined, req.migrationId);
  }
  preflight(req: z.infer<typeof preflightRequest>) {
    return this.call("POST", "/v1/preflight", req, preflightResponse, req.migrationId);
  }
  restore(req: z.infer<typeof restoreRequest>): Promise<RestoreResponse> {
    return this.call("POST", "/v1/restores", req, restoreResponse, req.migrationId);
  }
  setIdentity(req: z.infer<typeof identityRequest>): Promise<unknown> {
    return this.call("PUT", "/v1/identities", req, undefined, req.identity.migrationId);
  }
  thaw(req: z.infer<typeof thawRequest>): Promise<{ before: string }> {
    return this.call("POST", "/v1/thaw", req, undefined, undefined);
  }
  cpu(req: z.infer<typeof cpuRequest>): Promise<unknown> {
    return this.call("PUT", "/v1/cpu", req, undefined, undefined);
  }
  release(migrationId: string): Promise<unknown> {
    return this.call(
      "DELETE",
      `/v1/migrations/${encodeURIComponent(migrationId)}`,
      undefined,
      undefined,
      migrationId,
    );
  }
  state(): Promise<AgentState> {
    return this.call("GET", "/v1/state", undefined, stateResponse, undefined);
  }

  private async call<T>(
    method: string,
    path: string,
    body: unknown,
    schema: z.ZodType<T> | undefined,
    migrationId: string | undefined,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(600_000),
      });
    } catch (error) {
      throw new RuntimeError(
        "AGENT_UNREACHABLE",
        `the node agent of ${this.node} did not answer: ${(error as Error).message}`,
        true,
        {
          migrationId,
          cause: error,
        },
      );
    }
    const json = (await res.json().catch(() => ({}))) as unknown;
    if (!res.ok) throw this.refusal(res.status, json, migrationId);
    return schema ? schema.parse(json) : (json as T);
  }

  private refusal(status: number, json: unknown, migrationId: string | undefined): RuntimeError {
    const parsed = agentError.safeParse(json);
    const message = parsed.success
      ? `${this.node}: ${parsed.data.error}`
      : `${this.node}: agent answered ${status}`;
    const code = parsed.success ? parsed.data.code : "AGENT_FAILED";
    const retryable = parsed.success ? parsed.data.retryable : status >= 500;
    const o = { migrationId };
    switch (code) {
      case "PREFLIGHT_REFUSED":
        return new PreflightError(
          parsed.success ? (parsed.data.reasons ?? [message]) : [message],
          o,
        );
      case "IMAGE_INTEGRITY":
        return new ImageIntegrityError("", message, o);
      case "IMAGE_DECRYPT":
        return new ImageDecryptError("", message, o);
      case "IMAGE_NOT_FOUND":
        return new ImageNotFoundError("", message, o);
      case "UNKNOWN_INSTANCE":
        return new UnknownInstanceError(message, o);
      case "CHECKPOINT_FAILED":
        return new CheckpointError("", message, o);
      case "NO_CAPACITY":
        return new CapacityError(this.node, message, o);
      case "RESTORE_FAILED":
      case "NO_SANDBOX":
      case "NO_CONTAINER":
        return new RestoreError(this.node, message, o);
      default:
        return new RuntimeError(code, message, retryable, o);
    }
  }
}
