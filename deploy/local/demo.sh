#!/usr/bin/env bash
# THE main job (`npm run demo` runs it): on a fresh machine it installs the npm dependencies,
# then `shadow demo` brings up the whole local stack (Kafka, Jaeger, registry, CRIU, runc,
# nodes), starts the services, runs the example service on node-a under 60 msg/s, migrates it
# live to node-b with identity swap, and prints the report. Exit status 0 only when the
# migration completed with nothing lost or duplicated and no downtime.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SHADOW_REPO_ROOT"
# shellcheck source=npm-deps.sh
source "$SHADOW_REPO_ROOT/deploy/local/npm-deps.sh"

need_cmd node nodejs
install_deps
exec cli/bin/shadow demo "$@"
