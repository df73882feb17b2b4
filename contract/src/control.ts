/**
 * How far before it became a shadow an instance reads the control topic. Record timestamps are
 * the publisher's clock (fence-svc's, the source's), which on another node may run behind; a
 * FenceCut published before the shadow's clients were up must still be found. Not from the
 * topic's beginning: thousands of past fence events took a just-restored copy most of a second
 * to decode while it should have been catching up.
 */
export const CONTROL_CLOCK_MARGIN_MS = 60_000;
