"""docs/model.md's parameter table states the schema's defaults (so the docs cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

from sim.model.config import SimConfig, flat_overrides

DOC = Path(__file__).parent.parent / "docs" / "model.md"


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|", DOC.read_text(encoding="utf-8"), re.M)
    return {key: value.strip() for key, value in rows}


def _text(value) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def test_every_global_knob_is_documented_with_its_default():
    documented = _documented()
    for key, value in flat_overrides(SimConfig()).items():
        assert key in documented, f"{key} missing from docs/model.md"
        assert documented[key] == _text(value), f"{key}: docs say {documented[key]}, schema says {value}"
