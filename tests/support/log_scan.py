"""What must never be in a log: emails, the pseudonyms and notes the tests type, tokens of client
links and calendar feeds, push endpoints and keys. Scanned over the whole suite's log."""

from __future__ import annotations

import os
import re

PATTERNS = {
    "email": re.compile(r"[\w.+-]+@(example\.org|demo\.rinnalla\.fi|bench\.fi)"),
    "pseudonym or note": re.compile(r"\b(Kettu|Make|Kova ilta|velat puheeksi|Soita Kelaan|Puhuttiin läpi)\b"),
    "client link token": re.compile(r"/r/[A-Za-z0-9_-]{20,}"),
    "calendar token": re.compile(r"/calendar/[A-Za-z0-9_-]{20,}"),
    "push endpoint": re.compile(r"/push/p\d+-[0-9a-f]+|fcm\.googleapis\.com/fcm/send/\w|p256dh"),
}


def personal_data_in(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    found = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, 1):
            for what, pattern in PATTERNS.items():
                if pattern.search(line):
                    found.append(f"line {number} ({what}): {line.strip()[:200]}")
    return found
