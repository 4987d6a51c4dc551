"""A timeline -> Podcasting 2.0 JSON chapters (version 1.2.0), one chapter
per ``section``, with start and end times in seconds."""

from __future__ import annotations

import json
from typing import Any

VERSION = "1.2.0"
MIME = "application/json+chapters"


def chapters_json(timeline: dict[str, Any], title: str, podcast: str) -> str:
    """The chapters document for a timeline in its JSON form."""
    chapters = [
        {"startTime": event["start"], "endTime": event["end"], "title": event.get("text") or ""}
        for event in timeline.get("events", ())
        if event.get("kind") == "section"
    ]
    document = {"version": VERSION, "title": title, "podcastName": podcast,
                "chapters": chapters}  # fmt: skip
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
