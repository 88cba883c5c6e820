#!/usr/bin/env bash
# A PostgreSQL server on 127.0.0.1:5432 for the test suite: start it when it is installed but
# stopped, install it from Debian's packages when missing, and make sure the test role exists.
# Fails loudly when no PostgreSQL can be had: the suite never skips PostgreSQL silently.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: installing it from Debian's packages..."
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! ready; then
  echo "PostgreSQL is stopped: starting it..."
  for version in $(ls /etc/postgresql 2>/dev/null); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi

if ! ready; then
  echo "ERROR: no PostgreSQL server answers on 127.0.0.1:5432 and none could be started." >&2
  echo "       The test suite runs against SQLite AND PostgreSQL; it will not skip PostgreSQL." >&2
  exit 1
fi

# The suite connects as role rinnalla_test (password auth works with trust and scram alike).
as_superuser() {
  if psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
  else
    $SUDO runuser -u postgres -- psql -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
  fi
}
if [ "$(as_superuser "SELECT 1 FROM pg_roles WHERE rolname = 'rinnalla_test'")" != "1" ]; then
  as_superuser "CREATE ROLE rinnalla_test LOGIN CREATEDB PASSWORD 'rinnalla_test'" >/dev/null
fi
