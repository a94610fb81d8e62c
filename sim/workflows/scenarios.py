"""Scenario files for planners: plain, commented YAML in `scenarios/`, using the config's own keys.

A scenario is a mapping of config keys, nested or dotted (`policy: amager`,
`modifiers: {monthly_trial: true}`, `instructor.turnover_annual: 0.6`). It is flattened into
command-line overrides and composed by `sim.workflows.compose`, so an unknown key, a wrong type or a value out
of range is rejected exactly as on the command line. `policy: NAME` selects the policy group; city
entities are addressed by name (`city.teams.ssb_strength.paid_instructor: true`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.keys import flatten_keys
from sim.workflows.compose import compose
from sim.workflows.files import find_yaml, yaml_names

# The project's scenario folder (a checkout or an editable install); ./scenarios is searched first.
PROJECT_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_RESERVED = {"true", "false", "null", "nan", "inf", "none", "yes", "no", "on", "off"}


@dataclass(frozen=True)
class Scenario:
    """A named list of overrides, and the question its file opens with."""

    name: str
    overrides: tuple[str, ...]
    question: str = ""
    path: Path | None = None
    title: str = ""


def folders() -> list[Path]:
    """Where scenario names are looked up, in order."""
    return list(dict.fromkeys([Path.cwd() / "scenarios", PROJECT_SCENARIOS]))


def available() -> list[str]:
    """The names of the scenarios found in the scenario folders."""
    return yaml_names(folders())


def find(name_or_path: str) -> Path:
    """The file of a scenario given by name (`amager_everywhere`) or path (`my/plan.yaml`)."""
    return find_yaml(name_or_path, folders(), "scenario")


TITLE = re.compile(r"#\s*Title:\s*(.+)", re.I)


def _question(text: str) -> str:
    """The file's opening comment paragraph (the question the scenario answers), without its
    `# Title:` line."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if TITLE.match(line):
            continue
        body = line.lstrip("#").strip()
        if not body and lines:
            break
        if body:
            lines.append(body)
    return " ".join(lines)


def _title(text: str, name: str) -> str:
    """A readable name: the opening comment's `# Title: ...` line, else the name spaced out."""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = TITLE.match(line)
        if match:
            return match.group(1).strip()
    return default_title(name)


def default_title(name: str) -> str:
    """A readable name for a scenario without a title: `amager_everywhere` -> `Amager everywhere`."""
    return name.replace("_", " ").strip().capitalize()


def load(name_or_path: str) -> Scenario:
    """Read a scenario file into overrides (not yet validated: see `compose_scenario`)."""
    path = find(name_or_path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise UserError(f"{path}: a scenario is a mapping of config keys (key: value), not a {type(data).__name__}")
    return Scenario(path.stem, tuple(to_overrides(data)), _question(text), path, _title(text, path.stem))


def format_value(value: Any) -> str:
    """A YAML value in Hydra's override syntax (strings quoted unless plainly a word)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_overrides(mapping: Mapping) -> list[str]:
    """A nested mapping of config keys as command-line overrides (`a.b.c=value`)."""
    return [f"{key}={format_value(value)}" for key, value in flatten_keys(mapping)]


def compose_scenario(scenario: Scenario, before: Sequence[str] = (), after: Sequence[str] = ()) -> SimConfig:
    """Compose a scenario's config (defaults `before` it, command-line overrides `after` it)."""
    where = f"scenario {scenario.name}" + (f" ({scenario.path})" if scenario.path else "")
    try:
        return compose([*before, *scenario.overrides, *after])
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
