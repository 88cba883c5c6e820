"""Geometry of the review progress chart: per life area, the first review's score (light) above
the latest's (dark) on a 1–5 scale, in the dashboard charts' 320-unit viewBox (no script, no
inline style: the template draws rectangles with these numbers)."""

from __future__ import annotations

from typing import Any

from server.web.charts import WIDTH

LABEL_WIDTH = 134
BAR = 9
GAP = 2
ROW = 2 * BAR + GAP + 9
MAX_SCORE = 5


def progress_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    room = WIDTH - LABEL_WIDTH - 16
    bars = []
    for n, row in enumerate(rows):
        y = n * ROW
        bars.append(
            {
                **row,
                "y": y,
                "first_w": room * (row["first"] or 0) / MAX_SCORE,
                "latest_w": room * (row["latest"] or 0) / MAX_SCORE,
                "latest_y": y + BAR + GAP,
            }
        )
    return {
        "bars": bars,
        "height": max(1, len(bars)) * ROW,
        "label_width": LABEL_WIDTH,
        "bar": BAR,
        "ticks": [{"x": LABEL_WIDTH + room * n / MAX_SCORE, "n": n} for n in range(1, MAX_SCORE + 1)],
    }
