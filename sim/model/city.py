"""The city resolved into flat arrays: centres, sports teams (listed teams, then dormant sisters)
and patient-association offerings.

Both engines build their world from one `City`, so per-entity defaults, the `club.cafe` override,
partner clubs, sister-team layout and patient eligibility are decided once, here; so are the weekly
quit and fill probabilities of each team's instructor and each offering's volunteers, by the rules of
`sim.model.rules`. No Mesa, no randomness. Built from a config with per-replication values
(sim.model.values.stack), a numeric per-entity array that depends on them has a leading replication
axis: (R, teams) instead of (teams,). `team.max_extra` may vary too: the city then holds sister slots
for the largest value, and each replication opens at most its own number of them (the engines).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.model import rules
from sim.model.config import DIAGNOSES, MODIFIERS, POLICIES, AssociationCfg, SimConfig, own_mix


@dataclass(frozen=True)
class City:
    """Per-centre and per-team constants. Team index: listed teams 0..L-1 in city order, then the
    sisters of listed team i at L + i*sister_slots + k (k = 0..sister_slots-1), sister k named
    `<listed>#<k+1>` whatever the number of slots."""

    centre_names: list[str]
    centre_labels: list[str]
    centre_policy: np.ndarray  # int8, index into POLICIES (the centre's own model, for `mixed`)
    centre_partner: np.ndarray  # int, team index of the partner team
    centre_r_mean: np.ndarray  # float, district mean resourcefulness
    centre_mix: np.ndarray  # (centres, diagnoses) diagnosis shares
    centre_modifiers: np.ndarray  # (centres, len(MODIFIERS)) bool, global OR per-centre switch
    team_names: list[str]
    team_assoc_names: list[str]
    n_listed: int
    sister_slots: int  # dormant sisters per listed team: the largest team.max_extra they are built for
    team_listed: np.ndarray  # listed team a team belongs to (itself for listed teams)
    team_is_sister: np.ndarray  # bool
    team_centre: np.ndarray
    team_assoc: np.ndarray  # association index (among sports clubs)
    team_partner_club: np.ndarray  # bool: the team's club is its centre's partner club
    team_capacity: np.ndarray
    team_regulars: np.ndarray
    team_attractiveness: np.ndarray
    team_facility_quality: np.ndarray
    team_has_cafe: np.ndarray  # bool
    team_paid_instructor: np.ndarray  # bool
    team_interval: np.ndarray  # meeting interval in weeks (the club's `meeting_interval_weeks`)
    team_quit_prob: np.ndarray  # weekly probability that the instructor quits
    team_fill_prob: np.ndarray  # weekly probability that a vacancy is filled
    offers: Offerings

    @property
    def n_centres(self) -> int:
        return len(self.centre_names)

    @property
    def n_teams(self) -> int:
        return len(self.team_names)

    def at(self, replication: int) -> City:
        """The city of one replication: arrays that vary per replication read at it."""
        own = {name: value[replication] for name, value in vars(self).items()
               if (name.startswith("team_") or name == "centre_r_mean") and np.ndim(value) == 2}
        offers = {name: value[replication] for name, value in vars(self.offers).items()
                  if name in ("capacity", "quit_prob", "fill_prob") and np.ndim(value) == 2}
        if not own and not offers:
            return self
        return replace(self, **own, offers=replace(self.offers, **offers))

    def siblings(self, team: int) -> np.ndarray:
        """The teams of `team`'s association at its centre (itself included): where its members
        may transfer when it closes (MODEL.md §3.7)."""
        return np.flatnonzero((self.team_assoc == self.team_assoc[team]) & (self.team_centre == self.team_centre[team]))


@dataclass(frozen=True)
class Offerings:
    """Patient-association offerings (MODEL.md §4b), one per association and centre."""

    names: list[str]
    assoc_names: list[str]
    centre: np.ndarray
    capacity: np.ndarray
    staff_run: np.ndarray  # bool: association staff lead it, never vacant
    interval: np.ndarray  # meeting interval in weeks (1 weekly, 4 monthly)
    training: np.ndarray  # bool: physical training (counts towards active_52w)
    course_weeks: np.ndarray  # 0 = a standing offer, else members leave after this many weeks
    quit_prob: np.ndarray  # weekly volunteer quit probability (0 when staff-run)
    fill_prob: np.ndarray
    of: np.ndarray  # (centres, diagnoses): the offering a citizen is eligible for, -1 if none

    def __len__(self) -> int:
        return len(self.names)


def _fill_prob(cfg: SimConfig, assoc: AssociationCfg, paid: bool):
    return rules.fill_prob(cfg, paid, assoc.replacement_weeks, assoc.has_admin_staff)


def _entities(values: list, dtype: type = float) -> np.ndarray:
    """One value per entity: (entities,), or (R, entities) where some vary per replication."""
    if not values:
        return np.zeros(0, dtype)
    return np.stack(np.broadcast_arrays(*values), axis=-1).astype(dtype)


def build_offerings(cfg: SimConfig) -> Offerings:
    """One offering per patient association and centre it serves, in city order."""
    city = cfg.city
    centres = {name: i for i, name in enumerate(city.centres)}
    offers = [(name, a, c) for name, a in city.associations.items() if a.kind == "patient" for c in a.centres]
    of = np.full((len(centres), len(DIAGNOSES)), -1)
    for i, (_, a, c) in enumerate(offers):
        for d in a.diagnoses:
            of[centres[c], DIAGNOSES.index(d)] = i
    staff = [c in a.staff_run_at for _, a, c in offers]
    # An association's own turnover_annual overrides the global volunteer turnover (MODEL.md §3.1).
    turnover = [cfg.patient.volunteer_turnover_annual if a.turnover_annual is None else a.turnover_annual
                for _, a, _ in offers]
    return Offerings(
        names=[f"{name}@{c}" for name, _, c in offers],
        assoc_names=[name for name, _, _ in offers],
        centre=np.array([centres[c] for _, _, c in offers], dtype=int),
        capacity=_entities([cfg.team.capacity if a.capacity is None else a.capacity for _, a, _ in offers], int),
        staff_run=np.array(staff, dtype=bool),
        interval=np.array([a.meeting_interval_weeks for _, a, _ in offers], dtype=int),
        training=np.array([a.has_training for _, a, _ in offers], dtype=bool),
        course_weeks=np.array([a.course_weeks or 0 for _, a, _ in offers], dtype=int),
        quit_prob=_entities([0.0 if st else rules.weekly_quit_prob(t) for st, t in zip(staff, turnover, strict=True)]),
        fill_prob=_entities([_fill_prob(cfg, a, False) for _, a, _ in offers]),
        of=of,
    )


def _capacity(cfg: SimConfig, team, club) -> int:
    """A team's capacity: its own, else its club's `capacity`, else `team.capacity`."""
    for value in (team.capacity, club.capacity):
        if value is not None:
            return value
    return cfg.team.capacity


def _sister_capacity(sister: int | np.ndarray | None, capacity: np.ndarray, n_listed: int) -> np.ndarray:
    """`capacity` (teams,) or (R, teams) with the sisters' (teams n_listed on) set to `team.sister_capacity`
    (a number, or one per replication: then (R, teams)); null keeps each sister its listed team's."""
    if sister is None:
        return capacity
    is_sister = np.arange(capacity.shape[-1]) >= n_listed
    return np.where(is_sister, np.asarray(sister, dtype=int)[..., None], capacity).astype(int)


