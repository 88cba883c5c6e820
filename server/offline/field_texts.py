"""What the phone's scripts say for the offline copy of the pair's day and the managed queue.

Kept apart from texts.py so the two grow without stepping on each other; merged into the same
JSON block (texts.script_texts).
"""

from __future__ import annotations

from server.i18n import gettext as _
from server.offline.texts import _plural


def field_texts() -> dict[str, object]:
    return {
        "copy_stamp": _("as of %(time)s"),
        "copy_today": _("today"),
        "copy_overdue": _("overdue"),
        "copy_days": _plural("%(num)d day", "%(num)d days"),
        "copy_release_in": _plural("Release in %(num)d day", "Release in %(num)d days"),
        "copy_released_today": _("Released today"),
        "copy_no_appointment": _("None booked"),
        "copy_next": _("next %(when)s"),
        "copy_followups": _plural("%(num)d open follow-up", "%(num)d open follow-ups"),
        "other_users_waiting": _plural(
            "%(num)d entry of another user is waiting on this phone. It is sent once they log in here again.",
            "%(num)d entries of another user are waiting on this phone. They are sent once that user logs in "
            "here again.",
        ),
        "state_held": _("Kept back while you edit it"),
        "edit_waiting": _("This visit has not been sent yet. Change it and save: only the new version is sent."),
        "edit_locked": _(
            "This visit opens for editing when the phone has network and you are logged in. Until "
            "you save it, it is kept back and not sent."
        ),
        "kind_referral": _("Referral: %(service)s"),
        "choose_client": _("Choose the client to refer."),
        "referral_queued": _(
            "No network: the referral is saved on this phone and will be made when the connection returns."
        ),
    }
