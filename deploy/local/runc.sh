#!/usr/bin/env bash
# Installs runc (Debian's 1.1.x) without its recommended criu: the distribution's criu does not
# work on this kernel, so shadow always runs `runc --criu <the CRIU 4.2 wrapper>` (criu.sh).
# Idempotent: does nothing when runc is present.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

apt_install runc
log "$(runc --version | head -n1) present"
