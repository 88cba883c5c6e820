#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it via executable_path; a test
# tool's own browser download cannot work here). Installed when missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "Chromium is not installed: installing Debian's chromium package..."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "ERROR: chromium could not be installed" >&2; exit 1; }
