import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exec } from "./exec.ts";

/**
 * CRIU options runc cannot pass on its command line. runc 1.1 hands CRIU the file named by
 * the bundle's `org.criu.config` annotation (read from the source bundle at dump, from the
 * restore bundle at restore).
 *
 * - network-lock skip: established TCP connections are not dumped (tcp-close), so there is
 *   nothing to hold still. CRIU's lock would drop every packet to and from the source while
 *   it dumps, and each dropped packet costs a TCP retransmission (200 ms at least) after the
 *   pause, on the source's Kafka fetches and produces too; without it the kernel keeps
 *   queueing for the frozen process, which drains the queue when it is thawed.
 * - skip-in-flight: half-open connections to a listening socket are dropped, not dumped
 *   (clients retry them), so a probe arriving during the freeze cannot fail the dump.
 * - tcp-close: the copy wakes up at a new address, where its established connections cannot
 *   be bound back; they are left out of the dump and come back closed, and its clients
 *   reconnect.
 * - action-script: the freeze hook below (dump only; it acts only when asked to).
 */
export interface CriuConfigs {
  dump: string;
  hook: string;
  /**
   * A restore's options, without the hook: CRIU runs the action script at every step of a
   * restore too (seven bash processes, 15-25 ms of the restore), and nothing hooks in there.
   */
  restoreText: string;
  /** What a restored instance's config says once it is up, since it may be dumped again. */
  restoredText: string;
}

/** Name of the file the freeze hook leaves in the image directory (moved out after the dump). */
export const FREEZE_TIMES_FILE = "shadow-freeze-times";

/**
 * The freeze hook, run by CRIU at each action. Why: the source's pause should cover only the
 * dump itself, not CRIU's start-up (~40-60 ms of kernel probing before it freezes), and never
 * CRIU's 100 ms freezer poll (CRIU writes FROZEN, and if the cgroup is still FREEZING sleeps
 * 100 ms before looking again). CRIU runs `pre-dump` scripts after its start-up and just
 * before it freezes: the hook freezes there with a tight poll, so CRIU finds the cgroup
 * frozen and goes straight on. The hook thaws at `network-unlock`, the last step before CRIU
 * would have thawed itself (the tasks run again when CRIU detaches from them right after).
 * Freeze and thaw times (bash's $EPOCHREALTIME, no fork) go to a file in the image directory.
 */
const hook = (sleeper: string) => `#!/bin/bash
sleeper="${sleeper}"
[ "$SHADOW_FREEZE_HOOK" = 1 ] || exit 0
# CRIU runs this for every action, some inside the freeze: leave at once for the others, and
# use no external command (each fork is a millisecond or more of the source's pause).
case "$CRTOOLS_SCRIPT_ACTION" in pre-dump | network-unlock) ;; *) exit 0 ;; esac
freezer=
while IFS=: read -r _ controller path; do
  [ "$controller" = freezer ] && freezer=$path
done <"/proc/$CRTOOLS_INIT_PID/cgroup"
state="/sys/fs/cgroup/freezer$freezer/freezer.state"
times="$CRTOOLS_IMAGE_DIR/${FREEZE_TIMES_FILE}"
# No v1 freezer for this task: let CRIU freeze it as usual.
[ -n "$freezer" ] && [ -w "$state" ] || exit 0
case "$CRTOOLS_SCRIPT_ACTION" in
  pre-dump)
    start=$EPOCHREALTIME
    for ((i = 0; i < 100000; i++)); do
      echo FROZEN >"$state"
      read -r s <"$state"
      [ "$s" = FROZEN ] && break
    done
    [ "$s" = FROZEN ] || { echo THAWED >"$state"; exit 1; }
    echo "freeze $start $EPOCHREALTIME" >>"$times"
    ;;
  network-unlock)
    [ "$SHADOW_LEAVE_RUNNING" = 1 ] || exit 0
    echo THAWED >"$state"
    echo "thaw $EPOCHREALTIME" >>"$times"
    # CRIU writes FROZEN back when it exits (it restores the state it found): undo that at
    # once rather than when runc has returned. It polls every 0.5 ms, sleeping in between
    # (a read with a timeout on a FIFO nobody writes: no fork), because a busy loop would take
    # one of the two cores from CRIU. Bounded to 3 s; shadow thaws again after runc.
    exec 3>>"$times"
    (
      deadline=$((\${EPOCHREALTIME%.*} + 3))
      while [ "\${EPOCHREALTIME%.*}" -lt "$deadline" ]; do
        read -r s <"$state"
        if [ "$s" != THAWED ]; then
          echo THAWED >"$state"
          echo "refrozen $EPOCHREALTIME" >&3
          break
        fi
        read -r -t 0.0005 _ <>"$sleeper"
      done
    ) </dev/null >/dev/null 2>&1 &
    ;;
esac
exit 0
`;

