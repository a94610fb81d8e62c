"""The output schema (MODEL.md §5) and the `Results` both engines return.

Each engine hands over a `RawRun` of plain arrays per block of replications; `block_tables` turns
it into the tidy tables and `combine` joins the blocks, so column names, dtypes and metric code
exist once. `Results.save` writes Parquet tables and the
resolved config into a folder atomically (a temporary folder renamed at the end).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.model import costs
from sim.model.city import City
from sim.model.config import DIAGNOSES, SimConfig, to_yaml
from sim.model.metrics import summarise, window_end
from sim.model.population import Plan, plan
from sim.model.states import LAPSE_REASON_NAMES
from sim.model.values import Values

WEEKLY_COUNTS = (
    "in_programme", "deciding", "members_sport", "members_patient", "lapsed", "teams_open", "instructors_vacant",
)
WEEKLY_COLUMNS = ("replication", "week", "centre", *WEEKLY_COUNTS)
CITIZEN_COLUMNS = (
    "replication", "citizen", "centre", "diagnosis", "resourcefulness", "start_week", "completed",
    "handover_week", "team", "association", "lapse_week", "lapse_reason", "member_at_end",
    "patient_association", "patient_join_week", "patient_lapse_week", "patient_lapse_reason",
)
TEAM_COLUMNS = (
    "replication", "team", "association", "centre", "joined_total", "members_at_end", "closed_week",
    "instructor_changes", "balance_at_end",
)
CITIZEN_ARRAYS = (
    "centre", "diagnosis", "resourcefulness", "start_week", "completed", "handover_week", "team",
    "lapse_week", "lapse_reason", "patient_join_week", "patient_lapse_week", "patient_reason",
)
# What an engine hands over per citizen: the table's arrays and which cohort places were filled
# (intake.fill_share; block_tables turns an unfilled place into a NaN start week).
RAW_CITIZEN_ARRAYS = (*CITIZEN_ARRAYS, "filled")
TEAM_ARRAYS = ("opened", "joined_total", "members_at_end", "closed_week", "instructor_changes", "balance_at_end")


@dataclass
class RawRun:
    """What an engine returns for a block of replications (arrays, first axis = replication).

    citizens: RAW_CITIZEN_ARRAYS, each (R, N), one per cohort place, filled or not (`filled`; an unfilled
    place never starts: `block_tables` gives it a NaN start week); *_week NaN when it did not happen, team -1 when none,
    *reason a LapseReason code (the patient offering joined is the one the citizen is eligible
    for: City.offers.of[centre, diagnosis]). weekly: (R, weeks, centres, len(WEEKLY_COUNTS))
    counts at the end of each week. teams: TEAM_ARRAYS, each (R, T),
    `opened` false for sister teams that never opened. counts: sim.model.costs.ENGINE_COUNTS, each (R,
    centres), priced by sim.model.costs.
    """

    replication: np.ndarray
    citizens: dict[str, np.ndarray]
    weekly: np.ndarray
    teams: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]


@dataclass
class Results:
    """The tables of one run (MODEL.md §5) and the config that produced them."""

    summary: pd.DataFrame
    weekly: pd.DataFrame
    teams: pd.DataFrame
    citizens: pd.DataFrame | None
    config: SimConfig
    # Municipal cost by item and the club side, per replication and centre (sim.model.costs.table).
    costs: pd.DataFrame | None = None

    def save(self, path: str | os.PathLike) -> Path:
        """Write Parquet tables + `config.yaml` into the folder `path` (created if needed).

        Files are written to a temporary folder first and moved in only when all are complete,
        so a failure never leaves a half-written table; other files in `path` are kept.
        """
        target = Path(path)
        target.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=target))
        try:
            for name in ("summary", "weekly", "teams", "citizens", "costs"):
                table = getattr(self, name)
                if table is not None:
                    table.to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "config.yaml").write_text(to_yaml(self.config), encoding="utf-8")
            for file in tmp.iterdir():
                os.replace(file, target / file.name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target


def _offer(raw: RawRun, city: City) -> np.ndarray:
    """The patient offering each citizen is eligible for (-1: none)."""
    return city.offers.of[raw.citizens["centre"], raw.citizens["diagnosis"]]


def _summary(raw: RawRun, cfg: SimConfig, city: City, shared: Plan, priced: dict[str, np.ndarray],
             trained: np.ndarray) -> pd.DataFrame:
    offer = _offer(raw, city)
    training = np.append(city.offers.training, False)[offer]  # offer -1 picks the appended False
    items = {name: value.sum(axis=1) for name, value in priced.items()}
    total = sum(items[f"cost_{i}"] for i in costs.ITEMS)
    ends = window_end(cfg, raw.citizens["start_week"], shared.policy)  # engines keep the plan's order
    summary = summarise(raw.citizens, total, cfg.programme.weeks, cfg.run.horizon_weeks,
                        eligible=offer >= 0, training=training, decision_end=ends)
    for name, value in items.items():
        summary[name] = value
    for name in ("parallel_sessions", "gift_cards", "trial_takeups"):
        summary[name] = raw.counts[name].sum(axis=1)
    summary["instructors_trained"] = trained.sum(axis=1)
    closed = ~np.isnan(raw.teams["closed_week"])
    summary["teams_closed"] = closed.sum(axis=1)
    summary["sister_teams_opened"] = (raw.teams["opened"] & city.team_is_sister).sum(axis=1)
    # The listed teams (open from week 0) plus the sister teams opened: the report's "new teams".
    summary["teams_opened"] = raw.teams["opened"].sum(axis=1)
    summary.insert(0, "replication", raw.replication)
    return summary


def _weekly(raw: RawRun, city: City) -> pd.DataFrame:
    r, w, c, k = raw.weekly.shape
    index = pd.MultiIndex.from_product(
        [raw.replication, np.arange(w), city.centre_names], names=["replication", "week", "centre"]
    )
    table = pd.DataFrame(raw.weekly.reshape(r * w * c, k), index=index, columns=list(WEEKLY_COUNTS))
    return table.reset_index()


def _teams(raw: RawRun, city: City) -> pd.DataFrame:
    rep, team = np.nonzero(raw.teams["opened"])
    table = pd.DataFrame({
        "replication": raw.replication[rep],
        "team": np.asarray(city.team_names)[team],
        "association": np.asarray(city.team_assoc_names)[team],
        "centre": np.asarray(city.centre_names)[city.team_centre[team]],
    })
    for name in TEAM_ARRAYS[1:]:
        table[name] = raw.teams[name][rep, team]
    return table


def _citizens(raw: RawRun, city: City) -> pd.DataFrame:
    cz = raw.citizens
    r, n = cz["centre"].shape
    team = cz["team"].ravel()
    has_team = team >= 0
    lapse = cz["lapse_week"].ravel()
    joined_patient = ~np.isnan(cz["patient_join_week"].ravel())
    return pd.DataFrame({
        "replication": np.repeat(raw.replication, n),
        "citizen": np.tile(np.arange(n), r),
        "centre": _labels(cz["centre"].ravel(), city.centre_names),
        "diagnosis": _labels(cz["diagnosis"].ravel(), DIAGNOSES),
        "resourcefulness": cz["resourcefulness"].ravel(),
        "start_week": cz["start_week"].ravel(),
        "completed": cz["completed"].ravel(),
        "handover_week": cz["handover_week"].ravel(),
        "team": _labels(team, city.team_names),
        "association": _labels(team, city.team_assoc_names),
        "lapse_week": lapse,
        "lapse_reason": _reason_names(cz["lapse_reason"].ravel()),
        "member_at_end": has_team & np.isnan(lapse),
        "patient_association": _labels(np.where(joined_patient, _offer(raw, city).ravel(), -1),
                                       city.offers.assoc_names),
        "patient_join_week": cz["patient_join_week"].ravel(),
        "patient_lapse_week": cz["patient_lapse_week"].ravel(),
        "patient_lapse_reason": _reason_names(cz["patient_reason"].ravel()),
    })


TEXT = pd.StringDtype(na_value=np.nan)  # pandas' default text dtype ("str")


def _labels(codes: np.ndarray, names: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    """The text column `names[code]`, missing where code < 0. Built from the codes through Arrow:
    a table of millions of citizens would otherwise make a Python string per row."""
    codes = np.asarray(codes)
    indices = pa.array(np.maximum(codes, 0).astype(np.int32), mask=codes < 0)
    dictionary = pa.array(list(names) or [""], pa.string())
    text = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())
    return pa.chunked_array([text], pa.large_string()).to_pandas(types_mapper={pa.large_string(): TEXT}.get).array


def _reason_names(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    names = [LAPSE_REASON_NAMES.get(code, "") for code in range(max(LAPSE_REASON_NAMES) + 1)]
    return _labels(np.where(np.isin(codes, list(LAPSE_REASON_NAMES)), codes, -1), names)


def _unfilled_unstarted(raw: RawRun) -> RawRun:
    """`raw` with a missing (NaN) start week for every cohort place the engine left unfilled
    (`filled`; intake.fill_share, sim.model.population.filled): such a place never started, so every
    count and every rate's denominator (sim.model.metrics: starters, completers, the horizon's reach)
    leaves it out, here and wherever the citizens table is read. Unchanged (int16 start weeks) when
    every place is filled."""
    citizens = dict(raw.citizens)
    places = citizens.pop("filled")
    if not places.all():
        citizens["start_week"] = np.where(places, citizens["start_week"], np.nan)
    return RawRun(raw.replication, citizens, raw.weekly, raw.teams, raw.counts)


def block_tables(raw: RawRun, cfg: SimConfig, city: City,
                 values: Mapping[str, np.ndarray] | None = None) -> dict[str, pd.DataFrame | None]:
    """The tables of one engine block; engines call this per block so raw arrays can be freed.
    `values`: the block's per-replication values (sim.model.values), which price its costs."""
    shared = plan(cfg, city)
    trained = costs.instructors_trained(cfg, city, raw.teams)
    raw = _unfilled_unstarted(raw)
    unit_costs = Values(cfg, values, len(raw.replication)).grid
    priced = costs.price(unit_costs, raw.counts, costs.plan_counts(cfg, city, shared), trained)
    return {
        "summary": _summary(raw, cfg, city, shared, priced, trained),
        "costs": costs.table(priced, raw.replication, city.centre_names),
        "weekly": _weekly(raw, city) if cfg.run.weekly_table else None,
        "teams": _teams(raw, city),
        "citizens": _citizens(raw, city) if cfg.run.citizens_table else None,
    }


def combine(blocks: list[dict[str, pd.DataFrame | None]], cfg: SimConfig) -> Results:
    """Concatenate block tables (in replication order) into one `Results`."""
    def cat(name: str) -> pd.DataFrame | None:
        parts = [b[name] for b in blocks if b[name] is not None]
        return pd.concat(parts, ignore_index=True) if parts else None

    return Results(
        summary=cat("summary"), weekly=cat("weekly"), teams=cat("teams"), citizens=cat("citizens"), config=cfg,
        costs=cat("costs"),
    )
