"""What a calibration writes: best.yaml, the fit table, figures, identifiability and a report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from sim.present.format import plain  # noqa: E402
from sim.workflows.calibration.spec import Spec, Target  # noqa: E402
from sim.workflows.calibration.study import Evaluation  # noqa: E402

RANGE = (2.5, 97.5)


def best_yaml(spec: Spec, values: dict[str, float], overrides: Sequence[str], objective: float) -> str:
    """A scenario file (sim.compare, sim.run scenario=...) with the fitted values and the runs' overrides."""
    lines = [f"# What does the model give with the parameters calibrated to {spec.name} (sim.calibrate)?", "#",
             f"# Best objective {objective:.2f} (negative log-likelihood + priors); see report.md next to this file.",
             "# The calibration's own overrides (applied to every trial) are kept below."]
    # Trials ran on the priors (sim.calibrate composes params=prior first): so does this scenario, so
    # that keys outside the spec keep the values the fit assumed.
    data: dict[str, object] = {"params": "prior"}
    for o in overrides:
        key, value = o.split("=", 1)
        if not key.lstrip("+~").startswith("run."):
            data[key.lstrip("+~")] = yaml.safe_load(value)
    data.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in values.items()})
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _row(t: Target, kind: str, best: Evaluation, ens: Evaluation | None) -> dict:
    row = {"name": t.name, "kind": kind, "metric": t.metric_text, "at_week": t.at_week, "likelihood": t.likelihood,
           "observed": t.observed}
    for label, ev in (("best", best), ("ensemble", ens)):
        if ev is None:
            continue
        x = ev.simulated[t.name]
        x = x[~np.isnan(x)]
        low, high = np.percentile(x, RANGE) if len(x) else (np.nan, np.nan)
        row.update({f"{label}_mean": float(np.mean(x)) if len(x) else np.nan, f"{label}_low": low,
                    f"{label}_high": high, f"{label}_inside": bool(low <= t.observed <= high),
                    f"{label}_nll": ev.nll[t.name]})
    return row


def fit_table(spec: Spec, best: Evaluation, ens: Evaluation | None) -> pd.DataFrame:
    """Each target and holdout: observed, simulated mean, 95% range over replications, inside or not."""
    rows = [_row(t, "target", best, ens) for t in spec.targets] + [_row(t, "holdout", best, ens) for t in spec.holdout]
    return pd.DataFrame(rows)


def fit_markdown(fit: pd.DataFrame) -> str:
    has_ens = "ensemble_mean" in fit
    head = "| target | kind | observed | best: mean | 95% range | inside |"
    sep = "|---|---|--:|--:|---|---|"
    if has_ens:
        head += " ensemble: mean | 95% range | inside |"
        sep += "--:|---|---|"
    lines = [head, sep]
    for r in fit.itertuples():
        week = f" (week {int(r.at_week)})" if pd.notna(r.at_week) else ""
        line = (f"| {r.name}{week} | {r.kind} | {plain(r.observed)} | {plain(r.best_mean)} | "
                f"[{plain(r.best_low)}, {plain(r.best_high)}] | {'yes' if r.best_inside else 'no'} |")
        if has_ens:
            line += (f" {plain(r.ensemble_mean)} | [{plain(r.ensemble_low)}, {plain(r.ensemble_high)}] | "
                     f"{'yes' if r.ensemble_inside else 'no'} |")
        lines.append(line)
    targets = fit[fit.kind == "target"]
    lines += ["", f"Targets inside the best set's 95% range: {int(targets.best_inside.sum())} of {len(targets)}"
              + (f"; inside the ensemble's: {int(targets.ensemble_inside.sum())} of {len(targets)}" if has_ens else "")
              + ".", "95% range: 2.5th-97.5th percentile over replications (best: Monte Carlo only; ensemble: "
              "Monte Carlo + calibration, replications spread over the ensemble by weight)."]
    return "\n".join(lines)


def fit_figure(fit: pd.DataFrame) -> plt.Figure:
    """Observed vs simulated per target and holdout, with the 95% ranges."""
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(fit) + 1.5))
    y = np.arange(len(fit))[::-1]
    for label, offset, colour in (("best", 0.12, "tab:blue"), ("ensemble", -0.12, "tab:orange")):
        if f"{label}_mean" not in fit:
            continue
        m, lo, hi = (fit[f"{label}_{c}"].to_numpy(float) for c in ("mean", "low", "high"))
        ax.errorbar(m, y + offset, xerr=[m - lo, hi - m], fmt="o", ms=4, color=colour, label=f"simulated ({label})")
    ax.scatter(fit.observed, y, marker="x", color="black", zorder=3, label="observed")
    ax.set_yticks(y, fit.name)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("count (or share); bars: 95% range over replications")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cum = np.cumsum(w[order]) - 0.5 * w[order]
    return float(np.interp(q, cum / w.sum(), x[order]))


MIN_ESS = 10


