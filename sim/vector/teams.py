"""Team state of a block of replications as (replications × teams) arrays, and the same for the
patient-association offerings (`Offerings`).

Teams are indexed as in sim.model.city (listed teams, then the dormant sisters). Instructors are not
entities here: a team has one or none, and the instructor's identity is the team's count of
instructor changes at the time of hiring, which is all a citizen needs to know whether it has met
the team's current instructor.

Quitting and refilling have constant weekly probabilities per team, so instead of a uniform per
team per week each team draws, when it gets an instructor or loses one, the week of its next
change (a geometric number of weeks, sim.vector.draws.geometric): `next_change`.
"""

from __future__ import annotations

import numpy as np

from sim.model import costs, rules
from sim.model.city import City
from sim.model.states import TeamStatus
from sim.model.values import Values
from sim.vector.draws import Streams, geometric

DORMANT, OPEN, CLOSED = (np.int8(s) for s in TeamStatus)


def per_replication(values: np.ndarray, replications: int) -> np.ndarray:
    """A per-entity array as (replications, entities), whether or not it varies per replication."""
    return np.ascontiguousarray(np.broadcast_to(values, (replications, np.shape(values)[-1])))


def _count(flat: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """How often each (replication, entity) occurs among flat (replication * E + entity) indices."""
    return np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape)


class Teams:
    """Status, instructor, membership and accounts of every team in every replication. Team
    attributes that may vary per replication are (replications × teams) arrays too."""

    def __init__(self, values: Values, city: City, streams: Streams) -> None:
        self.values, self.cfg, self.city, self.streams = values, values.cfg, city, streams
        replications = len(streams.cursor)
        shape = (replications, city.n_teams)
        for name in ("capacity", "regulars", "quit_prob", "fill_prob", "paid_instructor", "interval"):
            setattr(self, name, per_replication(getattr(city, f"team_{name}"), replications))
        self.status = np.where(city.team_is_sister, DORMANT, OPEN).astype(np.int8)[None].repeat(replications, 0)
        self.instructor = self.status == OPEN  # every listed team starts staffed, not `changed`
        self.next_change = np.full(shape, rules.NEVER, np.int64)  # see the module docstring; NEVER unless open
        self._draw_next(*np.nonzero(self.instructor), -1)  # may quit from week 0
        self.changes = np.zeros(shape, np.int16)  # instructor changes = identity of the current one
        self.changed_until = np.zeros(shape, np.int16)  # `changed` in weeks < changed_until
        self.members = np.zeros(shape, np.int16)  # simulated members (regulars not included)
        self.balance = np.zeros(shape)
        self.low_weeks = np.zeros(shape, np.int16)
        self.ever_joined = np.zeros(shape, bool)
        self.joined_total = np.zeros(shape, np.int32)
        self.closed_week = np.full(shape, -1, np.int16)
        self.sisters_opened = np.zeros((replications, city.n_listed), np.int16)
        self.pool = np.full(replications, self.cfg.instructor.pool, np.int32)
        self.counted: dict[str, np.ndarray] = {}  # costs.team_week's counts, summed per team

    @property
    def open(self) -> np.ndarray:
        return self.status == OPEN

    @property
    def size(self) -> np.ndarray:
        """Regulars count towards size (capacity, viability, fees)."""
        return rules.team_size(self.regulars, self.members)

    def free_capacity(self, replication: int | slice = slice(None)) -> np.ndarray:
        """Free places of open teams (0 for the others), of every replication or one."""
        size = rules.team_size(self.regulars[replication], self.members[replication])
        return rules.free_capacity(self.capacity[replication], size, self.status[replication] == OPEN)

    def _draw_next(self, replication: np.ndarray, team: np.ndarray, week: int) -> None:
        """The next change of (replication, team) pairs (sorted by replication) from next week on:
        a quit if the team has an instructor now, a refill if not."""
        if len(replication) == 0:
            return
        (u,) = self.streams.uniforms(np.bincount(replication, minlength=len(self.next_change)))
        prob = np.where(self.instructor[replication, team], self.quit_prob[replication, team],
                        self.fill_prob[replication, team])
        self.next_change[replication, team] = week + geometric(prob, u)

    def hire(self, replication: np.ndarray, team: np.ndarray, week: int, draw: bool = True) -> None:
        """A new instructor (pairs sorted by replication): nobody knows them yet, and the team is
        `changed` for a while; they may quit from next week on (`draw`: draw that week now)."""
        self.instructor[replication, team] = True
        self.changes[replication, team] += 1
        self.changed_until[replication, team] = rules.changed_until(self.values.at(replication), week)
        if draw:
            self._draw_next(replication, team, week)

    def staff(self, week: int) -> None:
        """Step 1: instructors quit; teams vacant at the start of the week may be filled (each in
        its week of next change)."""
        due = self.next_change == week  # (teams that are not open never change)
        if due.any():
            fill = due & ~self.instructor
            self.instructor[due] = ~self.instructor[due]
            replication, team = np.nonzero(due)
            self.hire(*np.nonzero(fill), week, draw=False)
            self._draw_next(replication, team, week)

    def add_members(self, flat_team: np.ndarray) -> None:
        """Joins or transfers into teams given as flat (replication * T + team) indices."""
        added = _count(flat_team, self.members.shape)
        self.members += added.astype(np.int16)
        self.joined_total += added.astype(np.int32)
        self.ever_joined |= added > 0

    def remove_members(self, flat_team: np.ndarray) -> None:
        self.members -= _count(flat_team, self.members.shape).astype(np.int16)

    def move_member(self, replication: int, team: int, target: int) -> None:
        """A transfer on closure: the move counts in the receiving team's joined_total."""
        self.members[replication, team] -= 1
        self.members[replication, target] += 1
        self.joined_total[replication, target] += 1
        self.ever_joined[replication, target] = True

    def open_sisters(self, week: int, turned_away: np.ndarray) -> None:
        """Step 5b: in city order, a listed team that turned away enough choosers this week gets its
        next dormant sister, with a new instructor from the pool (one per listed team per week). A
        replication opens at most its own `team.max_extra` of the city's sister slots."""
        city, every, grid = self.city, self.values.at(np.arange(len(self.pool))), self.values.grid
        dormant_left = self.sisters_opened < grid.team.max_extra
        want = rules.opens_sister(grid, turned_away, dormant_left, self.pool[:, None])
        for team in np.flatnonzero(want.any(axis=0)):  # ascending = city order: the pool runs out in order
            rep = np.flatnonzero(rules.opens_sister(every, turned_away[:, team], dormant_left[:, team], self.pool))
            sister = city.n_listed + team * city.sister_slots + self.sisters_opened[rep, team]
            self.sisters_opened[rep, team] += 1
            self.pool[rep] -= 1
            self.status[rep, sister] = OPEN
            self.hire(rep, sister, week)

    def settle(self, week: int) -> np.ndarray:
        """Step 7: fees, subsidy and wages of open teams, and what sim.model.costs counts of them
        (summed per team over the weeks in `counted`). Returns the teams that close now."""
        cfg, open_, size, paid = self.values.grid, self.open, self.size, self.paid_instructor
        meets = rules.meets(week, self.interval)
        np.add(self.balance, rules.team_accounts(cfg, size, paid, self.instructor, meets), out=self.balance,
               where=open_)
        for name, value in costs.team_week(paid, self.instructor, self.members, self.regulars, meets).items():
            counted = self.counted.setdefault(name, np.zeros(open_.shape, np.int64))
            np.add(counted, value, out=counted, where=open_)
        self.low_weeks = rules.low_size_weeks(cfg, self.low_weeks, size, open_ & self.ever_joined).astype(np.int16)
        return open_ & rules.must_close(cfg, self.balance, self.low_weeks)

    def close(self, closing: np.ndarray, week: int) -> None:
        self.status[closing] = CLOSED
        self.next_change[closing] = rules.NEVER
        self.closed_week[closing] = week
        self.instructor[closing] = False

    def outputs(self) -> dict[str, np.ndarray]:
        """TEAM_ARRAYS of sim.model.results."""
        return {
            "opened": self.status != DORMANT,
            "joined_total": self.joined_total.astype(np.int64),
            "members_at_end": self.members.astype(np.int64),
            "closed_week": np.where(self.closed_week >= 0, self.closed_week, np.nan),
            "instructor_changes": self.changes.astype(np.int64),
            "balance_at_end": self.balance.copy(),
        }


