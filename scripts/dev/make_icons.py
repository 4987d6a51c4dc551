"""Write the listener's page's app icons (src/cuecast/web/templates/icon-192.png
and icon-512.png): the studio cover's dusk gradient with a breathing wave,
made with numpy, zlib and struct only (the PNG writer of make_cover.py).

    python scripts/dev/make_icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_cover import png  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "src" / "cuecast" / "web" / "templates"


def pixels(size: int) -> np.ndarray:
    """Indigo to dusk, a pale sine wave across the middle (a breath)."""
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    top, bottom = np.array([24, 28, 72]), np.array([232, 142, 96])
    rgb = top + (bottom - top) * (y**1.4)[..., None]
    wave = 0.55 - 0.12 * np.sin((x - 0.1) * 2 * np.pi)
    near = np.clip(1.0 - (np.abs(y - wave) - 0.025) / 0.012, 0.0, 1.0)
    near *= ((x > 0.12) & (x < 0.88))
    rgb = rgb * (1 - near[..., None]) + np.array([246, 236, 210]) * near[..., None]
    return np.round(rgb).astype(np.uint8)


if __name__ == "__main__":
    for size in (192, 512):
        path = OUT / f"icon-{size}.png"
        path.write_bytes(png(pixels(size)))
        print(f"wrote {path}")
