"""The Mesa model: one replication of the handover model, one step per week (MODEL.md §3).

`HandoverModel.step` reads top to bottom as the weekly event order. Only citizens with something
to do are stepped: those in the programme, deciding, holding a gift card, or members of a team.
"""

from __future__ import annotations

from collections import defaultdict

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.agent.agents import Association, Centre, Citizen, Offering, Team
from sim.model import costs, policies, rules
from sim.model.city import City
from sim.model.config import POLICIES, SimConfig
from sim.model.population import Population
from sim.model.results import WEEKLY_COUNTS
from sim.model.states import LapseReason, PatientState, State


class HandoverModel(mesa.Model):
    """Citizens pass through a prevention centre programme and may be handed over to club teams."""

    def __init__(self, cfg: SimConfig, city: City, population: Population,
                 rng: np.random.SeedSequence | None = None, filled: np.ndarray | None = None) -> None:
        """`filled`: which cohort places are filled (sim.model.population.filled; default all).
        A citizen of an unfilled place is never admitted: it waits for good and counts nowhere."""
        super().__init__(rng=rng)
        self.cfg, self.city = cfg, city
        self.week = 0
        self.activity = costs.engine_counts((city.n_centres,))  # what sim.model.costs prices
        self.pool = cfg.instructor.pool
        self.programme_habit_growth = rules.session_rate(cfg, cfg.programme.habit_growth)
        self.programme_bond_growth = rules.session_rate(cfg, cfg.programme.bond_growth)
        self._build_world()
        self.filled = np.ones(len(population), bool) if filled is None else np.asarray(filled, bool)
        self._build_citizens(population, self.filled)
        # Per (policy, centre): exposure events by programme week (policies.py decides them).
        self._plans: dict[tuple[int, int], dict[int, list[policies.Exposure]]] = {}
        self.gift_card = [policies.has_gift_card(p) for p in range(len(POLICIES))]
        self.counts = np.zeros((city.n_centres, len(State)), dtype=np.int64)
        self.counts[:, State.waiting] = np.bincount(population.centre, minlength=city.n_centres)
        self.datacollector = mesa.DataCollector(tables={"weekly": ["week", "centre", *WEEKLY_COUNTS]})

    # --- construction ---------------------------------------------------------------------------

    def _build_world(self) -> None:
        city = self.city
        self.centres = [Centre(self, i, n) for i, n in enumerate(city.centre_names)]
        names = sorted(set(city.team_assoc_names), key=city.team_assoc_names.index)
        clubs = {n: Association(self, i, n) for i, n in enumerate(names)}
        self.teams: list[Team] = []
        for i in range(city.n_teams):
            team = Team(self, i, self.centres[city.team_centre[i]], clubs[city.team_assoc_names[i]])
            team.centre.teams.append(team)
            team.club.teams.append(team)
            self.teams.append(team)
        for team in self.teams[: city.n_listed]:
            team.open(week=0, new_instructor=False)
        for centre, partner in zip(self.centres, city.centre_partner, strict=True):
            centre.partner = self.teams[partner]
        # The sisters each listed team may still open, in order: its first `team.max_extra` (the city
        # may hold more slots, for a block's largest value).
        self.dormant_sisters = defaultdict(list)
        for team in self.teams[city.n_listed:]:
            sisters = self.dormant_sisters[int(city.team_listed[team.index])]
            if len(sisters) < self.cfg.team.max_extra:
                sisters.append(team)
        self.offerings = [Offering(self, i, self.centres[c]) for i, c in enumerate(city.offers.centre)]

    def _build_citizens(self, pop: Population, filled: np.ndarray) -> None:
        self.citizens = [
            Citizen(self, i, self.centres[pop.centre[i]], int(pop.start_week[i]), int(pop.diagnosis[i]),
                    float(pop.resourcefulness[i]), float(pop.expectation[i]), int(pop.policy[i]))
            for i in range(len(pop))
        ]
        self.intake: dict[int, list[Citizen]] = defaultdict(list)
        for c, place_filled in zip(self.citizens, filled.tolist(), strict=True):
            if place_filled:
                self.intake[c.start_week].append(c)
            offer = self.city.offers.of[c.centre.index, c.diagnosis]
            if offer >= 0:
                c.offering, c.patient_state = self.offerings[offer], PatientState.eligible
        self.in_programme: list[Citizen] = []
        self.completing: list[Citizen] = []
        self.deciding: list[Citizen] = []
        self.patient_deciding: list[Citizen] = []

    # --- bookkeeping ----------------------------------------------------------------------------

    def set_state(self, citizen: Citizen, state: State) -> None:
        """Every state change goes through here, so the per-centre counts stay exact."""
        self.counts[citizen.centre.index, citizen.state] -= 1
        self.counts[citizen.centre.index, state] += 1
        citizen.state = state

    def exposures(self, citizen: Citizen, programme_week: int) -> list[policies.Exposure]:
        key = (citizen.policy, citizen.centre.index)
        if key not in self._plans:
            mods = tuple(bool(x) for x in self.city.centre_modifiers[citizen.centre.index])
            plan: dict[int, list[policies.Exposure]] = defaultdict(list)
            for event in policies.programme_exposures(self.cfg, citizen.policy, mods):
                plan[event.week].append(event)
            self._plans[key] = plan
        return self._plans[key].get(programme_week, [])

    @property
    def open_teams(self) -> AgentSet:
        """The open club teams, in city order (Mesa's AgentSet keeps the order agents were created)."""
        return self.agents_by_type[Team].select(lambda t: t.is_open)

    # --- the week -------------------------------------------------------------------------------

    def step(self) -> None:
        """One week, in the order of MODEL.md §3."""
        self.staff_teams()  # 1
        self.admit_intake()  # 2
        self.run_programme_week()  # 3
        self.complete_programmes()  # 4
        turned_away = self.decide_handover()  # 5, sports channel
        self.decide_patient_association()  # 5, patient channel
        self.open_sister_teams(turned_away)  # 5b
        self.run_club_week()  # 6
        self.run_patient_meetings()  # 6, patient channel
        self.settle_team_accounts()  # 7
        self.record()  # 8
        self.week += 1

    def staff_teams(self) -> None:
        self.open_teams.do("staff", self.rng, self.week)
        for offering in self.offerings:  # a city may have none (Mesa then has no AgentSet for the type)
            offering.staff(self.rng, self.week)

    def admit_intake(self) -> None:
        for citizen in self.intake.pop(self.week, []):
            self.set_state(citizen, State.in_programme)
            self.in_programme.append(citizen)

    def run_programme_week(self) -> None:
        still, self.completing = [], []
        for citizen in self.in_programme:
            k = rules.programme_week(self.week, citizen.start_week)
            if citizen.programme_week(k):
                (self.completing if rules.completes(self.cfg, k) else still).append(citizen)
        self.in_programme = still
        phi = self.cfg.exposure.club_session
        for citizen in self.deciding:  # Vanløse gift cards: one exposure in each free week
            if citizen.card_redeemed and policies.in_free_weeks(self.week, citizen.programme_end, citizen.window_start):
                citizen.expose(phi)

    def complete_programmes(self) -> None:
        for citizen in self.completing:
            citizen.complete()
        self.deciding += self.completing
        self.patient_deciding += [c for c in self.completing if c.patient_state == PatientState.eligible]

    def decide_handover(self) -> dict[int, int]:
        """Step 5: choices, admission up to free capacity, window closing. Returns the number of
        choosers turned away per listed team."""
        free = {t: t.free_capacity for t in self.open_teams}
        choosers: dict[Team, list[Citizen]] = defaultdict(list)
        deciding_now = [c for c in self.deciding if c.window_start <= self.week]
        for citizen in deciding_now:
            options = [t for t in citizen.centre.teams if free.get(t, 0) > 0]
            team = citizen.choose(options, self.week)
            if team is not None:
                choosers[team].append(citizen)
        turned_away: dict[int, int] = defaultdict(int)
        for team, group in choosers.items():
            room = free[team]
            if len(group) > room:
                turned_away[int(self.city.team_listed[team.index])] += len(group) - room
                group = [group[i] for i in self.rng.permutation(len(group))[:room]]
            for citizen in group:
                citizen.join(team, self.week)
        for citizen in deciding_now:
            if citizen.state == State.deciding and rules.window_closes(self.cfg, self.week - citizen.window_start):
                self.set_state(citizen, State.not_handed_over)
        self.deciding = [c for c in self.deciding if c.state == State.deciding]
        return turned_away

    def decide_patient_association(self) -> None:
        """Step 5, patient channel: eligible citizens in their window decide by binary logit;
        an oversubscribed offering admits a random subset, the rest try again next week."""
        free = {o: o.free_capacity for o in self.offerings}
        choosers: dict[Offering, list[Citizen]] = defaultdict(list)
        open_now = [c for c in self.patient_deciding if c.window_start <= self.week]
        for citizen in open_now:
            if free[citizen.offering] > 0 and citizen.wants_patient(self.week):
                choosers[citizen.offering].append(citizen)
        for offering, group in choosers.items():
            if len(group) > free[offering]:
                group = [group[i] for i in self.rng.permutation(len(group))[: free[offering]]]
            for citizen in group:
                citizen.join_patient(offering, self.week)
        self.patient_deciding = [c for c in self.patient_deciding if c.patient_state == PatientState.eligible
                                 and not rules.window_closes(self.cfg, self.week - c.window_start)]

    def open_sister_teams(self, turned_away: dict[int, int]) -> None:
        """Step 5b: in city order, a listed team that turned away enough choosers gets a sister."""
        for listed in sorted(turned_away):
            dormant = self.dormant_sisters[listed]
            if rules.opens_sister(self.cfg, turned_away[listed], bool(dormant), self.pool):
                self.pool -= 1
                dormant.pop(0).open(self.week, new_instructor=True)

    def run_club_week(self) -> None:
        for team in self.open_teams:
            vacant = team.instructor is None
            meets = team.meets(self.week) and not vacant
            changed = rules.is_changed(self.week, team.changed_until)
            small = rules.is_small(self.cfg, team.size)
            stay = []
            for citizen in team.members:
                if citizen.club_week(meets, vacant, changed, small):
                    citizen.lapse(self.week, LapseReason.lapse)
                else:
                    stay.append(citizen)
            team.members = stay

    def run_patient_meetings(self) -> None:
        for offering in self.offerings:
            offering.members = [c for c in offering.members if not c.patient_week(self.week)]

    def settle_team_accounts(self) -> None:
        closing = []
        for team in self.open_teams:
            team.settle(self.week)
            for name, value in costs.team_week(team.paid_instructor, team.instructor is not None, len(team.members),
                                               team.regulars, team.meets(self.week)).items():
                self.activity[name][team.centre.index] += value
            if team.must_close():
                closing.append(team)
        for team in closing:  # all are closed first, so nobody transfers into a closing team
            team.close(self.week)
        for team in closing:
            self.disband(team)

    def disband(self, team: Team) -> None:
        """Members of a closed team: each may move to a sister team of the club, else lapses."""
        members, team.members = team.members, []
        siblings = self.city.siblings(team.index)
        for i in self.rng.permutation(len(members)):
            citizen = members[i]
            targets = rules.transfer_targets(siblings, [t.free_capacity for t in self.teams])
            if len(targets) and self.rng.random() < self.cfg.team.transfer_prob:
                citizen.transfer(self.teams[targets[int(self.rng.integers(len(targets)))]])
            else:
                citizen.lapse(self.week, LapseReason.team_closed)

    def record(self) -> None:
        open_teams = self.open_teams
        patients = np.bincount([o.centre.index for o in self.offerings for _ in o.members],
                               minlength=len(self.centres))
        for centre in self.centres:
            n = self.counts[centre.index]
            teams = [t for t in open_teams if t.centre is centre]
            self.datacollector.add_table_row("weekly", {
                "week": self.week,
                "centre": centre.index,
                "in_programme": n[State.in_programme],
                "deciding": n[State.deciding],
                "members_sport": n[State.member],
                "members_patient": patients[centre.index],
                "lapsed": n[State.lapsed],
                "teams_open": len(teams),
                "instructors_vacant": sum(t.instructor is None for t in teams),
            })

    def state_counts(self) -> np.ndarray:
        """Citizens per (centre, state) now; every citizen is in exactly one state."""
        return self.counts.copy()

