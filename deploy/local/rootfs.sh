#!/usr/bin/env bash
# Builds the root file system every instance runs in: a Debian trixie minbase with this
# machine's Node.js binary copied in as /usr/local/bin/node. Bundles mount it read-only and
# share it, so it is built once and kept in the cache.
#
# Why the machine's node and not Debian's nodejs: Debian builds node against the system libuv,
# which uses io_uring, and CRIU cannot dump io_uring. The official binary is fine.
#
# Result: $SHADOW_CACHE/rootfs/trixie. Idempotent: the root is built once; the node binary is
# re-copied only when it differs from the machine's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

root="$SHADOW_CACHE/rootfs/trixie"
node_bin="$(readlink -f "$(command -v node)")" || die "node is not on PATH"

# The rootfs is served as a read-only bind mount of itself. Why: runc binds it into its own
# state directory while it restores (criu-root), and a `runc delete --force` that races a
# restore removes that directory recursively, through the bind, into the shared rootfs. A
# read-only source makes every bind of it read-only too, so nothing can delete it that way.
unprotect() { while findmnt -n --mountpoint "$root" >/dev/null 2>&1; do umount "$root"; done; }
protect() {
  findmnt -n --mountpoint "$root" >/dev/null 2>&1 || mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
}

if [ ! -f "$root/.shadow-complete" ]; then
  apt_install debootstrap
  mirror="$(debian_mirror)"
  keyring="$(debian_keyring)"
  log "debootstrap trixie (minbase) into $root"
  rm -rf "$root.tmp"
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase --keyring="$keyring" trixie "$root.tmp" "$mirror" \
    >"$SHADOW_CACHE/rootfs/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $SHADOW_CACHE/rootfs/debootstrap.log"
  rm -rf "$root.tmp/var/cache/apt/archives/"*.deb
  # Mount points the bundles bind into (identity file, workload entry).
  mkdir -p "$root.tmp/run/shadow" "$root.tmp/opt/shadow"
  touch "$root.tmp/.shadow-complete"
  unprotect
  rm -rf "$root"
  mv "$root.tmp" "$root"
fi

if ! cmp -s "$node_bin" "$root/usr/local/bin/node"; then
  unprotect
  install -m 755 "$node_bin" "$root/usr/local/bin/node.tmp"
  mv "$root/usr/local/bin/node.tmp" "$root/usr/local/bin/node"
  log "copied $("$node_bin" --version) into the rootfs"
fi
protect
chroot "$root" /usr/bin/env -i /usr/local/bin/node -e 'process.exit(0)' || die "node does not run inside $root"
log "rootfs present ($root, node $(chroot "$root" /usr/bin/env -i /usr/local/bin/node --version))"
