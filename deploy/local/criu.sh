#!/usr/bin/env bash
# Installs CRIU 4.2 (Debian forky's build) in its own root and a `criu` wrapper that runs it.
#
# Why its own root: bookworm's criu 3.17 fails on kernels >= 6.x (vdso), trixie's 4.1 cannot
# dump TCP sockets on kernels >= 6.16, and forky's 4.2 needs a newer libc than the host's.
# So criu runs from a forky minbase root through that root's own dynamic loader.
#
# Result: $SHADOW_CACHE/criu/root (the forky root), $SHADOW_CACHE/bin/criu (the wrapper), and
# /usr/local/sbin/criu linking to it, so `criu check` works from PATH. Idempotent: a present
# root that passes `criu check` is kept as is. Nothing is added to the host's apt sources
# (debootstrap reads the archive itself), so nothing on the host can upgrade from forky.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

root="$SHADOW_CACHE/criu/root"
wrapper="$SHADOW_CACHE/bin/criu"

write_wrapper() {
  mkdir -p "$(dirname "$wrapper")"
  cat >"$wrapper.tmp" <<EOF
#!/bin/sh
# criu from its own forky root (see deploy/local/criu.sh): run through that root's loader.
root="$root"
exec "\$root/lib64/ld-linux-x86-64.so.2" \\
  --library-path "\$root/lib/x86_64-linux-gnu:\$root/usr/lib/x86_64-linux-gnu" \\
  "\$root/usr/sbin/criu" "\$@"
EOF
  chmod 755 "$wrapper.tmp"
  mv "$wrapper.tmp" "$wrapper"
  ln -sfn "$wrapper" /usr/local/sbin/criu
}

# CRIU dumps the conntrack tables of a dumped task's network namespace (twice: entries and
# expectations) even when the namespace is external, and the kernel walks its one global hash
# for every such dump, whatever the namespace: 262,144 buckets on a 24 GB machine cost 20-60 ms
# of the source's pause, 4,096 under 1 ms. Nothing here tracks connections (no NAT, no
# iptables), so a small table costs nothing; a host that does use one keeps its own.
shrink_conntrack_hash() {
  local buckets=/proc/sys/net/netfilter/nf_conntrack_buckets
  local count=/proc/sys/net/netfilter/nf_conntrack_count
  [ -w "$buckets" ] && [ -r "$count" ] || return 0
  if [ "$(cat "$buckets")" -gt 4096 ] && [ "$(cat "$count")" -lt 1024 ]; then
    echo 4096 >"$buckets" && log "conntrack hash: 4096 buckets (a dump walks all of them)"
  fi
}
shrink_conntrack_hash

# The library shadow preloads into CRIU's lazy-pages daemon so that it sleeps while it waits
# for pages instead of spinning (runtime/native/lazy-pages-sleep.c). Rebuilt when the source
# changes (gcc is installed from Debian when missing).
build_lazy_pages_sleep() {
  local src="$SHADOW_REPO_ROOT/runtime/native/lazy-pages-sleep.c"
  local lib="$SHADOW_CACHE/criu/lazy-pages-sleep.so"
  local sum
  sum="$(sha256sum "$src" | cut -d' ' -f1)"
  [ -f "$lib" ] && [ "$(cat "$lib.sha256" 2>/dev/null)" = "$sum" ] && return 0
  need_cmd gcc gcc
  mkdir -p "$(dirname "$lib")"
  gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$lib.tmp" "$src" || die "cannot build $src"
  mv "$lib.tmp" "$lib"
  echo "$sum" >"$lib.sha256"
  log "built $lib"
}
build_lazy_pages_sleep

if [ -x "$root/usr/sbin/criu" ]; then
  write_wrapper
  if "$wrapper" check >/dev/null 2>&1; then
    log "criu $("$wrapper" --version | awk '/Version/ { print $2 }') present ($wrapper)"
    exit 0
  fi
  log "criu root present but 'criu check' fails; rebuilding it"
fi

apt_install debootstrap
mirror="$(debian_mirror)"
keyring="$(debian_keyring)"
script=/usr/share/debootstrap/scripts/forky
# Older debootstraps have no forky script; forky is built like sid.
[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid

log "debootstrap forky (minbase + criu) into $root"
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include=criu,libnftables1 --keyring="$keyring" \
  forky "$root.tmp" "$mirror" "$script" >"$SHADOW_CACHE/criu/debootstrap.log" 2>&1 ||
  die "debootstrap failed, see $SHADOW_CACHE/criu/debootstrap.log"
# The root is only ever read: drop the package caches it keeps.
rm -rf "$root.tmp/var/cache/apt/archives/"*.deb
rm -rf "$root"
mv "$root.tmp" "$root"
write_wrapper

"$wrapper" check || die "'criu check' fails with $("$wrapper" --version | head -n1)"
log "criu $("$wrapper" --version | awk '/Version/ { print $2 }') installed ($wrapper)"
