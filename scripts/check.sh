#!/usr/bin/env bash
# Static checks run by `make test` before the test suite: the type checker over server/ and the
# JavaScript linter over web/static/js and the service worker. Every tool runs (one summary line
# each); the script fails when any of them found something.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
failed=()

run() {  # run <name> <command...>: the tool's own output only when it fails
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then
    echo "check: $name ok"
  else
    echo "$out"
    echo "check: $name FAILED (exit $rc)"
    failed+=("$name")
  fi
}

# Lint and format: settings in pyproject.toml [tool.ruff] (migrations are Piccolo's, left out).
run "ruff check" "$PY" -m ruff check .
run "ruff format" "$PY" -m ruff format --check .

# Type checker: settings in pyproject.toml [tool.mypy].
run "mypy" "$PY" -m mypy

# JavaScript linter: ESLint pinned by package-lock.json, installed into node_modules/ when missing
# or older than the lock file. Node.js and npm come from the system packages when missing.
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed: installing Debian's nodejs and npm packages..."
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x node_modules/.bin/eslint ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || { echo "check: eslint FAILED (npm ci)"; exit 1; }
fi
run "eslint" node_modules/.bin/eslint --max-warnings 0 web/static/js web/static/sw.js web/templates/link_sw.js

if [ ${#failed[@]} -ne 0 ]; then
  echo "check: FAILED: ${failed[*]}" >&2
  exit 1
fi
