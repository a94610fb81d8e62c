"""What a calibration writes: best.yaml, the posterior predictive fit, what the data taught, a report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from sim.present.format import plain  # noqa: E402
from sim.workflows.calibration.prior import Prior, names  # noqa: E402
from sim.workflows.calibration.spec import Spec  # noqa: E402

RANGE = (2.5, 97.5)
# Thresholds below which a calibration's weighted draws are refused (issue: a posterior whose
# uncertainty can be trusted): effective sample size, Pareto k̂ of the weights, largest weight, and
# distinct equally weighted draws written.
THRESHOLDS = {"ess": 500.0, "pareto_k": 0.7, "max_weight": 0.01, "distinct": 200}
# Posterior sd / prior sd: below LEARNED the data pinned the parameter down, above PRIOR_ONLY they
# left it about where the prior had it.
LEARNED, PRIOR_ONLY = 0.5, 0.9


def best_yaml(spec: Spec, values: Mapping[str, float], overrides: Sequence[str], note: str) -> str:
    """A scenario file (sim.compare, sim.run scenario=...) at the posterior median, with the
    calibration's overrides."""
    lines = [f"# What does the model give at the posterior median of the calibration to {spec.name} (sim.calibrate)?",
             "#", f"# {note} See report.md next to this file.",
             "# The calibration's own overrides (applied to every particle) are kept below."]
    data: dict[str, object] = {"params": "prior"}  # the particles ran on the priors for keys outside the spec
    for o in overrides:
        key, value = o.split("=", 1)
        if not key.lstrip("+~").startswith("run."):
            data[key.lstrip("+~")] = yaml.safe_load(value)
    data.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in values.items()})
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    order = np.argsort(x)
    cum = np.cumsum(w[order])
    return np.array([x[order][min(np.searchsorted(cum / cum[-1], p), len(x) - 1)] for p in q])