def identifiability(spec: Spec, ensemble: pd.DataFrame, best: dict[str, float], ess: float,
                    local_sd: np.ndarray | None = None) -> pd.DataFrame:
    """Per parameter: prior spread vs the ensemble's (posterior) spread, and a verdict.

    Prior sd: `prior_sd` where given, else the sd of a uniform over the search range. The ratio
    posterior sd / prior sd below 0.5 is read as "pinned down", 0.5-0.8 "partly", above 0.8 "not
    pinned down" (the data leave the parameter about where the prior had it). With an effective
    sample size below MIN_ESS the ensemble's spread says nothing and the verdict falls back on the local
    sd (the objective's curvature at the best set, other parameters held: it understates the spread
    along ridges, so such a verdict is marked "(local)")."""
    w = ensemble["weight"].to_numpy(float)
    rows = []
    for j, p in enumerate(spec.parameters):
        local = float(local_sd[j]) if local_sd is not None else np.nan
        prior_sd = p.prior_sd if p.prior_sd is not None else (p.high - p.low) / np.sqrt(12)
        x = ensemble[p.key].to_numpy(float) if len(ensemble) else np.array([np.nan])
        ww = w if len(ensemble) else np.array([1.0])
        mean = float(np.sum(ww * x))
        sd = float(np.sqrt(np.sum(ww * (x - mean) ** 2)))
        use_local = not ess >= MIN_ESS
        ratio = (local if not np.isnan(local) else np.inf) / prior_sd if use_local else sd / prior_sd
        verdict = "pinned down" if ratio < 0.5 else ("partly" if ratio < 0.8 else "not pinned down")
        if use_local:
            verdict = "unknown (no upward curvature)" if np.isnan(local) else f"{verdict} (local)"
        rows.append({"parameter": p.key, "best": best[p.key], "posterior_mean": mean, "posterior_sd": sd,
                     "low": _weighted_quantile(x, ww, 0.025), "high": _weighted_quantile(x, ww, 0.975),
                     "local_sd": local, "prior_sd": prior_sd, "sd_ratio": ratio, "verdict": verdict})
    return pd.DataFrame(rows)


def identifiability_figure(table: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    colours = table.verdict.str.replace(" (local)", "").map(
        {"pinned down": "tab:green", "partly": "tab:olive", "not pinned down": "tab:red"}).fillna("tab:grey")
    ax.barh(y, np.minimum(table.sd_ratio, 2.0), color=colours)
    ax.axvline(0.5, color="grey", ls=":")
    ax.axvline(0.8, color="grey", ls=":")
    ax.set_yticks(y, table.parameter, fontsize=7)
    ax.set_xlabel("posterior sd / prior sd (ensemble, or local where marked); < 0.5 pinned down, > 0.8 not")
    fig.tight_layout()
    return fig


def report(spec: Spec, fit: pd.DataFrame, ident: pd.DataFrame, info: dict) -> str:
    """report.md: method, fit, identifiability, in a form a researcher can paste from."""
    lines = [
        f"# Calibration: {spec.name}", "",
        f"{info['trials']} search trials (Optuna CMA-ES, seed {info['seed']}), {info['probes']} curvature probes "
        f"and {info['ensemble']} ensemble proposals, {info['replications']} replications each, vector engine, "
        f"common random numbers (run.seed {info['run_seed']} in every trial); "
        f"overrides: {' '.join(info['overrides']) or 'none'}.", "",
        f"Best objective (negative log-likelihood + priors): {info['best_objective']:.2f}. "
        f"Ensemble: {info['ensemble_sets']} weighted sets, effective sample size {info['ess']:.1f} of "
        f"{info['ensemble']} importance-weighted proposals (weights ∝ exp(-objective)/q, q a defensive Gaussian "
        "mixture around the best trial; see sim/workflows/calibration/study.py).", "",
        "## Fit", "", fit_markdown(fit), "",
        "## Parameters: what the data pin down", "",
        "| parameter | best | posterior mean | 95% interval | local sd | prior sd | sd ratio | verdict |",
        "|---|--:|--:|---|--:|--:|--:|---|",
    ]
    for r in ident.itertuples():
        lines.append(f"| {r.parameter} | {r.best:.3g} | {r.posterior_mean:.3g} | [{r.low:.3g}, {r.high:.3g}] | "
                     f"{r.local_sd:.3g} | {r.prior_sd:.3g} | {r.sd_ratio:.2f} | {r.verdict} |")
    lines += ["", "Posterior mean, 95% interval: the importance-weighted ensemble. Local sd: from the "
              "objective's curvature at the best set with the other parameters held (it understates the "
              "spread along ridges, e.g. the intercept against all attractivenesses). sd ratio: posterior sd "
              f"(or local sd where the verdict says '(local)', used when the ensemble's effective sample size "
              f"is below {MIN_ESS}) over prior sd; < 0.5 pinned down, 0.5-0.8 partly, > 0.8 not pinned down: "
              "the data cannot determine it and its value is about the prior's."]
    return "\n".join(lines)


def write_figure(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=130)
    plt.close(fig)
