"""Bad input gets a clear error naming the key; good input composes to the documented defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.model.config import PolicyName


def test_defaults_match_model_md():
    cfg = sim.compose(["params=prior"])  # MODEL.md §8 gives the priors; the default is calibrated
    assert cfg.policy.name == PolicyName.mixed
    assert cfg.programme.weeks == 12 and cfg.handover.intercept == -4.6
    assert cfg.instructor.turnover_annual == 0.25 and cfg.instructor.pool == 18
    assert cfg.run.horizon_weeks == 136 and cfg.trial_cohorts == 6
    assert cfg.club.cafe is None


def test_the_default_is_the_calibration_and_its_own_keys_only():
    calibrated, prior = sim.compose([]), sim.compose(["params=prior"])
    assert calibrated.handover.intercept != prior.handover.intercept
    assert calibrated.city.teams["swim_vanlose"].attractiveness is not None
    assert prior.city.teams["swim_vanlose"].attractiveness is None
    assert calibrated.instructor == prior.instructor and calibrated.club == prior.club


@pytest.mark.parametrize("policy", ["baseline", "amager", "vesterbro", "vanlose", "mixed"])
def test_policy_group(policy):
    assert sim.compose([f"policy={policy}"]).policy.name.value == policy


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("policy=amagr", "policy=amagr: unknown policy; allowed: amager, baseline"),
        ("city=paris", "city=paris: unknown city"),
        ("instructor.turnover=0.4", "unknown config key 'instructor.turnover'"),
        ("+instructor.turnover=0.4", "unknown config key 'instructor.turnover'"),
        ("nonsense=1", "unknown config key 'nonsense'"),
        ("club.cafe=maybe", "club.cafe"),
        ("team.capacity=abc", "team.capacity"),
        ("run.engine=gpu", "run.engine"),
        ("instructor.turnover_annual=1.5", "instructor.turnover_annual=1.5 is out of range: expected a probability"),
        ("team.transfer_prob=-0.1", "team.transfer_prob=-0.1 is out of range"),
        ("team.capacity=-3", "team.capacity=-3 is out of range: expected a whole number >= 0"),
        ("run.replications=0", "run.replications=0 is out of range"),
        ("handover.intercept=nan", "handover.intercept=nan is out of range: expected a finite number"),
        ("club.lapse_base=inf", "club.lapse_base=inf is out of range"),
        ("baseline.trial_week=13", "baseline.trial_week=13 is out of range: a programme week in 1..12"),
        ("citizen.diagnosis_mix.copd=0.5", "citizen.diagnosis_mix: shares must sum to 1"),
        ("citizen.expectation_mean=1", "citizen.expectation_mean=1.0 is out of range"),
        ("city.centres.osterbro.partner_team=nowhere", "city.centres.osterbro.partner_team='nowhere' must name a team"),
        ("city.teams.kom_i_gang.centre=malmo", "city.teams.kom_i_gang.centre='malmo'"),
        ("city.teams.kom_i_gang.association=lung_association", "is not a sports club"),
        ("city.associations.lung_association.centres=[amager,malmo]", "unknown centre 'malmo'"),
        ("city.teams.kom_i_gang.capacty=3", "unknown config key 'city.teams.kom_i_gang.capacty'"),
        ("city.centres.amager.policy=mixed", "city.centres.amager.policy=mixed"),
        ("city.associations.bk_skjold.facility_quality=1.3", "city.associations.bk_skjold.facility_quality=1.3 is out"),
        # Two patient associations serving one diagnosis at one centre (the later one used to win).
        ("city.associations.heart_association.diagnoses=[heart,copd]",
         "city.associations.heart_association: copd at osterbro is served by city.associations.lung_association"),
        ("city.associations.lung_association.staff_run_at=[vesterbro]", "'vesterbro' is not among its centres"),
        ("city.associations.bk_skjold.course_weeks=6", "city.associations.bk_skjold.course_weeks=6: only for patient"),
        ("city.associations.bk_skjold.has_training=false", "city.associations.bk_skjold.has_training=false: only for"),
        ("city.associations.heart_association.has_cafe=true", "heart_association.has_cafe=true: only for"),
    ],
)
def test_bad_override_names_the_key(override, needle):
    with pytest.raises(sim.UserError) as err:
        sim.compose([override])
    message = str(err.value)
    assert needle in message
    assert "\n" not in message


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    return subprocess.run([sys.executable, "-m", "sim.run", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.parametrize(
    "override",
    ["policy=amagr", "instructor.turnover=0.4", "instructor.turnover_annual=2", "club.cafe=maybe",
     "team.capacity=-1", "run.engine=gpu"],
)
def test_cli_user_error_exits_2_without_traceback(tmp_path, override):
    proc = _cli(override, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()  # nothing half-written


def test_cli_runs_and_writes_tables(tmp_path):
    proc = _cli("intake.waves=1", "run.horizon_weeks=30", "run.replications=2", "run.progress=false", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "handover_rate" in proc.stdout and "range of outcomes (90%)" in proc.stdout
    assert "95% CI of the mean" in proc.stdout
    (run,) = (tmp_path / "results" / "runs").iterdir()
    names = {p.name for p in run.iterdir()}
    assert {"summary.parquet", "weekly.parquet", "teams.parquet", "citizens.parquet", "config.yaml"} <= names
    assert not [n for n in names if n.startswith(".partial")]


# --- a centre's own diagnosis mix -----------------------------------------------------------------

AMAGER_MIX = "city.centres.amager.diagnosis_mix={at_risk:0.5,diabetes:0.5,copd:0.0,heart:0.0,cancer:0.0}"


def test_centre_diagnosis_mix_runs_from_the_cli(tmp_path):
    proc = _cli(AMAGER_MIX, "intake.waves=1", "run.horizon_weeks=20", "run.replications=1", "run.progress=false",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_centre_diagnosis_mix_sets_the_centres_citizens():
    from sim.model.city import build_city

    city = build_city(sim.compose([AMAGER_MIX]))
    amager = city.centre_names.index("amager")
    assert city.centre_mix[amager].tolist() == [0.5, 0.5, 0.0, 0.0, 0.0]
    assert city.centre_mix[0].tolist() == [0.40, 0.25, 0.10, 0.15, 0.10]  # the others keep the global mix
    res = sim.simulate(sim.compose([AMAGER_MIX, "intake.waves=2", "run.horizon_weeks=20", "run.replications=2",
                                    "run.progress=false"]))
    seen = set(res.citizens.loc[res.citizens.centre == "amager", "diagnosis"])
    assert seen == {"at_risk", "diabetes"}


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("city.centres.amager.diagnosis_mix={at_risk:1.0}", "city.centres.amager.diagnosis_mix: no share for"),
        ("city.centres.amager.diagnosis_mix.copd=1.0", "city.centres.amager.diagnosis_mix: no share for"),
        ("city.centres.amager.diagnosis_mix={at_risk:0.5,diabetes:0.4,copd:0.0,heart:0.0,cancer:0.0}",
         "city.centres.amager.diagnosis_mix: shares must sum to 1"),
    ],
)
def test_partial_or_unsummed_centre_mix_is_refused(tmp_path, override, needle):
    with pytest.raises(sim.UserError, match=needle):
        sim.compose([override])
    proc = _cli(override, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and needle in proc.stderr


def test_partial_centre_mix_is_refused_by_the_python_api():
    cfg = sim.compose(["run.replications=1", "run.progress=false"])
    cfg.city.centres["amager"].diagnosis_mix = {"at_risk": 1.0}
    with pytest.raises(sim.UserError, match="city.centres.amager.diagnosis_mix: no share for 'diabetes'"):
        sim.simulate(cfg)
