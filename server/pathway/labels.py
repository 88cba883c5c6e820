"""Translated words of the path, for the worker's pages and the client's own page."""

from __future__ import annotations

from server.i18n import N_
from server.pathway.reviews import AREA_LABELS

PATH_LABELS: dict[str, dict[str, str]] = {
    "kind": {
        "social_rehabilitation": N_("Social rehabilitation agreement"),
        "other_support": N_("Other support agreement"),
    },
    "agreement_status": {"active": N_("In force"), "ended": N_("Ended"), "discontinued": N_("Discontinued")},
    "goal_status": {
        "open": N_("Open"),
        "progressing": N_("Progressing"),
        "reached": N_("Reached"),
        "dropped": N_("Dropped"),
    },
    "area": AREA_LABELS,
}
