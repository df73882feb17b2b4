import {
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
} from "@kubernetes/client-node";

/**
 * A watched set of API objects (client-node's informer: one list, then a watch): reads come
 * from its cache, and waits are answered by its events, never by polling the API server. A
 * watch that breaks is started again (a list, then a watch from there).
 */
export class ObjectWatch<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private readonly waiters = new Set<() => void>();
  private stopped = false;

  constructor(
    config: KubeConfig,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    labelSelector?: string,
  ) {
    this.informer = makeInformer(config, path, list, labelSelector);
    const wake = () => {
      for (const waiter of [...this.waiters]) waiter();
    };
    this.informer.on("add", wake);
    this.informer.on("update", wake);
    this.informer.on("delete", wake);
    this.informer.on("error", () => {
      if (this.stopped) return;
      setTimeout(() => {
        if (!this.stopped) this.informer.start().then(wake, () => undefined);
      }, 1000).unref();
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): T[] {
    return [...this.informer.list(namespace)];
  }

  /**
   * Resolves with what `read` returns once it is not undefined, reading the cache now and at
   * every event; after `timeoutMs` rejects with `what` and what was last seen.
   */
  waitFor<R>(what: string, timeoutMs: number, read: () => R | undefined): Promise<R> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let value: R | undefined;
        try {
          value = read();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new WaitTimeoutError(`${what}: not within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

export class WaitTimeoutError extends Error {
  readonly code = "WAIT_TIMEOUT";
}
