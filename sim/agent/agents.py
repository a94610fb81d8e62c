"""Mesa agents: citizens, instructors, teams, associations and centres (MODEL.md §2).

Agents own their behaviour; `HandoverModel.step` orchestrates the weekly order. Every equation
comes from `sim.model.rules`, every exposure schedule from `sim.model.policies`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import policies, rules
from sim.model.policies import Attend
from sim.model.states import LapseReason, PatientState, State, TeamStatus

if TYPE_CHECKING:
    from sim.agent.model import HandoverModel


class Centre(mesa.Agent):
    """A prevention centre: its district's sports teams and its partner team."""

    def __init__(self, model: HandoverModel, index: int, name: str) -> None:
        super().__init__(model)
        self.index, self.name = index, name
        self.teams: list[Team] = []
        self.partner: Team | None = None


class Association(mesa.Agent):
    """A sports club and its teams (a patient association's offerings are `Offering`s)."""

    def __init__(self, model: HandoverModel, index: int, name: str) -> None:
        super().__init__(model)
        self.index, self.name = index, name
        self.teams: list[Team] = []


class Instructor(mesa.Agent):
    """Leads one team until they quit; citizens who met them know them by `unique_id`."""

    def __init__(self, model: HandoverModel, team: Team) -> None:
        super().__init__(model)
        self.team = team


class Group(mesa.Agent):
    """What club teams and patient-association offerings share: an instructor (or volunteer key
    person) who quits and is replaced, and members."""

    def __init__(self, model: HandoverModel, index: int, centre: Centre, quit_prob: float,
                 fill_prob: float) -> None:
        super().__init__(model)
        self.index, self.centre = index, centre
        self.quit_prob, self.fill_prob = quit_prob, fill_prob
        self.instructor: Instructor | None = None
        self.changed_until = 0
        self.members: list[Citizen] = []
        self.instructor_changes = 0

    def hire(self, week: int) -> None:
        """A new instructor: nobody knows them yet, and the team is `changed` for a while."""
        self.instructor = Instructor(self.model, self)
        self.instructor_changes += 1
        self.changed_until = rules.changed_until(self.model.cfg, week)

    def meets(self, week: int) -> bool:
        return bool(rules.meets(week, self.interval))

    def lose_instructor(self) -> None:
        self.instructor.remove()
        self.instructor = None

    def staff(self, rng: np.random.Generator, week: int) -> None:
        """Step 1: the instructor may quit; a team vacant since last week may be filled (not one
        that lost its instructor this week)."""
        if self.instructor is not None:
            if rng.random() < self.quit_prob:
                self.lose_instructor()
        elif rng.random() < self.fill_prob:
            self.hire(week)


class Offering(Group):
    """A patient association's offering at a centre (MODEL.md §4b): never closes, no fees."""

    def __init__(self, model: HandoverModel, index: int, centre: Centre) -> None:
        offers = model.city.offers
        super().__init__(model, index, centre, float(offers.quit_prob[index]), float(offers.fill_prob[index]))
        self.capacity = int(offers.capacity[index])
        self.volunteer_run = not bool(offers.staff_run[index])
        self.interval = int(offers.interval[index])
        self.course_weeks = int(offers.course_weeks[index])
        self.instructor = Instructor(model, self)

    @property
    def free_capacity(self) -> int:
        """Offerings have no regulars: capacity − members."""
        return int(rules.free_capacity(self.capacity, len(self.members)))


