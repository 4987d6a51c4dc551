"""A tiny catalogue for the publish tests: three short tracks spoken by
pyttsx3 (fast), two clients."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = "https://example.com/desk/"

ALPHA = """\
title: Alpha
description: A tiny routine with two sections.
vars: {hold: 2s}
profiles: {gentle: {hold: 1s}}
steps:
  - section: Start
  - say: Hello.
  - hold: $hold
    breathe: 1-1
  - section: End
  - say: Bye.
"""

BETA = """\
title: Beta
steps:
  - say: Just one line.
"""

CATALOGUE = f"""\
series:
  title: Test Series
  author: Tester
  description: Three short tracks.
  link: {LINK}
  cover: cover.png
  owner: {{name: Test Studio, email: studio@example.com}}
  category: Health & Fitness/Fitness
defaults: {{engine: pyttsx3, captions: [vtt]}}
tracks:
  - script: alpha.yaml
    published: 2026-11-02
  - script: alpha.yaml
    profile: gentle
    title: Alpha (gentle)
  - script: beta.yaml
clients:
  - id: anna
    name: Anna K.
    tracks: [alpha]
  - id: ben
"""


def make_catalogue(folder: Path, catalogue: str = CATALOGUE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alpha.yaml").write_text(ALPHA)
    (folder / "beta.yaml").write_text(BETA)
    shutil.copy(ROOT / "scripts" / "studio-cover.png", folder / "cover.png")
    path = folder / "catalogue.yaml"
    path.write_text(catalogue)
    return path
