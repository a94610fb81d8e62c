"""Each centre's choice set, with its teams grouped by utility, for the vector engine's team choice.

In the multinomial logit of MODEL.md §3.5 two teams with the same attractiveness, facility quality
and club (partner club or not) have the same utility for every citizen, unless one of them is the
centre's partner team, the only team whose instructor a citizen can know. Sister teams copy their
listed team, so a centre's up to (1 + max_extra) × listed teams fall into a few such groups. A
choice is then a logit over groups weighted by their number of available teams, and a uniformly
random available team within the chosen group: the same distribution as the logit over teams, at a
fraction of the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.city import City


@dataclass(frozen=True)
class ChoiceSets:
    """Groups-first arrays (every per-citizen array in a choice is (groups, citizens), so each
    group's row is contiguous); group g of centre c holds the teams teams[g, c, :] (-1 pads).
    Attractiveness and facility quality may vary per replication: (G, R, C), else (G, 1, C)."""

    teams: np.ndarray  # (G, C, M) team indices
    attractiveness: np.ndarray  # (G, R or 1, C)
    facility_quality: np.ndarray  # (G, R or 1, C)
    partner_club: np.ndarray  # (G, C) bool
    partner_team: np.ndarray  # (G, C) bool: the group is the centre's partner team alone

    @property
    def n_groups(self) -> int:
        return self.teams.shape[0]

    def per_chooser(self, values: np.ndarray, replication: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """(G, choosers): each chooser's value of every group of its centre (`values` (G, C) or
        (G, R or 1, C), replications of the block)."""
        if values.ndim == 2:
            return values.take(centre, axis=1)
        rows, width = values.shape[1], values.shape[2]
        return values.reshape(len(values), -1).take((replication if rows > 1 else 0) * width + centre, axis=1)


def choice_sets(city: City) -> ChoiceSets:
    """Group each centre's teams by (attractiveness, facility_quality, partner club, partner team),
    the first two equal in every replication."""
    attractiveness_of = np.atleast_2d(city.team_attractiveness)  # (R or 1, T)
    quality_of = np.atleast_2d(city.team_facility_quality)
    groups: list[dict[tuple, list[int]]] = []
    for c in range(city.n_centres):
        by_key: dict[tuple, list[int]] = {}
        for team in np.flatnonzero(city.team_centre == c).tolist():
            key = (attractiveness_of[:, team].tobytes(), quality_of[:, team].tobytes(),
                   bool(city.team_partner_club[team]), team == city.centre_partner[c])
            by_key.setdefault(key, []).append(team)
        groups.append(by_key)
    n_groups = max((len(g) for g in groups), default=0)
    size = max((len(t) for g in groups for t in g.values()), default=0)
    shape = (max(n_groups, 1), city.n_centres)
    teams = np.full((*shape, max(size, 1)), -1, np.intp)
    attractiveness = np.zeros((shape[0], len(attractiveness_of), shape[1]), np.float32)
    facility_quality = np.zeros((shape[0], len(quality_of), shape[1]), np.float32)
    partner_club, partner_team = np.zeros(shape, bool), np.zeros(shape, bool)
    for c, by_key in enumerate(groups):
        for g, ((_, _, club, partner), members) in enumerate(by_key.items()):
            teams[g, c, : len(members)] = members
            attractiveness[g, :, c] = attractiveness_of[:, members[0]]
            facility_quality[g, :, c] = quality_of[:, members[0]]
            partner_club[g, c], partner_team[g, c] = club, partner
    return ChoiceSets(teams, attractiveness, facility_quality, partner_club, partner_team)


def teams_with_room(sets: ChoiceSets, has_room: np.ndarray) -> np.ndarray:
    """For (replications, teams) `has_room`: which of each group's teams have room, (R, G, C, M)."""
    return has_room[:, np.maximum(sets.teams, 0)] & (sets.teams >= 0)


def draw(sets: ChoiceSets, room: np.ndarray, replication: np.ndarray, centre: np.ndarray, weight: np.ndarray,
         u: np.ndarray, outside: np.ndarray | float = 1.0) -> np.ndarray:
    """One logit draw per chooser, with uniforms `u`: `weight` (G, choosers) is exp(utility) of
    one team of each group, `outside` that of the outside option (all weights of a chooser may
    share a factor). Returns the chosen team, -1 for none."""
    n_groups, n_centres = room.shape[1], room.shape[2]
    count = room.sum(axis=-1, dtype=np.float32).transpose(1, 0, 2).reshape(n_groups, -1)
    count = count.take(replication * n_centres + centre, axis=1)  # (G, choosers): teams with room
    cumulative = count * weight
    for g in range(1, n_groups):  # a running sum over the few groups (np.cumsum on axis 0 is slow)
        cumulative[g] += cumulative[g - 1]
    target = u * (outside + cumulative[-1])
    group = (cumulative <= target).sum(axis=0)
    chosen = np.full(len(u), -1)
    who = np.flatnonzero(group < n_groups)
    g = group[who]
    # Within the group, the team with room the target falls on: uniformly random given u.
    before = cumulative[g, who] - count[g, who] * weight[g, who]
    k = np.clip(((target[who] - before) / weight[g, who]).astype(np.intp), 0, count[g, who].astype(np.intp) - 1)
    rows = room[replication[who], g, centre[who]]  # (choosers, M)
    position = (np.cumsum(rows, axis=1) <= k[:, None]).sum(axis=1)
    chosen[who] = sets.teams[g, centre[who], position]
    return chosen
