export {
  ARCHIVE_NAME,
  type BuildOptions,
  type BuildResult,
  type BuiltImage,
  buildImages,
} from "./build.ts";
export { catalog, type ImageDefinition, imageRef } from "./catalog.ts";
export type { ImageContents } from "./sbom.ts";
