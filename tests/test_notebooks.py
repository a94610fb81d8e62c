"""Notebooks are jupytext-paired: the .ipynb (executed in CI by nbmake) holds the same cells as the
readable .py, and no outputs are committed."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_and_stripped(path):
    notebook = jupytext.read(path)
    script = jupytext.read(path.with_suffix(".py"))
    assert [c.source for c in notebook.cells] == [c.source for c in script.cells], "run: jupytext --sync"
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
