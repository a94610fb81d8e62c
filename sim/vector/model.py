"""The vectorised model: a block of replications of the city stepped together, week by week.

Citizen state lives in (replications × citizens) arrays, team state in (replications × teams)
arrays (sim.vector.teams). `HandoverModel.step` reads top to bottom as the weekly event order of MODEL.md §3
as docs/model.md reads it. Each step touches only the citizens that can be in its stage this week
(contiguous slices, sim.vector.layout) or are on its rosters (members and deciders,
sim.vector.roster), and draws only for those who need a draw, from their own replication's stream
(sim.vector.draws), so a replication's results do not depend on the block. Where a weekly
probability is constant or a hazard accumulates, a waiting time is drawn once instead of a coin
every week (docs/model.md, Randomness). Equations come from sim.model.rules, exposure schedules from
sim.model.policies.
"""

from __future__ import annotations

import numpy as np

from sim.model import costs, policies, population, rules
from sim.model.city import City
from sim.model.config import SimConfig
from sim.model.policies import Attend
from sim.model.results import RAW_CITIZEN_ARRAYS, WEEKLY_COUNTS
from sim.model.states import LapseReason, PatientState, State
from sim.model.values import Values
from sim.vector import choice, citizens, draws, shortcuts
from sim.vector.draws import Streams
from sim.vector.layout import Layout, Week
from sim.vector.roster import Roster
from sim.vector.teams import Offerings, Teams

WAITING, IN_PROGRAMME, DROPOUT, DECIDING, MEMBER, NOT_HANDED_OVER, LAPSED = (np.int8(s) for s in State)
UNFILLED = np.int8(-1)  # an unfilled cohort place (intake.fill_share): never starts, matches no state
COMPLETED = (DECIDING, MEMBER, NOT_HANDED_OVER, LAPSED)
assert tuple(range(DECIDING, LAPSED + 1)) == COMPLETED  # so completed = state >= DECIDING
UNSERVED, ELIGIBLE, TAKING_PART, LEFT = (np.int8(s) for s in PatientState)


