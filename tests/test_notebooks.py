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


def test_the_html_copy_loads_nothing_from_another_host(tmp_path):
    """docs/notebooks.md's command for an HTML copy: its template drops the CDN scripts (RequireJS,
    MathJax, Mermaid) of nbconvert's own; no script, stylesheet or module import points elsewhere."""
    import re
    import subprocess
    import sys

    template = NOTEBOOKS[0].parent / "offline.html.j2"
    assert f"--template-file {template.relative_to(template.parents[1])}" in (
        template.parents[1] / "docs" / "notebooks.md").read_text(encoding="utf-8")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--template-file", str(template),
                    str(NOTEBOOKS[0]), "--output-dir", str(tmp_path)], check=True, capture_output=True)
    page = (tmp_path / NOTEBOOKS[0].with_suffix(".html").name).read_text(encoding="utf-8")
    assert "jp-Notebook" in page  # JupyterLab's page, its styles inline
    assert not re.findall(r"""<(?:script|link|img|iframe)[^>]*(?:src|href)=["']?https?:""", page, re.I)
    assert not re.findall(r"""import\(\s*["']https?:""", page)
