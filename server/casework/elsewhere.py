"""What a change of a client's casework means elsewhere: their reminders are planned again, a
closed client's own links end, a crisis visit's pair is reminded to debrief, a referral made
during a visit is recorded with it.

Those domains build on casework (their tables point at its clients), so casework does not import
them: server/wiring.py hands their functions in. Until it has, a change refuses to go through
(RuntimeError) rather than leave a closed client's phone still hearing from us.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class Followers:
    replan: Callable[[int], Awaitable[None]]  # client id: their reminders in step with their casework
    end_links: Callable[[int], Awaitable[int]]  # client id: their own links revoked, their phones forgotten
    remind_to_debrief: Callable[[int, int, datetime], Awaitable[None]]  # pair, team, the crisis's time
    require_service: Callable[[int, str], Awaitable[Any]]  # service id, form field: InvalidInput if none
    insert_referral: Callable[..., Awaitable[int]]  # client, service id, note, visit id, author


_followers: list[Followers] = []


def follow_with(followers: Followers) -> None:
    _followers[:] = [followers]


def _wired() -> Followers:
    if not _followers:
        raise RuntimeError("casework's followers are not wired: call server.wiring.wire() at start")
    return _followers[0]


async def client_changed(client_id: int) -> None:
    await _wired().replan(client_id)


async def client_closed(client_id: int) -> None:
    await _wired().end_links(client_id)


async def crisis_recorded(pair_id: int, team_id: int, at: datetime) -> None:
    await _wired().remind_to_debrief(pair_id, team_id, at)


async def service_to_refer(service_id: int, field: str) -> None:
    """The service a visit's referral names exists and is active (else InvalidInput on `field`)."""
    await _wired().require_service(service_id, field)


async def referred_during_visit(client: dict[str, Any], service_id: int, note: str, visit_pk: int, author: int) -> None:
    """The referral made during a visit, inside the visit's transaction."""
    await _wired().insert_referral(client, service_id, note, visit_pk, author)
