#!/usr/bin/env bash
# THE test command (`npm test` runs it). On a fresh machine it does everything: installs the
# npm dependencies, brings up the local stack (deploy/local/up.sh) and the Kubernetes cluster
# (deploy/cluster/cluster.sh up: its first run builds it, ~15 minutes), runs vitest once for
# every project (unit, integration, kafka-3.9, chaos, kubernetes) after the
# typecheck, and ends with the plain line
# `N passed, N failed` (`, N skipped` when there are any). Exit status is non-zero when a test
# failed or vitest did.
# Benchmarks (test/bench, <pkg>/bench) are not tests and never run here.
#
# Extra arguments go to vitest, e.g. `npm test -- --project unit` or `npm test -- stack`.
# SHADOW_STACK_DOWN_AFTER=1 stops the stack and the cluster afterwards (the default when CI=true).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SHADOW_REPO_ROOT"

# shellcheck source=npm-deps.sh
source "$SHADOW_REPO_ROOT/deploy/local/npm-deps.sh"

# runs_project NAME ARGS...: true when vitest will run the project NAME: no --project
# argument, or one naming it.
runs_project() {
  local name=$1 arg any=0 next=0
  shift
  for arg in "$@"; do
    if ((next)); then
      [[ $arg == "$name" ]] && return 0
      next=0
    elif [[ $arg == --project ]]; then
      any=1 next=1
    elif [[ $arg == --project=* ]]; then
      any=1
      [[ ${arg#--project=} == "$name" ]] && return 0
    fi
  done
  ((any == 0))
}

need_cmd node nodejs
install_deps
# The whole suite starts with the typecheck (tsc -b over the project references: each package
# once, against its dependencies' declarations); a filtered run skips it unless asked.
if (($# == 0)) || [[ ${SHADOW_TYPECHECK:-} == 1 ]]; then
  started=$SECONDS
  if ! npx tsc -b; then
    log "typecheck failed (npx tsc -b): no test was run"
    exit 1
  fi
  log "typecheck passed in $((SECONDS - started))s"
fi
# Unit tests need nothing running: `npm test -- --project unit` skips the stack.
if runs_project integration "$@" || runs_project kafka-3.9 "$@" || runs_project chaos "$@" ||
  runs_project kubernetes "$@"; then
  bash deploy/local/up.sh
  # The timeline test opens its SVG in a real browser: Debian's chromium (once; then a no-op).
  bash deploy/local/chromium.sh install
else
  log "unit tests only: not starting the local stack"
fi
if runs_project kubernetes "$@"; then
  bash deploy/cluster/cluster.sh up
  # The cluster is up: the kubernetes project's globalSetup only reads what it provides.
  export SHADOW_CLUSTER_UP=1
fi

down_after=${SHADOW_STACK_DOWN_AFTER:-$([[ ${CI:-} == true ]] && echo 1 || echo 0)}
# Each run writes its own report (several may run at once on a shared machine); the last one
# to finish is copied to $SHADOW_STATE/vitest.json.
report=$(mktemp "$SHADOW_STATE/vitest.XXXXXX.json")
trap 'rm -f "$report"' EXIT

# The stack is up: the integration project's globalSetup only checks health.
export SHADOW_STACK_UP=1
set +e
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
vitest_rc=$?
set -e

if [[ $down_after == 1 ]]; then
  if runs_project kubernetes "$@"; then
    bash deploy/cluster/cluster.sh down >&2 || log "cluster.sh down failed"
  fi
  bash deploy/local/down.sh >&2 || log "down.sh failed"
fi

if [[ ! -s $report ]]; then
  log "vitest exited with $vitest_rc and wrote no report ($report)"
  exit $((vitest_rc == 0 ? 1 : vitest_rc))
fi
# The summary line must be the last thing printed: CI reads it.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
summary=$(node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A file that fails outside any test (it does not load, a hook throws) counts as one
  // failure: otherwise a broken suite would read as "0 failed".
  const brokenFiles = r.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed"),
  ).length;
  const failed = r.numFailedTests + brokenFiles;
  let line = `${r.numPassedTests} passed, ${failed} failed`;
  if (skipped > 0) line += `, ${skipped} skipped`;
  console.log(line);
  process.exit(failed > 0 || r.success === false ? 1 : 0);
' "$report") && report_rc=0 || report_rc=$?
cp "$report" "$SHADOW_STATE/vitest.json"
echo "$summary"
if ((vitest_rc != 0)); then exit "$vitest_rc"; fi
exit "$report_rc"
