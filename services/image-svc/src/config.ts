import { hostEnv } from "@shadow/host";
import { z } from "zod";

export const imageEnv = hostEnv.extend({
  /**
   * Scheduling niceness of image-svc (and the work it does: packing, encrypting, hashing and
   * copying the image). Building an image is CPU-heavy and never urgent next to the workload
   * being migrated, which keeps serving on the same node meanwhile.
   */
  SHADOW_IMAGE_NICE: z.coerce.number().int().min(-20).max(19).default(10),
});
