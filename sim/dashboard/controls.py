"""What a planner decides on the Plan page: one table of controls, each a config key of the command line.

A plan is a scenario file plus the controls the planner changed. Changed controls become overrides
(`instructor.turnover_annual=0.6`) and are composed by the same code as `sim.compare`
(`sim.workflows.scenarios.compose_scenario`), so a bad value gets the command line's one-line message. Units
come from this table; allowed ranges come from the schema (`sim.model.config.RANGES`), never restated here.
"""

from __future__ import annotations

import re
import textwrap
import threading
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sim.errors import UserError
from sim.model.config import POLICIES, RANGES, PolicyName, SimConfig
from sim.model.keys import field_of, get_key, nest_keys
from sim.present.labels import association_label, centre_label
from sim.workflows.compare import DEFAULTS, compose_compared
from sim.workflows.compose import compose
from sim.workflows.files import slug
from sim.workflows.scenarios import Scenario, load

# The dashboard's own defaults before any scenario: the vector engine, 200 replications, no
# terminal progress bar (the page has its own).
DASHBOARD_DEFAULTS = (*DEFAULTS, "run.engine=vector", "run.replications=200", "run.progress=false")
REPORT, MONEY, INTAKE = "The report's recommendations", "Who pays", "Intake"
WHOLE_CITY = tuple(p.value for p in PolicyName)  # mixed: each centre its own model


@dataclass(frozen=True)
class Control:
    """One input: its config key, label, unit and kind (bool, number or choice), and its section."""

    key: str
    label: str
    unit: str = ""
    kind: str = "number"  # number | bool | choice
    section: str = "Handover model"
    choices: tuple[str, ...] = ()
    note: str = ""


def get(cfg: SimConfig, key: str) -> Any:
    """The value of a control's key in a composed config (enums as their names); KeyError if unknown."""
    value = get_key(cfg, "policy.name" if key == "policy" else key)
    return value.value if isinstance(value, Enum) else value


def allowed(cfg: SimConfig, control: Control) -> str:
    """The allowed values, as the schema states them."""
    if control.kind == "choice":
        return "one of " + ", ".join(control.choices)
    if control.kind == "bool":
        return "yes or no"
    rng = field_of(cfg, control.key)[1].metadata.get("range")
    return RANGES[rng][0] if rng in RANGES else "any value"


def controls(cfg: SimConfig) -> list[Control]:
    """Every control of the Plan page, for the city of `cfg` (per-centre controls by centre; the
    partner clubs and teams by the names people use)."""
    city = cfg.city
    centres = [(centre_label(cfg, name), name, c.partner_team) for name, c in city.centres.items()]
    out = [Control("policy", "Handover model", kind="choice", choices=WHOLE_CITY,
                   note="'mixed': each centre its own model below; otherwise one model everywhere")]
    out += [Control(centre_policy(name), f"Model at {label}", kind="choice", choices=POLICIES,
                    note="used when the handover model is 'mixed'") for label, name, _ in centres]
    out += [
        Control("trial_cohorts", "Cohorts per centre on the centre's model (then trial sessions only)", "cohorts",
                note="used when the handover model is 'mixed'"),
        Control("modifiers.team_visit", "Team visit during the programme", kind="bool", section=REPORT),
        Control("modifiers.club_presentation", "Club presentation during the programme", kind="bool",
                section=REPORT),
        Control("modifiers.monthly_trial", "Monthly trial sessions in the partner club", kind="bool", section=REPORT),
    ]
    out += [Control(f"city.associations.{city.teams[team].association}.has_cafe",
                    f"Café at {association_label(cfg, city.teams[team].association)} ({label}'s partner club)",
                    kind="bool", section="Partner clubs") for label, _, team in centres]
    out += [Control(f"city.teams.{team}.paid_instructor",
                    f"Paid instructor on {label}'s partner team ({association_label(cfg, city.teams[team].association)}"
                    f"{', ' + city.teams[team].activity if city.teams[team].activity else ''})", kind="bool",
                    section="Partner clubs") for label, _, team in centres]
    out += [
        Control("economics.municipality_pays_wages", "The municipality pays the wages (else the club)", kind="bool",
                section=MONEY),
        Control("economics.wage_week", "Paid instructor's wage", "DKK per week", section=MONEY),
        Control("economics.subsidy_week", "Subsidy to every team", "DKK per team per week", section=MONEY),
        Control("intake.citizens_per_year", "Citizens starting a programme per year", "citizens per year",
                section=INTAKE),
        Control("intake.years", "Years of intake", "years", section=INTAKE),
        Control("intake.cohort_size", "Citizens per cohort", "citizens", section=INTAKE),
        Control("intake.waves", "Intake waves (new cohorts at every centre)", "waves", section=INTAKE),
        Control("instructor.turnover_annual", "Instructor turnover", "share per year", section="Assumptions"),
        Control("instructor.replacement_weeks", "Time to replace a volunteer instructor", "weeks",
                section="Assumptions"),
        Control("instructor.pool", "Trained instructors for new teams", "instructors", section="Assumptions"),
        Control("run.replications", "Replications", "runs", section="Run"),
        Control("run.seed", "Seed", "", section="Run"),
    ]
    return out


