import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Runc } from "./runc.ts";

/**
 * `runc list` against a stand-in runc that fails as the real one does when a container is
 * deleted while it lists (it stats each container's directory after reading the root).
 */
describe("runc list while containers are deleted", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "runc-list-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A runc that fails `failures` times with `message`, then lists one container. */
  async function standIn(failures: number, message: string): Promise<Runc> {
    const bin = join(dir, "runc");
    const count = join(dir, "count");
    await writeFile(count, "0");
    await writeFile(
      bin,
      `#!/bin/bash
n=$(cat "${count}"); echo $((n + 1)) >"${count}"
if [ "$n" -lt ${failures} ]; then echo 'time="x" level=error msg="${message}"' >&2; exit 1; fi
echo '[{"id":"a","pid":1,"status":"running","bundle":"/b"}]'
`,
    );
    await chmod(bin, 0o755);
    return new Runc(bin, join(dir, "root"), "criu");
  }

  it("lists again when a container vanished under the listing", async () => {
    const runc = await standIn(2, "stat /r/gone-0: no such file or directory");
    expect((await runc.list()).map((c) => c.id)).toEqual(["a"]);
  });

  it("fails at once on any other error, and after a few vanishings in a row", async () => {
    await expect((await standIn(1, "permission denied")).list()).rejects.toThrow(
      /runc list exited 1: .*permission denied/,
    );
    await expect(
      (await standIn(99, "stat /r/x: no such file or directory")).list(),
    ).rejects.toThrow(/no such file or directory/);
  });
});
