"""`python -m sim.run --help`: the tool's own page (Hydra's help template in conf/config.yaml)."""

from __future__ import annotations

import subprocess
import sys


def test_help_explains_the_tool_with_groups_keys_and_examples(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim.run", "--help", "run.replications=7"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = proc.stdout
    assert text.startswith("python -m sim.run: simulate the handover of citizens")
    assert "policy: amager, baseline, mixed, vanlose, vesterbro" in text  # the groups, from Hydra
    assert "python -m sim.run -m policy=baseline,amager" in text and "instructor.turnover_annual=0.6" in text
    assert "run.replications       replications (now: 7)" in text  # values follow the command line
    assert "== Config ==" not in text and "kom_i_gang:" not in text  # no dump of the whole config
    assert len(text.splitlines()) < 60
    assert not (tmp_path / "results").exists()
