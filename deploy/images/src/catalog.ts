/** One image of shadow's own: a Node program bundled from one entry file. */
export interface ImageDefinition {
  /** The image's name, also its directory in the image (`/opt/shadow/<name>`). */
  name: string;
  /** The program's entry, relative to the repository root. */
  entry: string;
  /**
   * Built only when its entry exists: a part that is still being written elsewhere. Its row
   * is here already, so the images and the manifests that run it need no other change.
   */
  whenPresent?: true;
  /**
   * System programs the part runs, by their path in the Debian root file system the images are
   * built from: each is put at the same path in the image, with any shared library it needs
   * that the Node layer does not already hold.
   */
  programs?: string[];
}

/** Every image is `shadow.local/<name>:dev`: never pulled, imported into each node. */
export const IMAGE_REPOSITORY = "shadow.local";
export const IMAGE_TAG = "dev";

export function imageRef(name: string): string {
  return `${IMAGE_REPOSITORY}/${name}:${IMAGE_TAG}`;
}

/** Adding an image is adding a row. */
export const catalog: ImageDefinition[] = [
  { name: "gateway", entry: "services/gateway/src/main.ts" },
  { name: "checkpoint-svc", entry: "services/checkpoint-svc/src/main.ts" },
  { name: "image-svc", entry: "services/image-svc/src/main.ts" },
  { name: "restore-svc", entry: "services/restore-svc/src/main.ts" },
  { name: "fence-svc", entry: "services/fence-svc/src/main.ts" },
  { name: "drain-svc", entry: "services/drain-svc/src/main.ts" },
  { name: "migration-controller", entry: "services/migration-controller/src/main.ts" },
  { name: "admission-svc", entry: "services/admission-svc/src/main.ts" },
  { name: "pressure-svc", entry: "services/pressure-svc/src/main.ts", whenPresent: true },
  // nsenter: the agent runs in its node's mount namespace (agent/src/host-root.ts).
  {
    name: "node-agent",
    entry: "agent/src/main.ts",
    whenPresent: true,
    programs: ["/usr/bin/nsenter"],
  },
];
