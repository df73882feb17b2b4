import { imageTransfer, nodeName, strategy, workloadName } from "@shadow/events";
import { z } from "zod";

/** Body of `POST /migrations`. `targetNode` may be omitted or "auto": the gateway picks one. */
export const migrationRequestBody = z
  .object({
    workload: workloadName.describe("The workload's stable name, e.g. orders-0"),
    targetNode: z.union([nodeName, z.literal("auto")]).default("auto"),
    strategy: z
      .union([strategy, z.literal("auto")])
      .default("shadow")
      .describe(
        "shadow (live, for a workload that can fence), sequential (stop and recreate), or auto: shadow if the workload can fence, else sequential",
      ),
    identitySwap: z
      .boolean()
      .optional()
      .describe(
        "Give the workload's name back on the target (StatefulSet style); default: true for shadow",
      ),
    imageTransfer: imageTransfer
      .optional()
      .describe(
        "How the checkpoint image reaches the target: registry, or node-to-node; default: the runtime's",
      ),
    reason: z.string().max(500).optional(),
  })
  .strict();

export type MigrationRequestBody = z.infer<typeof migrationRequestBody>;
