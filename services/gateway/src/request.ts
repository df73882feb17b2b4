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
    nameRestore: z
      .boolean()
      .optional()
      .describe(
        "Only give the workload its own name back on the node it serves on (it serves under a shadow's name after a migration without identity swap, or one whose swap could not complete); targetNode: that node or auto",
      ),
    imageTransfer: imageTransfer
      .optional()
      .describe(
        "How the checkpoint reaches the target: stream, registry, or node-to-node; default: the runtime's",
      ),
    reason: z.string().max(500).optional(),
  })
  .strict();

export type MigrationRequestBody = z.infer<typeof migrationRequestBody>;
