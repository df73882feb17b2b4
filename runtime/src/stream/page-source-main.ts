/**
 * A page source as a process of its own (see page-source.ts and page-source-process.ts). It
 * starts idle and waits for one line on stdin naming what to serve, `{"imagesDir","host",
 * "idleMs"}`; it answers `{"port":N}` on stdout once it listens, then serves one session and
 * exits (0 when the daemon had every page). An idle one whose parent goes away (stdin closes
 * before a line came) exits at once. Once serving, it outlives the service that started it,
 * as CRIU's own page server would. Its stats go to stderr when the session ends.
 *
 *   node --import tsx/esm page-source-main.ts
 */
import { createInterface } from "node:readline";
import { startPageSource } from "./page-source.ts";

const lines = createInterface({ input: process.stdin });
const command = await new Promise<string | undefined>((resolve) => {
  lines.once("line", resolve);
  lines.once("close", () => resolve(undefined));
});
if (command === undefined) process.exit(0);
lines.close();
process.stdin.destroy();
const { imagesDir, host, idleMs } = JSON.parse(command) as {
  imagesDir: string;
  host: string;
  idleMs: number;
};
const source = await startPageSource(imagesDir, { host, idleMs });
process.stdout.write(`${JSON.stringify({ port: source.port })}\n`);
const stats = await source.done;
process.stderr.write(`${JSON.stringify({ pageSource: imagesDir, ...stats })}\n`);
process.exit(stats.completed ? 0 : 1);
