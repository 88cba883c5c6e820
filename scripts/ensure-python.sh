#!/usr/bin/env bash
# Python 3.11+ with venv: install Debian's packages when missing (fresh machine).
set -euo pipefail
if python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  exit 0
fi
echo "Installing Python 3 with venv from Debian's packages..."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
