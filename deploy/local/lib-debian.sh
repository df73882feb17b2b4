# Shared helpers for the local install scripts (sourced, not run).
#
# The Debian mirror is never written into the project: it is read at run time from the
# machine's own apt sources, so the scripts follow whatever mirror (or snapshot) the
# machine is configured with.

# lib.sh gives the cache and state directories, log, die and apt_get.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The first Debian archive URI of the machine's apt sources (deb822 or one-line format),
# skipping security archives: debootstrap needs the main archive.
debian_mirror() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources |
      grep -v -- '-security' | grep -v -i 'nodesource\|google' | head -n1 || true)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' \
      /etc/apt/sources.list | grep -v -- '-security' | head -n1 || true)
  fi
  [ -n "$uri" ] || die "no Debian archive found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

# The Signed-By keyring of the machine's Debian source, for debootstrap (default: Debian's).
debian_keyring() {
  local key=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    key=$(awk '/^Signed-By:/ { print $2 }' /etc/apt/sources.list.d/*.sources | grep debian | head -n1 || true)
  fi
  printf '%s\n' "${key:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}

# apt-get install, running `apt-get update` once first when the package is unknown. Waits for
# another apt-get to finish (two scripts of the stack may install at once) instead of failing.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    apt_get update -qq
  fi
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
