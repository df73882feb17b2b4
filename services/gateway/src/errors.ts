/** A request the gateway refuses: the HTTP status and a message a person can act on. */
export class RequestRefused extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 422 | 503,
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "RequestRefused";
  }
}
