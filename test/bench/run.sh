#!/usr/bin/env bash
# The benchmark from a fresh machine (`npm run bench -- --profile paper`): installs the npm
# dependencies, then `shadow bench` brings up the local stack and the services and runs the
# grid (quick, paper or scale, each dimension overridable). It is not a test: `npm test` and CI
# never run it, because the paper grid alone takes about 40 minutes.
#
#   bash test/bench/run.sh --profile quick
#   bash test/bench/run.sh --profile paper --out docs/benchmark/paper
#   bash test/bench/run.sh --profile scale --rates 10000 --states 1024 --partitions 1,12
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../deploy/local/lib.sh
source "$root/deploy/local/lib.sh"
cd "$SHADOW_REPO_ROOT"
# shellcheck source=../../deploy/local/npm-deps.sh
source "$SHADOW_REPO_ROOT/deploy/local/npm-deps.sh"

need_cmd node nodejs
install_deps
exec cli/bin/shadow bench "$@"