const DUMP = ["network-lock skip", "skip-in-flight", "tcp-close"];
/**
 * A restored instance is dumped again later (the identity swap's second round) and CRIU then
 * reads the restore bundle's config: once the instance is up, that file gets the hook too.
 */
const RESTORE = ["network-lock skip", "tcp-close", "skip-in-flight"];

export async function writeCriuConfigs(stateDir: string): Promise<CriuConfigs> {
  const dir = join(stateDir, "criu");
  await mkdir(dir, { recursive: true });
  const hookPath = join(dir, "freeze-hook.sh");
  const configs: CriuConfigs = {
    dump: join(dir, "dump.conf"),
    hook: hookPath,
    restoreText: `${RESTORE.join("\n")}\n`,
    restoredText: `${[...RESTORE, `action-script ${hookPath}`].join("\n")}\n`,
  };
  const sleeper = join(dir, "sleep.fifo");
  if (!(await stat(sleeper).catch(() => undefined))?.isFIFO()) {
    // Several processes may start at once: whoever makes it first wins, the rest find it.
    await exec("mkfifo", [sleeper]);
    if (!(await stat(sleeper).catch(() => undefined))?.isFIFO()) {
      throw new Error(`cannot create the FIFO ${sleeper}`);
    }
  }
  // Other processes may be dumping with these files right now: replace them atomically,
  // and only when they changed.
  await writeIfChanged(configs.hook, hook(sleeper), 0o755);
  await writeIfChanged(configs.dump, `${[...DUMP, `action-script ${configs.hook}`].join("\n")}\n`);
  return configs;
}

async function writeIfChanged(path: string, text: string, mode = 0o644): Promise<void> {
  if ((await readFile(path, "utf8").catch(() => undefined)) === text) return;
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * The source's pause in ms when the hook froze it: freeze start → thaw, plus what CRIU still
 * did after the thaw before letting the tasks go (it detaches ptrace at "Unfreezing tasks",
 * and ptrace-stopped tasks do not run even in a thawed cgroup).
 */
export function pauseFromFreezeTimes(times: string, dumpLog: string): number | undefined {
  const freeze = freezeStartFromTimes(times);
  const thaw = /^thaw (\d+\.\d+)/m.exec(times)?.[1];
  if (freeze === undefined || thaw === undefined) return undefined;
  const unlock = logTime(dumpLog, /^\((\d+\.\d+)\) Running network-unlock scripts/m);
  const unfreeze = logTime(dumpLog, /^\((\d+\.\d+)\) Unfreezing tasks/m);
  const tail = unlock !== undefined && unfreeze !== undefined ? Math.max(0, unfreeze - unlock) : 0;
  return Number(thaw) * 1000 - freeze + tail;
}

/** When the hook's freeze began (ms since epoch), from the same file. */
export function freezeStartFromTimes(times: string): number | undefined {
  const freeze = /^freeze (\d+\.\d+)/m.exec(times)?.[1];
  return freeze === undefined ? undefined : Number(freeze) * 1000;
}

/** The pause when CRIU froze the source itself: dump.log "freezing cgroup" → "Unfreezing tasks". */
export function pauseFromDumpLog(log: string): number | undefined {
  const frozen = logTime(log, /^\((\d+\.\d+)\) freezing cgroup/m);
  const thawed = logTime(log, /^\((\d+\.\d+)\) Unfreezing tasks/m);
  return frozen === undefined || thawed === undefined ? undefined : thawed - frozen;
}

/** A CRIU log line's time (seconds since CRIU started) in ms. */
function logTime(log: string, re: RegExp): number | undefined {
  const m = re.exec(log);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1000;
}
