import { describe, expect, it } from "vitest";
import { formatDumpProfile, profileDump } from "./dump-profile.ts";

// The marks of a real dump.log of a 10 MB workload (CRIU 4.2.1, hook freeze), other lines cut.
const log = [
  "(00.000060) Running on vm Linux 6.18",
  "(00.194006) Running pre-dump scripts",
  "(00.238246) freezing cgroup /sys/fs/cgroup/freezer/shadow/w: 100 x 100ms attempts, timeout: 10s",
  "(00.253990) Seized task 8863, state 1",
  "(00.257524) Running network-lock scripts",
  "(00.319333) Set up parasite blob using memfd",
  "pie: 1: Running daemon thread leader",
  "(00.329556) Dumping pages (type: 59 pid: 8863)",
  "(00.417485) Dumping core (pid: 8863)",
  "(00.521960) mnt: Dumping mountpoints",
  "(00.593001) Dumping pstree (pid: 8863)",
  "(00.757638) Namespaces dump complete",
  "(00.763421) Running network-unlock scripts",
  "(00.777970) Unfreezing tasks into 1",
  "(00.778070) Dumping finished successfully",
].join("\n");

describe("profileDump", () => {
  it("splits the dump into its stages from the first mark of each", () => {
    const profile = profileDump(log);
    expect(profile?.stages.map((s) => [s.stage, Math.round(s.ms)])).toEqual([
      ["freeze", 64],
      ["lock and collect", 62],
      ["parasite", 10],
      ["pages", 88],
      ["threads and mm", 104],
      ["mounts", 71],
      ["namespaces", 165],
      ["cgroups and images", 6],
      ["unlock and thaw", 15],
    ]);
    expect(profile?.spanMs).toBeCloseTo(584, 0);
    expect(formatDumpProfile(profile as NonNullable<typeof profile>)).toMatch(
      /^freeze 64 ms, lock and collect 62 ms, parasite 10 ms, pages 88 ms, /,
    );
  });

  it("leaves out a stage whose mark is missing (CRIU freezing by itself has no pre-dump hook)", () => {
    const profile = profileDump(log.replace("(00.194006) Running pre-dump scripts\n", ""));
    expect(profile?.stages[0]?.stage).toBe("freeze");
    expect(profile?.stages[0]?.ms).toBeCloseTo(19.3, 0);
    expect(profile?.stages).toHaveLength(9);
  });

  it("finds nothing in what is not a dump log", () => {
    expect(profileDump("")).toBeUndefined();
    expect(profileDump("(00.100000) Running on vm\nno marks here")).toBeUndefined();
  });
});
