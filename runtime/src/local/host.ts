import { criuVersion, hostFacts } from "../image/index.ts";

/** Facts about this machine recorded with every checkpoint: CRIU's version, kernel, CPU flags. */
export interface HostInfo {
  facts: { criuVersion: string; kernel: string; arch: string; cpuFlags: string[] };
}

export async function readHostInfo(criu: string): Promise<HostInfo> {
  const [facts, version] = await Promise.all([
    hostFacts(),
    criuVersion(criu).catch(() => "unknown"),
  ]);
  return { facts: { ...facts, criuVersion: version } };
}
