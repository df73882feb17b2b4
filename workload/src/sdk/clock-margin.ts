/**
 * How far the clocks of other nodes may run behind this one, as far as fence events go: record
 * timestamps and `requestedAt` are the publisher's clock (the gateway's, fence-svc's, the
 * source's). A shadow reads the control log from this long before it became one; a source
 * refuses a fence requested longer than this before its incarnation took its identity.
 */
export const CONTROL_CLOCK_MARGIN_MS = 60_000;
