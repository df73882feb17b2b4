import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadLocalRuntimeConfig } from "../src/local/index.ts";

/**
 * The library preloaded into CRIU's lazy-pages daemon (runtime/native/lazy-pages-sleep.c, built
 * by deploy/local/criu.sh), tried on a process of its own: Python's epoll calls epoll_wait
 * with a zero timeout for `poll(0)`, as the daemon does once its restore has finished.
 */
const probe = `
import json, os, select, time
ep = select.epoll()
r, w = os.pipe()
ep.register(r, select.EPOLLIN)
def ms(f):
    t = time.monotonic()
    v = f()
    return v, (time.monotonic() - t) * 1000
_, empty = ms(lambda: [ep.poll(0) for _ in range(40)])
_, timeout = ms(lambda: ep.poll(0.03))
def alternate():
    got = 0
    for _ in range(40):
        ep.poll(0)
        os.write(w, b"x")
        got += len(ep.poll(0))
        os.read(r, 1)
    return got
ready, alternating = ms(alternate)
print(json.dumps({"empty": empty, "timeout": timeout, "ready": ready, "alternating": alternating}))
`;

interface Probe {
  /** ms for 40 zero-timeout polls in a row with nothing ready. */
  empty: number;
  /** ms for one poll with a 30 ms timeout, nothing ready. */
  timeout: number;
  /** Events returned by 40 zero-timeout polls, each after an empty one, a descriptor ready. */
  ready: number;
  alternating: number;
}

async function runProbe(preload: string): Promise<Probe> {
  const { stdout } = await promisify(execFile)("python3", ["-c", probe], {
    env: { ...process.env, LD_PRELOAD: preload },
  });
  return JSON.parse(stdout) as Probe;
}

describe("lazy-pages-sleep (preloaded into CRIU's lazy-pages daemon)", () => {
  const library = loadLocalRuntimeConfig({
    ...process.env,
    SHADOW_LAZY_PAGES_SLEEP: "on",
  }).lazyPagesSleep;

  it("is built where the runtime looks for it", async () => {
    expect(library).not.toBe("off");
    expect((await stat(library)).isFile()).toBe(true);
  });

  it("sleeps in a zero-timeout poll that follows an empty one, and wakes for a ready descriptor", async () => {
    const withLibrary = await runProbe(library);
    // 39 of the 40 empty polls follow an empty one: each waits its 5 ms.
    expect(withLibrary.empty).toBeGreaterThanOrEqual(150);
    // A ready descriptor is returned at once, sleeping or not: 40 × 5 ms would be 200 ms.
    expect(withLibrary.ready).toBe(40);
    expect(withLibrary.alternating).toBeLessThan(150);
    // Other timeouts pass through as they are.
    expect(withLibrary.timeout).toBeGreaterThanOrEqual(29);
    // Without it the same polls return at once.
    const without = await runProbe("");
    expect(without.empty).toBeLessThan(withLibrary.empty / 2);
    expect(without.ready).toBe(40);
  });
});
