/*
 * Preloaded into CRIU's lazy-pages daemon only (runtime/src/local/lazy-pages.ts), so that it
 * sleeps while it waits for pages instead of spinning.
 *
 * Why: once the restore has finished, the daemon polls its descriptors with a zero timeout
 * (criu/uffd.c, handle_requests) and, with a request out to the page source, simply polls
 * again: it keeps a whole core busy for as long as pages arrive. On a two-core node that core
 * is taken from the page source, the network stack and the workload that the daemon waits on.
 *
 * What: a zero-timeout epoll_wait that follows an empty one waits up to SLEEP_MS for an event
 * instead of returning at once. The first empty poll still returns at once, so the daemon goes
 * on to send its next request as before; only the second, which means it has nothing to do
 * but wait, sleeps, and it wakes as soon as a descriptor is ready (a reply, a page fault).
 * Calls with any other timeout pass through unchanged.
 *
 * It calls the system call itself rather than the next epoll_wait in the link order, so it
 * needs nothing from the C library beyond syscall(), whichever glibc CRIU's root has.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Long enough to give the core away, short enough that a missed wake-up costs little. */
#define SLEEP_MS 5
/* The kernel's sigset size: epoll_pwait with no mask is epoll_wait. */
#define KERNEL_SIGSET_BYTES 8

static __thread int last_poll_was_empty;

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
  int wait = timeout == 0 && last_poll_was_empty ? SLEEP_MS : timeout;
  long ready = syscall(SYS_epoll_pwait, epfd, events, maxevents, wait, (void *)0,
                       KERNEL_SIGSET_BYTES);
  last_poll_was_empty = timeout == 0 && ready == 0;
  return (int)ready;
}
