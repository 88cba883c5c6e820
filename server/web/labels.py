"""Translated labels for stored slugs (themes, statuses, kinds…), in one place for every page.

Msgids are marked with N_ so extraction finds them; `label(kind, slug)` translates at render time
into the request's language. Unknown slugs are shown as they are.
"""

from __future__ import annotations

from server.i18n import N_
from server.i18n import gettext as _

LABELS: dict[str, dict[str, str]] = {
    "theme": {
        "housing": N_("Housing"),
        "finances": N_("Finances and debt"),
        "substances": N_("Substance use"),
        "gambling": N_("Gambling"),
        "crime": N_("Crime and desistance"),
        "mental_health": N_("Mental health"),
        "independent_living": N_("Independent living"),
        "learning": N_("Learning difficulties"),
        "authorities": N_("Dealing with authorities"),
        "peer_support": N_("Peer support"),
        "employment": N_("Work and study"),
        "health": N_("Health"),
    },
    "status": {"active": N_("Active"), "paused": N_("Paused"), "closed": N_("Closed")},
    "release_type": {
        "full_release": N_("Full release"),
        "supervised_probationary_freedom": N_("Supervised probationary freedom"),
        "parole": N_("Parole"),
    },
    "visit_kind": {
        "street": N_("Street outreach"),
        "office": N_("Office"),
        "home": N_("Home visit"),
        "prison": N_("Prison"),
        "accompanying": N_("Accompanying to an authority"),
        "remote": N_("Phone or online"),
        "group": N_("Group activity"),
        "network_meeting": N_("Network meeting"),
    },
    # The release plan (vapautumissuunnitelma): what must be ready before the release day.
    "release_item": {
        "housing": N_("A place to live on the release night"),
        "livelihood": N_("Kela and social assistance application"),
        "id_card": N_("ID card"),
        "bank_account": N_("Bank account"),
        "care": N_("Continued substance-use or health care"),
        "probation_office": N_("Meeting at the probation office (supervised probationary freedom)"),
        "gate": N_("Who meets the client at the gate"),
        "first_meeting": N_("First meeting after release"),
    },
    "release_item_short": {"housing": N_("housing"), "livelihood": N_("livelihood"), "gate": N_("gate meeting")},
    "release_state": {"todo": N_("To do"), "done": N_("Done"), "not_needed": N_("Not needed")},
    "role": {
        "professional": N_("Professional"),
        "experience_expert": N_("Experience expert"),
        "lead": N_("Team lead"),
        "admin": N_("Administrator"),
    },
    "action": {
        "peer_support": N_("Peer support"),
        "service_guidance": N_("Service guidance"),
        "accompanying": N_("Accompanying"),
        "practical_help": N_("Practical help"),
        "crisis": N_("Crisis work"),
    },
    "came_from": {
        "prison": N_("Prison"),
        "probation_office": N_("Probation office"),
        "adult_social_work": N_("Adult social work"),
        "substance_services": N_("Substance services"),
        "street": N_("Street"),
        "self": N_("Came by themselves"),
    },
    "service_category": {
        "housing": N_("Housing"),
        "substances": N_("Substance use"),
        "mental_health": N_("Mental health"),
        "benefits": N_("Benefits"),
        "debt": N_("Debt"),
        "criminal_sanctions": N_("Criminal sanctions"),
        "health": N_("Health"),
        "employment": N_("Work and study"),
        "crisis": N_("Crisis help"),
        "food_and_shelter": N_("Food and shelter"),
        "peer_support": N_("Peer support"),
        "youth": N_("Young people"),
    },
    "referral_status": {
        "referred": N_("Referred"),
        "contacted": N_("In contact with the service"),
        "attended": N_("Got there"),
        "not_attended": N_("Did not get there"),
        "cancelled": N_("Cancelled"),
    },
    # A button that moves a referral to the status: what the worker says happened.
    "referral_step": {
        "contacted": N_("Contact made"),
        "attended": N_("Got there"),
        "not_attended": N_("Did not get there"),
        "cancelled": N_("Cancel"),
    },
    "drill": {
        "active": N_("Active clients"),
        "overdue": N_("Clients with overdue follow-ups"),
        "no_contact": N_("Clients out of touch"),
        "releases30": N_("Releases in the next 30 days"),
        "releases90": N_("Releases in the next 90 days"),
        "referral": N_("Referrals"),
        "theme": N_("Clients met about a theme"),
        "no_release_plan": N_("Releases in 30 days without a plan"),
    },
    "period": {"4": N_("4 weeks"), "8": N_("8 weeks"), "13": N_("3 months"), "26": N_("6 months"), "52": N_("a year")},
    "hours_activity": {
        "preparation": N_("Preparation"),
        "group_facilitation": N_("Group facilitation"),
        "client_work": N_("Client meetings and support-person work"),
        "meeting": N_("Meeting"),
        "demanding_meeting": N_("Demanding meeting"),
        "working_group": N_("Working group"),
        "lecture": N_("Seminar or lecture"),
        "demanding_event": N_("Demanding event"),
        "observation": N_("Observation, interview or audit"),
    },
    "pay_basis": {"salary": N_("Salary"), "fee": N_("Fee"), "volunteer": N_("Volunteer")},
    "saved": {
        "referral": N_("Referral saved."),
        "visit": N_("Visit saved."),
        "client": N_("Client saved."),
        "followup": N_("Follow-up added."),
        "appointment": N_("Appointment added."),
        "release_plan": N_("Release plan saved."),
        "agreement": N_("Agreement saved."),
        "goal": N_("Goal changed."),
        "review": N_("Review saved."),
    },
    # The use log and the disclosure log, as the client's log report names them.
    "use": {
        "read": N_("Viewed"),
        "create": N_("Recorded"),
        "update": N_("Changed"),
        "delete": N_("Deleted"),
        "search": N_("Found in a search"),
        "export": N_("Exported"),
        "status": N_("Status changed"),
        "report": N_("Log report made"),
    },
    "basis": {
        "team": N_("Client of the worker's team"),
        "break_glass": N_("Opened from another team, with a reason"),
        "org_search": N_("Search across teams (name and team only)"),
        "system": N_("Server administration"),
        "refused": N_("Refused: not a client of their team"),
        "admin": N_("Administrator's view of every team (lists only)"),
        "admin_reason": N_("Administrator, with a reason"),
        "client_agreed": N_("Agreed with the client (referral)"),
        "worker_calendar": N_("The worker's own calendar"),
        "lead_export": N_("Team lead's caseload export"),
    },
    "recipient": {
        "calendar_file": N_("Calendar file (.ics)"),
        "calendar_feed": N_("The worker's calendar feed"),
        "caseload_csv": N_("Caseload spreadsheet (CSV)"),
    },
    "data_category": {
        "identity": N_("Name and contact"),
        "appointments": N_("Appointment times"),
        "caseload": N_("Caseload details"),
        "referral": N_("Referral to a service"),
    },
    "outcome": {"ok": N_("Done"), "denied": N_("Refused")},
}


def label(kind: str, slug: str | None) -> str:
    msgid = LABELS[kind].get(slug or "")
    return _(msgid) if msgid else (slug or "")


def template_globals() -> dict:
    """`theme_label(slug)`, `status_label(slug)`, … for the templates."""
    return {f"{kind}_label": (lambda slug, kind=kind: label(kind, slug)) for kind in LABELS}
