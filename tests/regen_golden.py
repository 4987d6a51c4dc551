"""Rewrite tests/golden/*.json from the current planner: ``make golden``."""

from __future__ import annotations

from tests.golden_cases import CASES, GOLDEN, golden_json

if __name__ == "__main__":
    for name, path in CASES.items():
        (GOLDEN / f"{name}.json").write_text(golden_json(path), encoding="utf-8")
        print(f"wrote tests/golden/{name}.json")