def centre_policy(centre: str) -> str:
    """The key of a centre's own handover model (used when the whole city's is `mixed`)."""
    return f"city.centres.{centre}.policy"


def is_centre_policy(key: str) -> bool:
    return key.startswith("city.centres.") and key.endswith(".policy")


def shown(cfg: SimConfig, control: Control) -> Any:
    """The input a control shows for a config: its value, except that a centre's own model shows the
    whole city's where that is not `mixed` (the centre then runs the whole city's model)."""
    whole_city = get(cfg, "policy")
    if is_centre_policy(control.key) and whole_city != PolicyName.mixed.value:
        return whole_city
    return to_input(control, get(cfg, control.key))


def to_input(control: Control, value: Any) -> Any:
    """A config value as the page's input holds it (checklists hold a list, numbers are text)."""
    if control.kind == "bool":
        return ["yes"] if value else []
    if control.kind == "choice":
        return value
    return "" if value is None else str(value)


def from_input(control: Control, value: Any) -> str:
    """The input's value in override syntax (text goes through as typed, like the command line, except
    that a number typed with a decimal comma, as Danish planners write it, is read as a decimal)."""
    if control.kind == "bool":
        return "true" if value else "false"
    text = "" if value is None else str(value).strip()
    if not text:
        raise UserError(f"{control.key}: no value given")
    if control.kind == "number" and _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    return text


def _same(control: Control, base: Any, value: Any) -> bool:
    if control.kind == "bool":
        return bool(value) == bool(base)
    return str(to_input(control, base)) == (str(value).strip() if value is not None else "")


def _changed(base: SimConfig, values: dict[str, Any]) -> list[Control]:
    """The controls whose input differs from the scenario's own value, in table order (a centre's own
    model only where the whole city's is `mixed`: otherwise it is not used)."""
    by_key = {c.key: c for c in controls(base)}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise UserError(f"{unknown[0]}: no control of the plan page sets this key")
    mixed = values.get("policy", get(base, "policy")) == PolicyName.mixed.value
    return [by_key[key] for key, v in values.items()
            if not (is_centre_policy(key) and not mixed) and not _same(by_key[key], get(base, key), v)]


def changes(base: SimConfig, values: dict[str, Any]) -> list[str]:
    """Overrides for the controls whose input differs from the scenario's own value."""
    return [f"{c.key}={from_input(c, values[c.key])}" for c in _changed(base, values)]


def in_words(control: Control, value: Any) -> str:
    """A changed control as a planner reads it: "Café at Idræt i Dagtimerne (Nørrebro's partner club)",
    "Model at Østerbro: amager", "Instructor turnover: 0.6 share per year"."""
    if control.kind == "bool":
        return control.label if value else f"{control.label}: no"
    unit = f" {control.unit}" if control.unit and control.kind == "number" else ""
    return f"{control.label}: {str(value).strip()}{unit}"


# Hydra's compose API keeps global state: the page's request threads compose one at a time.
_COMPOSING = threading.Lock()


