import { hostEnv } from "@shadow/host";
import { traceUiUrl } from "@shadow/otel/trace-link";
import { z } from "zod";

export const controllerEnv = hostEnv.extend({
  /** A kubeconfig to use; by default $KUBECONFIG, else the pod's own service account. */
  SHADOW_KUBECONFIG: z.string().min(1).optional(),
  KUBECONFIG: z.string().min(1).optional(),
  /** The namespace whose pods shadow migrates: its Migrations are the ones this controller serves. */
  SHADOW_K8S_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "SHADOW_K8S_NAMESPACE: a namespace name")
    .default("default"),
  /** The trace UI a Migration's status links its trace into; none by default. */
  SHADOW_TRACE_UI_URL: traceUiUrl,
  /**
   * How long a deleted Migration whose migration runs is kept while it rolls back: past it the
   * object goes, and the rollback goes on without it.
   */
  SHADOW_CANCEL_GRACE_MS: z.coerce.number().int().positive().default(120_000),
  /**
   * The eviction webhook's certificate and key (tls.crt, tls.key); without it there is no
   * webhook, and evictions are kept off shadow's pods by their PodDisruptionBudgets alone.
   */
  SHADOW_WEBHOOK_CERT_DIR: z.string().min(1).optional(),
  SHADOW_WEBHOOK_HOST: z.string().min(1).default("0.0.0.0"),
  SHADOW_WEBHOOK_PORT: z.coerce.number().int().min(1).max(65535).default(8443),
});

export type ControllerEnv = z.infer<typeof controllerEnv>;
