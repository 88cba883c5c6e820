"""A stale client save, shown as a choice: both values side by side for each field that differs.

The edit form carries the version it was read at and, as `base__<field>`, the values it was read
with. When the save turns out stale (someone else saved in between), nothing is written and the
person sees, for every field where their value and the saved value differ, both values:
- a field only they changed starts chosen as theirs ("yours"),
- a field only the other person changed starts chosen as the saved one,
- a field both changed, differently, starts with no choice and must be chosen.
The choice form posts back to the same edit route with the current version, so a third save in
the meantime gives a new choice instead of overwriting it. No JavaScript is needed.
"""

from __future__ import annotations

from typing import Any

from server.i18n import N_

# The fields of the client form, in its order.
FIELDS = (
    "pseudonym",
    "legal_name",
    "birth_year",
    "phone",
    "themes",
    "status",
    "came_from",
    "pair_id",
    "institution",
    "release_date",
    "release_type",
    "consent_data",
    "consent_reminders",
)
LIST_FIELDS = frozenset({"themes"})
FLAG_FIELDS = frozenset({"consent_data", "consent_reminders"})
SIDES = ("mine", "theirs")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value).strip()


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return sorted(str(item) for item in (value if isinstance(value, list) else [value]))


def _flag(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return "1" if isinstance(value, str) and value.lower() in {"1", "true", "on", "yes"} else ""


def normalised(field: str, value: Any) -> Any:
    if field in LIST_FIELDS:
        return _list(value)
    if field in FLAG_FIELDS:
        return _flag(value)
    return _text(value)


def snapshot(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The form's fields from a dict of form values (`prefix` picks e.g. the `base__` copies)."""
    return {field: normalised(field, values.get(prefix + field)) for field in FIELDS}


def stored_snapshot(client: dict[str, Any]) -> dict[str, Any]:
    """The form's fields from a stored client (server.casework.clients.client_detail)."""
    values = {field: client.get(field) for field in FIELDS}
    values.update(
        pair_id=client["pair"],
        consent_data=client["consent_data_at"] is not None,
        consent_reminders=client["consent_reminders_at"] is not None,
    )
    return snapshot(values)


def choices(posted: dict[str, Any], stored: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per field whose posted value differs from the stored one, with a preselected side
    (None: both people changed it, the person must choose)."""
    mine, theirs = snapshot(posted), stored_snapshot(stored)
    has_base = any(key.startswith("base__") for key in posted)
    base = snapshot(posted, "base__") if has_base else None
    rows = []
    for field in FIELDS:
        if mine[field] == theirs[field]:
            continue
        chosen = None
        if base is not None:
            i_changed, they_changed = mine[field] != base[field], theirs[field] != base[field]
            chosen = "mine" if i_changed and not they_changed else "theirs" if they_changed and not i_changed else None
        rows.append({"field": field, "mine": mine[field], "theirs": theirs[field], "chosen": chosen})
    return rows


def is_choice(raw: dict[str, Any]) -> bool:
    return any(key.startswith("choose__") for key in raw)


def resolved(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The posted choice form as a plain edit: each chosen side's value under the field's own name.
    Returns the values and, for fields left unchosen, an error (then nothing is saved)."""
    values = {key: value for key, value in raw.items() if "__" not in key}
    errors: dict[str, str] = {}
    for field in FIELDS:
        if f"mine__{field}" not in raw and f"theirs__{field}" not in raw:
            continue  # not in conflict: the plain hidden value stands
        side = raw.get(f"choose__{field}")
        if side not in SIDES:
            errors[field] = N_("Choose which value to keep.")
            continue
        value = raw.get(f"{side}__{field}", "")
        values[field] = _list(value) if field in LIST_FIELDS else value
    return values, errors


def carry_base(raw: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`values` with the `base__` copies of `raw`, for a save that goes on to another check."""
    return {**values, **{key: value for key, value in raw.items() if key.startswith("base__")}}