class Offerings:
    """Patient-association offerings (MODEL.md §4b) of every replication, indexed as City.offers:
    a volunteer key person (association staff where staff-run: never vacant) and members. No
    fees, no closures, no sisters; nobody needs to know who leads them."""

    def __init__(self, city: City, streams: Streams) -> None:
        self.offers, self.streams = city.offers, streams
        shape = (len(streams.cursor), len(city.offers))
        for name in ("capacity", "quit_prob", "fill_prob"):
            setattr(self, name, per_replication(getattr(city.offers, name), shape[0]))
        self.instructor = np.ones(shape, bool)  # every offering starts staffed
        self.members = np.zeros(shape, np.int16)
        self.next_change = np.zeros(shape, np.int64)  # as for teams
        self._draw_next(self.instructor, -1)

    def free_capacity(self) -> np.ndarray:
        """Free places: capacity − members (offerings have no regulars)."""
        return rules.free_capacity(self.capacity, self.members)

    def _draw_next(self, which: np.ndarray, week: int) -> None:
        """The next change of the offerings `which` (R, O) from next week on: a quit if staffed
        now, a refill if vacant."""
        replication, offer = np.nonzero(which)
        (u,) = self.streams.uniforms(np.bincount(replication, minlength=len(self.next_change)))
        prob = np.where(self.instructor[replication, offer], self.quit_prob[replication, offer],
                        self.fill_prob[replication, offer])
        self.next_change[replication, offer] = week + geometric(prob, u)

    def staff(self, week: int) -> None:
        """Step 1, as for teams: the volunteer may quit (staff-run offerings: probability 0); an
        offering vacant at the start of the week may be filled (each in its week of next change)."""
        due = self.next_change == week
        if due.any():
            self.instructor ^= due
            self._draw_next(due, week)

    def add_members(self, flat_offer: np.ndarray) -> None:
        """Joins into offerings given as flat (replication * O + offering) indices."""
        self.members += _count(flat_offer, self.members.shape).astype(np.int16)

    def remove_members(self, flat_offer: np.ndarray) -> None:
        self.members -= _count(flat_offer, self.members.shape).astype(np.int16)
