"""CSV downloads that a spreadsheet opens as data, never as formulas (ASVS 1.2.10)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from litestar import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula starts with a quote instead."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_response(rows: Iterable[Iterable[Any]], file_stem: str) -> Response:
    """RFC 4180 quoting, every cell neutralised; the file name is made by the server, never typed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_stem}.csv"', "Cache-Control": "no-store"},
    )
