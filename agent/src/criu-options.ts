/**
 * CRIU's options for the processes this agent restores, handed over by the file their spec's
 * `org.criu.config` annotation names (runc reads it at restore and at every dump):
 *
 * - restoring: `tcp-close` (the copy wakes at another address, where the source's connections
 *   cannot live: its clients reconnect) and nftables for the network lock (no iptables needed);
 * - once restored, for the next dump: its live connections (Kafka) are dumped as they are
 *   (`tcp-established`), a connection half-open during the dump is skipped (`skip-in-flight`).
 */
export const RESTORING_CRIU_OPTIONS = "network-lock nftables\ntcp-close\n";
export const RESTORED_CRIU_OPTIONS = "network-lock nftables\ntcp-established\nskip-in-flight\n";
