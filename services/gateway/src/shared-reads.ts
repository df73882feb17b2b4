/**
 * Lets concurrent callers share one call of `read`: while one is in flight, every caller gets
 * its result. A thousand requests arriving at once then read the runtime once, not a thousand
 * times (each read lists every instance's container state). A caller may get an answer begun a
 * moment before it asked, which is no older than one it would have waited for.
 */
export function shareInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
