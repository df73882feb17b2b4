import type { V1StatefulSet } from "@kubernetes/client-node";
import type { KubeContext } from "./context.ts";
import { statusOf } from "./kube.ts";

/** How many times a replace refused for a newer version is read and tried again. */
const ATTEMPTS = 10;

/**
 * Replaces StatefulSet `name` with `change` of it as read now. The set's controller writes its
 * status all through a swap, so a replace built on an older read is refused (409): the set is
 * read again and `change` applied again, never written over a version it did not see.
 * `change` returns undefined when there is nothing to do; so does this.
 */
export async function updateStatefulSet(
  ctx: KubeContext,
  name: string,
  change: (set: V1StatefulSet) => V1StatefulSet | undefined,
): Promise<V1StatefulSet | undefined> {
  for (let attempt = 1; ; attempt++) {
    const set = await ctx.kube.apps.readNamespacedStatefulSet({ name, namespace: ctx.namespace });
    const body = change(set);
    if (!body) return undefined;
    try {
      return await ctx.kube.apps.replaceNamespacedStatefulSet({
        name,
        namespace: ctx.namespace,
        body,
      });
    } catch (error) {
      if (statusOf(error) !== 409 || attempt >= ATTEMPTS) throw error;
    }
  }
}
