"""Scenario files: every shipped file is valid and answers a question; loading rejects typos."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.config import to_yaml
from sim.workflows.scenarios import PROJECT_SCENARIOS, compose_scenario, format_value, load, to_overrides

FILES = sorted(PROJECT_SCENARIOS.glob("*.yaml"))
SMALL = ["intake.waves=1", "run.horizon_weeks=30", "run.replications=2", "run.progress=false"]


def test_at_least_six_scenarios():
    assert len(FILES) >= 6


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_file_is_valid_and_opens_with_its_question(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "Changes:" in text and "Why:" in text  # what it changes, which finding motivates it
    scenario = load(path.stem)
    assert scenario.question.endswith("?")
    cfg = compose_scenario(scenario)
    assert isinstance(cfg, sim.SimConfig)


def test_scenarios_differ_from_the_situation_as_reported():
    reported = to_yaml(compose_scenario(load("as_reported")))
    assert reported == to_yaml(sim.compose([]))  # the reference is the default configuration
    others = [to_yaml(compose_scenario(load(p.stem))) for p in FILES if p.stem != "as_reported"]
    assert reported not in others and len(set(others)) == len(others)


def test_per_entity_keys_by_name():
    cfg = compose_scenario(load("paid_instructors_subsidy"))
    paid = {name for name, team in cfg.city.teams.items() if team.paid_instructor}
    partner = {centre.partner_team for centre in cfg.city.centres.values()}
    assert paid == partner and cfg.economics.municipality_pays_wages


def test_nested_and_dotted_keys_flatten_alike():
    nested = to_overrides({"policy": "amager", "modifiers": {"monthly_trial": True},
                           "city": {"teams": {"x": {"y": 3}}}})
    dotted = to_overrides({"policy": "amager", "modifiers.monthly_trial": True, "city.teams.x.y": 3})
    assert nested == dotted == ["policy=amager", "modifiers.monthly_trial=true", "city.teams.x.y=3"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (None, "null"), (0.25, "0.25"), (7, "7"), ("amager", "amager"), ("two words", "'two words'"),
     ("0.5", "'0.5'"), ("true", "'true'"), ("it's", "'it\\'s'"), (["monthly_trial", 1], "[monthly_trial,1]")],
)
def test_values_in_override_syntax(value, text):
    assert format_value(value) == text


def test_scenario_given_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("# What if?\npolicy: vanlose\nclub:\n  cafe: true\n")
    scenario = load(str(path))
    assert scenario.name == "mine" and scenario.question == "What if?"
    cfg = compose_scenario(scenario, after=["run.replications=3"])
    assert cfg.policy.name.value == "vanlose" and cfg.club.cafe is True and cfg.run.replications == 3


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("instructor:\n  turnover: 0.4\n", "unknown config key 'instructor.turnover'"),
        ("instructor.turnover_annual: 1.4\n", "instructor.turnover_annual=1.4 is out of range"),
        ("policy: amagr\n", "policy=amagr: unknown policy"),
        ("club:\n  cafe: maybe\n", "club.cafe"),
        ("city:\n  teams:\n    atlantis: {capacity: 3}\n", "atlantis"),
        ("policy: [amager\n", "not valid YAML at line"),
        ("- policy: amager\n", "a scenario is a mapping"),
    ],
)
def test_bad_scenario_file_names_file_and_key(tmp_path, content, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(sim.UserError) as err:
        compose_scenario(load(str(path)))
    message = str(err.value)
    assert needle in message and "bad" in message and "\n" not in message


def test_unknown_scenario_lists_the_available_ones():
    with pytest.raises(sim.UserError, match="unknown scenario 'amagr_everywhere'; available: .*amager_everywhere"):
        load("amagr_everywhere")
    with pytest.raises(sim.UserError, match="does not exist"):
        load("missing/plan.yaml")


def test_same_seed_shares_citizens_common_random_numbers():
    """Scenarios with the same run.seed draw the same citizens, replication by replication."""
    a = sim.simulate(compose_scenario(load("as_reported"), after=SMALL)).citizens
    b = sim.simulate(compose_scenario(load("amager_everywhere"), after=SMALL)).citizens
    for column in ("replication", "centre", "diagnosis", "resourcefulness", "start_week"):
        assert a[column].equals(b[column]), column  # NaN start weeks (unfilled places) equal too
    assert not np.array_equal(a["handover_week"].to_numpy(), b["handover_week"].to_numpy())
