"""What a change of a client's casework means elsewhere: their reminders are planned again, a
closed client's own links end, a crisis visit's pair is reminded to debrief.

Those domains build on casework (their tables point at its clients), so casework does not import
them: server/wiring.py hands their functions in. Until it has, a change refuses to go through
(RuntimeError) rather than leave a closed client's phone still hearing from us.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass
class Followers:
    replan: Callable[[int], Awaitable[None]]  # client id: their reminders in step with their casework
    end_links: Callable[[int], Awaitable[int]]  # client id: their own links revoked, their phones forgotten
    remind_to_debrief: Callable[[int, int, datetime], Awaitable[None]]  # pair, team, the crisis's time


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
