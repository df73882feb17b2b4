# shellcheck shell=bash
# The npm dependencies, installed when missing or stale. Sourced by test.sh and demo.sh after
# lib.sh, from the repository root.

# node_modules is stale when a manifest or the lock changed after the last install
# (npm writes node_modules/.package-lock.json on every install).
deps_stale() {
  local stamp=node_modules/.package-lock.json
  [[ -f $stamp ]] || return 0
  [[ -n $(find package-lock.json package.json ./*/package.json services/*/package.json \
    -newer "$stamp" -print -quit 2>/dev/null) ]]
}

install_deps() {
  if [[ -d node_modules ]] && ! deps_stale; then return 0; fi
  if [[ ! -d node_modules || ${CI:-} == true ]]; then
    log "npm ci"
    npm ci --no-audit --no-fund >&2
  else
    log "node_modules is stale: npm install"
    npm install --no-audit --no-fund >&2
  fi
  touch node_modules/.package-lock.json
}

