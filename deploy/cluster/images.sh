#!/usr/bin/env bash
# The images the cluster's pods run. Nothing can be pulled here, so the project builds them as
# OCI archives (an OCI image layout in a tar) and imports them into each node's containerd;
# pods use them with `imagePullPolicy: Never`.
#
#   images.sh build          build the archives that are missing or out of date
#   images.sh import NODE    import into NODE's containerd the built archives it lacks
#
# registry.k8s.io/pause:shadow   the sandbox image: the project's pause program (src/pause)
# shadow.local/workload:dev      the example workload: the local runtime's root file system
#                                (Debian trixie + the machine's Node, deploy/local/rootfs.sh)
#                                and a layer with the bundled example service in /opt/shadow;
#                                runs `node /opt/shadow/example-service.js`
#
# Archives: $SHADOW_STATE/cluster/images/<name>.tar. Layers are uncompressed (nothing travels
# over a network) and reproducible, so an unchanged input gives the same digest and is
# neither rebuilt nor imported again.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHADOW_COMPONENT=cluster

IMAGES=$CLUSTER_STATE/images
ROOTFS=$SHADOW_CACHE/rootfs/trixie
# Same bytes for the same files: fixed order, owners by number, no access or change times.
TAR_REPRODUCIBLE=(--sort=name --numeric-owner --format=posix
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)

# digest_of FILE: its sha256, remembered beside it (FILE.sha256) while FILE is unchanged.
digest_of() {
  if [[ ! -f $1.sha256 || $1 -nt $1.sha256 ]]; then
    sha256sum "$1" | cut -d' ' -f1 >"$1.sha256"
  fi
  cat "$1.sha256"
}

# oci_archive OUT IMAGE_NAME CONFIG_JSON LAYER_TAR...: an OCI image layout in a tar at OUT,
# its one manifest named IMAGE_NAME (containerd's import reads io.containerd.image.name).
# Prints the manifest's digest; an OUT already holding that manifest is kept.
oci_archive() {
  local out=$1 name=$2 config=$3
  shift 3
  local work layer digest diff_ids="[]" layers="[]" config_digest manifest manifest_digest
  work=$(mktemp -d "$IMAGES/.build.XXXXXX")
  mkdir -p "$work/blobs/sha256"
  for layer in "$@"; do
    digest=$(digest_of "$layer")
    ln -f "$layer" "$work/blobs/sha256/$digest" 2>/dev/null || cp "$layer" "$work/blobs/sha256/$digest"
    diff_ids=$(jq -c --arg d "sha256:$digest" '. + [$d]' <<<"$diff_ids")
    layers=$(jq -c --arg d "sha256:$digest" --argjson s "$(stat -c %s "$layer")" \
      '. + [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $d, size: $s}]' <<<"$layers")
  done
  jq -c --argjson ids "$diff_ids" '. + {rootfs: {type: "layers", diff_ids: $ids}}' <<<"$config" \
    >"$work/config.json"
  config_digest=$(digest_of "$work/config.json")
  mv "$work/config.json" "$work/blobs/sha256/$config_digest"
  manifest=$(jq -c -n --arg d "sha256:$config_digest" \
    --argjson s "$(stat -c %s "$work/blobs/sha256/$config_digest")" --argjson layers "$layers" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $d, size: $s},
      layers: $layers}')
  printf '%s' "$manifest" >"$work/manifest.json"
  manifest_digest=$(digest_of "$work/manifest.json")
  if [[ -f $out && $(cat "$out.digest" 2>/dev/null) == "sha256:$manifest_digest" ]]; then
    rm -rf "$work"
    echo "sha256:$manifest_digest"
    return 0
  fi
  mv "$work/manifest.json" "$work/blobs/sha256/$manifest_digest"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  jq -c -n --arg d "sha256:$manifest_digest" --argjson s "${#manifest}" --arg name "$name" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s,
        platform: {architecture: "amd64", os: "linux"},
        annotations: {"io.containerd.image.name": $name,
          "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]}' >"$work/index.json"
  tar -C "$work" "${TAR_REPRODUCIBLE[@]}" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  echo "sha256:$manifest_digest" >"$out.digest"
  rm -rf "$work"
  echo "sha256:$manifest_digest"
}

build_pause() {
  local root
  root=$(mktemp -d "$IMAGES/.pause.XXXXXX")
  install -m 755 "$PAUSE_BIN/pause" "$root/pause"
  tar -C "$root" "${TAR_REPRODUCIBLE[@]}" --mtime=@0 --owner=0 --group=0 -cf "$IMAGES/pause-layer.tar" pause
  rm -rf "$root"
  oci_archive "$IMAGES/pause.tar" "$PAUSE_IMAGE" \
    '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"]}}' \
    "$IMAGES/pause-layer.tar" >/dev/null
}

