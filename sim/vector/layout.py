"""What every replication of a run shares: the intake schedule, each citizen's policy, decision
window and exposure plan, and which citizens can be in which stage in a given week.

The schedule and the policy of each cohort are deterministic (sim.model.population); only who the
citizens are (diagnosis, r, e) is random. Citizens are sorted by start week, so those who can be in
the programme, in the Vanløse free weeks or deciding in week t are contiguous slices of the citizen
axis, the same in every replication: the engine touches only those slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import policies, rules
from sim.model.city import City
from sim.model.config import POLICIES, SimConfig
from sim.model.population import citizen_policy, schedule

NO_EVENT = -1  # event_attend of an empty event slot


@dataclass(frozen=True)
class Week:
    """The citizen slices that matter in one week (start-week ranges turned into index ranges)."""

    intake: slice  # start this week
    programme: slice  # can be in programme week 1..W (start in [t-W+1, t])
    # where each citizen of `programme` finds its uniforms this week (take-ups, gift card) among
    # the week's programme_draws: programme_offset + its column
    programme_offset: np.ndarray
    programme_draws: int
    completing: slice  # in their last programme week (rules.completes; the first columns of `programme`)
    event_slots: int  # exposure slots to visit this week
    free_weeks: slice  # can be in the Vanløse free weeks
    deciding: slice  # can be deciding with an open window
    recorded: slice  # can be in programme or deciding (the weekly table)


@dataclass(frozen=True)
class Layout:
    """Per-citizen constants (N,) and per-week slices, built once per run."""

    start_week: np.ndarray
    centre: np.ndarray
    policy: np.ndarray
    partner: np.ndarray  # team index of the citizen's centre's partner team
    programme_end: np.ndarray  # start_week + programme.weeks
    window_start: np.ndarray  # programme_end + window delay (Vanløse free weeks)
    gift_card: np.ndarray  # bool: offered a gift card at completion
    # Exposure plan by (citizen, programme week 1..W (0: before the programme, empty), slot): who
    # attends (policies.Attend or NO_EVENT) and the column of the week's uniforms deciding take-up
    # (-1 = not drawn). φ by (replication or 1, plan, week, slot), a citizen's plan being
    # `event_plan` (its policy and centre): φ may vary per replication.
    event_phi: np.ndarray
    event_plan: np.ndarray
    event_attend: np.ndarray
    event_column: np.ndarray
    redeem_column: np.ndarray  # (N,) column of the gift-card draw in the last programme week
    weeks: list[Week]

    def __len__(self) -> int:
        return len(self.start_week)


def _plans(cfg: SimConfig, city: City) -> dict[tuple[int, int], list[list[policies.Exposure]]]:
    """Exposure events by programme week (1..W; entry 0 empty) for each (policy, centre) pair."""
    plans = {}
    for policy in range(len(POLICIES)):
        for centre in range(city.n_centres):
            mods = tuple(bool(m) for m in city.centre_modifiers[centre])
            by_week: list[list[policies.Exposure]] = [[] for _ in range(cfg.programme.weeks + 1)]
            for event in policies.programme_exposures(cfg, policy, mods):
                by_week[event.week].append(event)
            plans[policy, centre] = by_week
    return plans


def _exposure_tables(cfg: SimConfig, city: City, centre: np.ndarray, policy: np.ndarray) -> dict[str, np.ndarray]:
    """Per-citizen exposure plan and draw columns: each trial or parallel take-up gets the next
    column of the week's uniforms; the gift card the last. (Dropout is drawn once, at intake.)"""
    weeks, plans = cfg.programme.weeks, _plans(cfg, city)
    slots = max(1, max(len(events) for plan in plans.values() for events in plan))
    shape = (len(POLICIES), city.n_centres, weeks + 1, slots)
    attend, column = np.full(shape, NO_EVENT, np.int8), np.full(shape, -1, np.int8)
    varying = max((np.size(e.phi) for plan in plans.values() for events in plan for e in events), default=1)
    phi = np.zeros((varying, *shape), np.float32)
    columns = np.zeros(shape[:3], np.int8)
    redeem = np.full(shape[:2], -1, np.int8)
    for (p, c), plan in plans.items():
        for w, events in enumerate(plan):
            for k, event in enumerate(events):
                phi[:, p, c, w, k], attend[p, c, w, k] = event.phi, event.attend
                if event.attend != policies.Attend.ALWAYS:
                    column[p, c, w, k] = columns[p, c, w]
                    columns[p, c, w] += 1
        if policies.has_gift_card(p):
            redeem[p, c] = columns[p, c, weeks]
            columns[p, c, weeks] += 1
    return {
        "event_phi": phi.reshape(len(phi), -1, weeks + 1, slots), "event_plan": policy * city.n_centres + centre,
        "event_attend": attend[policy, centre],
        "event_column": column[policy, centre], "columns": columns[policy, centre],
        "redeem_column": redeem[policy, centre],
    }


def _weeks(cfg: SimConfig, start: np.ndarray, tables: dict[str, np.ndarray], delay: int) -> list[Week]:
    weeks, window = cfg.programme.weeks, cfg.handover.window_weeks

    def starting(first: int, last: int) -> slice:
        return slice(int(np.searchsorted(start, first, "left")), int(np.searchsorted(start, last, "right")))

    out = []
    for t in range(cfg.run.horizon_weeks):
        programme = starting(t - weeks + 1, t)
        citizens = np.arange(programme.start, programme.stop)
        k = rules.programme_week(t, start[citizens])
        columns = tables["columns"][citizens, k]
        attend = tables["event_attend"][citizens, k]
        used = np.flatnonzero((attend != NO_EVENT).any(axis=0))
        out.append(Week(
            intake=starting(t, t),
            programme=programme,
            programme_offset=np.cumsum(columns) - columns,
            programme_draws=int(columns.sum()),
            completing=starting(t - weeks + 1, t - weeks + 1),
            event_slots=int(used.max(initial=-1)) + 1,
            free_weeks=starting(t - weeks - delay + 1, t - weeks),
            deciding=starting(t - weeks - delay - window + 1, t - weeks),
            recorded=starting(t - weeks - delay - window + 1, t),
        ))
    return out


def build_layout(cfg: SimConfig, city: City) -> Layout:
    """The run's shared schedule and plans (same for every replication)."""
    centre, cohort, start = schedule(cfg, city)
    centre, start, policy = (a.astype(np.intp) for a in (centre, start, citizen_policy(cfg, city, centre, cohort)))
    tables = _exposure_tables(cfg, city, centre, policy)
    weeks = _weeks(cfg, start, tables, int(policies.window_delay(cfg, policy).max(initial=0)))
    del tables["columns"]  # only the weeks' draw offsets need it
    return Layout(
        start_week=start,
        centre=centre,
        policy=policy,
        partner=city.centre_partner[centre],
        programme_end=rules.programme_end(cfg, start),
        window_start=policies.window_start(cfg, policy, start),
        gift_card=policies.has_gift_card(policy),
        weeks=weeks,
        **tables,
    )