def _flat(mask: np.ndarray, columns: slice, n: int) -> np.ndarray:
    """Flat (replication * n + citizen) indices of the True entries of a mask over `columns`."""
    i = np.flatnonzero(mask)
    width = mask.shape[1]
    return (i // width) * n + columns.start + i % width


def _one_hot(index: np.ndarray, n: int) -> np.ndarray:
    """(len(index), n) float32 indicator: counting by matrix product is exact below 2**24."""
    return (index[:, None] == np.arange(n)).astype(np.float32)


def _pick(u: np.ndarray, offset: np.ndarray, column: np.ndarray) -> np.ndarray:
    """Per replication (row of `u`), the uniform of each citizen j at offset[j] + column[j]
    (column -1: not drawn; any uniform stands in, unused)."""
    return u.take(np.minimum(offset + np.maximum(column, 0), u.shape[1] - 1), axis=1)


def _path(rate: float | np.ndarray, weeks: int) -> np.ndarray:
    """x after programme week k = 0 (before the programme), 1, …, `weeks` of x <- grow(x, rate),
    from 0 (float32): (1, weeks + 1), or (R, weeks + 1) for a rate per replication (R, 1)."""
    rate = np.asarray(rate, np.float32).reshape(-1)
    x = np.zeros((len(rate), weeks + 1), np.float32)
    for k in range(1, weeks + 1):
        x[:, k] = rules.grow(x[:, k - 1], rate)
    return x


def club_members(p: SimConfig, team: np.ndarray, h: np.ndarray, s: np.ndarray, clock: np.ndarray, hazard: np.ndarray,
                 habit_rate: np.ndarray, bond_rate: np.ndarray, team_term: np.ndarray) -> np.ndarray:
    """Step 6 for club members (the sports roster's columns, updated in place): h and s grow at their
    team's rates (`HandoverModel.club_terms`), the week's lapse hazard is taken off each clock.
    Returns the positions of those whose clock ran out (they lapse). `p`: the config, read at each
    member's replication where the club's knobs vary."""
    h[...] = rules.grow(h, habit_rate.take(team))
    s[...] = rules.grow(s, bond_rate.take(team))
    clock -= rules.lapse_hazard(p, s, h, hazard, team_term.take(team))
    return np.flatnonzero(clock <= 0.0)


def _admitted(group: np.ndarray, priority: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Per group (a team or offering of a replication, as a flat index into `room`), a uniformly
    random subset of its applicants up to its room: rank them by a uniform key within each group."""
    order = np.argsort(group + priority.astype(np.float64), kind="stable")  # by group, then priority
    ranked = group[order]
    admitted = np.empty(len(group), bool)
    admitted[order] = np.arange(len(ranked)) - np.searchsorted(ranked, ranked) < room[ranked]
    return admitted


class HandoverModel:
    """The state of `replications` replications of one config, stepped together. `values`: the
    replications' own values of some numeric knobs (sim.model.values), `city` built with them."""

    def __init__(self, cfg: SimConfig, city: City, layout: Layout, replications: np.ndarray,
                 values: Values | None = None) -> None:
        n_reps, n = len(replications), len(layout)
        self.values = values if values is not None and values.keys else Values(cfg, None, n_reps)
        self.cfg, self.city, self.layout = self.values.cfg, city, layout
        cfg, grid = self.cfg, self.values.grid
        shortcuts.check(cfg)
        self.streams = Streams(cfg.run.seed, replications)
        pops = self._populations(np.asarray(replications))
        self.n_reps, self.n = n_reps, n
        self.resourcefulness = np.stack([p.resourcefulness for p in pops])  # for the citizens table
        self.r = self.resourcefulness.astype(np.float32)  # for the dynamics
        self.expectation = np.stack([p.expectation for p in pops]).astype(np.float32)
        self.diagnosis = np.stack([p.diagnosis for p in pops])
        self.p_dropout = rules.dropout_prob(grid, self.resourcefulness)
        # The programme week (1-based) in which the citizen drops out, drawn at intake: a weekly
        # Bernoulli(p_dropout) as one geometric draw (draws.geometric); programme.weeks + 1 = never.
        self.dropout_week = np.full((n_reps, n), cfg.programme.weeks + 1, np.int16)
        shape = (n_reps, n)
        self.filled = np.stack([population.filled(self.values.at(i), cfg.run.seed, int(r), n)
                                for i, r in enumerate(np.asarray(replications).tolist())]).reshape(shape)
        self.state = np.where(self.filled, WAITING, UNFILLED).astype(np.int8)
        # Habit and bond (to the current group): in the programme every citizen attends every week
        # until it drops out, so h and s there are a function of the programme week (programme_h,
        # programme_s: after attending weeks 1..k); the grids hold them from programme end on.
        self.h = np.zeros(shape, np.float32)
        self.s = np.zeros(shape, np.float32)
        self.programme_h = _path(rules.session_rate(grid, grid.programme.habit_growth), cfg.programme.weeks)
        self.programme_s = _path(rules.session_rate(grid, grid.programme.bond_growth), cfg.programme.weeks)
        self.f = np.zeros(shape, np.float32)  # familiarity with the partner club
        self.knows_instructor = np.full(shape, -1, np.int16)  # identity of the partner instructor last met
        self.redeemed = np.zeros(shape, bool)  # Vanløse gift card
        self.team = np.full(shape, -1, np.int16)
        self.handover_week = np.full(shape, -1, np.int16)
        self.lapse_week = np.full(shape, -1, np.int16)
        self.lapse_reason = np.zeros(shape, np.int8)
        # The patient-association channel (MODEL.md §4b), decided independently of the sports one.
        if len(city.offers) > np.iinfo(np.int8).max:
            raise ValueError("the vector engine stores offering indices as int8: too many patient offerings")
        # the offering each citizen is eligible for, or -1
        self.offering = city.offers.of.astype(np.int8).reshape(-1).take(
            layout.centre * city.offers.of.shape[1] + self.diagnosis)
        self.patient_state = np.where(self.offering >= 0, ELIGIBLE, UNSERVED).astype(np.int8)
        self.presented = np.zeros(shape, bool)  # saw its association's presentation at the centre
        self.s_end = np.zeros(shape, np.float32)  # bond at programme end
        self.patient_join_week = np.full(shape, -1, np.int16)
        self.patient_lapse_week = np.full(shape, -1, np.int16)
        self.patient_reason = np.zeros(shape, np.int8)
        self.teams = Teams(self.values, city, self.streams)
        self.offerings = Offerings(city, self.streams)
        # Members, stepped every week, kept compact (sim.vector.roster). A sports member's h and s
        # live in its roster while it is a member; `hazard` is the fixed part of its lapse exponent.
        # A member lapses when its summed weekly hazard reaches an exponential clock drawn on
        # joining (draws.exponential): `clock` is what is left of it.
        self.sport = Roster(dict(clock=np.inf), team=np.int64, h=np.float32, s=np.float32, hazard=np.float32,
                            clock=np.float64)
        # A patient member's hazard is its own times its offering's factor of the week (0 if the
        # offering does not meet; rules.patient_lapse_hazard), so it lapses once its offering's
        # summed factor, `intensity`, reaches a threshold fixed on joining: the intensity then plus
        # its clock over its own hazard. `offer` is flat (replication * O + offering), `until` the
        # course end.
        self.patients = Roster(dict(until=np.iinfo(np.int32).max, threshold=np.inf), offer=np.int64,
                               until=np.int32, threshold=np.float64)
        self.intensity = np.zeros((n_reps, len(city.offers)))
        self.next_course_end = rules.NEVER  # no course member leaves before this week (a lower bound)
        self.bond_rate = rules.bond_rate(grid, city.team_has_cafe).astype(np.float32)
        self.facility_quality = np.atleast_2d(city.team_facility_quality)  # (R or 1, T)
        self.counts = costs.engine_counts((n_reps, city.n_centres))  # what sim.model.costs prices
        self.siblings: dict[int, np.ndarray] = {}  # city.siblings, as teams close
        self.lapsed_by_centre = np.zeros((n_reps, city.n_centres), np.int32)
        weeks = cfg.run.horizon_weeks if cfg.run.weekly_table else 0
        self.weekly = np.zeros((n_reps, weeks, city.n_centres, len(WEEKLY_COUNTS)), np.int32)
        self.citizen_centre = _one_hot(layout.centre, city.n_centres)
        self.team_centre = _one_hot(city.team_centre, city.n_centres)
        self.offer_centre = _one_hot(city.offers.centre, city.n_centres)
        self.choice_sets = sets = choice.choice_sets(city)
        # Deciders (DECIDING, window open), in flat order. Their utilities change in the window only
        # by the decay with weeks waited (the citizen's alone, so it moves into the outside
        # option's weight, from r and h) and by whether they know the partner team's instructor
        # now: so exp(utility) per group is worked out once, when the window opens, not knowing
        # anyone (`w`, one weight per group), with the partner team's group `pg` when knowing (wk).
        self.deciders = Roster(None, centre=np.int8, partner=np.int64, knows_instructor=np.int16, start=np.int32,
                               r=np.float32, h=np.float32, pg=np.int8, wk=np.float32, w=(np.float32, sets.n_groups))
        self.partner_group = sets.partner_team.argmax(axis=0)  # (C,)
        # Patient-channel deciders (eligible completers in their window, not taking part yet), in
        # flat order, with what their decision depends on besides the weeks waited.
        self.patient_deciders = Roster(None, offer=np.int8, start=np.int32, r=np.float32, s_end=np.float32,
                                       presented=bool, volunteer=bool)

    def _populations(self, replications: np.ndarray) -> list[population.Population]:
        """Each replication's citizens, from its own population stream (and its own values of the
        citizen knobs and centres' mean resourcefulness, where they vary). A replication's citizens
        depend only on the seed, the replication and the population's plan, so runs that share
        them (parameter sets on the same replications, scenarios compared with common random
        numbers) draw them once (sim.vector.citizens)."""
        cfg, city, values = self.cfg, self.city, self.values
        shared = population.plan(values.at(0), city.at(0))  # every replication's schedule and policies
        if not (np.array_equal(shared.start_week, self.layout.start_week)
                and np.array_equal(shared.policy, self.layout.policy)):
            raise ValueError("the layout was built for another config: its schedule differs from the population's")
        if values.varies("citizen") or np.ndim(city.centre_r_mean) > 1:
            return [population.sample_population(values.at(i), city.at(i), rng,
                                                 population.plan(values.at(i), city.at(i)))
                    for i, rng in enumerate(self.streams.population)]
        plan = citizens.plan_key(cfg, shared)
        return [citizens.drawn((cfg.run.seed, r, plan), lambda rng=rng: population.sample_population(cfg, city, rng,
                                                                                                    shared))
                for r, rng in zip(replications.tolist(), self.streams.population, strict=True)]

    def flat(self, name: str) -> np.ndarray:
        """A citizen array as a flat (replication * N + citizen) view."""
        return getattr(self, name).reshape(-1)

    # --- the week -------------------------------------------------------------------------------

    def step(self, t: int) -> None:
        """One week, in the order of MODEL.md §3."""
        week = self.layout.weeks[t]
        # Steps 1-4 change nobody's decision window (completers decide from next week on), so who
        # draws what this week is known now (the deciders once the windows opening now are added):
        # one draw request covers steps 2-5.
        self._open_windows(t, week)
        programme = self._in_programme(week)
        self.teams.staff(t)  # 1
        self.offerings.staff(t)  # 1, patient channel
        u_intake, u_programme, u_decide, u_patient = self._draw_week(week, programme)
        self.admit_intake(week, u_intake)  # 2
        attended = self.run_programme_week(t, week, programme, u_programme)  # 3
        self.expose_free_weeks(t, week)  # 3 (Vanløse gift cards)
        self.complete_programmes(t, week, *attended)  # 4
        turned_away = self.decide_handover(t, u_decide)  # 5, sports channel
        self.decide_patient_association(t, u_patient)  # 5, patient channel
        self.teams.open_sisters(t, turned_away)  # 5b
        self.run_club_week(t)  # 6
        self.run_patient_meetings(t)  # 6, patient channel
        self.settle_team_accounts(t)  # 7
        if self.weekly.shape[1]:
            self.record(t, week)  # 8

    def _in_programme(self, week: Week) -> np.ndarray:
        """Who is in the programme this week (intake included), over the week's programme slice."""
        state = self.state[:, week.programme]
        return (state == IN_PROGRAMME) | (state == WAITING)

    def _open_windows(self, t: int, week: Week) -> None:
        """Completers whose window (the sports one) opens this week join the deciders rosters: those
        still deciding the sports one, the eligible ones the patient one. Nothing they decide by
        (r, h, e, f, s, the instructor they know; the bond at programme end, the presentation)
        changes from now on."""
        lay, sets, cols = self.layout, self.choice_sets, week.deciding
        opening, state = lay.window_start[cols] == t, self.state[:, cols]
        eligible = _flat((self.patient_state[:, cols] == ELIGIBLE) & (state >= DECIDING) & opening, cols, self.n)
        if len(eligible):
            offer = self.flat("offering").take(eligible)
            self.patient_deciders.add(
                eligible, offer=offer, start=t, r=self.flat("r").take(eligible),
                s_end=self.flat("s_end").take(eligible), presented=self.flat("presented").take(eligible),
                volunteer=~self.city.offers.staff_run.take(offer),
            )
        idx = _flat((state == DECIDING) & opening, cols, self.n)
        if len(idx) == 0:
            return
        citizen, rep = idx % self.n, idx // self.n
        centre, partner = lay.centre.take(citizen), lay.partner.take(citizen)
        r, h = self.flat("r").take(idx), self.flat("h").take(idx)
        e, f, s = (self.flat(name).take(idx) for name in ("expectation", "f", "s"))
        p = self.values.at(rep)
        base = rules.citizen_utility(p, r, h, 0.0)
        # (groups, citizens): every group of the citizen's centre
        attractiveness = sets.per_chooser(sets.attractiveness, rep, centre)
        quality = sets.per_chooser(sets.facility_quality, rep, centre)
        club = sets.partner_club.take(centre, axis=1)
        unknown = np.exp(rules.team_utility(p, base, attractiveness, quality, e, club, f, s, np.float32(0.0)))
        pg = self.partner_group.take(centre)
        at = (pg, np.arange(len(idx)))  # the partner team's group, where one can know its instructor
        known = np.exp(rules.team_utility(p, base, attractiveness[at], quality[at], e, club[at], f, s, np.float32(1.0)))
        self.deciders.add(
            idx, centre=centre, partner=idx // self.n * self.city.n_teams + partner,
            knows_instructor=self.flat("knows_instructor").take(idx), start=t, r=r, h=h, pg=pg, wk=known, w=unknown.T,
        )

    def _per_rep(self, idx: np.ndarray) -> np.ndarray:
        return np.bincount(idx // self.n, minlength=self.n_reps)

    def _draw_week(self, week: Week, programme: np.ndarray) -> list[np.ndarray]:
        """The week's uniforms for steps 2-5 known from the state at its start: one per citizen
        starting (dropout week), the programme slice's take-ups and gift cards (layout), one per
        decider (choice) and per patient-channel decider (join)."""
        intake = week.intake.stop - week.intake.start
        u_intake, u_programme, u_decide, u_patient = self.streams.uniforms(
            np.full(self.n_reps, intake), np.full(self.n_reps, week.programme_draws),
            self._per_rep(self.deciders.idx), self._per_rep(self.patient_deciders.idx),
        )
        return [u_intake.reshape(self.n_reps, -1), u_programme.reshape(self.n_reps, -1), u_decide, u_patient]

    def admit_intake(self, week: Week, u: np.ndarray) -> None:
        """Step 2: this week's intake (its filled places) enters the programme; its dropout weeks are
        drawn (one uniform per place, filled or not, so the draws do not depend on the filling)."""
        cols = week.intake
        state = self.state[:, cols]
        np.copyto(state, IN_PROGRAMME, where=state == WAITING)
        week = draws.geometric(self.p_dropout[:, cols], u)
        self.dropout_week[:, cols] = np.minimum(week, self.cfg.programme.weeks + 1)

    def expose(self, t: int, cols: slice, taken: np.ndarray, phi: np.ndarray | float) -> None:
        """Exposure events at the partner club for the citizens `taken` of slice `cols` (R, W):
        their f grows by `phi`; they now know the partner team's current instructor, if any."""
        f, teams, partner = self.f[:, cols], self.teams, self.layout.partner[cols]
        opened = np.flatnonzero(self.layout.window_start[cols] <= t)  # none in the programme slice
        shortcuts.require(len(opened) == 0 or not taken[:, opened].any(),
                          "no exposure once the decision window is open (decider weights are frozen then)")
        np.copyto(f, rules.grow(f, phi), where=taken)
        met = taken & teams.instructor.take(partner, axis=1)
        if met.any():
            np.copyto(self.knows_instructor[:, cols], teams.changes.take(partner, axis=1), where=met)

    def run_programme_week(self, t: int, week: Week, active: np.ndarray,
                           u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Step 3 for the citizens `active` (R, W) of the programme slice (intake included), with
        the week's programme uniforms `u` (R, programme_draws): drop out in one's dropout week,
        else attend: h and s grow (programme_h, programme_s), then the week's exposure events; in
        programme week `patient.presentation_week` the attending eligible citizens see their
        patient association present itself, if its key person's post is filled. Returns who attended (R, W) and `u`."""
        cfg, grid, lay, cols = self.cfg, self.values.grid, self.layout, week.programme
        citizen = np.arange(cols.start, cols.stop)
        k = rules.programme_week(t, lay.start_week[citizen])
        drop = active & (self.dropout_week[:, cols] == k)
        attend = active & ~drop
        np.copyto(self.state[:, cols], DROPOUT, where=drop)
        h, r = self.programme_h[:, k], self.r[:, cols]
        for slot in range(week.event_slots):
            kind = lay.event_attend[citizen, k, slot]
            column = lay.event_column[citizen, k, slot]
            if (column >= 0).any():
                drawn = _pick(u, week.programme_offset, column)
            taken = attend & (kind == Attend.ALWAYS)
            if (kind == Attend.TRIAL).any():
                tried = attend & (kind == Attend.TRIAL) & (drawn < rules.trial_prob(grid, r))
                self.counts["trial_takeups"] += tried.astype(np.float32) @ self.citizen_centre[cols]
                taken |= tried
            if (kind == Attend.PARALLEL).any():
                went = attend & (kind == Attend.PARALLEL) & (drawn < rules.parallel_prob(grid, r, h))
                self.counts["parallel_sessions"] += went.astype(np.float32) @ self.citizen_centre[cols]
                taken |= went
            if taken.any():
                self.expose(t, cols, taken, lay.event_phi[:, lay.event_plan[citizen], k, slot])
        shown = cols.start + np.flatnonzero(k == cfg.patient.presentation_week)
        if len(shown) and len(self.city.offers):  # (a city may have no patient offerings)
            staffed = np.take_along_axis(self.offerings.instructor, np.maximum(self.offering[:, shown], 0), axis=1)
            attending = attend[:, shown - cols.start] & (self.patient_state[:, shown] == ELIGIBLE)
            self.presented[:, shown] |= attending & rules.sees_presentation(cfg, k[shown - cols.start], staffed)
        return attend, u

    def expose_free_weeks(self, t: int, week: Week) -> None:
        """Step 3, Vanløse: a redeemed gift card is one exposure event in each free week."""
        lay, cols = self.layout, week.free_weeks
        free_week = policies.in_free_weeks(t, lay.programme_end[cols], lay.window_start[cols])
        if free_week.any():
            mask = self.redeemed[:, cols] & (self.state[:, cols] == DECIDING) & free_week
            self.expose(t, cols, mask, self.values.grid.exposure.club_session)

    def complete_programmes(self, t: int, week: Week, attend: np.ndarray, u: np.ndarray) -> None:
        """Step 4: those attending their last programme week start deciding, with their habit and
        bond at programme end; a gift card is offered now (its free weeks delay the window, see
        layout.window_start). They are the first columns of the week's programme slice."""
        lay, done = self.layout, week.completing
        k = done.stop - done.start
        if k == 0:
            return
        assert done.start == week.programme.start
        finishing = attend[:, :k]
        np.copyto(self.state[:, done], DECIDING, where=finishing)
        np.copyto(self.h[:, done], self.programme_h[:, -1:], where=finishing)
        np.copyto(self.s[:, done], self.programme_s[:, -1:], where=finishing)
        np.copyto(self.s_end[:, done], self.programme_s[:, -1:], where=finishing)
        card = finishing & lay.gift_card[done]
        if card.any():
            drawn = _pick(u, week.programme_offset[:k], lay.redeem_column[done])
            redeem = card & (drawn < rules.redeem_prob(self.values.grid, self.r[:, done], self.f[:, done]))
            self.redeemed[:, done] |= redeem
            self.counts["gift_cards"] += redeem.astype(np.float32) @ self.citizen_centre[done]

    def _choose(self, t: int, u: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Multinomial logit of each decider over the open teams of its centre with free capacity
        and the outside option (utility 0), drawn with one uniform each as a logit over groups of
        equal utility (sim.vector.choice). Returns the chosen team, -1 for none."""
        teams, sets, d = self.teams, self.choice_sets, self.deciders
        weight = d["w"].T.copy()  # (G, deciders)
        partner = d["partner"]
        knows = np.flatnonzero(teams.instructor.reshape(-1).take(partner)
                               & (teams.changes.reshape(-1).take(partner) == d["knows_instructor"]))
        weight[d["pg"].take(knows), knows] = d["wk"].take(knows)
        r, h, waited, p = d["r"], d["h"], (t - d["start"]).astype(np.float32), self.values.at(d.idx // self.n)
        outside = np.exp(rules.citizen_utility(p, r, h, 0.0) - rules.citizen_utility(p, r, h, waited))
        return choice.draw(sets, choice.teams_with_room(sets, free > 0), d.idx // self.n, d["centre"], weight, u,
                           outside)

    def decide_handover(self, t: int, u: np.ndarray) -> np.ndarray:
        """Step 5: choices, admission up to free capacity, window closing. Returns the choosers
        turned away per (replication, listed team)."""
        city, n_teams, deciders = self.city, self.city.n_teams, self.deciders
        turned_away = np.zeros((self.n_reps, city.n_listed), np.int64)
        if len(deciders) == 0:
            return turned_away
        free = self.teams.free_capacity()
        choice = self._choose(t, u, free)
        chose = np.flatnonzero(choice >= 0)
        who, team = deciders.idx.take(chose), choice.take(chose)
        (priority,) = self.streams.uniforms(self._per_rep(who))  # random admission order
        rep = who // self.n
        admitted = _admitted(rep * n_teams + team, priority, free.reshape(-1))
        shortcuts.require((self.flat("h").take(who) == deciders["h"].take(chose))
                          & (self.flat("knows_instructor").take(who) == deciders["knows_instructor"].take(chose)),
                          "a decider's habit and known instructor stay as at the window's opening (frozen weights)")
        self.join(who[admitted], team[admitted], t)
        rejected = rep[~admitted] * city.n_listed + city.team_listed[team[~admitted]]
        turned_away += np.bincount(rejected, minlength=turned_away.size).reshape(turned_away.shape)
        leaving = np.zeros(len(deciders), bool)
        leaving[chose[admitted]] = True
        over = rules.window_closes(self.cfg, t - deciders["start"]) & ~leaving
        self.flat("state")[deciders.idx[over]] = NOT_HANDED_OVER
        deciders.remove(np.flatnonzero(leaving | over))
        return turned_away

    def decide_patient_association(self, t: int, u: np.ndarray) -> None:
        """Step 5, patient channel, after the sports decisions and independent of them: each
        decider takes part with `rules.patient_join_prob` (bond at programme end) if its offering
        has free capacity now; an oversubscribed offering admits a uniformly random subset, the rest
        try again next week while their window is open."""
        deciders, n_offers = self.patient_deciders, len(self.city.offers)
        if len(deciders) == 0:
            return
        idx, offer, since = deciders.idx, deciders["offer"], t - deciders["start"]
        p = rules.patient_join_prob(self.values.at(idx // self.n), deciders["r"], deciders["s_end"],
                                    deciders["presented"], deciders["volunteer"], since.astype(np.float32))
        free = self.offerings.free_capacity()
        group = idx // self.n * n_offers + offer
        wants = np.flatnonzero((free.reshape(-1).take(group) > 0) & (u < p))
        who, offer, group = idx.take(wants), offer.take(wants), group.take(wants)
        (priority,) = self.streams.uniforms(self._per_rep(who))  # random admission order
        admitted = _admitted(group, priority, free.reshape(-1))
        self.join_patient(who[admitted], offer[admitted], t)
        leaving = np.zeros(len(deciders), bool)
        leaving[wants[admitted]] = True
        deciders.remove(np.flatnonzero(leaving | rules.window_closes(self.cfg, since)))

    def join_patient(self, idx: np.ndarray, offer: np.ndarray, t: int) -> None:
        """New members of offerings: their lapse threshold (the offering's summed hazard factor now
        plus an exponential clock over their own hazard) and course end are fixed from now on."""
        offers, s_end = self.city.offers, self.flat("s_end")[idx]
        self.flat("patient_state")[idx] = TAKING_PART
        self.flat("patient_join_week")[idx] = t
        flat_offer = idx // self.n * len(offers) + offer
        threshold = self.intensity.reshape(-1).take(flat_offer) + self._clocks(idx) / rules.patient_member_hazard(
            self.values.at(idx // self.n), s_end.astype(np.float64))
        until = rules.course_end(t, offers.course_weeks[offer])
        self.patients.add(idx, offer=flat_offer, until=until, threshold=threshold)
        self.next_course_end = min(self.next_course_end, int(np.min(until, initial=rules.NEVER)))
        self.offerings.add_members(flat_offer)

    def join(self, idx: np.ndarray, team: np.ndarray, t: int) -> None:
        """On joining, s <- bond_carry·s on a team of the partner club, else 0 (a new group)."""
        city, flat_team = self.city, idx // self.n * self.city.n_teams + team
        s = rules.bond_on_joining(self.values.at(idx // self.n), self.flat("s")[idx], city.team_partner_club[team])
        self.flat("team")[idx] = team
        self.flat("handover_week")[idx] = t
        self.flat("state")[idx] = MEMBER
        self.sport.add(idx, team=flat_team, h=self.flat("h")[idx], s=s, hazard=self._hazard(idx, team),
                       clock=self._clocks(idx))
        self.teams.add_members(flat_team)

    def _clocks(self, idx: np.ndarray) -> np.ndarray:
        """Exponential lapse clocks of new members `idx` (sorted flat indices)."""
        (u,) = self.streams.uniforms(self._per_rep(idx))
        return draws.exponential(u)

    def _hazard(self, idx: np.ndarray, team: np.ndarray) -> np.ndarray:
        """The fixed part of members' lapse exponent on `team` (rules.lapse_citizen_term)."""
        quality = self.facility_quality[idx // self.n if len(self.facility_quality) > 1 else 0, team]
        return rules.lapse_citizen_term(self.values.at(idx // self.n), self.flat("r")[idx],
                                        self.flat("expectation")[idx], quality)

    def run_club_week(self, t: int) -> None:
        """Step 6: members of teams meeting with an instructor grow h and s; then every member may
        lapse, with the team's vacancy, `changed` and size as they stand now (after joins). The
        team's part of all this is worked out per team, then looked up by each member."""
        members = self.sport
        if len(members) == 0:
            return
        p = self.values.at(members.idx // self.n) if self.values.varies("club") else self.cfg
        team = members["team"]
        lapse = club_members(p, team, members["h"], members["s"], members["clock"], members["hazard"],
                             *self.club_terms(t))
        self.leave(members.idx[lapse], team[lapse], t, LapseReason.lapse)
        members.remove(lapse)

    def club_terms(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step 6, per flat (replication * T + team) team: its members' habit and bond growth this week
        (0 unless it meets with its instructor) and its part of their lapse exponent (float32)."""
        grid, teams, zero = self.values.grid, self.teams, np.float32(0.0)
        meets = teams.instructor & rules.meets(t, teams.interval)  # meets with its instructor
        habit_rate = np.where(meets, np.asarray(grid.club.habit_growth, np.float32), zero).reshape(-1)
        bond_rate = np.where(meets, self.bond_rate, zero).reshape(-1)
        team_term = rules.lapse_team_term(grid, ~teams.instructor, rules.is_changed(t, teams.changed_until),
                                          rules.is_small(grid, teams.size))
        return habit_rate, bond_rate, team_term.astype(np.float32).reshape(-1)

    def run_patient_meetings(self, t: int) -> None:
        """Step 6, patient channel: a course member leaves with reason course_completed in week
        join + course_weeks (not a lapse); otherwise, in a meeting week of its offering, a member
        may lapse (`rules.patient_lapse_hazard`: bond at programme end, vacancy of the volunteer
        post)."""
        meets = rules.meets(t, self.city.offers.interval)
        self.intensity += np.where(meets, rules.vacancy_factor(self.values.grid, ~self.offerings.instructor), 0.0)
        members = self.patients
        if len(members) == 0:
            return
        offer = members["offer"]
        lapsing = self.intensity.reshape(-1).take(offer) >= members["threshold"]
        done = t >= members["until"] if t >= self.next_course_end else None
        lapse = np.flatnonzero(lapsing if done is None else lapsing & ~done)
        self.leave_patient(members.idx[lapse], offer[lapse], t, LapseReason.lapse)
        if done is not None and done.any():
            done = np.flatnonzero(done)
            self.leave_patient(members.idx[done], offer[done], t, LapseReason.course_completed)
            lapse = np.concatenate([lapse, done])
        members.remove(lapse)
        if done is not None:
            self.next_course_end = int(members["until"].min(initial=rules.NEVER))

    def leave_patient(self, idx: np.ndarray, flat_offer: np.ndarray, t: int, reason: LapseReason) -> None:
        """Members `idx` leave their offerings (flat replication * O + offering indices); the
        caller takes them off the roster."""
        self.offerings.remove_members(flat_offer)
        self.flat("patient_state")[idx] = LEFT
        self.flat("patient_lapse_week")[idx] = t
        self.flat("patient_reason")[idx] = reason

    def leave(self, idx: np.ndarray, flat_team: np.ndarray, t: int, reason: LapseReason) -> None:
        """Members `idx` lapse and their teams (flat replication * T + team) lose them; the caller
        takes them off the roster."""
        rep = idx // self.n
        self.teams.remove_members(flat_team)
        self.flat("state")[idx] = LAPSED
        self.flat("lapse_week")[idx] = t
        self.flat("lapse_reason")[idx] = reason
        centre = self.layout.centre[idx % self.n]
        lapsed = np.bincount(rep * self.city.n_centres + centre, minlength=self.lapsed_by_centre.size)
        self.lapsed_by_centre += lapsed.reshape(self.lapsed_by_centre.shape).astype(np.int32)

    def settle_team_accounts(self, t: int) -> None:
        """Step 7: accounts and closures. All closing teams are marked closed first, so nobody
        transfers into a team that closes the same week; then each disbands, in team order."""
        closing = self.teams.settle(t)
        if closing.any():
            self.teams.close(closing, t)
            for rep, team in zip(*np.nonzero(closing), strict=True):
                self.disband(int(rep), int(team), t)

    def disband(self, rep: int, team: int, t: int) -> None:
        """Members of a closed team, one at a time in random order: each moves with probability
        `team.transfer_prob` to a random open team of the same club and centre with free capacity,
        else lapses (reason team_closed). Rare: a loop on the replication's own stream."""
        city, teams, draw = self.city, self.teams, self.streams.take
        members = np.flatnonzero((self.team[rep] == team) & (self.state[rep] == MEMBER))
        siblings = self.siblings.setdefault(team, city.siblings(team))
        for citizen in members[np.argsort(draw(rep, len(members)), kind="stable")]:  # a random order
            targets = rules.transfer_targets(siblings, teams.free_capacity(rep))
            idx = rep * self.n + citizen
            at = self.sport.position(idx)
            if len(targets) and draw(rep, 1)[0] < self.values.at(rep).team.transfer_prob:
                target = int(targets[min(int(draw(rep, 1)[0] * len(targets)), len(targets) - 1)])
                teams.move_member(rep, team, target)
                self.team[rep, citizen] = target
                self.sport["team"][at] = rep * city.n_teams + target
                self.sport["s"][at] = 0.0  # a transfer is a new group
                self.sport["hazard"][at] = self._hazard(np.array([idx]), np.array([target]))[0]
            else:
                self.leave(np.array([idx]), np.array([rep * city.n_teams + team]), t, LapseReason.team_closed)
                self.sport.remove(np.array([at]))

    def record(self, t: int, week: Week) -> None:
        """Step 8: the week's counts per centre."""
        cols, teams = week.recorded, self.teams
        state, by_centre = self.state[:, cols], self.citizen_centre[cols]
        open_ = teams.open.astype(np.float32)
        counts = {
            "in_programme": (state == IN_PROGRAMME).astype(np.float32) @ by_centre,
            "deciding": (state == DECIDING).astype(np.float32) @ by_centre,
            "members_sport": teams.members.astype(np.float32) @ self.team_centre,
            "members_patient": self.offerings.members.astype(np.float32) @ self.offer_centre,
            "lapsed": self.lapsed_by_centre,
            "teams_open": open_ @ self.team_centre,
            "instructors_vacant": (open_ * ~teams.instructor) @ self.team_centre,
        }
        for k, name in enumerate(WEEKLY_COUNTS):
            if name in counts:
                self.weekly[:, t, :, k] = counts[name]

    # --- outputs --------------------------------------------------------------------------------

    def engine_counts(self) -> dict[str, np.ndarray]:
        """sim.model.costs.ENGINE_COUNTS per (replication, centre): the citizens' and the teams'."""
        return {name: value + self.teams.counted[name] @ self.team_centre.astype(float) if
                name in self.teams.counted else value for name, value in self.counts.items()}

    def citizen_arrays(self) -> dict[str, np.ndarray]:
        """RAW_CITIZEN_ARRAYS of sim.model.results."""
        lay = self.layout

        def weeks(name: str) -> np.ndarray:  # -1 (never happened) -> NaN
            week = getattr(self, name)
            out = week.astype(np.float64)
            out[week < 0] = np.nan
            return out

        arrays = {
            "centre": np.broadcast_to(lay.centre.astype(np.int8), self.state.shape).copy(),
            "diagnosis": self.diagnosis,
            "resourcefulness": self.resourcefulness,
            "start_week": np.broadcast_to(lay.start_week.astype(np.int16), self.state.shape).copy(),
            "completed": self.state >= DECIDING,  # COMPLETED
            "handover_week": weeks("handover_week"),
            "team": self.team,
            "lapse_week": weeks("lapse_week"),
            "lapse_reason": self.lapse_reason,
            "patient_join_week": weeks("patient_join_week"),
            "patient_lapse_week": weeks("patient_lapse_week"),
            "patient_reason": self.patient_reason,
            "filled": self.filled,
        }
        assert set(arrays) == set(RAW_CITIZEN_ARRAYS)
        return arrays