def build_city(cfg: SimConfig, sister_slots: int | None = None) -> City:
    """Resolve city data + global defaults into a `City`, with `sister_slots` sisters per listed team
    (default: the largest `team.max_extra` of `cfg`, which may hold one per replication). A block of
    replications keeps one layout of the teams however its values are read (sim.vector.engine)."""
    city, team_cfg = cfg.city, cfg.team
    most = int(np.max(team_cfg.max_extra))
    extra = most if sister_slots is None else sister_slots
    if extra < most:
        raise ValueError(f"{extra} sister slots per listed team, but team.max_extra goes up to {most}")
    centres = {name: i for i, name in enumerate(city.centres)}
    club_names = [name for name, a in city.associations.items() if a.kind == "sport"]
    club_index = {name: i for i, name in enumerate(club_names)}
    listed_names = list(city.teams)
    listed = [city.teams[n] for n in listed_names]
    listed_index = {name: i for i, name in enumerate(listed_names)}
    n_listed = len(listed)

    # Sisters copy everything from their listed team (but their capacity, given `team.sister_capacity`):
    # build per listed team, then tile.
    owner = np.concatenate([np.arange(n_listed), np.repeat(np.arange(n_listed), extra)]).astype(int)

    def per_team(values: list, dtype: type = float) -> np.ndarray:
        return _entities(values, dtype)[..., owner]

    club_of = [city.associations[t.association] for t in listed]
    cafe = [a.has_cafe if cfg.club.cafe is None else cfg.club.cafe for a in club_of]
    quality = [cfg.club.facility_quality if a.facility_quality is None else a.facility_quality for a in club_of]
    turnover = [cfg.instructor.turnover_annual if a.turnover_annual is None else a.turnover_annual for a in club_of]
    fill = [_fill_prob(cfg, a, t.paid_instructor) for t, a in zip(listed, club_of, strict=True)]

    centre_cfgs = list(city.centres.values())
    partner = [listed_index[c.partner_team] for c in centre_cfgs]
    partner_club = np.array([club_index[listed[p].association] for p in partner])
    team_centre = per_team([centres[t.centre] for t in listed], int)
    team_assoc = per_team([club_index[t.association] for t in listed], int)
    names = listed_names + [f"{n}#{k + 1}" for n in listed_names for k in range(extra)]
    mods = [[getattr(cfg.modifiers, m) or m in c.modifiers for m in MODIFIERS] for c in centre_cfgs]
    mix = [[(c.diagnosis_mix if own_mix(c.diagnosis_mix) else cfg.citizen.diagnosis_mix)[d] for d in DIAGNOSES]
           for c in centre_cfgs]
    return City(
        centre_names=list(city.centres),
        centre_labels=[c.label or name for name, c in city.centres.items()],
        centre_policy=np.array([POLICIES.index(c.policy.value) for c in centre_cfgs], dtype=np.int8),
        centre_partner=np.array(partner, dtype=int),
        centre_r_mean=_entities([c.resourcefulness_mean for c in centre_cfgs]),
        centre_mix=np.array(mix, dtype=float),
        centre_modifiers=np.array(mods, dtype=bool).reshape(len(centre_cfgs), len(MODIFIERS)),
        team_names=names,
        team_assoc_names=[club_names[i] for i in team_assoc],
        n_listed=n_listed,
        sister_slots=extra,
        team_listed=owner,
        team_is_sister=np.arange(len(owner)) >= n_listed,
        team_centre=team_centre,
        team_assoc=team_assoc,
        team_partner_club=team_assoc == partner_club[team_centre],
        team_capacity=_sister_capacity(
            team_cfg.sister_capacity, per_team([_capacity(cfg, t, a) for t, a in zip(listed, club_of, strict=True)],
                                               int), n_listed),
        team_regulars=per_team([team_cfg.regulars if t.regulars is None else t.regulars for t in listed], int),
        team_attractiveness=per_team(
            [team_cfg.attractiveness if t.attractiveness is None else t.attractiveness for t in listed]),
        team_facility_quality=per_team(quality),
        team_has_cafe=per_team(cafe, bool),
        team_paid_instructor=per_team([t.paid_instructor for t in listed], bool),
        team_interval=per_team([a.meeting_interval_weeks for a in club_of], int),
        team_quit_prob=per_team([rules.weekly_quit_prob(x) for x in turnover]),
        team_fill_prob=per_team(fill),
        offers=build_offerings(cfg),
    )
