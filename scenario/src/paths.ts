import { homedir } from "node:os";
import { join } from "node:path";

export const cacheDir = process.env.SHADOW_CACHE || join(homedir(), ".cache", "shadow");
