"""What the phone's scripts say, translated on the server (gettext) and handed to them as data.

Plurals go as the one/other pair of the current language ("%(num)d" left in for the script):
Finnish, Swedish and English all choose between those two by n == 1.
"""

from __future__ import annotations

from server.i18n import gettext as _
from server.i18n import ngettext


def _plural(singular: str, plural: str) -> dict[str, str]:
    return {"one": ngettext(singular, plural, 1), "other": ngettext(singular, plural, 2)}


def script_texts() -> dict[str, object]:
    return {
        "waiting": _plural("Saved on this phone: %(num)d waiting", "Saved on this phone: %(num)d waiting"),
        "attention": _plural("%(num)d visit needs your attention", "%(num)d visits need your attention"),
        "saved_offline": _(
            "No network: the visit is saved on this phone and will be sent when the connection returns."
        ),
        "saved_login": _(
            "Your session has ended: the visit is saved on this phone and will be sent after you log in again."
        ),
        "saved_retry": _(
            "The server could not take the visit just now: it is saved on this phone and will be sent again shortly."
        ),
        "no_user": _("Log in once with network on this phone before logging visits offline."),
        "logout_confirm": _plural(
            "%(num)d visit is still waiting on this phone. It stays sealed for you and is sent when you log in "
            "again. Log out anyway?",
            "%(num)d visits are still waiting on this phone. They stay sealed for you and are sent when you log "
            "in again. Log out anyway?",
        ),
        "delete_confirm": _("Delete this visit from the phone? It has not reached the server and cannot be recovered."),
        "anonymous": _plural("Anonymous contact: %(num)d person", "Anonymous contact: %(num)d people"),
        "group": _plural("Group activity: %(num)d client", "Group activity: %(num)d clients"),
        "client_unknown": _("Client no. %(num)d"),
        "state_waiting": _("Waiting to be sent"),
        "state_needs_fix": _("Needs fixing"),
        "state_blocked": _("Could not be sent"),
        "state_sealed": _("Cannot be opened on this phone any more"),
        "state_locked": _("Log in to see this visit"),
        "blocked_404": _(
            "The client is not in your team's lists any more. Check the client, then fix or delete the visit."
        ),
        "blocked_409": _("This visit's id belongs to another visit. Delete it and log the visit again."),
        "blocked_other": _("The server refused this visit."),
        "draft_errors": _("Fix these and save again:"),
        # Client edits through the queue (web/static/js/client-edits.js).
        "state_needs_choice": _("Needs a choice"),
        "needs_choice_help": _(
            "Someone else changed this client meanwhile. Open the change to choose which values "
            "to keep; nothing is lost."
        ),
        "choose": _("Choose"),
        "client_saved_offline": _(
            "No network: the change is saved on this phone and will be sent when the connection returns."
        ),
        "push_on": _("Reminders are on for this phone."),
        "push_off": _("Reminders are off on this phone."),
        "push_denied": _(
            "Notifications are blocked for Rinnalla in this phone's settings. Allow them there, then try again."
        ),
        "push_unsupported": _(
            "This browser cannot show reminders. On an iPhone, add Rinnalla to the Home Screen "
            "first and open it from there."
        ),
        "push_failed": _("Turning reminders on did not work. Check the network and try again."),
        **_field_texts(),
    }


def _field_texts() -> dict[str, object]:
    from server.offline.field_texts import field_texts  # it uses _plural from here

    return field_texts()
