"""Geometry for the dashboard's inline SVG charts (drawn by web/templates/partials/_charts.html).

No chart library on the phone: bars are rectangles computed here, sized to a 320-unit-wide
viewBox that scales with the screen. Every chart also has a table with the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 320
# Each bar's name stands on its own line above the bar, across the full width: a pair's two names
# ("Aino Virtanen & Pekka Korhonen") fit at 360 px instead of being cut after 20 letters.
LABEL_WIDTH = 0
LABEL_HEIGHT = 14
BAR_HEIGHT = 18
BAR_GAP = 10
ROW = LABEL_HEIGHT + BAR_HEIGHT + BAR_GAP
COLUMN_CHART_HEIGHT = 150
AXIS = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str
    y: float
    width: float

    @property
    def label_y(self) -> float:
        """The baseline of the bar's name, just above the bar."""
        return self.y - 4


def horizontal_bars(items: list[tuple[str, int, str]], scale_to: int | None = None) -> dict[str, Any]:
    """(label, value, link) rows as bars; `scale_to` fixes the axis (e.g. to show a target band)."""
    top = max([scale_to or 0] + [value for _label, value, _href in items]) or 1
    room = WIDTH - LABEL_WIDTH - 40
    bars = [
        Bar(label, value, href, n * ROW + LABEL_HEIGHT, room * value / top)
        for n, (label, value, href) in enumerate(items)
    ]
    return {
        "bars": bars,
        "height": max(1, len(bars)) * ROW,
        "label_width": LABEL_WIDTH,
        "room": room,
        "top": top,
        "bar_height": BAR_HEIGHT,
    }


def band(chart: dict[str, Any], low: int, high: int) -> dict[str, float]:
    """The target range drawn behind caseload bars."""
    scale = chart["room"] / chart["top"]
    return {"x": chart["label_width"] + low * scale, "width": (high - low) * scale}


def stacked_columns(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Known clients (bottom) and anonymous people (top) per week."""
    top = max([w["known"] + w["anonymous"] for w in weeks] + [1])
    plot = COLUMN_CHART_HEIGHT - AXIS
    step = WIDTH / max(1, len(weeks))
    columns = []
    for n, week in enumerate(weeks):
        known_h = plot * week["known"] / top
        anonymous_h = plot * week["anonymous"] / top
        columns.append(
            {
                **week,
                "x": n * step + step * 0.15,
                "width": step * 0.7,
                "known_y": plot - known_h,
                "known_h": known_h,
                "anonymous_y": plot - known_h - anonymous_h,
                "anonymous_h": anonymous_h,
                "label_x": n * step + step / 2,
            }
        )
    return {"columns": columns, "height": COLUMN_CHART_HEIGHT, "plot": plot, "top": top}
