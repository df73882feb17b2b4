/** A request the gateway refuses: the HTTP status and a message a person can act on. */
export class RequestRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 422 | 503 | 504,
    message: string,
    readonly code: string,
    /** More for the body: the request's migration id, the migration under way. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = "RequestRefused";
  }
}

/** The HTTP status of a refusal, by its code (see the catalog's rejectionCode). */
export function statusOfRefusal(code: string): 404 | 409 | 422 | 503 {
  switch (code) {
    case "ALREADY_MIGRATING":
      return 409;
    case "UNKNOWN_INSTANCE":
      return 404;
    case "RUNTIME_UNAVAILABLE":
      return 503;
    default:
      return 422;
  }
}
