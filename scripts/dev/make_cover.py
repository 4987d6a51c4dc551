"""Write scripts/studio-cover.png: the studio example's cover, a 512x512
dusk gradient with a soft moon, as a PNG made with zlib and struct only.

    python scripts/dev/make_cover.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIZE = 512
OUT = Path(__file__).resolve().parent.parent / "studio-cover.png"


def pixels() -> np.ndarray:
    """RGB rows: indigo at the top to a warm dusk at the bottom, a pale disc."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    top, bottom = np.array([24, 28, 72]), np.array([232, 142, 96])
    rgb = top + (bottom - top) * (y**1.6)[..., None]
    moon = np.hypot(x - 0.68, y - 0.3)
    glow = np.clip(1.0 - (moon - 0.09) / 0.05, 0.0, 1.0)[..., None]
    rgb = rgb * (1 - glow) + np.array([246, 236, 210]) * glow
    return np.round(rgb).astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    height, width, _ = rgb.shape
    rows = rgb.astype(np.int16)
    sub = np.concatenate([rows[:, :1], np.diff(rows, axis=1)], axis=1) % 256  # filter 1: Sub
    raw = b"".join(b"\x01" + row.astype(np.uint8).tobytes() for row in sub)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    OUT.write_bytes(png(pixels()))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
