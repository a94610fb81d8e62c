"""The one table of metric names a person reads: a short label, its kind and a plain definition; and
the names of the city's centres, clubs and teams as people say them.

The terminal summary, the Markdown and HTML reports, the dashboard and the figures all name metrics
from here (`sim.present.format` formats their values by `kind`). A rate's `of` is its denominator,
shown with the label wherever the rate is; a definition says what is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.config import SimConfig

RATE, COUNT, DKK, PER_100 = "rate", "count", "DKK", "per 100 starters"
_AFTER = "weeks after the citizen's own programme end"


@dataclass(frozen=True)
class Metric:
    label: str  # a noun phrase: "handover rate", "municipal cost"
    kind: str  # RATE (a share, shown as %), COUNT (citizens), DKK or PER_100 (citizens per 100 starters)
    definition: str
    of: str = ""  # a rate's denominator, as it is said: "completers"


_COUNTS = {
    "started": Metric("citizens starting the programme", COUNT, "citizens who started the programme within the run"),
    "completed": Metric("citizens completing the programme", COUNT, "starters who completed all programme weeks"),
    "handed_over": Metric("citizens handed over to a club team", COUNT,
                          "completers who joined a club team within their decision window"),
    "retained_26w": Metric("citizens in a club team 26 weeks on", COUNT, f"starters in a club team 26 {_AFTER}"),
    "retained_52w": Metric("citizens in a club team 52 weeks on", COUNT, f"starters in a club team 52 {_AFTER}"),
    "active_count_52w": Metric("citizens active 52 weeks on", COUNT,
                               f"starters physically active 52 {_AFTER}: in a club team or a patient-association "
                               "activity with training"),
    "extra_retained_52w": Metric("extra citizens retained at 52 weeks", COUNT,
                                 "citizens in a club team 52 weeks after their programme, minus the reference's "
                                 "(paired by replication)"),
}
_RATES = {
    "completion_rate": Metric("completion rate", RATE, "completed / started", "starters"),
    "handover_rate": Metric("handover rate", RATE, "handed over / completed (denominator: completers)", "completers"),
    "retention_26w": Metric("retention at 26 weeks", RATE,
                            "retained at 26 weeks / starters whose 26-week follow-up the run reaches",
                            "starters reached"),
    "retention_52w": Metric("retention at 52 weeks", RATE,
                            "retained at 52 weeks / starters whose 52-week follow-up the run reaches",
                            "starters reached"),
    "active_52w": Metric("share active at 52 weeks", RATE,
                         "active at 52 weeks (club team or patient activity with training) / starters reached",
                         "starters reached"),
    "patient_uptake": Metric("patient-association uptake", RATE,
                             "joined a patient-association offering / completers with an offering for their "
                             "diagnosis at their centre", "eligible completers"),
    "patient_retention_52w": Metric("patient-association retention at 52 weeks", RATE,
                                    "still in that offering 52 weeks after programme end / the same completers, "
                                    "reached", "eligible completers"),
    "completer_retention_52w": Metric("retention at 52 weeks", RATE,
                                      f"completers in a club team 52 {_AFTER} / completers whose 52-week follow-up "
                                      "the run reaches", "completers"),
    "retention": Metric("in a club team", RATE, f"starters in a club team the given number of {_AFTER}",
                        "starters reached"),
}
# Municipal cost items (`cost_<item>`, sim.model.costs.ITEMS) and the club side (`club_<item>`).
_ITEMS = {
    "centre_sessions": "centre staff and hall, sessions at the centre",
    "club_sessions": "centre staff, sessions in a club (Amager)",
    "coleading": "club co-leading fees (Amager)",
    "parallel_sessions": "parallel club sessions (Vesterbro)",
    "gift_cards": "gift cards (Vanløse)",
    "trial_sessions": "trial sessions",
    "instructor_training": "instructor training",
    "subsidies": "team subsidies",
    "wages": "instructor wages paid by the municipality",
    "coordination": "handover coordination",
}
_AMOUNTS = {
    "cost_municipality": Metric("municipal cost", DKK, "the municipality's cost over the run, all items below (DKK)"),
    "cost_per_retained_52w": Metric("municipal cost per citizen retained at 52 weeks", DKK,
                                    "municipal cost / citizens retained at 52 weeks (DKK per citizen; an average, "
                                    "not the incremental cost)"),
    "cost_per_extra_retained_52w": Metric("cost per additional citizen retained at 52 weeks", DKK,
                                          "extra municipal cost / extra citizens retained at 52 weeks against the "
                                          "reference: ratio of the mean paired differences (DKK per additional "
                                          "citizen)"),
    "extra_cost": Metric("extra municipal cost", DKK, "municipal cost minus the reference's (paired by replication)"),
    **{f"cost_{item}": Metric(label, DKK, f"{label} (DKK)") for item, label in _ITEMS.items()},
    "club_fees": Metric("clubs: fees received", DKK, "clubs' income from members' and regulars' fees (DKK)"),
    "club_municipal_payments": Metric("clubs: payments from the municipality", DKK,
                                      "clubs' income from the municipality: subsidies, wages, co-leading, trial and "
                                      "parallel sessions, gift cards (DKK)"),
    "club_wages_paid": Metric("clubs: wages they pay", DKK, "instructor wages the clubs pay themselves (DKK)"),
    "club_net": Metric("clubs: net", DKK, "clubs' fees + municipal payments − wages they pay (DKK)"),
}
# Counts per 100 starters (sim.workflows.compare.per_starters): plans whose intake differs.
_PER_100 = {f"{name}_per_100": Metric(f"{m.label} per 100 starters", PER_100,
                                      f"{m.definition}, per 100 citizens starting the programme")
            for name, m in _COUNTS.items() if name not in ("started", "extra_retained_52w")}
METRICS: dict[str, Metric] = {**_COUNTS, **_RATES, **_AMOUNTS, **_PER_100}


def kind(name: str) -> str:
    """RATE, COUNT or DKK; a column not in the table counts as DKK if named `cost_*`/`club_*`, else COUNT."""
    if name in METRICS:
        return METRICS[name].kind
    return DKK if name.startswith(("cost_", "club_")) else COUNT


def is_rate(name: str) -> bool:
    return kind(name) == RATE


def label(name: str, of: bool = False) -> str:
    """The metric's short label (`of`: with a rate's denominator, "handover rate (of completers)");
    a name not in the table is shown as it is."""
    metric = METRICS.get(name)
    if metric is None:
        return name
    return f"{metric.label} (of {metric.of})" if of and metric.of else metric.label


def axis_label(name: str) -> str:
    """The label with its unit, for an axis: "handover rate (% of completers)", "municipal cost (DKK)"."""
    metric = METRICS.get(name)
    if metric is None:
        return name
    unit = {RATE: f"% of {metric.of}", DKK: "DKK", COUNT: "citizens", PER_100: "citizens per 100 starters"}[metric.kind]
    return f"{metric.label} ({unit})"


def definition(name: str) -> str:
    """What the metric counts (a rate: numerator / denominator); empty for a name not in the table."""
    metric = METRICS.get(name)
    return metric.definition if metric else ""


# --- the city's entities, by the names people use ---------------------------------------------------------------


def _spaced(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def centre_label(cfg: SimConfig, key: str) -> str:
    """A centre's label ("Østerbro"), else its id spaced out."""
    centre = cfg.city.centres.get(key)
    return (centre.label if centre else "") or _spaced(key)


def association_label(cfg: SimConfig, key: str) -> str:
    """A club's or patient association's label ("Idræt i Dagtimerne"), else its id spaced out."""
    association = cfg.city.associations.get(key)
    return (association.label if association else "") or _spaced(key)


def team_label(cfg: SimConfig, name: str) -> str:
    """A team as people say it: its club, activity and centre ("Det Grønne Æble, basic training
    (Østerbro)"); a sister team opened later (`groenne_aeble_basic#1`) is that club's team 2 there."""
    listed, _, sister = name.partition("#")
    team = cfg.city.teams.get(listed)
    if team is None:
        return name
    text = association_label(cfg, team.association) + (f", {team.activity}" if team.activity else "")
    text += f" ({centre_label(cfg, team.centre)})" if team.centre else ""
    return f"{text}, team {int(sister) + 1}" if sister else text
