"""The prior values (the defaults before any calibration) are MODEL.md §8's table.

MODEL.md lives outside the repository (`../shared/MODEL.md` from the repository root; in CI a copy of
`shared/` sits beside the clone). Every value of the table is compared with the prior config; a value
may differ only if it is on `DIFFERENCES` with the reason docs/model.md gives.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from pathlib import Path

from sim.model.config import SimConfig
from sim.model.keys import get_key
from sim.workflows.compose import compose
from tests.conftest import skip_unless_ci

ROOT = Path(__file__).parents[2]
SPEC = ROOT.parent / "shared" / "MODEL.md"
DOC = ROOT / "docs" / "model.md"

# Rows of §8 that name no key in backticks, and the key that holds their value (docs/model.md,
# "Assumptions added to MODEL.md": MODEL.md gives the value, not the key).
UNNAMED = {"facility quality q": "club.facility_quality"}
# Keys of §8 whose entry is not one default value (it lists the choices), so there is nothing to compare.
NOT_A_VALUE = {"policy"}
# Deliberate differences from §8: key -> a phrase of docs/model.md that says why. None today.
DIFFERENCES: dict[str, str] = {}


def prior_config() -> SimConfig:
    """The prior config: the defaults are calibrated (docs/calibration.md); the priors
    stay reachable as `params=prior`."""
    return compose(["params=prior"])


def _section_8() -> str:
    if not SPEC.exists():
        skip_unless_ci(f"{SPEC} not found: MODEL.md §8 is outside the repository (shared/ beside the clone)")
    text = SPEC.read_text(encoding="utf-8")
    return text[text.index("## 8.") :]


def _number(word: str):
    word = word.replace("−", "-")
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    try:
        return float(word)
    except ValueError:
        return word


def spec_table() -> dict[str, object]:
    """{key: default} from §8's table; per-entity values in parentheses come as extra entries
    `vanlose_partner_club.<key>`, a diagnosis list as a dict."""
    out: dict[str, object] = {}
    for line in _section_8().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("key", "---"):
            continue
        keys = re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", cells[0])) or [UNNAMED[cells[0]]]
        if keys[0] in NOT_A_VALUE:
            continue
        notes = re.findall(r"\(([^)]*)\)", cells[1])
        value = re.sub(r"\([^)]*\)", "", cells[1]).strip()
        if "," in value:  # "at_risk 0.40, diabetes 0.25, ..."
            (key,) = keys
            out[key] = {name: _number(v) for name, v in (p.split() for p in value.split(","))}
            continue
        parts = [p.split()[0] for p in value.split(" / ")]
        assert len(parts) == len(keys), f"MODEL.md §8 row {cells[0]}: {len(keys)} keys, {len(parts)} values"
        out.update(zip(keys, map(_number, parts), strict=True))
        for note in notes:
            partner = re.fullmatch(r"Vanløse partner club: ([\d.]+)", note)
            if partner:
                out[f"vanlose_partner_club.{keys[0]}"] = float(partner.group(1))
    return out


def _value(cfg: SimConfig, key: str):
    if key.startswith("vanlose_partner_club."):  # the per-entity value of the club named in §8
        club = cfg.city.teams[cfg.city.centres["vanlose"].partner_team].association
        return getattr(cfg.city.associations[club], key.split(".")[-1])
    value = get_key(cfg, key)
    return value.value if isinstance(value, Enum) else value


def _same(spec, value) -> bool:
    if isinstance(spec, dict):
        return set(spec) == set(value) and all(_same(v, value[k]) for k, v in spec.items())
    if isinstance(spec, float) and not isinstance(value, bool):
        return value is not None and math.isclose(spec, value)
    return spec == value


def test_the_parser_reads_the_whole_table():
    table = spec_table()
    assert len(table) > 80, "MODEL.md §8's table was not parsed"
    assert table["handover.intercept"] == -4.6 and table["run.engine"] == "vector"
    assert table["vanlose_partner_club.club.facility_quality"] == 0.3
    assert table["citizen.diagnosis_offset"]["copd"] == -0.8


def test_prior_values_are_model_md_section_8():
    cfg, doc = prior_config(), DOC.read_text(encoding="utf-8")
    differ = {key: (spec, _value(cfg, key)) for key, spec in spec_table().items() if not _same(spec, _value(cfg, key))}
    unexplained = {k: v for k, v in differ.items() if k not in DIFFERENCES}
    assert not unexplained, "prior differs from MODEL.md §8 (spec, code): " + "; ".join(
        f"{k}: {v}" for k, v in unexplained.items())
    for key, reason in DIFFERENCES.items():
        assert key in differ, f"{key} is listed as a difference but equals MODEL.md §8: drop it from DIFFERENCES"
        assert reason in doc, f"{key}: docs/model.md does not say {reason!r}"
