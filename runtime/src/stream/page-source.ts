import { readSync } from "node:fs";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { PageIndex } from "./page-index.ts";
import { parsePagemap } from "./pagemap.ts";

/**
 * The page source of a post-copy restore: serves a dump's lazy pages to CRIU's lazy-pages
 * daemon on the target (`criu lazy-pages --page-server --address A --port P`), which asks for
 * the pages the restored task touches first and then for all the rest, and leaves when it has
 * them all. It speaks CRIU's page-server protocol (criu/page-xfer.c), the subset a lazy-pages
 * daemon uses: PS_IOV_GET requests, answered with a PS_IOV_ADD_F header and the pages, and
 * PS_IOV_CLOSE, answered with a status.
 *
 * Why not `criu page-server --lazy-pages`: it loads every page into pipes up front and answers
 * with tee(2), which this kernel cuts short at 64 KiB ("tee: 65536"), ending the session.
 *
 * Each message is `struct page_server_iov` as the C compiler lays it out on x86-64:
 * u32 cmd (low 16 bits the command, high 16 bits flags), 4 bytes of padding, u64 nr_pages,
 * u64 vaddr, u64 dst_id (the task's pid in the image), little-endian.
 */

const IOV_BYTES = 32;
const PAGE_BYTES = 4096;
const PS_IOV_ADD_F = 6;
const PS_IOV_GET = 7;
const PS_IOV_CLOSE = 0x1023;
const PS_IOV_FORCE_CLOSE = 0x1024;
const PE_PRESENT = 4;
/** Pages per answer at most: the daemon asks for a few at a time, never for gigabytes. */
const MAX_PAGES_PER_ANSWER = 1024;

export interface PageSourceStats {
  pages: number;
  requests: number;
  /** Runs of pages in the file, over every task asked for. */
  runs: number;
  /** True when the daemon said it had every page (PS_IOV_CLOSE), false when it went away. */
  completed: boolean;
  /** Why the session ended early, when it did on this side. */
  error?: string;
}

export interface PageSource {
  host: string;
  port: number;
  /** Settles when the daemon's session ends (or the source is closed before one began). */
  done: Promise<PageSourceStats>;
  close(): void;
}

/**
 * Starts serving the lazy pages of the CRIU images in `imagesDir` on `host` (an ephemeral
 * port). One session: the source closes once the daemon has left, or after `idleMs` if no
 * daemon came.
 */
export async function startPageSource(
  imagesDir: string,
  options: { host: string; idleMs: number },
): Promise<PageSource> {
  const tasks = new Map<number, Promise<TaskPages>>();
  const stats: PageSourceStats = { pages: 0, requests: 0, runs: 0, completed: false };
  let settle: (s: PageSourceStats) => void = () => undefined;
  const done = new Promise<PageSourceStats>((resolve) => {
    settle = resolve;
  });
  let server: Server | undefined;
  const finish = () => {
    clearTimeout(idle);
    server?.close();
    for (const task of tasks.values()) void task.then((t) => t.file.close()).catch(() => undefined);
    settle(stats);
  };
  const idle = setTimeout(finish, options.idleMs);
  server = createServer((socket) => {
    clearTimeout(idle);
    // One daemon per restore: later connections are not ours.
    server?.close();
    serve(socket, (pid) => taskPages(tasks, imagesDir, pid, stats), stats)
      .catch((error: unknown) => {
        stats.error = (error as Error).message;
      })
      .finally(finish);
  });
  await new Promise<void>((resolve, reject) => {
    server?.once("error", reject);
    server?.listen(0, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { host: options.host, port, done, close: finish };
}

interface TaskPages {
  index: PageIndex;
  file: FileHandle;
}

function taskPages(
  tasks: Map<number, Promise<TaskPages>>,
  imagesDir: string,
  pid: number,
  stats: PageSourceStats,
): Promise<TaskPages> {
  let task = tasks.get(pid);
  if (!task) {
    task = (async () => {
      const pagemap = parsePagemap(await readFile(join(imagesDir, `pagemap-${pid}.img`)));
      const file = await open(join(imagesDir, `pages-${pagemap.pagesId}.img`), "r");
      const index = new PageIndex(pagemap.runs);
      stats.runs += index.runs;
      return { index, file };
    })();
    tasks.set(pid, task);
  }
  return task;
}

/** Answers one daemon's requests in order until it closes the session or goes away. */
async function serve(
  socket: Socket,
  pagesOf: (pid: number) => Promise<TaskPages>,
  stats: PageSourceStats,
): Promise<void> {
  socket.setNoDelay(true);
  const requests = socketMessages(socket);
  try {
    for await (const request of requests) {
      const cmd = request.readUInt32LE(0) & 0xffff;
      if (cmd === PS_IOV_CLOSE || cmd === PS_IOV_FORCE_CLOSE) {
        stats.completed = true;
        await write(socket, Buffer.alloc(4)); // status 0
        break;
      }
      if (cmd !== PS_IOV_GET) throw new Error(`page source: unexpected command ${cmd}`);
      const wanted = Number(request.readBigUInt64LE(8));
      const vaddr = request.readBigUInt64LE(16);
      const pid = Number(request.readBigUInt64LE(24));
      const { index, file } = await pagesOf(pid);
      const at = index.locate(vaddr);
      // CRIU's own server ends the session for a page it does not have; so does this one.
      if (!at) throw new Error(`page source: no page at 0x${vaddr.toString(16)} for task ${pid}`);
      const pages = Math.min(wanted, at.pagesLeft, MAX_PAGES_PER_ANSWER);
      const answer = Buffer.allocUnsafe(IOV_BYTES + pages * PAGE_BYTES);
      answer.writeUInt32LE(PS_IOV_ADD_F | (PE_PRESENT << 16), 0);
      answer.writeUInt32LE(0, 4);
      answer.writeBigUInt64LE(BigInt(pages), 8);
      answer.writeBigUInt64LE(vaddr, 16);
      request.copy(answer, 24, 24, 32);
      const length = pages * PAGE_BYTES;
      // A synchronous read: the pages file lies in memory (a tmpfs by default), so the read is
      // a copy of microseconds, while a read through libuv's thread pool costs two more
      // wake-ups per request, each a wait for a core on a busy node, and the copy waits on them.
      const bytesRead = readSync(file.fd, answer, IOV_BYTES, length, at.offset);
      if (bytesRead !== length) throw new Error("page source: pages file shorter than its pagemap");
      stats.pages += pages;
      stats.requests += 1;
      await write(socket, answer);
    }
  } finally {
    socket.end();
  }
}

/** The socket's bytes as 32-byte messages. */
async function* socketMessages(socket: Socket): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of socket) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= IOV_BYTES) {
      yield Buffer.from(pending.subarray(0, IOV_BYTES));
      pending = pending.subarray(IOV_BYTES);
    }
  }
}

function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.write(bytes, (error) => (error ? reject(error) : undefined))) resolve();
    else {
      socket.once("drain", resolve);
      socket.once("close", resolve);
    }
  });
}
