#!/usr/bin/env bash
# The whole suite against SQLite and PostgreSQL, side by side (two cores: one run each).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p .test-data
RINNALLA_TEST_DB=sqlite   $PY -m pytest -q -p no:cacheprovider "$@" > .test-data/sqlite.log 2>&1 &
sqlite_pid=$!
RINNALLA_TEST_DB=postgres $PY -m pytest -q -p no:cacheprovider "$@" > .test-data/postgres.log 2>&1 &
postgres_pid=$!
wait $sqlite_pid; sqlite_rc=$?
wait $postgres_pid; postgres_rc=$?
echo "===== SQLite ====="; cat .test-data/sqlite.log
echo "===== PostgreSQL ====="; cat .test-data/postgres.log
if [ $sqlite_rc -ne 0 ] || [ $postgres_rc -ne 0 ]; then
  echo "FAILED: sqlite exit $sqlite_rc, postgres exit $postgres_rc" >&2
  exit 1
fi
