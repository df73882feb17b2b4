#!/usr/bin/env bash
# Debian's headless-capable Chromium, for the tests that open a migration's timeline SVG in a
# real browser (a screenshot, and the drawing's geometry as the browser lays it out). Not part
# of the stack: nothing runs; `npm test` installs it before the integration tests.
#
#   chromium.sh install   installs the Debian package `chromium` (apt-get update once if it is
#                         unknown); does nothing when it is there
#   chromium.sh path      prints the browser's path (exits 1 when it is not installed)
#
# The browser is always launched by the test itself, headless, with a fresh empty profile.
set -euo pipefail
SHADOW_COMPONENT=chromium
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$SHADOW_REPO_ROOT/deploy/local
# shellcheck source=lib-debian.sh
. "$here/lib-debian.sh"

CHROMIUM_BIN=/usr/bin/chromium

case ${1:-install} in
install)
  if [[ -x $CHROMIUM_BIN ]]; then exit 0; fi
  with_lock chromium "$@"
  apt_install chromium
  [[ -x $CHROMIUM_BIN ]] || die "chromium did not install"
  log "installed $("$CHROMIUM_BIN" --version 2>/dev/null || echo chromium)"
  ;;
path)
  [[ -x $CHROMIUM_BIN ]] || exit 1
  echo "$CHROMIUM_BIN"
  ;;
*) die "usage: chromium.sh install|path" ;;
esac