@lru_cache(maxsize=64)
def base_config(scenario: Scenario, after: tuple[str, ...] = ()) -> SimConfig:
    """A scenario composed as the dashboard runs it (overrides `after` the scenario's own); cached,
    as composing takes a tenth of a second and configs are not changed by running them."""
    with _COMPOSING:
        return compose_compared(scenario, after, before=DASHBOARD_DEFAULTS)


@dataclass(frozen=True)
class Plan:
    """A scenario and the overrides the planner chose on top of it, the composed config, and the
    changes in words (`changed`: the controls' labels and values, run settings left out)."""

    scenario: Scenario
    overrides: tuple[str, ...]
    config: SimConfig
    changed: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The plan's name: the scenario's title, and what was changed (the first two changes)."""
        if not self.changed:
            return self.scenario.title
        more = f" and {len(self.changed) - 2} more" if len(self.changed) > 2 else ""
        return f"{self.scenario.title}, changed: {'; '.join(self.changed[:2])}{more}"

    @property
    def question(self) -> str:
        """What the plan asks: the scenario's question, or, for a changed plan, every change in words
        (a changed plan does not answer its scenario's question)."""
        if not self.changed:
            return self.scenario.question
        these = f"these {len(self.changed)} changes" if len(self.changed) > 1 else "this change"
        return f"What if {self.scenario.title} had {these}: {'; '.join(self.changed)}?"

    def yaml(self) -> str:
        """The plan as a scenario file `sim.compare` accepts: its title and question, the scenario's
        keys, then the changes."""
        data = yaml.safe_load(self.scenario.path.read_text(encoding="utf-8")) if self.scenario.path else None
        data = dict(data or {})
        changed = {o.split("=", 1)[0]: get(self.config, o.split("=", 1)[0]) for o in self.overrides}
        run_keys = [k for k in changed if k.startswith("run.")]
        for key in run_keys:  # compared scenarios share seeds and replications: give them on the command line
            changed.pop(key)
        question = self.question or "A plan made in the dashboard."
        lines = [f"# Title: {self.title}", *textwrap.wrap(question, 100, initial_indent="# ",
                                                           subsequent_indent="# "), "#",
                 f"# Made in the dashboard from scenario {self.scenario.name}"
                 + (f", changing {', '.join(changed)}." if changed else ", unchanged."),
                 f"# Run it as it ran there: python -m sim.compare {self.scenario.name} <this file> "
                 f"run.replications={self.config.run.replications} run.seed={self.config.run.seed}", ""]
        nest_keys(changed, into=data)
        return "\n".join(lines) + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def make_plan(scenario_name: str, values: dict[str, Any]) -> Plan:
    """Compose the plan (`UserError` with the command line's message when a value is bad)."""
    scenario = load(scenario_name)
    base = base_config(scenario)
    changed = _changed(base, values)
    overrides = tuple(f"{c.key}={from_input(c, values[c.key])}" for c in changed)
    if not overrides:
        return Plan(scenario, overrides, base)
    _check(overrides)
    words = tuple(in_words(c, values[c.key]) for c in changed if not c.key.startswith("run."))
    return Plan(scenario, overrides, base_config(scenario, overrides), words)


@lru_cache(maxsize=64)
def _check(overrides: tuple[str, ...]) -> None:
    """Compose the overrides alone first, as `sim.compare` does with the command line's, so a bad
    value gets the command line's message (not one prefixed with the scenario's name)."""
    with _COMPOSING:
        compose([*DASHBOARD_DEFAULTS, *overrides])


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
NAME_CHARS = 60  # a saved scenario's file name, at most


def save(plan: Plan, name: str, folder: Path, shipped: set[str]) -> Path:
    """Write the plan into `folder` as `<name as a slug>.yaml` (`Østerbro + cafés!` ->
    `osterbro_cafes.yaml`); never over a shipped scenario or any existing file."""
    safe = slug(name)[:NAME_CHARS].strip("_")
    if not safe:
        raise UserError("scenario name: use letters, digits or underscores")
    path = folder / f"{safe}.yaml"
    if safe in shipped:
        raise UserError(f"scenario name {safe!r} is a shipped scenario; choose another name")
    if path.exists():
        raise UserError(f"{path} already exists; choose another name")
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(plan.yaml())
    return path
