"""The mutation check's list (tests/mutants.py) stays runnable: at least 20 mutants, the four of issue 22
among them, each snippet found exactly once in its file, each expected catcher a test that exists and
is not the exact golden comparison. A refactoring that moves a snippet fails here, loudly, naming the
mutant (update the list), instead of the check passing without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import mutants

ISSUE_22 = {"costs-wage-ignores-meeting-week", "club-payments-without-wages", "vector-habit-grows-without-meeting",
            "targets-ignore-at-week"}


def test_the_list_has_twenty_mutants_with_the_four_of_issue_22():
    names = {m.name for m in mutants.MUTANTS}
    assert len(names) == len(mutants.MUTANTS) >= 20 and names >= ISSUE_22
    touched = {m.file.split("/")[1] for m in mutants.MUTANTS}
    assert {"model", "agent", "vector", "workflows"} <= touched


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_mutant_applies_to_the_code_as_it_is(mutant):
    mutants.mutate((mutants.ROOT / mutant.file).read_text(encoding="utf-8"), mutant)


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_catcher_is_a_test_that_exists_and_not_the_golden_comparison(mutant):
    for node in (mutant.catcher, *mutant.paths):
        path, _, name = node.partition("::")
        assert (mutants.ROOT / path).exists(), node
        test = name.split("[")[0]
        assert not test or f"def {test}(" in Path(mutants.ROOT / path).read_text(encoding="utf-8"), node
        assert not node.startswith(mutants.GOLDEN), node


def test_a_stale_snippet_is_an_error_not_a_pass():
    moved = mutants.MUTANTS[0]
    with pytest.raises(mutants.StaleList, match=moved.name):
        mutants.mutate("the code moved on", moved)
