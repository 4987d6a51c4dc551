"""Write docs/edit.png: the seed open in ``cuecast edit``, as README shows it.

    make shots                       # or: python scripts/dev/shots.py [OUT.png]

Starts ``cuecast edit`` (the default engine, as ``cuecast plan`` plans)
on 127.0.0.1 on a copy of scripts/ named ``scripts`` (so the heading reads
``cuecast edit · scripts`` and nothing is written into the repository),
opens it in Debian's Chromium (/usr/bin/chromium) with playwright at
1280x800, opens the seed, waits until its checks are over (the verdict
``ok`` and no request to the editor for 1.5 s) and the page shows the
total ``cuecast.plan`` gives, the timeline picture and no problems, then
writes the screenshot (caret hidden, animations stopped), re-encoded
losslessly to be small: an indexed PNG when it has at most 256 colours.
Same page, same bytes: the speech is planned from the cache (the first run
synthesises it) and nothing on the page depends on the time or the port.
The README's alt text names the total; tests/test_readme_shots.py checks it
against the plan.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "scripts" / "lower-back-relief.yaml"
OUT = ROOT / "docs" / "edit.png"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
FLAGS = [  # tests/browser.py's, and those that make the raster the same run to run
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--font-render-hinting=none", "--force-color-profile=srgb", "--disable-lcd-text",
    "--disable-font-subpixel-positioning", "--disable-skia-runtime-opts",
    "--disable-partial-raster", "--num-raster-threads=1", "--run-all-compositor-stages-before-draw",
]  # fmt: skip
WAIT_MS = 600_000  # the first run synthesises the seed's speech
QUIET_MS = 1500  # no request to the editor for this long (it checks 450 ms after a change)


def planned_total() -> str:
    """The seed's total as ``cuecast plan`` prints it."""
    import cuecast
    from cuecast.units import clock_text

    return clock_text(cuecast.plan(SEED).length)


def shoot(out: Path, total: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="cuecast-shots-") as tmp:
        folder = Path(tmp) / "scripts"
        shutil.copytree(ROOT / "scripts", folder, ignore=shutil.ignore_patterns("dev"))
        server = subprocess.Popen(
            [sys.executable, "-m", "cuecast.cli", "edit", str(folder), "--host", "127.0.0.1",
             "--port", "0"],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": _path()},
        )  # fmt: skip
        try:
            line = server.stdout.readline() if server.stdout else ""
            link = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", line)
            if not link:
                raise SystemExit(f"cuecast edit printed no link: {line!r}")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(
                    viewport=VIEWPORT,
                    device_scale_factor=1,
                    locale="en-GB",
                    timezone_id="UTC",
                    color_scheme="light",
                    reduced_motion="reduce",
                )
                asked: list[str] = []  # the page's requests to the editor's API, and
                answered: list[str] = []  # those answered (or failed)
                page.on("request", lambda r: asked.append(r.url) if "/api/" in r.url else None)
                for done in ("requestfinished", "requestfailed"):
                    page.on(done, lambda r: answered.append(r.url) if "/api/" in r.url else None)
                page.goto(link.group(0))
                page.locator("#file").select_option(SEED.name)
                expect(page.locator("#status")).to_have_text(f"Opened {SEED.name}")
                while True:  # the page checks on opening and again after a change: the last one
                    expect(page.locator("#check-state")).to_have_text("ok", timeout=WAIT_MS)
                    seen = len(asked)
                    page.wait_for_timeout(QUIET_MS)
                    if len(asked) == seen == len(answered):
                        break
                expect(page.locator("#check-state")).to_have_text("ok")
                expect(page.locator("#total")).to_have_text(total)
                expect(page.locator("#picture svg")).to_have_count(1)
                expect(page.locator("#messages")).to_have_text("No problems.")
                page.evaluate("document.fonts.ready.then(() => true)")
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.mouse.move(0, VIEWPORT["height"] - 1)  # hover nothing
                shot = page.screenshot(animations="disabled", caret="hide")
                browser.close()
        finally:
            server.terminate()
            server.wait(15)
    smaller = small_png(shot)
    tmp_out = out.with_name(f".{out.name}.tmp")
    tmp_out.write_bytes(smaller)
    tmp_out.replace(out)
    print(f"wrote {out} ({len(smaller)} bytes; Chromium's {len(shot)}), total {total}")


def _path() -> str:
    """This checkout's src first, so the server is the code beside this script."""
    return os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))


def small_png(data: bytes) -> bytes:
    """The same pixels as a smaller PNG: indexed when at most 256 colours,
    else RGB; of the filterings below, the one zlib (level 9) packs smallest.
    A screenshot is mostly flat colour and text: no filter at all usually wins."""
    rgb = decode_rgb(data)
    height, width, _ = rgb.shape
    packed = (rgb[..., 0].astype(np.uint32) << 16 | rgb[..., 1].astype(np.uint32) << 8
              | rgb[..., 2])  # fmt: skip
    colours, index = np.unique(packed, return_inverse=True)
    if len(colours) <= 256:
        pixels = index.reshape(height, width, 1).astype(np.uint8)
        palette = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
        header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
        extra = _chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    else:
        pixels, header, extra = rgb, struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0), b""
    idat = min((zlib.compress(raw, 9) for raw in _filterings(pixels)), key=len)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _filterings(pixels: np.ndarray) -> list[bytes]:
    """The image's PNG rows filtered five ways: every row with the same
    filter (None, Sub, Up, Average, Paeth), and each row with the filter
    whose bytes, taken as signed, sum least (the usual heuristic)."""
    height, width, depth = pixels.shape
    rows = pixels.reshape(height, width * depth).astype(np.int16)
    above = np.vstack([np.zeros((1, width * depth), np.int16), rows[:-1]])
    left = np.hstack([np.zeros((height, depth), np.int16), rows[:, :-depth]])
    corner = np.hstack([np.zeros((height, depth), np.int16), above[:, :-depth]])
    guess = left + above - corner
    near_left, near_above = np.abs(guess - left), np.abs(guess - above)
    near_corner = np.abs(guess - corner)
    paeth = np.where((near_left <= near_above) & (near_left <= near_corner), left,
                     np.where(near_above <= near_corner, above, corner))  # fmt: skip
    filtered = [
        (f % 256).astype(np.uint8)
        for f in (rows, rows - left, rows - above, rows - (left + above) // 2, rows - paeth)
    ]
    costs = np.stack([np.abs(f.view(np.int8).astype(np.int32)).sum(axis=1) for f in filtered])
    chosen = costs.argmin(axis=0)
    ways = [[(kind, f[y]) for y in range(height)] for kind, f in enumerate(filtered)]
    ways.append([(int(kind), filtered[kind][y]) for y, kind in enumerate(chosen)])
    return [b"".join(bytes([kind]) + row.tobytes() for kind, row in way) for way in ways]


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def decode_rgb(data: bytes) -> np.ndarray:
    """A PNG's pixels as RGB rows (8 bits, any filter; ffmpeg decodes it)."""
    from imageio_ffmpeg import get_ffmpeg_exe

    width, height = struct.unpack(">II", data[16:24])
    done = subprocess.run([get_ffmpeg_exe(), "-v", "error", "-f", "png_pipe", "-i", "-", "-f",
                           "rawvideo", "-pix_fmt", "rgb24", "-"], input=data,
                          capture_output=True, check=True)  # fmt: skip
    return np.frombuffer(done.stdout, np.uint8).reshape(height, width, 3)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))  # this checkout's cuecast, as the server's
    shoot(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT, planned_total())
