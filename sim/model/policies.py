"""The handover policies and modifiers as exposure schedules (MODEL.md §4).

A policy says which exposure events reach a citizen in which programme week, with what strength
φ, and who attends: everyone attending that programme week (`ALWAYS`), those who take up the
baseline trial session (`TRIAL`), or those who go to Vesterbro's free parallel training
(`PARALLEL`). The Vanløse gift card comes after the programme and is described by `has_gift_card`
and `window_delay`. Both engines read these schedules; neither hard-codes a policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.model import rules
from sim.model.config import MODIFIERS, POLICIES, SimConfig

BASELINE, AMAGER, VESTERBRO, VANLOSE = (POLICIES.index(p) for p in POLICIES)


class Attend(IntEnum):
    ALWAYS = 0  # every citizen attending the programme week
    TRIAL = 1  # baseline trial session, taken up with trial_prob
    PARALLEL = 2  # Vesterbro free parallel training, taken up with parallel_prob (paid per session)


@dataclass(frozen=True)
class Exposure:
    """One exposure event at the partner club in a programme week."""

    week: int  # programme week, 1..programme.weeks
    phi: float  # f <- f + phi (1 - f) (an array over replications where it varies, sim.model.values)
    attend: Attend


def programme_exposures(cfg: SimConfig, policy: int, modifiers: tuple[bool, ...]) -> list[Exposure]:
    """All exposure events of a programme under `policy` with the centre's modifier switches
    (`modifiers` in the order of config.MODIFIERS)."""
    ex, n = cfg.exposure, cfg.programme.weeks
    events: list[Exposure] = []
    if policy == BASELINE:
        events.append(Exposure(cfg.baseline.trial_week, ex.trial, Attend.TRIAL))
    elif policy == AMAGER:  # one of the week's sessions at the club (as sim.model.costs counts it)
        events += [Exposure(w, ex.club_session, Attend.ALWAYS) for w in range(1, n + 1)]
    elif policy == VESTERBRO:
        events += [Exposure(w, ex.club_session, Attend.PARALLEL) for w in range(1, n + 1)]
    on = dict(zip(MODIFIERS, modifiers, strict=True))
    if on["team_visit"]:
        events.append(Exposure(cfg.modifiers.visit_week, ex.visit, Attend.ALWAYS))
    if on["club_presentation"]:
        events.append(Exposure(cfg.modifiers.presentation_week, ex.presentation, Attend.ALWAYS))
    if on["monthly_trial"]:
        events += [Exposure(w, ex.trial, Attend.ALWAYS) for w in cfg.modifiers.monthly_trial_weeks]
    return sorted(events, key=lambda e: (e.week, e.attend))


def has_gift_card(policy):
    """Vanløse: a gift card for free club weeks is offered at completion (policy codes, scalar or array)."""
    return policy == VANLOSE


def window_delay(cfg: SimConfig, policy):
    """Weeks between programme end and the first week of the decision window: "the window of every
    Vanløse completer starts after the `vanlose.free_weeks` free weeks" (MODEL.md §3.4)."""
    return np.where(has_gift_card(policy), cfg.vanlose.free_weeks, 0)


def window_start(cfg: SimConfig, policy, start_week):
    """The first week of the decision window: "starting next week" after the last programme week,
    i.e. at programme end, plus the Vanløse free weeks (MODEL.md §3.4)."""
    return rules.programme_end(cfg, start_week) + window_delay(cfg, policy)


def in_free_weeks(week, programme_end, window_start):
    """Whether `week` is one of the Vanløse free weeks, between programme end and the window's
    start (MODEL.md §3.3: "one event in each free week")."""
    return (programme_end <= week) & (week < window_start)
