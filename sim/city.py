"""The city resolved into flat arrays: centres and sports teams (listed teams, then dormant sisters).

Both engines build their world from one `City`, so per-entity defaults, the `club.cafe` override,
partner clubs and sister-team layout are decided once, here. No Mesa, no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import DIAGNOSES, MODIFIERS, POLICIES, SimConfig


@dataclass(frozen=True)
class City:
    """Per-centre and per-team constants. Team index: listed teams 0..L-1 in city order, then the
    sisters of listed team i at L + i*max_extra + k (k = 0..max_extra-1)."""

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
    team_listed: np.ndarray  # listed team a team belongs to (itself for listed teams)
    team_is_sister: np.ndarray  # bool
    team_centre: np.ndarray
    team_assoc: np.ndarray  # association index (among sports clubs)
    team_partner_club: np.ndarray  # bool: the team's club is its centre's partner club
    team_capacity: np.ndarray
    team_regulars: np.ndarray
    team_attract: np.ndarray
    team_quality: np.ndarray
    team_cafe: np.ndarray  # bool
    team_paid: np.ndarray  # bool
    team_quit_prob: np.ndarray  # weekly probability that the instructor quits
    team_fill_prob: np.ndarray  # weekly probability that a vacancy is filled

    @property
    def n_centres(self) -> int:
        return len(self.centre_names)

    @property
    def n_teams(self) -> int:
        return len(self.team_names)


def weekly_quit_prob(turnover_annual: float) -> float:
    """Weekly quit probability from an annual turnover T: 1 - (1 - T)^(1/52) (MODEL.md §3.1)."""
    return 1.0 - (1.0 - turnover_annual) ** (1.0 / 52.0)


def build_city(cfg: SimConfig) -> City:
    """Resolve city data + global defaults into a `City` (sports teams only)."""
    city, team_cfg = cfg.city, cfg.team
    centres = {c.name: i for i, c in enumerate(city.centres)}
    clubs = [a for a in city.associations if a.kind == "sport"]
    club_index = {a.name: i for i, a in enumerate(clubs)}
    listed = [t for t in city.teams if t.association in club_index]
    listed_index = {t.name: i for i, t in enumerate(listed)}
    n_listed, extra = len(listed), team_cfg.max_extra

    # Sisters copy everything from their listed team: build per listed team, then tile.
    owner = np.concatenate([np.arange(n_listed), np.repeat(np.arange(n_listed), extra)])

    def per_team(values: list) -> np.ndarray:
        return np.asarray(values)[owner]

    club_of = [clubs[club_index[t.association]] for t in listed]
    cafe = [a.has_cafe if cfg.club.cafe is None else cfg.club.cafe for a in club_of]
    quality = [cfg.club.facility_quality if a.facility_quality is None else a.facility_quality for a in club_of]
    turnover = [
        cfg.instructor.turnover_annual if a.turnover_annual is None else a.turnover_annual for a in club_of
    ]
    fill = []
    for t, a in zip(listed, club_of, strict=True):
        weeks = cfg.instructor.replacement_weeks_paid if t.paid_instructor else cfg.instructor.replacement_weeks
        if a.replacement_weeks is not None:
            weeks = a.replacement_weeks
        if a.has_admin_staff:
            weeks *= cfg.instructor.admin_staff_factor
        fill.append(min(1.0, 1.0 / weeks))

    partner_club = np.array([club_index[listed[listed_index[c.partner_team]].association] for c in city.centres])
    team_centre = per_team([centres[t.centre] for t in listed])
    team_assoc = per_team([club_index[t.association] for t in listed])
    names = [t.name for t in listed] + [f"{t.name}#{k + 1}" for t in listed for k in range(extra)]
    mods = np.array([[getattr(cfg.modifiers, m) or m in c.modifiers for m in MODIFIERS] for c in city.centres])
    mix = np.array([[(c.diagnosis_mix or cfg.citizen.diagnosis_mix)[d] for d in DIAGNOSES] for c in city.centres])
    return City(
        centre_names=[c.name for c in city.centres],
        centre_labels=[c.label or c.name for c in city.centres],
        centre_policy=np.array([POLICIES.index(c.policy.value) for c in city.centres], dtype=np.int8),
        centre_partner=np.array([listed_index[c.partner_team] for c in city.centres]),
        centre_r_mean=np.array([c.resourcefulness_mean for c in city.centres]),
        centre_mix=mix,
        centre_modifiers=mods.reshape(len(city.centres), len(MODIFIERS)),
        team_names=names,
        team_assoc_names=[clubs[i].name for i in team_assoc],
        n_listed=n_listed,
        team_listed=owner,
        team_is_sister=np.arange(len(owner)) >= n_listed,
        team_centre=team_centre,
        team_assoc=team_assoc,
        team_partner_club=team_assoc == partner_club[team_centre],
        team_capacity=per_team([team_cfg.capacity if t.capacity is None else t.capacity for t in listed]),
        team_regulars=per_team([team_cfg.regulars if t.regulars is None else t.regulars for t in listed]),
        team_attract=per_team(
            [team_cfg.attractiveness if t.attractiveness is None else t.attractiveness for t in listed]
        ).astype(float),
        team_quality=per_team(quality).astype(float),
        team_cafe=per_team(cafe).astype(bool),
        team_paid=per_team([t.paid_instructor for t in listed]).astype(bool),
        team_quit_prob=per_team([weekly_quit_prob(x) for x in turnover]),
        team_fill_prob=per_team(fill),
    )