class Team(Group):
    """A club team (listed, or a dormant sister that opens when demand exceeds capacity)."""

    def __init__(self, model: HandoverModel, index: int, centre: Centre, club: Association) -> None:
        city = model.city
        super().__init__(model, index, centre, float(city.team_quit_prob[index]), float(city.team_fill_prob[index]))
        self.club = club
        self.capacity = int(city.team_capacity[index])
        self.regulars = int(city.team_regulars[index])
        self.attractiveness = float(city.team_attractiveness[index])
        self.facility_quality = float(city.team_facility_quality[index])
        self.has_cafe = bool(city.team_has_cafe[index])
        self.paid_instructor = bool(city.team_paid_instructor[index])
        self.interval = int(city.team_interval[index])
        self.partner_club = bool(city.team_partner_club[index])
        self.status = TeamStatus.dormant
        self.balance = 0.0
        self.low_weeks = 0
        self.ever_joined = False
        self.joined_total = 0
        self.closed_week = np.nan

    @property
    def is_open(self) -> bool:
        return self.status == TeamStatus.open

    @property
    def size(self) -> int:
        """Regular members count towards size (capacity, viability, fees)."""
        return rules.team_size(self.regulars, len(self.members))

    @property
    def free_capacity(self) -> int:
        return int(rules.free_capacity(self.capacity, self.size, self.is_open))

    def open(self, week: int, new_instructor: bool) -> None:
        self.status = TeamStatus.open
        if new_instructor:
            self.hire(week)
        else:  # a listed team at week 0: staffed, nobody counts it as a change
            self.instructor = Instructor(self.model, self)

    def add(self, citizen: Citizen) -> None:
        self.members.append(citizen)
        self.joined_total += 1
        self.ever_joined = True

    def settle(self, week: int) -> None:
        """Step 7: fees, subsidy and wage (the model counts the team-week for sim.model.costs)."""
        cfg = self.model.cfg
        self.balance += float(rules.team_accounts(cfg, self.size, self.paid_instructor, self.instructor is not None,
                                                  self.meets(week)))
        self.low_weeks = int(rules.low_size_weeks(cfg, self.low_weeks, self.size, self.ever_joined))

    def must_close(self) -> bool:
        return bool(rules.must_close(self.model.cfg, self.balance, self.low_weeks))

    def close(self, week: int) -> None:
        self.status = TeamStatus.closed
        self.closed_week = week
        if self.instructor is not None:
            self.lose_instructor()