# The root file system layer is ~280 MB: kept in the cache, made again only when the rootfs
# was rebuilt or got another Node binary.
rootfs_layer() {
  local key layer
  # Built (or given a new Node) by the local stack's script, under the stack's lock: the stack's
  # up.sh may be running it too.
  if [[ ! -f $ROOTFS/.shadow-complete ]] ||
    ! cmp -s "$(readlink -f "$(command -v node)")" "$ROOTFS/usr/local/bin/node"; then
    flock -w 1800 "$SHADOW_RUN_DIR/stack.lock" bash "$SHADOW_REPO_ROOT/deploy/local/rootfs.sh" >&2
  fi
  key=$( (stat -c '%Y' "$ROOTFS/.shadow-complete" && stat -c '%Y %s' "$ROOTFS/usr/local/bin/node") |
    sha256sum | cut -c1-16)
  layer=$CLUSTER_CACHE/images/rootfs-$key.tar
  if [[ ! -f $layer ]]; then
    mkdir -p "$CLUSTER_CACHE/images"
    rm -f "$CLUSTER_CACHE"/images/rootfs-*
    tar -C "$ROOTFS" "${TAR_REPRODUCIBLE[@]}" --exclude=./proc/* --exclude=./sys/* \
      --exclude=./dev/* --exclude=./.shadow-complete -cf "$layer.tmp" .
    mv "$layer.tmp" "$layer"
  fi
  echo "$layer"
}

build_workload() {
  local rootfs app
  rootfs=$(rootfs_layer)
  app=$(mktemp -d "$IMAGES/.workload.XXXXXX")
  (cd "$SHADOW_REPO_ROOT" && node_modules/.bin/tsx testkit/scripts/bundle.ts >/dev/null)
  mkdir -p "$app/opt/shadow"
  install -m 644 "$SHADOW_REPO_ROOT/testkit/dist/example-service.js" \
    "$SHADOW_REPO_ROOT/testkit/dist/package.json" "$app/opt/shadow/"
  tar -C "$app" "${TAR_REPRODUCIBLE[@]}" --mtime=@0 --owner=0 --group=0 \
    -cf "$IMAGES/workload-app-layer.tar" opt
  rm -rf "$app"
  oci_archive "$IMAGES/workload.tar" "$WORKLOAD_IMAGE" '{"architecture":"amd64","os":"linux",
    "config":{"Env":["PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"],
      "Entrypoint":["/usr/local/bin/node"],"Cmd":["/opt/shadow/example-service.js"],
      "WorkingDir":"/opt/shadow"}}' "$rootfs" "$IMAGES/workload-app-layer.tar" >/dev/null
}

build() {
  need_cmd jq jq
  mkdir -p "$IMAGES"
  build_pause
  build_workload
}

# ctr_node NODE ARGS...: ctr on NODE's containerd, in the CRI's namespace, without the
# warning every call prints on cgroup v1 hosts.
ctr_node() {
  local socket
  socket=$(node_containerd_socket "$1")
  shift
  "$CONTAINERD_BIN/ctr" --address "$socket" --namespace k8s.io "$@" \
    2> >(grep -v 'DEPRECATION: The support for cgroup v1' >&2)
}

# import NODE: each archive whose manifest the node's containerd does not hold under the
# image's name is imported (and unpacked for the CRI's snapshotter).
import() {
  local node=$1 archive name want have
  for archive in pause workload; do
    name=$PAUSE_IMAGE
    [[ $archive == workload ]] && name=$WORKLOAD_IMAGE
    want=$(<"$IMAGES/$archive.tar.digest")
    have=$(ctr_node "$node" images ls "name==$name" | awk 'NR == 2 { print $3 }')
    [[ $have == "$want" ]] && continue
    log "importing $name into $node"
    ctr_node "$node" images import --platform linux/amd64 "$IMAGES/$archive.tar" >/dev/null
  done
}

case ${1:-} in
  build) with_lock cluster-images "$@" && build ;;
  import)
    [[ -n ${2:-} ]] || die "usage: $0 import NODE"
    [[ -f $IMAGES/workload.tar.digest ]] || die "no images built yet: run $0 build first"
    import "$2"
    ;;
  *) die "usage: $0 build|import NODE" ;;
esac
