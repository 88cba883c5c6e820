"""Draws the app icons (two figures side by side: "rinnalla", alongside) as PNG files.

Standard library only; run once when the design changes:
    python scripts/make_icons.py web/static/icons
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

NAVY = (0, 0, 94)
WHITE = (255, 255, 255)
LIGHT_BLUE = (159, 201, 235)
OVERLAP = (92, 130, 190)
SUBSAMPLES = 4  # per axis: smooth edges without an imaging library


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _colour_at(x: float, y: float, scale: float) -> tuple[int, int, int]:
    """Two overlapping circles on navy; `scale` shrinks the figure into a maskable safe zone."""

    def inside(cx: float, cy: float, r: float) -> bool:
        return (x - 0.5 - (cx - 0.5) * scale) ** 2 + (y - 0.5 - (cy - 0.5) * scale) ** 2 <= (r * scale) ** 2

    left, right = inside(0.39, 0.5, 0.22), inside(0.61, 0.5, 0.22)
    if left and right:
        return OVERLAP
    if left:
        return WHITE
    if right:
        return LIGHT_BLUE
    return NAVY


def draw(size: int, scale: float) -> bytes:
    rows = []
    step = 1 / (size * SUBSAMPLES)
    for py in range(size):
        row = bytearray()
        for px in range(size):
            total = [0, 0, 0]
            for sy in range(SUBSAMPLES):
                for sx in range(SUBSAMPLES):
                    colour = _colour_at((px * SUBSAMPLES + sx + 0.5) * step, (py * SUBSAMPLES + sy + 0.5) * step, scale)
                    total = [t + c for t, c in zip(total, colour, strict=False)]
            row.extend(round(t / SUBSAMPLES**2) for t in total)
        rows.append(bytes(row))
    return _png(size, size, rows)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "icon-192.png").write_bytes(draw(192, 1.0))
    (out / "icon-512.png").write_bytes(draw(512, 1.0))
    # Maskable icons are cropped to a circle of 80 % of their width: keep the figure inside it.
    (out / "icon-maskable-512.png").write_bytes(draw(512, 0.72))
    (out / "apple-touch-icon-180.png").write_bytes(draw(180, 0.9))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "web/static/icons"))