class Citizen(mesa.Agent):
    """A citizen referred to a prevention centre, with habit h, bond s, familiarity f."""

    def __init__(self, model: HandoverModel, index: int, centre: Centre, start_week: int,
                 diagnosis: int, r: float, e: float, policy: int) -> None:
        super().__init__(model)
        self.index, self.centre, self.start_week = index, centre, start_week
        self.diagnosis, self.r, self.e, self.policy = diagnosis, r, e, policy
        self.state = State.waiting
        self.h = self.s = self.f = 0.0
        self.knows_instructor = -1
        self.completed = False
        self.window_start = -1
        self.card_redeemed = False
        self.team: Team | None = None
        self.handover_week = np.nan
        self.lapse_week = np.nan
        self.lapse_reason = LapseReason.none
        # The patient-association channel (MODEL.md §4b), decided independently of the sports one.
        self.offering: Offering | None = None  # the offering this citizen is eligible for
        self.patient_state = PatientState.unserved
        self.presented = False
        self.s_end = 0.0  # bond at programme end
        self.patient: Offering | None = None
        self.patient_join_week = np.nan
        self.patient_lapse_week = np.nan
        self.patient_reason = LapseReason.none

    # --- programme (steps 3-4) ------------------------------------------------------------------

    @property
    def programme_end(self) -> int:
        return rules.programme_end(self.model.cfg, self.start_week)

    def programme_week(self, k: int) -> bool:
        """Step 3 in programme week k (1-based): drop out, or attend (habit and bond grow, then the
        week's exposures).

        Returns True if the citizen attended.
        """
        model = self.model
        cfg, rng = model.cfg, model.rng
        if rng.random() < rules.dropout_prob(cfg, self.r):
            model.set_state(self, State.programme_dropout)
            return False
        self.h = rules.grow(self.h, model.programme_habit_growth)
        self.s = rules.grow(self.s, model.programme_bond_growth)
        counts = model.activity
        for event in model.exposures(self, k):
            if event.attend == Attend.TRIAL:
                if rng.random() >= rules.trial_prob(cfg, self.r):
                    continue
                counts["trial_takeups"][self.centre.index] += 1
            if event.attend == Attend.PARALLEL:
                if rng.random() >= rules.parallel_prob(cfg, self.r, self.h):
                    continue
                counts["parallel_sessions"][self.centre.index] += 1
            self.expose(event.phi)
        if self.patient_state == PatientState.eligible and k == cfg.patient.presentation_week:
            self.presented = bool(rules.sees_presentation(cfg, k, self.offering.instructor is not None))
        return True

    def expose(self, phi: float) -> None:
        """An exposure event at the partner club: familiarity grows; meet its current instructor."""
        self.f = rules.grow(self.f, phi)
        instructor = self.centre.partner.instructor
        if instructor is not None:
            self.knows_instructor = instructor.unique_id

    def complete(self) -> None:
        """Step 4: start deciding; under Vanløse first the gift card and its free weeks."""
        model = self.model
        self.completed = True
        self.s_end = self.s
        self.window_start = int(policies.window_start(model.cfg, self.policy, self.start_week))
        model.set_state(self, State.deciding)
        if model.gift_card[self.policy]:
            self.card_redeemed = model.rng.random() < rules.redeem_prob(model.cfg, self.r, self.f)
            if self.card_redeemed:
                model.activity["gift_cards"][self.centre.index] += 1

    # --- handover (step 5) ----------------------------------------------------------------------

    def choose(self, teams: list[Team], week: int) -> Team | None:
        """Multinomial logit over `teams` and the outside option (utility 0)."""
        if not teams:
            return None
        cfg = self.model.cfg
        base = rules.citizen_utility(cfg, self.r, self.h, week - self.window_start)
        weights = np.exp([
            rules.team_utility(cfg, base, t.attractiveness, t.facility_quality, self.e, t.partner_club, self.f, self.s,
                               t.instructor is not None and t.instructor.unique_id == self.knows_instructor)
            for t in teams
        ])
        u = self.model.rng.random() * (1.0 + weights.sum())
        pick = int(np.searchsorted(np.cumsum(weights), u, side="right"))
        return teams[pick] if pick < len(teams) else None

    def join(self, team: Team, week: int) -> None:
        self.s = float(rules.bond_on_joining(self.model.cfg, self.s, team.partner_club))
        self.team, self.handover_week = team, week
        team.add(self)
        self.model.set_state(self, State.member)

    def join_patient(self, offering: Offering, week: int) -> None:
        self.patient, self.patient_join_week = offering, week
        self.patient_state = PatientState.taking_part
        offering.members.append(self)

    def wants_patient(self, week: int) -> bool:
        """Binary logit: take part in the offering this citizen is eligible for?"""
        p = rules.patient_join_prob(self.model.cfg, self.r, self.s_end, self.presented,
                                    self.offering.volunteer_run, week - self.window_start)
        return self.model.rng.random() < p

    def patient_week(self, week: int) -> bool:
        """Step 6, patient channel: a course ends, or in a meeting week the citizen may lapse.

        Returns True if the citizen left the offering."""
        offering = self.patient
        if week >= rules.course_end(self.patient_join_week, offering.course_weeks):
            self.leave_patient(week, LapseReason.course_completed)
            return True
        if offering.meets(week):
            p = rules.patient_lapse_prob(self.model.cfg, self.s_end, offering.instructor is None)
            if self.model.rng.random() < p:
                self.leave_patient(week, LapseReason.lapse)
                return True
        return False

    def leave_patient(self, week: int, reason: LapseReason) -> None:
        self.patient_lapse_week, self.patient_reason = week, reason
        self.patient_state = PatientState.left

    # --- club (steps 6-7) -----------------------------------------------------------------------

    def club_week(self, meets: bool, vacant: bool, changed: bool, small: bool) -> bool:
        """Step 6: grow with the team if it meets; then maybe lapse. Returns True on lapse."""
        cfg, team = self.model.cfg, self.team
        if meets:
            self.h = rules.grow(self.h, cfg.club.habit_growth)
            self.s = rules.grow(self.s, rules.bond_rate(cfg, team.has_cafe))
        p = rules.lapse_prob(cfg, self.s, self.h, self.r, self.e, team.facility_quality, vacant, changed, small)
        return self.model.rng.random() < p

    def lapse(self, week: int, reason: LapseReason) -> None:
        self.lapse_week, self.lapse_reason = week, reason
        self.model.set_state(self, State.lapsed)

    def transfer(self, team: Team) -> None:
        """Moved to another team of the same club when its own closed: a new group, a new bond."""
        self.team, self.s = team, 0.0
        team.add(self)