def fit_table(spec: Spec, predicted: Mapping[str, np.ndarray], loo: pd.DataFrame | None = None,
              loo_weights: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Each target and holdout: observed, the posterior predictive mean and 95% interval (parameters +
    Monte Carlo + reporting), inside or not; for targets, the leave-one-out 95% interval (PSIS) and
    its Pareto k̂."""
    rows = []
    for kind, targets in (("target", spec.targets), ("check", spec.holdout)):
        for t in targets:
            x = predicted[t.name]
            flat = x[~np.isnan(x)]
            low, high = np.percentile(flat, RANGE)
            # the predictive's probability of a report at least as far out as the observed one, on its
            # side (a posterior predictive p-value, one-sided): near 0, the model rarely says it
            tail = float(min(np.mean(flat <= t.observed), np.mean(flat >= t.observed)))
            row = {"name": t.name, "kind": kind, "metric": t.metric_text, "at_week": t.at_week,
                   "observed": t.observed, "rounded": t.rounded, "mean": float(flat.mean()), "low": low, "high": high,
                   "inside": bool(low <= t.observed <= high), "tail": tail}
            if kind == "target" and loo_weights is not None and loo is not None:
                w = np.repeat(loo_weights[t.name], x.shape[1])
                ok = ~np.isnan(x.ravel())
                lo, hi = _weighted_quantiles(x.ravel()[ok], w[ok], (0.025, 0.975))
                row.update(loo_low=lo, loo_high=hi, loo_inside=bool(lo <= t.observed <= hi),
                           pareto_k=float(loo.set_index("name").loc[t.name, "pareto_k"]))
            rows.append(row)
    return pd.DataFrame(rows)


def fit_markdown(fit: pd.DataFrame) -> str:
    has_loo = "loo_low" in fit
    lines = ["| target | observed | predictive mean | 95% predictive interval | inside | tail |"
             + (" leave-one-out 95% interval | inside | Pareto k̂ |" if has_loo else ""),
             "|---|--:|--:|---|---|--:|" + ("---|---|--:|" if has_loo else "")]
    for r in fit.itertuples():
        week = f" (week {int(r.at_week)})" if pd.notna(r.at_week) else ""
        kind = "" if r.kind == "target" else " *(check)*"
        observed = plain(r.observed) + (f" (±{r.rounded // 2})" if r.rounded > 1 else "")
        line = (f"| {r.name}{week}{kind} | {observed} | {plain(r.mean)} | [{plain(r.low)}, {plain(r.high)}] | "
                f"{'yes' if r.inside else 'no'} | {r.tail:.3f} |")
        if has_loo:
            line += (f" [{plain(r.loo_low)}, {plain(r.loo_high)}] | {'yes' if r.loo_inside else 'no'} | "
                     f"{r.pareto_k:.2f} |" if pd.notna(r.loo_low) else " | | |")
        lines.append(line)
    targets = fit[fit.kind == "target"]
    n = len(targets)
    lines += ["", f"Targets inside their 95% posterior predictive interval: {int(targets.inside.sum())} of {n}"
              + (f"; inside their leave-one-out interval: {int(targets.loo_inside.sum())} of {len(targets)}"
                 if has_loo else "") + ".",
              "95% predictive interval: 2.5th-97.5th percentile of what the report could have said if the model "
              "is right, over the posterior draws (parameter uncertainty), fresh replications (Monte Carlo) and the "
              "stated model discrepancy and rounding (the range of outcomes, not the precision of a mean). "
              "Tail: the predictive probability of a report at least as far from the mean as the observed one, "
              "on its side (a one-sided posterior predictive p-value: the smaller, the more the report surprises "
              "the model). "
              "Leave-one-out: the same without the row itself (Pareto-smoothed importance sampling; "
              "k̂ > 0.7 marks an unreliable one)."]
    return "\n".join(lines)


def fit_figure(fit: pd.DataFrame) -> plt.Figure:
    """Observed vs the posterior predictive 95% interval, per target and check."""
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(fit) + 1.5))
    y = np.arange(len(fit))[::-1]
    m, lo, hi = (fit[c].to_numpy(float) for c in ("mean", "low", "high"))
    ax.errorbar(m, y + 0.1, xerr=[m - lo, hi - m], fmt="o", ms=4, color="tab:blue",
                label="posterior predictive (95%)")
    if "loo_low" in fit:
        llo, lhi = fit.loo_low.to_numpy(float), fit.loo_high.to_numpy(float)
        mid = np.where(np.isnan(llo), np.nan, (llo + lhi) / 2)
        ax.errorbar(mid, y - 0.15, xerr=[mid - llo, lhi - mid], fmt="none", color="tab:orange",
                    label="leave-one-out (95%)")
    ax.scatter(fit.observed, y, marker="x", color="black", zorder=3, label="reported")
    ax.set_yticks(y, fit.name)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("count at week 69 (or share)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def learned(prior: Prior, draws: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior sd, posterior mean, median, sd and 90% interval, their ratio, a verdict."""
    prior_sd = prior.prior_sd()
    rows = []
    for j, p in enumerate(prior.parameters):
        x = draws[p.key].to_numpy(float)
        ratio = float(x.std() / prior_sd[j]) if prior_sd[j] > 0 else np.nan
        verdict = ("pinned down" if ratio < LEARNED else "not pinned down (the prior's)" if ratio > PRIOR_ONLY
                   else "partly")
        rows.append({"parameter": p.key, "prior": p.prior, "prior_sd": float(prior_sd[j]),
                     "posterior_mean": float(x.mean()), "posterior_median": float(np.median(x)),
                     "posterior_sd": float(x.std()), "low": float(np.percentile(x, 5)),
                     "high": float(np.percentile(x, 95)), "sd_ratio": ratio, "verdict": verdict})
    return pd.DataFrame(rows)


def learned_figure(table: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    colours = table.verdict.map(lambda v: "tab:green" if v == "pinned down" else "tab:olive" if v == "partly"
                                else "tab:red")
    ax.barh(y, np.minimum(table.sd_ratio, 1.5), color=colours)
    for x in (LEARNED, PRIOR_ONLY):
        ax.axvline(x, color="grey", ls=":")
    ax.set_yticks(y, names(table.parameter), fontsize=7)
    ax.set_xlabel(f"posterior sd / prior sd: below {LEARNED} the data pinned it down, above {PRIOR_ONLY} the prior did")
    fig.tight_layout()
    return fig


def trade_offs(draws: pd.DataFrame, k: int = 5) -> list[str]:
    """The `k` parameters in the strongest posterior correlations (those that trade off)."""
    corr = np.array(draws.astype(float).corr().abs().fillna(0.0).to_numpy())
    np.fill_diagonal(corr, 0.0)
    order = np.argsort(-corr.max(axis=1))
    return [draws.columns[i] for i in order[:k]]


def pairs_figure(draws: pd.DataFrame, keys: Sequence[str]) -> plt.Figure:
    """Pairs plot of `keys`' posterior draws, with each pair's correlation."""
    k = len(keys)
    fig, axes = plt.subplots(k, k, figsize=(1.9 * k + 1, 1.9 * k + 1), squeeze=False)
    short = names(keys)
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            ax = axes[i, j]
            if i == j:
                ax.hist(draws[a], bins=25, color="tab:blue")
            elif i > j:
                ax.scatter(draws[b], draws[a], s=2, alpha=0.3, color="tab:blue")
            else:
                ax.axis("off")
                ax.text(0.5, 0.5, f"r = {np.corrcoef(draws[a], draws[b])[0, 1]:.2f}", ha="center", va="center",
                        transform=ax.transAxes)
            ax.tick_params(labelsize=6)
            if j == 0:
                ax.set_ylabel(short[i], fontsize=7)
            if i == k - 1:
                ax.set_xlabel(short[j], fontsize=7)
    fig.suptitle("Posterior draws of the parameters that trade off most", fontsize=9)
    fig.tight_layout()
    return fig


def checks(diagnostics: Mapping[str, float]) -> list[tuple[str, str, bool]]:
    """(what, value and threshold, passed) for each of the thresholds that refuse a weak result."""
    d, t = diagnostics, THRESHOLDS
    return [("effective sample size of the final weights", f"{d['ess']:.0f} (≥ {t['ess']:.0f})", d["ess"] >= t["ess"]),
            ("Pareto k̂ of the final weights", f"{d['pareto_k']:.2f} (< {t['pareto_k']})",
             bool(d["pareto_k"] < t["pareto_k"])),
            ("largest final weight", f"{100 * d['max_weight']:.2f}% (< {100 * t['max_weight']:.0f}%)",
             d["max_weight"] < t["max_weight"]),
            ("distinct equally weighted draws", f"{d['distinct']} (≥ {t['distinct']})", d["distinct"] >= t["distinct"])]


def passed(diagnostics: Mapping[str, float]) -> bool:
    return all(ok for _, _, ok in checks(diagnostics))


def report(spec: Spec, fit: pd.DataFrame, table: pd.DataFrame, diagnostics: Mapping[str, float], info: Mapping) -> str:
    """report.md: method, diagnostics with their thresholds, the fit, what the data taught."""
    lines = [
        f"# Calibration: {spec.name}", "",
        f"Posterior by sequential Monte Carlo with adaptive tempering (sim/workflows/calibration/smc.py): "
        f"{info['particles']} particles, {info['replications']} replications per particle (vector engine, common "
        f"random numbers: run.seed {info['run_seed']}), seed {info['seed']}; {diagnostics['steps']} tempering steps, "
        f"{diagnostics['batches']} likelihood batches, {info['minutes']:.1f} min on {info['workers']} "
        f"process(es); overrides: {' '.join(info['overrides']) or 'none'}; code {info['code']}. Data model: "
        f"negative binomial counts with a model discrepancy of {100 * spec.discrepancy:.0f}% of the mean, rows "
        "reported rounded scored on every count that rounds to them.", "",
        "## Diagnostics", "", "| check | value (threshold) | passed |", "|---|---|---|",
    ]
    lines += [f"| {what} | {value} | {'yes' if ok else '**no**'} |" for what, value, ok in checks(diagnostics)]
    lines += ["", "The posterior is usable." if passed(diagnostics) else
              "**The posterior fails a threshold: it is not fit to install (sim.install_calibration refuses it).**",
              "", "## Posterior predictive check", "", fit_markdown(fit), "",
              "## Parameters: what the data taught", "",
              "| parameter | prior | prior sd | posterior median | 90% interval | posterior sd | sd ratio | verdict |",
              "|---|---|--:|--:|---|--:|--:|---|"]
    weak = "" if passed(diagnostics) else " (unreliable: the diagnostics failed)"
    for r in table.itertuples():
        lines.append(f"| {r.parameter} | {r.prior} | {r.prior_sd:.3g} | {r.posterior_median:.3g} | "
                     f"[{r.low:.3g}, {r.high:.3g}] | {r.posterior_sd:.3g} | {r.sd_ratio:.2f} | {r.verdict}{weak} |")
    lines += ["", "90% interval: the central 90% of the posterior draws, where the parameter lies given the data "
              "and its prior (parameter uncertainty; not a range of outcomes, not the precision of a mean). "
              f"sd ratio: posterior sd over prior sd (the prior's sd after truncation and the sum-to-zero "
              f"centring, by Monte Carlo). Below {LEARNED}: pinned down by the data; above {PRIOR_ONLY}: not pinned "
              "down, its posterior is about its prior and any result that depends on it carries the prior's spread."]
    return "\n".join(lines)


def write_figure(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=130)
    plt.close(fig)
