"""Rinnalla: a mobile-first PWA for Finnish street-outreach work pairs."""

import os

# Piccolo finds its engine through this module path; set it before any table is imported.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
