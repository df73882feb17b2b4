import { join } from "node:path";

/**
 * Where the local adapter keeps things under the state directory. One place, so the cleanup
 * after a failed restore and the tests that check for leftovers agree on it.
 *
 *   nodes/<node>/node.json                  written by deploy/local/nodes.sh
 *   nodes/<node>/instances/<instance>/      instance.json, bundle/config.json, identity/
 *   <dump dir>/<node>/<id>/                 dumps taken on that node, and dumps streamed to it
 *                                           (nodes/<node>/checkpoints/ without a dump dir)
 *   nodes/<node>/images/<id>/               checkpoint images unpacked on that node
 *   addresses/<ip>                          one file per instance address in use
 *   runc/                                   runc's own state (--root)
 *   log/<instance>.log                      the instance's stdout and stderr
 */
export class Layout {
  constructor(
    readonly stateDir: string,
    private readonly dumpDir?: string,
  ) {}

  /** The dump directory when dumps are kept outside the state directory (e.g. on a tmpfs). */
  get dumpRoot(): string | undefined {
    return this.dumpDir;
  }
  get nodesDir(): string {
    return join(this.stateDir, "nodes");
  }
  node(node: string): string {
    return join(this.nodesDir, node);
  }
  nodeFile(node: string): string {
    return join(this.node(node), "node.json");
  }
  instancesDir(node: string): string {
    return join(this.node(node), "instances");
  }
  instance(node: string, instance: string): string {
    return join(this.instancesDir(node), instance);
  }
  checkpointsDir(node: string): string {
    return this.dumpDir ? join(this.dumpDir, node) : join(this.node(node), "checkpoints");
  }
  checkpoint(node: string, id: string): string {
    return join(this.checkpointsDir(node), id);
  }
  imagesDir(node: string): string {
    return join(this.node(node), "images");
  }
  get addressesDir(): string {
    return join(this.stateDir, "addresses");
  }
  get runcRoot(): string {
    return join(this.stateDir, "runc");
  }
  get logDir(): string {
    return join(this.stateDir, "log");
  }
  log(instance: string): string {
    return join(this.logDir, `${instance}.log`);
  }
  get lockFile(): string {
    return join(this.stateDir, "runtime.lock");
  }
}
