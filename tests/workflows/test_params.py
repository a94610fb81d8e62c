"""sim.workflows.params: dotted keys set on a composed config, checked like overrides."""

import pytest

from sim.errors import UserError
from sim.workflows.compose import compose
from sim.workflows.params import apply, check_range, kind


@pytest.fixture(scope="module")
def base():
    return compose([])


def test_apply_sets_global_and_entity_keys_without_touching_the_original(base):
    cfg = apply(base, {"handover.intercept": -3.0, "city.teams.floorball.attractiveness": 1.5, "team.capacity": 14.6})
    assert cfg.handover.intercept == -3.0
    assert cfg.city.teams["floorball"].attractiveness == 1.5
    assert cfg.team.capacity == 15 and isinstance(cfg.team.capacity, int)
    assert base.handover.intercept != -3.0 and base.city.teams["floorball"].attractiveness != 1.5


def test_apply_equals_composing_the_same_overrides(base):
    values = {"instructor.turnover_annual": 0.6, "city.associations.gymnastikforeningen_odk.facility_quality": 0.2}
    assert apply(base, values) == compose([f"{k}={v}" for k, v in values.items()])


@pytest.mark.parametrize("key", ["handover.nope", "city.teams.nope.capacity", "handover", "city.teams.floorball"])
def test_unknown_or_non_scalar_keys_are_refused(base, key):
    with pytest.raises(UserError, match="key"):
        apply(base, {key: 1.0})


def test_out_of_range_values_and_ranges_are_refused(base):
    with pytest.raises(UserError, match="instructor.turnover_annual"):
        apply(base, {"instructor.turnover_annual": 1.5})
    with pytest.raises(UserError, match="probability"):
        check_range(base, "instructor.turnover_annual", 0.1, 1.2)
    with pytest.raises(UserError, match="below"):
        check_range(base, "handover.intercept", -2.0, -3.0)
    check_range(base, "handover.intercept", -7.0, -2.0)
    assert kind(base, "team.capacity") == (int, "count")
